// The execute and rollback runs: each job event or resume re-reads the record and the jobs held
// under the run's derived ids (job-ids.ts) and does the one next thing. Nothing is remembered
// between calls, which is what lets a restarted bot continue a change.
import type { Job } from "../../domain/job.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import type { Logger } from "../../log.ts";
import type { ChangeStore } from "../../store/store.ts";
import { DispatchError, type Dispatcher } from "../dispatcher.ts";
import type { HostOutcome, HostRole, RunKind } from "../hooks.ts";
import type { JobState } from "../queue.ts";
import type { JobResult } from "../wire.ts";
import { planOf, runnerOf } from "./hosts.ts";
import { parsePhaseJobId, phaseJobId } from "./job-ids.ts";
import { failureOf, outcomeOf } from "./outcomes.ts";
import type { Apply } from "./transitions.ts";

export interface RunPhases {
  /**
   * Looks at the record and its jobs and does the one next thing: start, queue a host's job, or
   * finish the run. Called on every job event and on resume; doing nothing is the common case.
   */
  reconcile(changeId: string): void;
  /** A run's job reported or was given up on: tell the thread, then move the record on. */
  onRunJob(job: Job, result: JobResult | null, state: JobState): void;
}

export function createRunPhases(options: {
  dispatcher: Dispatcher;
  store: ChangeStore;
  logger: Logger;
  apply: Apply;
  progress: (changeId: string) => void;
  tell: (changeId: string, outcome: HostOutcome) => void;
  /** True once the orchestrator closed: job events still in flight then change nothing. */
  closed: () => boolean;
}): RunPhases {
  const { dispatcher, store, logger, apply, progress, tell, closed } = options;

  function reconcile(changeId: string): void {
    if (closed()) return;
    const record = store.get(changeId);
    if (record === null) return;
    switch (record.state) {
      case "approved":
        start(record);
        return;
      case "executing":
        advance(record, "execute", ["primary", "secondary"]);
        return;
      case "rolling_back":
        // Undo in reverse: the secondary followed the primary, so it goes back first.
        advance(record, "rollback", ["secondary", "primary"]);
        return;
      default:
        return;
    }
  }

  function start(record: ChangeRecord): void {
    const missing = record.plan.hosts.flatMap((h) => {
      const found = runnerOf(dispatcher, h.host, record.plan.platform);
      return "problem" in found ? [found.problem] : [];
    });
    const executing = apply(record, { type: "start-execution", actor: "system" });
    if (executing === null) return;
    if (missing.length > 0) {
      apply(executing, { type: "fail", actor: "system", reason: `nothing ran: ${missing.join("; ")}` });
      return;
    }
    advance(executing, "execute", ["primary", "secondary"]);
  }

  function advance(record: ChangeRecord, kind: RunKind, order: HostRole[]): void {
    const stop = (reason: string): void => {
      apply(
        record,
        kind === "execute"
          ? { type: "fail", actor: "system", reason }
          : { type: "rollback-failed", actor: "system", reason: `rollback: ${reason}` },
      );
    };
    for (const role of order) {
      const hostPlan = planOf(record, role);
      const id = phaseJobId(record, kind, role);
      const stored = dispatcher.job(id);
      if (stored === null) {
        queue(record, kind, role, id, stop);
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
            `${hostPlan.host} (${role}): the runner did not pick up the ${kind} job before it expired; nothing ran there`,
          );
          return;
        case "done":
          if (stored.result?.ok !== true) {
            stop(failureOf(record, stored.job, stored.result, dispatcher.events(stored.job.id)).reason);
            return;
          }
          break;
        default: {
          const never: never = stored.state;
          throw new Error(`unhandled job state ${String(never)}`);
        }
      }
    }
    apply(
      record,
      kind === "execute" ? { type: "succeed", actor: "system" } : { type: "rolled-back", actor: "system" },
    );
  }

  function queue(
    record: ChangeRecord,
    kind: RunKind,
    role: HostRole,
    id: string,
    stop: (reason: string) => void,
  ): void {
    const hostPlan = planOf(record, role);
    const found = runnerOf(dispatcher, hostPlan.host, record.plan.platform);
    if ("problem" in found) {
      stop(`${found.problem}: nothing ran on ${hostPlan.host}`);
      return;
    }
    try {
      dispatcher.enqueue({
        id,
        kind,
        changeId: record.id,
        host: hostPlan.host,
        role,
        planHash: record.planHash,
        plan: record.plan as unknown as Record<string, unknown>,
        runner: found.runner.name,
      });
      logger.info({ changeId: record.id, jobId: id, runner: found.runner.name }, `${kind} job queued`);
      progress(record.id);
    } catch (err) {
      if (err instanceof DispatchError && err.code === "duplicate-job") return;
      stop(
        `could not queue the ${kind} job for ${hostPlan.host}: ${(err as Error).message}; nothing ran there`,
      );
    }
  }

  function onRunJob(job: Job, result: JobResult | null, state: JobState): void {
    const phase = parsePhaseJobId(job.id);
    if (phase === null || (phase.kind !== "execute" && phase.kind !== "rollback")) return;
    const record = store.get(job.changeId);
    if (record === null) return;
    tell(record.id, outcomeOf(record, job, result, state, dispatcher.events(job.id)));
    reconcile(record.id);
    progress(record.id);
  }

  return { reconcile, onRunJob };
}
