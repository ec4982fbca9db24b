// The runners port of the change layer: what a use-case asks of the runners (pre-flight facts,
// run an approved change, undo one, check the live links, list the runners), what the runner side
// tells back (ChangeNotify), and the plain data both ways, which the presenter shows. The change
// layer's own reactions to runner events (change/runs/orchestrator.ts) implement Runners on the
// jobs port (runner-jobs.ts), which the dispatcher implements; tests plug in fakes here. Slack
// knows nothing about jobs, leases or signatures, and the dispatcher nothing about Block Kit.
// What reads the runners' jobs returns a promise (the jobs port is async: ports/runner-jobs.ts).
import type { HostFacts } from "../../domain/facts.ts";
import type { HostOutcome, HostRole, PhaseLabel, RunKind, RunStatus } from "../../domain/outcomes.ts";
import type { Platform } from "../../domain/pair.ts";
import type { ChangeRecord } from "../../domain/record.ts";

// What a run's outcome is and how a host's part stands are domain decisions (domain/outcomes.ts).
export type {
  HostOutcome,
  HostRole,
  PhaseLabel,
  RunKind,
  RunStatus,
  StepFailure,
} from "../../domain/outcomes.ts";

export type RunnerStatus = "pending" | "active" | "revoked";

export interface RunnerInfo {
  name: string;
  /** The MOM host this runner serves, as plans name it. */
  host: string;
  platform: Platform;
  /** pending: added, token not used yet; active: registered; revoked. */
  status: RunnerStatus;
  version: string | null;
  /** The machine name the runner reported at registration. */
  hostname: string | null;
  registeredAt: string | null;
  lastSeen: string | null;
  /** Seen within the online window, or long-polling right now. */
  online: boolean;
  /** Holding a long-poll open right now: a job queued for it starts at once. */
  polling: boolean;
}

export interface PreflightFacts {
  primary: HostFacts | null;
  secondary: HostFacts | null;
}

export interface HostRun {
  host: string;
  role: HostRole;
  kind: RunKind;
  /** Absent in a run of one phase per host (the primary, then the secondary). */
  phase?: PhaseLabel;
  status: RunStatus;
  /** One line per step, marked (domain/render.ts renderHostProgress). */
  steps: string;
}

/** What a change's message shows beyond the record, derived from its runner jobs (so it survives a restart). */
export interface ChangeProgress {
  /** Why a host has no pre-flight facts, one sentence each; only while the plan awaits approval. */
  preflightNotes: string[];
  /** The latest execute and rollback run, phase by phase, in the order they run. */
  runs: HostRun[];
  /** services=manage: what the failover evidence of the latest execute run says so far, or null. */
  failover: string | null;
}

export interface VerifyHost {
  host: string;
  role: HostRole;
  /** False when the runner did not answer (or there is none): nothing is known about this host. */
  answered: boolean;
  /** Why it did not answer, when it did not. */
  note: string | null;
  /** One line per dir that is not as approved. */
  drift: string[];
}

export interface VerifyReport {
  changeId: string;
  hosts: VerifyHost[];
  /** in-place: every dir on both hosts links to its target; unknown: some host did not answer. */
  outcome: "in-place" | "drift" | "unknown";
  /** The state a `needs_verification` record moved to, or null when it was not one (or nothing is known). */
  recorded: "succeeded" | "failed" | null;
}

/** What the runner side tells the change layer. Implementations must not throw; they are not awaited in order by the runners. */
export interface ChangeNotify {
  /** The record or one of its runs moved: re-render the change's message. */
  progress(changeId: string): Promise<void> | void;
  /** One host finished its part of a run (or was given up on). */
  hostOutcome(changeId: string, outcome: HostOutcome): Promise<void> | void;
}

/** What the change layer asks of the runners. Only `preflight` and `approved` are required (tests plug in fakes). */
export interface Runners {
  /** Ask both hosts' runners for pre-flight facts; resolve null when no runner is registered. */
  preflight(change: ChangeRecord): Promise<PreflightFacts | null>;
  /** Called after the record reached `approved` (and was committed); resolves once its first move is made. */
  approved(change: ChangeRecord): Promise<void>;
  /** Called after the record reached `rolling_back` (and was committed); resolves once its first move is made. */
  rollback?(change: ChangeRecord): Promise<void>;
  /** A read-only check of the live links against the change's plan; settles a `needs_verification` record. */
  verify?(change: ChangeRecord, actor: string): Promise<VerifyReport>;
  /** The registered runners, for `/momlink runners`. */
  listRunners?(): Promise<RunnerInfo[]>;
  /** What the message shows beyond the record. */
  progress?(change: ChangeRecord): Promise<ChangeProgress>;
}
