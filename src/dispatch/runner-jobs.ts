// The dispatcher as the change layer sees it: the jobs port (change/ports/runner-jobs.ts) over
// the queue, the registry and the dispatcher's events. The reactions to runner events live in
// change/runs/; this adapter only translates (a refused enqueue becomes a value, the three ways a
// job ends become one event) and decides nothing. Each read awaits the dispatcher's answer, so it
// keeps working whether the dispatcher answers at once (SQLite) or with a promise (PostgreSQL).
// The handlers' promises are not awaited here: the subscriber (change/runs/orchestrator.ts)
// catches and logs its own failures.
import type { JobRequest, Queued, RunnerJobs } from "../change/ports/runner-jobs.ts";
import { DispatchError, type Dispatcher } from "./dispatcher.ts";

export function runnerJobsOf(dispatcher: Dispatcher): RunnerJobs {
  return {
    async runnerFor(host) {
      return dispatcher.runnerFor(host);
    },
    async listRunners() {
      return dispatcher.listRunners();
    },
    async enqueue(request: JobRequest): Promise<Queued> {
      try {
        await dispatcher.enqueue(request);
        return { ok: true };
      } catch (err) {
        const duplicate = err instanceof DispatchError && err.code === "duplicate-job";
        return { ok: false, duplicate, error: (err as Error).message };
      }
    },
    async job(id) {
      return dispatcher.job(id);
    },
    async jobsFor(changeId) {
      return dispatcher.jobsFor(changeId);
    },
    async events(jobId) {
      return dispatcher.events(jobId);
    },
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
