// What runs on a MOM host once a verified job arrives. Nothing runs before the plan is rebuilt
// here and found identical to the approved one (rederive.ts); then only the rebuilt plan's steps
// for this host run, in order, stopping at the first failure, each re-checking the file system
// right before it acts and reading the result back after.
import type { HostFacts } from "../domain/facts.ts";
import type { Job, StepEvent } from "../domain/job.ts";
import type { Plan, Step, StepKind } from "../domain/plan.ts";
import { isMutating, type StepJournal } from "./journal.ts";
import { clip, EVENT_OUTPUT_LIMIT, type Platform } from "./platform/index.ts";
import { createEmHomePolicy, createSharePolicy } from "./policy.ts";
import { collectFacts, driftOf } from "./preflight.ts";
import { type Rederived, rederive } from "./rederive.ts";
import { pathsOf, type StepContext, type StepOutcome } from "./steps/context.ts";
import { mklink } from "./steps/mklink.ts";
import { moveAside } from "./steps/move-aside.ts";
import { removeLink } from "./steps/remove-link.ts";
import { restore } from "./steps/restore.ts";
import { seedShare } from "./steps/seed-share.ts";
import { verifyLink } from "./steps/verify-link.ts";

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
  /** Per step kind time limits (defaults: seed-share 4 h, others 2 min). */
  stepTimeoutMs?: Partial<Record<StepKind, number>>;
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
}

export interface Executor {
  /** Read-only: what this host looks like, for the plan. Only `preflight` jobs. */
  preflight(job: Job, onEvent?: EventSink): Promise<HostFacts>;
  /** `execute`, `rollback` or `verify` jobs. Throws JobRefusedError before any step when the job does not hold up. */
  run(job: Job, onEvent: EventSink): Promise<RunResult>;
}

/** The job was refused before anything ran on the host; `reasons` say why, one sentence each. */
export class JobRefusedError extends Error {
  readonly reasons: string[];
  constructor(jobId: string, reasons: string[]) {
    super(`job ${jobId} refused: ${reasons.join("; ")}`);
    this.name = "JobRefusedError";
    this.reasons = reasons;
  }
}

const DEFAULT_TIMEOUTS: Readonly<Record<StepKind, number>> = {
  "seed-share": 4 * 60 * 60_000,
  "move-aside": 120_000,
  mklink: 120_000,
  "verify-link": 120_000,
  "remove-link": 120_000,
  restore: 120_000,
};

export function createExecutor(options: ExecutorOptions): Executor {
  const { platform } = options;
  const policy = {
    emHome: createEmHomePolicy(platform.name, options.allowEmHome),
    share: createSharePolicy(platform.name, options.allowShare),
  };
  const now = options.now ?? (() => new Date());
  let busyWith: string | null = null;

  const accept = (job: Job, kinds: readonly Job["kind"][]): Rederived => {
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
      now: now(),
      ...(options.allowedDirs === undefined ? {} : { allowedDirs: options.allowedDirs }),
    });
    if (!result.ok) throw new JobRefusedError(id, result.reasons);
    return result.value;
  };

  const contextFor = ({ plan, hostPlan, job }: Rederived): StepContext => ({
    platform,
    emHome: hostPlan.emHome,
    share: plan.share,
    changeId: job.changeId,
    role: hostPlan.role,
    ...(plan.shareData === undefined ? {} : { shareData: plan.shareData }),
    serviceName: options.serviceName ?? "IScopeEM",
    unknownServiceIsStopped: options.unknownServiceIsStopped ?? false,
    outputLimit: options.outputLimitBytes ?? 16_384,
    timeoutMs: (kind) => options.stepTimeoutMs?.[kind] ?? DEFAULT_TIMEOUTS[kind],
  });

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
      busyWith = job.id;
      try {
        if (job.kind === "execute" && hostPlan.facts !== null) {
          const current = await collectFacts(ctx, plan, options.runnerHost);
          const drift = driftOf(hostPlan.facts, current);
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
        }
        const steps = job.kind === "execute" ? hostPlan.steps : hostPlan.rollback;
        for (const [index, step] of steps.entries()) {
          const base = { index, kind: step.kind, dir: step.dir };
          if (step.noop) {
            emit({ ...base, status: "skipped", output: `already in place, not run: ${step.line}` });
            continue;
          }
          emit({ ...base, status: "started", output: "" });
          const unjournaled = beginStep(options.journal, derived, ctx, index, step, now());
          const outcome =
            unjournaled ??
            (await runStep(ctx, step, { writeProbe: true }).finally(() => endStep(options.journal)));
          emit({ ...base, status: outcome.status, output: clip(outcome.output, EVENT_OUTPUT_LIMIT) });
          if (outcome.status === "failed") {
            return {
              ok: false,
              failedIndex: index,
              facts: await collectFacts(ctx, plan, options.runnerHost),
            };
          }
        }
        return { ok: true, facts: await collectFacts(ctx, plan, options.runnerHost) };
      } finally {
        busyWith = null;
      }
    },
  };
}

/**
 * Journals a mutating step before it starts. A step the journal cannot record does not start:
 * a runner killed during it could not tell afterwards what it had left half-done.
 */
function beginStep(
  journal: StepJournal | undefined,
  { job, hostPlan }: Rederived,
  ctx: StepContext,
  index: number,
  step: Step,
  at: Date,
): StepOutcome | null {
  if (journal === undefined || !isMutating(step.kind)) return null;
  const { local, target, aside } = pathsOf(ctx, step.dir);
  try {
    journal.begin({
      job: {
        id: job.id,
        changeId: job.changeId,
        kind: job.kind === "rollback" ? "rollback" : "execute",
        role: job.role,
        host: hostPlan.host,
        expiresAt: job.expiresAt,
      },
      index,
      step: { kind: step.kind, dir: step.dir, line: step.line },
      paths: { local, target, aside },
      startedAt: at.toISOString(),
      pid: process.pid,
    });
    return null;
  } catch (error) {
    return {
      status: "failed",
      output: `not started: the runner cannot write its step journal ${journal.path}: ${errorText(error)}`,
    };
  }
}

/** Best effort: a journal left behind only makes the next start report this ended step as cut short. */
function endStep(journal: StepJournal | undefined): void {
  try {
    journal?.end();
  } catch {
    // Errs on the safe side, see above.
  }
}

/** One step by kind; a new kind fails to compile here until it is handled. */
async function runStep(ctx: StepContext, step: Step, verify: { writeProbe: boolean }): Promise<StepOutcome> {
  try {
    switch (step.kind) {
      case "seed-share":
        return await seedShare(ctx, step);
      case "move-aside":
        return await moveAside(ctx, step);
      case "mklink":
        return await mklink(ctx, step);
      case "verify-link":
        return await verifyLink(ctx, step, verify);
      case "remove-link":
        return await removeLink(ctx, step);
      case "restore":
        return await restore(ctx, step);
      default: {
        const unhandled: never = step.kind;
        return { status: "failed", output: `unknown step kind ${String(unhandled)}` };
      }
    }
  } catch (error) {
    // An I/O error while checking or reading back: the step failed, and says how.
    return { status: "failed", output: `the runner could not complete the step: ${errorText(error)}` };
  }
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
