// One phase of an execute or rollback run on this host (domain/phases.ts): its steps of the
// rebuilt plan, in order, stopping at the first failure. Each mutating step is journaled before
// it starts; with services=manage no link is touched unless this runner has seen the EM service
// stopped in this job; a failover check hands its evidence on with the result.
import type { HostEvidence } from "../domain/failover-evidence.ts";
import type { Phase } from "../domain/phases.ts";
import { stageOf } from "../domain/phases.ts";
import type { Step } from "../domain/plan.ts";
import type { EventSink, RunResult } from "./executor.ts";
import { isMutating, type StepJournal } from "./journal.ts";
import { clip, EVENT_OUTPUT_LIMIT } from "./platform/platform.ts";
import { collectFacts } from "./preflight.ts";
import type { Rederived } from "./rederive.ts";
import { failed, pathsOf, type StepContext, type StepOutcome } from "./steps/context.ts";
import { runStep } from "./steps/run-step.ts";
import { describeState } from "./steps/service-wait.ts";

export interface PhaseRun {
  derived: Rederived;
  ctx: StepContext;
  phase: Phase;
  journal: StepJournal | undefined;
  runnerHost: string;
  emit: EventSink;
  now: () => Date;
}

export async function runPhase(run: PhaseRun): Promise<RunResult> {
  const { derived, ctx, phase, emit } = run;
  const { plan, hostPlan, job } = derived;
  const steps = job.kind === "execute" ? hostPlan.steps : hostPlan.rollback;
  const evidence: HostEvidence[] = [];
  const facts = () => collectFacts(ctx, plan, run.runnerHost);
  for (const index of phase.indices) {
    const step = steps[index];
    if (step === undefined) continue;
    const base = { index, kind: step.kind, dir: step.dir };
    if (step.noop) {
      emit({ ...base, status: "skipped", output: `already in place, not run: ${step.line}` });
      continue;
    }
    emit({ ...base, status: "started", output: "" });
    const outcome =
      (await serviceGuard(ctx, step)) ??
      beginStep(run, index, step) ??
      (await runStep(ctx, step, { writeProbe: true }).finally(() => endStep(run.journal)));
    if (outcome.evidence !== undefined) evidence.push(outcome.evidence);
    emit({ ...base, status: outcome.status, output: clip(outcome.output, EVENT_OUTPUT_LIMIT) });
    const last = evidence.at(-1);
    if (outcome.status === "failed") {
      return { ok: false, failedIndex: index, facts: await facts(), ...(last ? { evidence: last } : {}) };
    }
  }
  const last = evidence.at(-1);
  return { ok: true, facts: await facts(), ...(last ? { evidence: last } : {}) };
}

/**
 * services=manage: the links change only under a stopped EM. A stop earlier in this job proved
 * it; otherwise (the secondary's links, a phase after its own stop) the state is read once now.
 */
async function serviceGuard(ctx: StepContext, step: Step): Promise<StepOutcome | null> {
  if (!ctx.manageServices || stageOf(step.kind) !== "link" || ctx.job.serviceStopped) return null;
  const state = await ctx.service.state();
  if (state.state === "stopped") {
    ctx.job.serviceStopped = true;
    return null;
  }
  return failed(
    `not run: the EM service is ${describeState(state)}; with services=manage the links change only while it is stopped (it was stopped earlier in this change: someone started it since?)`,
  );
}

/**
 * Journals a mutating step before it starts. A step the journal cannot record does not start:
 * a runner killed during it could not tell afterwards what it had left half-done.
 */
function beginStep(run: PhaseRun, index: number, step: Step): StepOutcome | null {
  const { journal, ctx } = run;
  const { job, hostPlan } = run.derived;
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
      startedAt: run.now().toISOString(),
      pid: process.pid,
    });
    return null;
  } catch (error) {
    return {
      status: "failed",
      output: `not started: the runner cannot write its step journal ${journal.path}: ${error instanceof Error ? error.message : String(error)}`,
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
