// The change layer's reactions to runner events: drives a change through the runners — pre-flight
// facts for the plan, then after approval the run's phases host by host; a rollback after an
// approver asks for one; verify jobs on request. It implements the Runners the use-cases call, on
// the jobs port (ports/runner-jobs.ts, the dispatcher behind it), and talks to the chat side
// through ChangeNotify only. Every transition a runner's report causes is decided in this folder.
//
// The reactions are stateless. Execute and rollback jobs get ids derived from the change, the
// record's version when the run began, the kind and the role (`CHG-12-v5-execute-primary`): what
// to do next is read from the record and from the jobs the dispatcher holds under those ids, never
// from memory. A bot restarted mid-change therefore continues where the rows say, and an id can be
// queued only once, so no host runs its part twice. Only the read-only waits (pre-flight, verify)
// live in memory: after a restart they are simply asked again.
//
// This file only wires the parts in runs/ together and routes the job events.
import type { Job, JobResult } from "../../domain/job.ts";
import type { JobState } from "../../domain/job-lifecycle.ts";
import type { ApprovalPolicy } from "../../domain/policy.ts";
import type { Logger } from "../../log.ts";
import type { RunnerJobs, Timers } from "../ports/runner-jobs.ts";
import type { ChangeNotify, Runners } from "../ports/runners.ts";
import type { ChangeStore } from "../ports/store.ts";
import { createNotifications } from "./notifications.ts";
import { failoverSummary, preflightNotes, runsOf } from "./progress.ts";
import { createQuestions } from "./questions.ts";
import { createRunPhases } from "./run-phases.ts";
import { createApply } from "./transitions.ts";
import { createVerify } from "./verify.ts";

export { parsePhaseJobId, phaseJobId } from "./job-ids.ts";

export interface OrchestratorOptions {
  /** The runners' jobs (dispatch/runner-jobs.ts runnerJobsOf over the dispatcher). */
  jobs: RunnerJobs;
  store: ChangeStore;
  policy: ApprovalPolicy;
  /** The clock for transitions; share it with the dispatcher (jobs and records speak of the same time). */
  now: () => Date;
  logger: Logger;
  /** How long pre-flight and verify wait for a runner's answer. Default 30 s. */
  preflightTimeoutMs?: number;
  notify: ChangeNotify;
  /** Timers for those waits (dispatch's realScheduler, or a test's manual one). */
  scheduler: Timers;
}

export interface Orchestrator extends Required<Runners> {
  /** Picks up every change a previous process left approved, executing or rolling back. */
  resume(): void;
  /** Resolves once every message update and thread reply asked for so far has been sent. */
  settled(): Promise<void>;
  /** Stops listening to the dispatcher; waits for pending notifications. */
  close(): Promise<void>;
}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { jobs, store, policy, notify, now, scheduler } = options;
  const logger = options.logger.child({ component: "orchestrator" });
  const timeoutMs = options.preflightTimeoutMs ?? 30_000;
  let closed = false;

  // How often a message is updated is the presenter's gate (slack/update-scheduler.ts), not ours.
  const notifications = createNotifications({ notify, logger });
  const { progress, settled } = notifications;
  const apply = createApply({ store, policy, now, logger, progress });
  const phases = createRunPhases({
    jobs,
    store,
    logger,
    apply,
    progress,
    tell: notifications.tell,
    closed: () => closed,
  });
  const questions = createQuestions({ jobs, logger, scheduler, timeoutMs });

  /** A job ended: a read-only question wakes its waiter, a run's job moves its change on. */
  function ended(job: Job, result: JobResult | null, state: JobState): void {
    if (job.kind === "preflight" || job.kind === "verify") {
      questions.answered(job, result, state);
      return;
    }
    phases.onRunJob(job, result, state);
  }

  const offs = [
    jobs.onEnded(ended),
    jobs.onStep((job) => {
      if (job.kind === "execute" || job.kind === "rollback") progress(job.changeId);
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
    listRunners: () => jobs.listRunners(),
    progress: (change) => ({
      preflightNotes: preflightNotes(jobs, change, timeoutMs),
      runs: runsOf(jobs, change),
      failover: failoverSummary(jobs, change),
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
