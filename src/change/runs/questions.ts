// Read-only questions to the runners (pre-flight, verify): queue the job, wait for its answer or
// the timeout, whichever comes first. These waits live in memory only: after a restart they are
// simply asked again. The waiter is in place before the job is queued, so an answer that comes
// while the enqueue is still being awaited wakes it all the same. The job's end is heard from the
// dispatcher of this process; with several replicas the runner's answer may reach another one, so
// a waiter also looks at the stored job every second (LOOK_MS) and answers from it once it ended.
import type { HostFacts } from "../../domain/facts.ts";
import type { Job, JobResult } from "../../domain/job.ts";
import { FINISHED_JOB_STATES, type JobState } from "../../domain/job-lifecycle.ts";
import type { HostPlan } from "../../domain/plan.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { clip, REASON_OUTPUT } from "../../domain/runner-output.ts";
import type { Logger } from "../../log.ts";
import type { Queued, RunnerJobs, Timers } from "../ports/runner-jobs.ts";
import type { PreflightFacts } from "../ports/runners.ts";
import { runnerOf } from "./hosts.ts";
import { phaseJobId } from "./job-ids.ts";

/** A runner's facts, or why there are none. */
export type Answer = { facts: HostFacts | null; note: string | null; result: JobResult | null };

type Wake = (answer: Answer) => void;

/** How often a waiting question reads its job from the store (an answer another replica took). */
const LOOK_MS = 1000;

export interface Questions {
  ask(record: ChangeRecord, hostPlan: HostPlan, kind: "preflight" | "verify", id: string): Promise<Answer>;
  /** A question's job ended (answered, lost or expired): wake whoever still waits for it. */
  answered(job: Job, result: JobResult | null, state: JobState): void;
  preflight(change: ChangeRecord): Promise<PreflightFacts | null>;
}

export function createQuestions(options: {
  jobs: RunnerJobs;
  logger: Logger;
  scheduler: Timers;
  timeoutMs: number;
}): Questions {
  const { jobs, logger, scheduler, timeoutMs } = options;
  const waiters = new Map<string, Set<Wake>>();

  async function ask(
    record: ChangeRecord,
    hostPlan: HostPlan,
    kind: "preflight" | "verify",
    id: string,
  ): Promise<Answer> {
    const found = await runnerOf(jobs, hostPlan.host, record.plan.platform);
    if ("problem" in found) return { facts: null, note: found.problem, result: null };
    const { runner } = found;
    if (!runner.online) {
      const seen = runner.lastSeen === null ? "never seen" : `last seen ${runner.lastSeen}`;
      return {
        facts: null,
        note: `runner ${runner.name} on ${hostPlan.host} is offline (${seen})`,
        result: null,
      };
    }
    const waited = wait(id, runner.name, hostPlan.host);
    const queued = await jobs
      .enqueue({
        id,
        kind,
        changeId: record.id,
        host: hostPlan.host,
        role: hostPlan.role,
        planHash: record.planHash,
        plan: record.plan,
        runner: runner.name,
      })
      // The adapter answers a refusal as a value; a throw is treated the same, so the wait ends now.
      .catch(
        (err: unknown): Queued => ({
          ok: false,
          duplicate: false,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    if (!queued.ok) {
      const refused: Answer = {
        facts: null,
        note: `could not ask runner ${runner.name} on ${hostPlan.host}: ${queued.error}`,
        result: null,
      };
      waited.settle(refused);
      return refused;
    }
    return waited.answer;
  }

  /**
   * The answer to job `id`, or the timeout's note, whichever comes first; `settle` ends this one
   * wait early. Several askers of one id (the second enqueue is refused as a duplicate) each
   * have their own wait.
   */
  function wait(id: string, runner: string, host: string): { answer: Promise<Answer>; settle: Wake } {
    let settle: Wake = () => {};
    const answer = new Promise<Answer>((resolve) => {
      const waiting = waiters.get(id) ?? new Set<Wake>();
      waiters.set(id, waiting);
      let done = false;
      const cancel = scheduler.after(timeoutMs, () =>
        settle({
          facts: null,
          note: `runner ${runner} on ${host} did not answer within ${Math.round(timeoutMs / 1000)} s`,
          result: null,
        }),
      );
      let stopLooking = () => {};
      const look = () => {
        stopLooking = scheduler.after(LOOK_MS, () => {
          if (done) return;
          jobs.job(id).then(
            (view) => {
              if (view !== null && FINISHED_JOB_STATES.includes(view.state)) {
                settle(answerOf(view.job, view.result, view.state));
              } else if (!done) look();
            },
            (err: unknown) => {
              logger.warn({ err, jobId: id }, "could not read a question's job; looking again");
              if (!done) look();
            },
          );
        });
      };
      settle = (given) => {
        if (done) return;
        done = true;
        waiting.delete(settle);
        if (waiting.size === 0 && waiters.get(id) === waiting) waiters.delete(id);
        cancel();
        stopLooking();
        resolve(given);
      };
      waiting.add(settle);
      look();
    });
    return { answer, settle };
  }

  function answered(job: Job, result: JobResult | null, state: JobState): void {
    const waiting = waiters.get(job.id);
    if (waiting === undefined) return;
    const answer = answerOf(job, result, state);
    for (const wake of [...waiting]) wake(answer);
  }

  async function preflight(change: ChangeRecord): Promise<PreflightFacts | null> {
    const hosts = change.plan.hosts;
    // No runner anywhere yet: the worst-case plan, as before runners existed.
    const runners = await Promise.all(hosts.map((h) => jobs.runnerFor(h.host)));
    if (runners.every((r) => r === null)) return null;
    const [primary, secondary] = await Promise.all(
      hosts.map((h) => ask(change, h, "preflight", phaseJobId(change, "preflight", h.role))),
    );
    for (const answer of [primary, secondary]) {
      if (answer?.note) logger.warn({ changeId: change.id, note: answer.note }, "pre-flight without facts");
    }
    return { primary: primary?.facts ?? null, secondary: secondary?.facts ?? null };
  }

  return { ask, answered, preflight };
}

function answerOf(job: Job, result: JobResult | null, state: JobState): Answer {
  if (state === "lost")
    return { facts: null, note: `runner ${job.runner} on ${job.host} stopped answering`, result };
  if (state === "expired") {
    return {
      facts: null,
      note: `runner ${job.runner} on ${job.host} did not pick up the ${job.kind} job`,
      result,
    };
  }
  if (result?.facts !== undefined && (result.ok || job.kind === "verify"))
    return { facts: result.facts, note: null, result };
  return {
    facts: null,
    note: `runner ${job.runner} on ${job.host} could not run the ${job.kind}: ${clip(result?.error ?? "no reason given", REASON_OUTPUT)}`,
    result,
  };
}
