// The execute and rollback runs: each job event or resume re-reads the record and the jobs held
// under the run's derived ids (job-ids.ts) and does the one next thing. A run is a sequence of
// phases across the two hosts (domain/phases.ts): each phase is one host's job, queued once the
// phase before it succeeded. Nothing is remembered between calls, which is what lets a restarted
// bot continue a change.
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
  reconcile(changeId: string): void;
  /** A run's job reported or was given up on: tell the thread, then move the record on. */
  onRunJob(job: Job, result: JobResult | null, state: JobState): void;
}

type Jobs = Pick<RunnerJobs, "job">;

/** The failover evidence a run's start phases sent back so far, by role. */
export function runEvidence(
  jobs: Jobs,
  record: Pick<ChangeRecord, "id" | "plan">,
  version: number,
): { primary?: HostEvidence; secondary?: HostEvidence } {
  const phases = runPhases(record.plan, "execute");
  const found: { primary?: HostEvidence; secondary?: HostEvidence } = {};
  for (const phase of phases) {
    const steps = planOf(record, phase.role).steps;
    if (!phase.indices.some((i) => steps[i]?.kind === "check-failover")) continue;
    const evidence = jobs.job(runJobId({ id: record.id, version }, "execute", phase, phases).id)?.result
      ?.evidence;
    if (evidence !== undefined) found[phase.role] = evidence;
  }
  return found;
}

/** The record's proof of failover for a run, when the plan has one to give. */
function failoverOf(jobs: Jobs, record: ChangeRecord, version: number) {
  return failoverOutcome(record.plan, runEvidence(jobs, record, version));
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

  function reconcile(changeId: string): void {
    if (closed()) return;
    const record = store.get(changeId);
    if (record === null) return;
    switch (record.state) {
      case "approved":
        start(record);
        return;
      case "executing":
        advance(record, "execute");
        return;
      case "rolling_back":
        advance(record, "rollback");
        return;
      default:
        return;
    }
  }

  function start(record: ChangeRecord): void {
    const missing = record.plan.hosts.flatMap((h) => {
      const found = runnerOf(jobs, h.host, record.plan.platform);
      return "problem" in found ? [found.problem] : [];
    });
    const executing = apply(record, { type: "start-execution", actor: "system" });
    if (executing === null) return;
    if (missing.length > 0) {
      apply(executing, { type: "fail", actor: "system", reason: `nothing ran: ${missing.join("; ")}` });
      return;
    }
    advance(executing, "execute");
  }

  function advance(record: ChangeRecord, kind: RunKind): void {
    const stop = (reason: string): void => {
      if (kind === "rollback") {
        apply(record, { type: "rollback-failed", actor: "system", reason: `rollback: ${reason}` });
        return;
      }
      const failover = failoverOf(jobs, record, record.version)?.record;
      apply(record, {
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
      const stored = jobs.job(id);
      if (stored === null) {
        queue(record, kind, phase, { id, ...(number === undefined ? {} : { phase: number }) }, stop);
        return;
      }
      switch (stored.state) {
        case "queued":
        case "leased":
          return;
        case "lost":
          apply(record, { type: "runner-lost", actor: "system", host: hostPlan.host });
          return;
        case "expired":
          stop(
            `${hostPlan.host} (${phase.role}): the runner did not pick up the ${kind} job before it expired; nothing ran there`,
          );
          return;
        case "done":
          if (stored.result?.ok !== true) {
            stop(failureOf(record, stored.job, stored.result, jobs.events(stored.job.id)).reason);
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
      apply(record, { type: "rolled-back", actor: "system" });
      return;
    }
    finish(record);
  }

  /** Every phase succeeded: with services=manage the pair's evidence decides, from both hosts. */
  function finish(record: ChangeRecord): void {
    const failover = failoverOf(jobs, record, record.version);
    if (failover === null) {
      apply(record, { type: "succeed", actor: "system" });
      return;
    }
    const kept: JsonObject = failover.record;
    if (failover.outcome === "proven") {
      apply(record, { type: "succeed", actor: "system", failover: kept });
      return;
    }
    apply(record, {
      type: "fail",
      actor: "system",
      reason: `the pair does not fail over as planned: ${failover.summary}`,
      failover: kept,
    });
  }

  function queue(
    record: ChangeRecord,
    kind: RunKind,
    phase: Phase,
    job: { id: string; phase?: number },
    stop: (reason: string) => void,
  ): void {
    const hostPlan = planOf(record, phase.role);
    const found = runnerOf(jobs, hostPlan.host, record.plan.platform);
    if ("problem" in found) {
      stop(`${found.problem}: nothing ran on ${hostPlan.host}`);
      return;
    }
    const queued = jobs.enqueue({
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
    stop(`could not queue the ${kind} job for ${hostPlan.host}: ${queued.error}; nothing ran there`);
  }

  function onRunJob(job: Job, result: JobResult | null, state: JobState): void {
    const parsed = parsePhaseJobId(job.id);
    if (parsed === null || (parsed.kind !== "execute" && parsed.kind !== "rollback")) return;
    const record = store.get(job.changeId);
    if (record === null) return;
    tell(record.id, outcomeOf(record, job, result, state, jobs.events(job.id)));
    reconcile(record.id);
    progress(record.id);
  }

  return { reconcile, onRunJob };
}
