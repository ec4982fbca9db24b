// What runs on a MOM host once a verified job arrives. Nothing runs before the plan is rebuilt
// here and found identical to the approved one (rederive.ts); then only the rebuilt plan's steps
// for this host run, in order, stopping at the first failure, each re-checking the file system
// right before it acts and reading the result back after.
import type { HostFacts } from "../domain/facts.ts";
import { DEFAULT_LOG_PATTERNS, type HostEvidence, type LogPattern } from "../domain/failover-evidence.ts";
import type { Job, StepEvent } from "../domain/job.ts";
import { firstPhaseOf, type Phase, runPhases } from "../domain/phases.ts";
import { DEFAULT_SERVICE_CONTROL, type Plan, type Step, type StepKind } from "../domain/plan.ts";
import { JobRefusedError } from "../protocol/refusal.ts";
import type { StepJournal } from "./journal.ts";
import { runPhase } from "./phase-run.ts";
import { clip, EVENT_OUTPUT_LIMIT, type Platform } from "./platform/platform.ts";
import { createEmHomePolicy, createSharePolicy } from "./policy.ts";
import { collectFacts, driftOf } from "./preflight.ts";
import { type RederiveContext, type Rederived, rederive } from "./rederive.ts";
import type { StepContext } from "./steps/context.ts";
import { runStep } from "./steps/run-step.ts";

export interface ExecutorOptions {
  platform: Platform;
  /** `--allow-em-home` roots: EM_HOMEs this runner may touch (the root itself or below it). */
  allowEmHome: string[];
  /** `--allow-share` roots: shares this runner may seed and link to (Linux mounts, Windows UNC prefixes). */
  allowShare: string[];
  /** Windows service name, or systemd unit on Linux (default IScopeEM). */
  serviceName?: string;
  /** This runner's host name as registered; jobs for any other host are refused. */
  runnerHost: string;
  /** Output kept per command (head and tail; default 16 KiB). */
  outputLimitBytes?: number;
  /**
   * Count a service the runner cannot query (no systemd, no such unit) as stopped. Default false:
   * an unverified service counts as running and blocks the plan. For hosts where the EM is not a
   * service, and the sandbox.
   */
  unknownServiceIsStopped?: boolean;
  /** Dir names this runner accepts (default: the domain's allow-list). */
  allowedDirs?: readonly string[];
  /**
   * Where each mutating step is recorded before it starts and forgotten once it ended, so that a
   * runner killed mid-step reports it at its next start (the CLI and the sandbox always give one).
   */
  journal?: StepJournal;
  /** Per step kind time limits (defaults: seed-share 4 h, service commands 5 min, others 2 min). */
  stepTimeoutMs?: Partial<Record<StepKind, number>>;
  /** services=manage: how long the runner waits for the EM service to stop (default 120 s). */
  serviceStopWaitSeconds?: number;
  /** services=manage: how long it waits for the EM to run and prove its failover role (default 300 s). */
  serviceStartWaitSeconds?: number;
  /** The EM log lines the failover evidence looks for (default DEFAULT_LOG_PATTERNS); reported in pre-flight. */
  logPatterns?: readonly LogPattern[];
  /** How often a bounded wait looks again (default 500 ms). */
  pollMs?: number;
  now?: () => Date;
}

export type ExecutorEvent = Omit<StepEvent, "jobId" | "at">;
export type EventSink = (event: ExecutorEvent) => void;

export interface RunResult {
  ok: boolean;
  /** The failing step's index (into steps or rollback); -1 when the pre-run re-check stopped the job. */
  failedIndex?: number;
  /** The host's facts after the job (read back), for the record. */
  facts?: HostFacts;
  /** A failover check's evidence (services=manage start phases), proven or not. */
  evidence?: HostEvidence;
}

export interface Executor {
  /** Read-only: what this host looks like, for the plan. Only `preflight` jobs. */
  preflight(job: Job, onEvent?: EventSink): Promise<HostFacts>;
  /** `execute`, `rollback` or `verify` jobs. Throws JobRefusedError before any step when the job does not hold up. */
  run(job: Job, onEvent: EventSink): Promise<RunResult>;
}

