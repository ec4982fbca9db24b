// Drives a change through the runners: pre-flight facts for the plan, then after approval the
// primary's execute job, then the secondary's; a rollback (secondary first) after an approver asks
// for one; verify jobs on request. Bot-side and not Slack-specific: it talks to the chat side
// through ChangeNotify only.
//
// The reactions are stateless. Execute and rollback jobs get ids derived from the change, the
// record's version when the run began, the kind and the role (`CHG-12-v5-execute-primary`): what
// to do next is read from the record and from the jobs the dispatcher holds under those ids, never
// from memory. A bot restarted mid-change therefore continues where the rows say, and an id can be
// queued only once, so no host runs its part twice. Only the read-only waits (pre-flight, verify)
// live in memory: after a restart they are simply asked again.
//
// This file only wires the parts in orchestration/ together and routes the dispatcher's events.
import type { Job } from "../domain/job.ts";
import type { JobState } from "../domain/job-lifecycle.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { Logger } from "../log.ts";
import type { JobResult } from "../protocol/wire.ts";
import type { ChangeStore } from "../store/store.ts";
import { type Dispatcher, realScheduler, type Scheduler } from "./dispatcher.ts";
import type { ChangeNotify, RunnerHooks } from "./hooks.ts";
import { createNotifications } from "./orchestration/notifications.ts";
import { failoverSummary, preflightNotes, runsOf } from "./orchestration/progress.ts";
import { createQuestions } from "./orchestration/questions.ts";
import { createRunPhases } from "./orchestration/run-phases.ts";
import { createApply } from "./orchestration/transitions.ts";
import { createVerify } from "./orchestration/verify.ts";

export { parsePhaseJobId, phaseJobId } from "./orchestration/job-ids.ts";
export { driftFromPlan } from "./orchestration/verify.ts";

export interface OrchestratorOptions {
  dispatcher: Dispatcher;
  store: ChangeStore;
  policy: ApprovalPolicy;
  /** The clock for transitions; share it with the dispatcher (jobs and records speak of the same time). */
  now: () => Date;
  logger: Logger;
  /** How long pre-flight and verify wait for a runner's answer. Default 30 s. */
  preflightTimeoutMs?: number;
  notify: ChangeNotify;
  /**
   * Least time between two updates of one change's message (default 1 s): step events arrive one
   * per request, and Slack rate-limits chat.update. The last state always gets its update. 0: an
   * update as soon as the previous one is done.
   */
  progressIntervalMs?: number;
  /** Timers for those waits, injectable so tests fire them by hand. */
  scheduler?: Pick<Scheduler, "after">;
}

export interface Orchestrator extends Required<RunnerHooks> {
  /** Picks up every change a previous process left approved, executing or rolling back. */
  resume(): void;
  /** Resolves once every message update and thread reply asked for so far has been sent. */
  settled(): Promise<void>;
  /** Stops listening to the dispatcher; waits for pending notifications. */
  close(): Promise<void>;
}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { dispatcher, store, policy, notify, now } = options;
  const logger = options.logger.child({ component: "orchestrator" });
  const timeoutMs = options.preflightTimeoutMs ?? 30_000;
  const scheduler = options.scheduler ?? realScheduler;
  let closed = false;

  const notifications = createNotifications({
    notify,
    logger,
    scheduler,
    intervalMs: options.progressIntervalMs ?? 1000,
  });
  const { progress, settled } = notifications;
  const apply = createApply({ store, policy, now, logger, progress });
  const phases = createRunPhases({
    dispatcher,
    store,
    logger,
    apply,
    progress,
    tell: notifications.tell,
    closed: () => closed,
  });
  const questions = createQuestions({ dispatcher, logger, scheduler, timeoutMs });

  /** A job ended: a read-only question wakes its waiter, a run's job moves its change on. */
  function ended(job: Job, result: JobResult | null, state: JobState): void {
    if (job.kind === "preflight" || job.kind === "verify") {
      questions.answered(job, result, state);
      return;
    }
    phases.onRunJob(job, result, state);
  }

  const offs = [
    dispatcher.on("result", (job, result) => ended(job, result, "done")),
    dispatcher.on("lost", (job) => ended(job, null, "lost")),
    dispatcher.on("expired", (job) => ended(job, null, "expired")),
    dispatcher.on("step", (_jobId, changeId, _event, job) => {
      if (job.kind === "execute" || job.kind === "rollback") progress(changeId);
    }),
  ];

  return {
    preflight: questions.preflight,
    approved(change) {
      phases.reconcile(change.id);
    },
    rollback(change) {
      phases.reconcile(change.id);
    },
    verify: createVerify({ store, apply, ask: questions.ask }),
    listRunners: () => dispatcher.listRunners(),
    progress: (change) => ({
      preflightNotes: preflightNotes(dispatcher, change, timeoutMs),
      runs: runsOf(dispatcher, change),
      failover: failoverSummary(dispatcher, change),
    }),
    resume() {
      for (const record of store.list({ states: ["approved", "executing", "rolling_back"], limit: 1000 })) {
        logger.info({ changeId: record.id, state: record.state }, "resuming a change left running");
        phases.reconcile(record.id);
        progress(record.id);
      }
    },
    settled,
    async close() {
      closed = true;
      for (const off of offs) off();
      await settled();
    },
  };
}
