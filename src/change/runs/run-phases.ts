// The execute and rollback runs: each job event or resume re-reads the record and the jobs held
// under the run's derived ids (job-ids.ts) and does the one next thing. A run is a sequence of
// phases across the two hosts (domain/phases.ts): each phase is one host's job, queued once the
// phase before it succeeded. Nothing is remembered between calls, which is what lets a restarted
// bot continue a change. The reads are async (the ports are), so the orchestrator runs these
// reactions one at a time per change (per-change.ts): two of them never read the same rows and
// both act on them.
import type { HostEvidence } from "../../domain/failover-evidence.ts";
import { failoverOutcome } from "../../domain/failover-record.ts";
import type { Job, JobResult } from "../../domain/job.ts";
import type { JobState } from "../../domain/job-lifecycle.ts";
import { failureOf, type HostOutcome, outcomeOf, type RunKind } from "../../domain/outcomes.ts";
import { type Phase, runPhases } from "../../domain/phases.ts";
import { planOf } from "../../domain/plan.ts";
import type { ChangeRecord, JsonObject } from "../../domain/record.ts";
import type { Logger } from "../../log.ts";
import type { RunnerJobs } from "../ports/runner-jobs.ts";
import type { ChangeStore } from "../ports/store.ts";
import { runnerOf } from "./hosts.ts";
import { parsePhaseJobId, runJobId } from "./job-ids.ts";
import type { Apply } from "./transitions.ts";

export interface RunPhases {
  /**
   * Looks at the record and its jobs and does the one next thing: start, queue a phase's job, or
   * finish the run. Called on every job event and on resume; doing nothing is the common case.
   */
  reconcile(changeId: string): Promise<void>;
  /** A run's job reported or was given up on: tell the thread, then move the record on. */
  onRunJob(job: Job, result: JobResult | null, state: JobState): Promise<void>;
}

type Jobs = Pick<RunnerJobs, "job">;

/** The failover evidence a run's start phases sent back so far, by role. */
export async function runEvidence(
  jobs: Jobs,
  record: Pick<ChangeRecord, "id" | "plan">,
  version: number,
): Promise<{ primary?: HostEvidence; secondary?: HostEvidence }> {
  const phases = runPhases(record.plan, "execute");
  const found: { primary?: HostEvidence; secondary?: HostEvidence } = {};
  for (const phase of phases) {
    const steps = planOf(record, phase.role).steps;
    if (!phase.indices.some((i) => steps[i]?.kind === "check-failover")) continue;
    const stored = await jobs.job(runJobId({ id: record.id, version }, "execute", phase, phases).id);
    const evidence = stored?.result?.evidence;
    if (evidence !== undefined) found[phase.role] = evidence;
  }
  return found;
}

/** The record's proof of failover for a run, when the plan has one to give. */
async function failoverOf(jobs: Jobs, record: ChangeRecord, version: number) {
  return failoverOutcome(record.plan, await runEvidence(jobs, record, version));
}

