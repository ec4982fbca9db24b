// PLACEHOLDER: types agreed for helpers; the implementation replaces the function bodies.
import type { HostFacts } from "./facts.ts";
import type { PairSpec, Platform } from "./pair.ts";

/** The closed vocabulary of things a runner may do. Read-only checks are not in a plan's script. */
export type StepKind = "seed-share" | "move-aside" | "mklink" | "verify-link" | "remove-link" | "restore";

export interface Step {
  kind: StepKind;
  /** The EM_HOME sub-directory this step is about (`config`, `data`, ...). */
  dir: string;
  /**
   * The exact line shown for approval. On Windows the runner runs exactly this text as
   * `cmd.exe /d /s /c "<line>"` with EM_HOME as working directory; on Linux it runs `argv`.
   */
  line: string;
  /** Linux only: the argv the runner passes to execa (no shell). Empty on Windows. */
  argv: string[];
  /** Set when the step depends on a pre-flight fact not known yet, e.g. "if config is a real directory". */
  when?: string;
  /** True when pre-flight showed the step is already satisfied (shown, not run). */
  noop?: boolean;
}

export interface HostPlan {
  role: "primary" | "secondary";
  host: string;
  emHome: string;
  /** Null until a runner reported pre-flight facts: the steps then show the worst case. */
  facts: HostFacts | null;
  steps: Step[];
  rollback: Step[];
  /** Reasons this host's plan cannot be approved (conflicts found by pre-flight). */
  blockers: string[];
}

export interface Plan {
  format: "momlink-plan/1";
  changeId: string | null;
  platform: Platform;
  share: string;
  dirs: string[];
  configAdded: boolean;
  /** Information for the operator: the properties the pair needs in IntroscopeEnterpriseManager.properties. */
  failoverProperties: { key: string; value: string }[];
  hosts: [HostPlan, HostPlan];
  /** SHA-256 hex of the canonical JSON of the plan without this field. */
  hash: string;
}

export interface PlanInput {
  spec: PairSpec;
  changeId: string | null;
  facts?: { primary?: HostFacts | null; secondary?: HostFacts | null };
}
