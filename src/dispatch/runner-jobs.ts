// The dispatcher as the change layer sees it: the jobs port (change/ports/runner-jobs.ts) over
// the queue, the registry and the dispatcher's events. The reactions to runner events live in
// change/runs/; this adapter only translates (a refused enqueue becomes a value, the three ways a
// job ends become one event) and decides nothing.
import type { JobRequest, Queued, RunnerJobs } from "../change/ports/runner-jobs.ts";
import { DispatchError, type Dispatcher } from "./dispatcher.ts";

export function runnerJobsOf(dispatcher: Dispatcher): RunnerJobs {
  return {
    runnerFor: (host) => dispatcher.runnerFor(host),
    listRunners: () => dispatcher.listRunners(),
    enqueue(request: JobRequest): Queued {
      try {
        dispatcher.enqueue(request);
        return { ok: true };
      } catch (err) {
        const duplicate = err instanceof DispatchError && err.code === "duplicate-job";
        return { ok: false, duplicate, error: (err as Error).message };
      }
    },
    job: (id) => dispatcher.job(id),
    jobsFor: (changeId) => dispatcher.jobsFor(changeId),
    events: (jobId) => dispatcher.events(jobId),
    onEnded(handler) {
      const offs = [
        dispatcher.on("result", (job, result) => handler(job, result, "done")),
        dispatcher.on("lost", (job) => handler(job, null, "lost")),
        dispatcher.on("expired", (job) => handler(job, null, "expired")),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
    onStep: (handler) => dispatcher.on("step", (_jobId, _changeId, _event, job) => handler(job)),
  };
}