export function createRunPhases(options: {
  jobs: RunnerJobs;
  store: ChangeStore;
  logger: Logger;
  apply: Apply;
  progress: (changeId: string) => void;
  tell: (changeId: string, outcome: HostOutcome) => void;
  /** True once the orchestrator closed: job events still in flight then change nothing. */
  closed: () => boolean;
}): RunPhases {
  const { jobs, store, logger, apply, progress, tell, closed } = options;

  async function reconcile(changeId: string): Promise<void> {
    if (closed()) return;
    const record = await store.get(changeId);
    if (record === null) return;
    switch (record.state) {
      case "approved":
        await start(record);
        return;
      case "executing":
        await advance(record, "execute");
        return;
      case "rolling_back":
        await advance(record, "rollback");
        return;
      default:
        return;
    }
  }

  async function start(record: ChangeRecord): Promise<void> {
    const found = await Promise.all(
      record.plan.hosts.map((h) => runnerOf(jobs, h.host, record.plan.platform)),
    );
    const missing = found.flatMap((f) => ("problem" in f ? [f.problem] : []));
    const executing = await apply(record, { type: "start-execution", actor: "system" });
    if (executing === null) return;
    if (missing.length > 0) {
      await apply(executing, { type: "fail", actor: "system", reason: `nothing ran: ${missing.join("; ")}` });
      return;
    }
    await advance(executing, "execute");
  }

  async function advance(record: ChangeRecord, kind: RunKind): Promise<void> {
    const stop = async (reason: string): Promise<void> => {
      if (kind === "rollback") {
        await apply(record, { type: "rollback-failed", actor: "system", reason: `rollback: ${reason}` });
        return;
      }
      const failover = (await failoverOf(jobs, record, record.version))?.record;
      await apply(record, {
        type: "fail",
        actor: "system",
        reason,
        ...(failover === undefined ? {} : { failover }),
      });
    };
    const phases = runPhases(record.plan, kind);
    for (const phase of phases) {
      const hostPlan = planOf(record, phase.role);
      const { id, phase: number } = runJobId(record, kind, phase, phases);
      const stored = await jobs.job(id);
      if (stored === null) {
        await queue(record, kind, phase, { id, ...(number === undefined ? {} : { phase: number }) }, stop);
        return;
      }
      switch (stored.state) {
        case "queued":
        case "leased":
          return;
        case "lost":
          await apply(record, { type: "runner-lost", actor: "system", host: hostPlan.host });
          return;
        case "expired":
          await stop(
            `${hostPlan.host} (${phase.role}): the runner did not pick up the ${kind} job before it expired; nothing ran there`,
          );
          return;
        case "done":
          if (stored.result?.ok !== true) {
            await stop(failureOf(record, stored.job, stored.result, await jobs.events(stored.job.id)).reason);
            return;
          }
          break;
        default: {
          const never: never = stored.state;
          throw new Error(`unhandled job state ${String(never)}`);
        }
      }
    }
    if (kind === "rollback") {
      await apply(record, { type: "rolled-back", actor: "system" });
      return;
    }
    await finish(record);
  }

  /** Every phase succeeded: with services=manage the pair's evidence decides, from both hosts. */
  async function finish(record: ChangeRecord): Promise<void> {
    const failover = await failoverOf(jobs, record, record.version);
    if (failover === null) {
      await apply(record, { type: "succeed", actor: "system" });
      return;
    }
    const kept: JsonObject = failover.record;
    if (failover.outcome === "proven") {
      await apply(record, { type: "succeed", actor: "system", failover: kept });
      return;
    }
    await apply(record, {
      type: "fail",
      actor: "system",
      reason: `the pair does not fail over as planned: ${failover.summary}`,
      failover: kept,
    });
  }

  async function queue(
    record: ChangeRecord,
    kind: RunKind,
    phase: Phase,
    job: { id: string; phase?: number },
    stop: (reason: string) => Promise<void>,
  ): Promise<void> {
    const hostPlan = planOf(record, phase.role);
    const found = await runnerOf(jobs, hostPlan.host, record.plan.platform);
    if ("problem" in found) {
      await stop(`${found.problem}: nothing ran on ${hostPlan.host}`);
      return;
    }
    const queued = await jobs.enqueue({
      ...job,
      kind,
      changeId: record.id,
      host: hostPlan.host,
      role: phase.role,
      planHash: record.planHash,
      plan: record.plan,
      runner: found.runner.name,
    });
    if (queued.ok) {
      logger.info({ changeId: record.id, jobId: job.id, runner: found.runner.name }, `${kind} job queued`);
      progress(record.id);
      return;
    }
    if (queued.duplicate) return;
    await stop(`could not queue the ${kind} job for ${hostPlan.host}: ${queued.error}; nothing ran there`);
  }

  async function onRunJob(job: Job, result: JobResult | null, state: JobState): Promise<void> {
    const parsed = parsePhaseJobId(job.id);
    if (parsed === null || (parsed.kind !== "execute" && parsed.kind !== "rollback")) return;
    const record = await store.get(job.changeId);
    if (record === null) return;
    tell(record.id, outcomeOf(record, job, result, state, await jobs.events(job.id)));
    await reconcile(record.id);
    progress(record.id);
  }

  return { reconcile, onRunJob };
}