const DEFAULT_TIMEOUTS: Readonly<Record<StepKind, number>> = {
  "seed-share": 4 * 60 * 60_000,
  "move-aside": 120_000,
  mklink: 120_000,
  "verify-link": 120_000,
  "remove-link": 120_000,
  restore: 120_000,
  // The command only (systemctl start may wait for the unit's own start-up); the wait comes after.
  "stop-service": 300_000,
  "start-service": 300_000,
  "check-failover": 120_000,
  "set-failover-properties": 120_000,
  "restore-properties": 120_000,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createExecutor(options: ExecutorOptions): Executor {
  const { platform } = options;
  const policy = {
    emHome: createEmHomePolicy(platform.name, options.allowEmHome),
    share: createSharePolicy(platform.name, options.allowShare),
  };
  const now = options.now ?? (() => new Date());
  let busyWith: string | null = null;

  const accept = (job: Job, kinds: readonly Job["kind"][]): Rederived =>
    acceptJob(job, kinds, { options, policy, now: now() });

  const serviceName = options.serviceName ?? DEFAULT_SERVICE_CONTROL.name;
  const service = platform.serviceControl(serviceName);
  // What pre-flight reports of the service control; an approved service line must be built from it.
  const serviceFacts = {
    ...service.facts,
    stopWaitSeconds: options.serviceStopWaitSeconds ?? DEFAULT_SERVICE_CONTROL.stopWaitSeconds,
    startWaitSeconds: options.serviceStartWaitSeconds ?? DEFAULT_SERVICE_CONTROL.startWaitSeconds,
  };

  const contextFor = (derived: Rederived): StepContext =>
    stepContextOf(options, { serviceName, service, serviceFacts, now }, derived);

  return {
    async preflight(job, onEvent) {
      const derived = accept(job, ["preflight"]);
      return collectFacts(contextFor(derived), derived.plan, options.runnerHost, safeSink(onEvent));
    },

    async run(job, onEvent) {
      const derived = accept(job, ["execute", "rollback", "verify"]);
      const emit = safeSink(onEvent);
      const ctx = contextFor(derived);
      const { plan, hostPlan } = derived;

      if (job.kind === "verify") {
        return verifyAll(ctx, plan, hostPlan.steps, options.runnerHost, emit);
      }
      if (job.kind === "execute") {
        const blockers = plan.hosts.flatMap((h) => h.blockers.map((b) => `${h.host}: ${b}`));
        if (blockers.length > 0) throw new JobRefusedError(job.id, ["the plan is blocked", ...blockers]);
      }
      if (busyWith !== null) {
        throw new JobRefusedError(job.id, [`job ${busyWith} is still changing this host`]);
      }
      const phase = phaseOf(derived);
      busyWith = job.id;
      try {
        // The first phase of this host in the run re-checks the host against the approved facts.
        const first = firstPhaseOf(
          runPhases(plan, job.kind === "execute" ? "execute" : "rollback"),
          job.role,
        );
        if (job.kind === "execute" && hostPlan.facts !== null && first?.number === phase.number) {
          const changed = await hostChangedSince(hostPlan.facts, ctx, plan, options.runnerHost, emit);
          if (changed !== null) return changed;
        }
        return await runPhase({
          derived,
          ctx,
          phase,
          journal: options.journal,
          runnerHost: options.runnerHost,
          emit,
          now,
        });
      } finally {
        busyWith = null;
      }
    },
  };
}

/** The job rebuilt and checked here (rederive.ts), or JobRefusedError with every reason it is not. */
function acceptJob(
  job: Job,
  kinds: readonly Job["kind"][],
  on: { options: ExecutorOptions; policy: RederiveContext["policy"]; now: Date },
): Rederived {
  const { options, policy, now } = on;
  const { platform } = options;
  const id = typeof job?.id === "string" ? job.id : "?";
  if (!kinds.includes(job?.kind)) {
    throw new JobRefusedError(id, [
      `a ${String(job?.kind)} job does not belong here (expected ${kinds.join(" or ")})`,
    ]);
  }
  const result = rederive(job, {
    platform: platform.name,
    runnerHost: options.runnerHost,
    policy,
    now,
    ...(options.allowedDirs === undefined ? {} : { allowedDirs: options.allowedDirs }),
  });
  if (!result.ok) throw new JobRefusedError(id, result.reasons);
  return result.value;
}

/** What every step of this job is given: the host, the approved plan's settings, the runner's limits. */
function stepContextOf(
  options: ExecutorOptions,
  runner: Pick<StepContext, "serviceName" | "service" | "serviceFacts"> & { now: () => Date },
  { plan, hostPlan, job }: Rederived,
): StepContext {
  const { platform } = options;
  const { serviceName, service, serviceFacts, now } = runner;
  return {
    platform,
    emHome: hostPlan.emHome,
    share: plan.share,
    changeId: job.changeId,
    role: hostPlan.role,
    ...(plan.shareData === undefined ? {} : { shareData: plan.shareData }),
    serviceName,
    unknownServiceIsStopped: options.unknownServiceIsStopped ?? false,
    outputLimit: options.outputLimitBytes ?? 16_384,
    timeoutMs: (kind) => options.stepTimeoutMs?.[kind] ?? DEFAULT_TIMEOUTS[kind],
    host: options.runnerHost,
    service,
    serviceFacts,
    manageServices: plan.manageServices === true,
    failoverProperties: plan.failoverProperties,
    // The approved facts' patterns are this runner's own at pre-flight (a change is drift).
    logPatterns: hostPlan.facts?.logPatterns ?? options.logPatterns ?? DEFAULT_LOG_PATTERNS,
    ...(options.logPatterns === undefined ? {} : { reportedLogPatterns: [...options.logPatterns] }),
    pollMs: options.pollMs ?? 500,
    sleep,
    now: () => now().getTime(),
    job: {},
  };
}

/**
 * The first phase of this host in an execute run re-checks the host against the approved facts:
 * a host that changed since is stopped before any step (a failed "preflight" event, index -1).
 */
async function hostChangedSince(
  approved: HostFacts,
  ctx: StepContext,
  plan: Plan,
  runnerHost: string,
  emit: EventSink,
): Promise<RunResult | null> {
  const current = await collectFacts(ctx, plan, runnerHost);
  const drift = driftOf(approved, current, { manageServices: ctx.manageServices });
  if (drift.length > 0) {
    emit({
      index: -1,
      kind: "preflight",
      dir: "",
      status: "failed",
      output: clip(
        `stopped before any step: the host changed since the plan was approved; run pre-flight again and re-plan.\n${drift.join("\n")}`,
      ),
    });
    return { ok: false, failedIndex: -1, facts: current };
  }
  return null;
}

/**
 * The phase of the run this job is (domain/phases.ts), from the plan rebuilt here: the job's
 * phase number must name a phase of this host. A job without one is for a plan where the host
 * has a single phase in this run (the two-job runs of services=require-stopped).
 */
function phaseOf({ job, plan }: Rederived): Phase {
  const phases = runPhases(plan, job.kind === "execute" ? "execute" : "rollback");
  const mine = phases.filter((p) => p.role === job.role);
  if (job.phase === undefined) {
    const only = mine.length === 1 ? mine[0] : undefined;
    if (only === undefined) {
      throw new JobRefusedError(job.id, [
        `the job names no phase, and this plan has ${mine.length} phases on ${job.role} ${job.host} (${mine.map((p) => p.number).join(", ")})`,
      ]);
    }
    return only;
  }
  const named = phases[job.phase - 1];
  if (named === undefined || named.role !== job.role) {
    throw new JobRefusedError(job.id, [
      `phase ${job.phase} of this ${job.kind} is not ${job.role} ${job.host}'s (its phases: ${mine.map((p) => p.number).join(", ") || "none"})`,
    ]);
  }
  return named;
}

/** A read-only check of the live links (verify jobs): every verify-link step, none stopping the rest. */
async function verifyAll(
  ctx: StepContext,
  plan: Plan,
  steps: Step[],
  runnerHost: string,
  emit: EventSink,
): Promise<RunResult> {
  let failedIndex: number | undefined;
  for (const [index, step] of steps.entries()) {
    if (step.kind !== "verify-link") continue;
    const base = { index, kind: step.kind, dir: step.dir };
    emit({ ...base, status: "started", output: "" });
    const outcome = await runStep(ctx, step, { writeProbe: false });
    emit({ ...base, status: outcome.status, output: clip(outcome.output, EVENT_OUTPUT_LIMIT) });
    if (outcome.status === "failed") failedIndex ??= index;
  }
  const facts = await collectFacts(ctx, plan, runnerHost);
  return failedIndex === undefined ? { ok: true, facts } : { ok: false, failedIndex, facts };
}

/** Reporting must never abandon a half-done sequence of steps: a failing sink is ignored here. */
function safeSink(onEvent: EventSink | undefined): EventSink {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // The dispatcher client queues and retries its own sends; the host's work goes on.
    }
  };
}
