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
// The ports are async, so a reaction awaits its reads and writes; the reactions of one change
// run one at a time, in the order their events came (per-change.ts): two ends of one job, a
// resume and an approval of the same change never read the same rows at once and both act on
// them. The derived ids would refuse the second enqueue anyway; serialised, the second reaction
// sees the first one's job and transition and does nothing, rather than queue again or try a
// transition the state machine then refuses. A reaction's failure is logged, never left floating.
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
import { createPerChange } from "./per-change.ts";
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
  resume(): Promise<void>;
  /**
   * The same, without re-rendering each message: what a replica runs on its sweep, so a change
   * another replica approved and died before handing over moves on without waiting for a restart.
   */
  catchUp(): Promise<void>;
  /** Resolves once every reaction to a job event asked for so far has run, and every message update and thread reply they asked for has been sent. */
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
  const reactions = createPerChange(logger);
  const inFlight = () => store.list({ states: ["approved", "executing", "rolling_back"], limit: 1000 });
  const reconcile = (changeId: string): Promise<void> =>
    reactions.run(changeId, "move the change on", () => phases.reconcile(changeId));

  /** A job ended: a read-only question wakes its waiter, a run's job moves its change on (in turn). */
  function ended(job: Job, result: JobResult | null, state: JobState): Promise<void> | undefined {
    if (job.kind === "preflight" || job.kind === "verify") {
      questions.answered(job, result, state);
      return undefined;
    }
    return reactions.run(job.changeId, `react to the end of job ${job.id}`, () =>
      phases.onRunJob(job, result, state),
    );
  }

  const offs = [
    jobs.onEnded(ended),
    jobs.onStep((job) => {
      if (job.kind === "execute" || job.kind === "rollback") progress(job.changeId);
    }),
  ];

  return {
    preflight: questions.preflight,
    approved: (change) => reconcile(change.id),
    rollback: (change) => reconcile(change.id),
    verify: createVerify({ store, apply, ask: questions.ask }),
    listRunners: () => jobs.listRunners(),
    progress: async (change) => {
      const [notes, runs, failover] = await Promise.all([
        preflightNotes(jobs, change, timeoutMs),
        runsOf(jobs, change),
        failoverSummary(jobs, change),
      ]);
      return { preflightNotes: notes, runs, failover };
    },
    async resume() {
      const left = await inFlight();
      const resumed = left.map((record) => {
        logger.info({ changeId: record.id, state: record.state }, "resuming a change left running");
        const moved = reconcile(record.id);
        progress(record.id);
        return moved;
      });
      await Promise.all(resumed);
    },
    async catchUp() {
      // Safe beside the replica driving a change: the derived job ids refuse a second enqueue and
      // the change row's lock puts a second transition in line, where the state machine refuses it.
      await Promise.all((await inFlight()).map((record) => reconcile(record.id)));
    },
    async settled() {
      // A reaction may ask for renders, and a render never starts a reaction: reactions first.
      await reactions.idle();
      await settled();
    },
    async close() {
      closed = true;
      for (const off of offs) off();
      await reactions.idle();
      await settled();
    },
  };
}
