// The jobs port of the change layer: what the reactions to runner events (change/runs/) need of
// the machinery that carries jobs to the runners — which runner serves a host, queue a job under
// an id derived from the change, read a job and its step events back, hear when one ends. The
// dispatcher (dispatch/runner-jobs.ts) implements it over its queue and registry; the change layer
// never sees leases, signatures or HTTP. Every read is of the rows as stored, so a reaction after
// a restart decides from the same facts as before it.
//
// The reads and the enqueue return promises (the dispatcher's store may be PostgreSQL, whose
// client is async only). The subscriptions stay synchronous: a handler may return a promise,
// and the dispatcher's side never awaits it, so the subscriber catches and logs its own failures
// (change/runs/orchestrator.ts does) and orders its own reactions.
import type { Job, JobResult, StepEvent } from "../../domain/job.ts";
import type { JobState } from "../../domain/job-lifecycle.ts";
import type { Plan } from "../../domain/plan.ts";
import type { RunnerInfo } from "./runners.ts";

/** A job to queue for one host's runner. */
export interface JobRequest {
  /** Derived from the change (change/runs/job-ids.ts): an id can be queued only once. */
  id: string;
  kind: Job["kind"];
  changeId: string;
  host: string;
  role: Job["role"];
  /** execute and rollback runs with several phases on a host: which one (domain/phases.ts). */
  phase?: number;
  planHash: string;
  /** The approved plan (for a pre-flight, the worst-case preview): the job carries it, signed. */
  plan: Plan;
  runner: string;
}

export type Queued =
  | { ok: true }
  /** `duplicate`: a job of that id was queued before (by this process or another): nothing new runs. */
  | { ok: false; duplicate: boolean; error: string };

/** A job as stored: its state in the lifecycle and, once it ended, what the runner reported. */
export interface JobView {
  job: Job;
  state: JobState;
  result: JobResult | null;
}

/** Timers, injectable so tests fire them by hand. */
export interface Timers {
  after(ms: number, fn: () => void): () => void;
}

export interface RunnerJobs {
  /** The registered, unrevoked runner for `host` (any spelling of its name), or null. */
  runnerFor(host: string): Promise<RunnerInfo | null>;
  listRunners(): Promise<RunnerInfo[]>;
  enqueue(request: JobRequest): Promise<Queued>;
  job(id: string): Promise<JobView | null>;
  /** Every job of one change, oldest first. */
  jobsFor(changeId: string): Promise<JobView[]>;
  /** The step events recorded for a job's latest attempt, in order. */
  events(jobId: string): Promise<StepEvent[]>;
  /** A job ended: reported (`done`), given up on (`lost`) or never picked up (`expired`). Returns an unsubscribe. */
  onEnded(handler: (job: Job, result: JobResult | null, state: JobState) => Promise<void> | void): () => void;
  /** A runner reported a step of a job. Returns an unsubscribe. */
  onStep(handler: (job: Job) => Promise<void> | void): () => void;
}
