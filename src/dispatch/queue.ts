// Jobs as rows. Which move of a job is legal is domain/job-lifecycle.ts's to decide; this file
// reads a job's row, asks jobTransition(), and writes the outcome (one UPDATE, conditional on the
// state it read, so a job is leased once only). The row is written before anything is sent, so a
// bot restart loses no queued job and never hands a leased one out again. Outcomes are the
// domain's (not found, not running, out of order): server.ts turns them into HTTP statuses.
// Each operation is a store script (store/script.ts), one transaction on either engine; a row read
// to be moved is locked until the commit on PostgreSQL, and work any replica may claim (a queued
// job to lease, an overdue lease, an expired job) is read FOR UPDATE SKIP LOCKED, so two replicas
// never both move one row, and each lost or expired job is reported by one replica alone.
// createQueue binds the scripts' store methods to the dispatcher's clock and lease.
import type { Job, StepEvent } from "../domain/job.ts";
import {
  FINISHED_JOB_STATES,
  type JobEvent,
  type JobLife,
  type JobState,
  jobTransition,
} from "../domain/job-lifecycle.ts";
import { type SignedJob, signedJobSchema } from "../protocol/signing.ts";
import type { JobResult } from "../protocol/wire.ts";
import { all, one, run, type Script } from "../store/script.ts";
import { SERVED } from "../store/served-queries.ts";
import { DispatchError } from "./errors.ts";
import { eventRowsOfJobScript, foldEventsScript } from "./event-logs.ts";
import { envelopeOf, storedFormScript } from "./job-plans.ts";
import type {
  DispatchStore,
  JobView,
  LeaseRequest,
  QueueOutcome,
  StoredJob,
  SweepResult,
} from "./ports/dispatch-store.ts";
import { type JobRow, lifeOf, resultOf, toJobRow, toStepEvent } from "./rows.ts";

export type { QueueDenialCode, QueueOutcome, StoredJob, SweepResult } from "./ports/dispatch-store.ts";

/**
 * How many jobs' views viewOf keeps (least recently read go first): the four jobs of each of 200
 * changes shown at once (bench/load.ts K=200), at ~40 KB each for a typical plan.
 */
const VIEW_CACHE_JOBS = 1024;

/**
 * The bot's view of the jobs it reads most, by id: a step event (the most frequent write) and a
 * render of a change's message (job, jobsOf: every job of the change, several times a render)
 * then rebuild no plan (no read of plans, no inflate, no schema parse). Keyed on the row's own
 * text, read in the same transaction, so a row another replica or a hand edit changed since is
 * decoded afresh: only the decoding is kept, never the row. The plan a hash names never changes
 * (store/plans.ts keeps one text per hash). What is handed to a runner (take) is always rebuilt
 * from the rows. One per store.
 */
export type JobViews = Map<string, { signedJson: string; planHash: string | null; job: Job; wire: unknown }>;

/** The queue's verbs on a store, at the dispatcher's clock and lease. */
export function createQueue(options: { store: DispatchStore; clock: () => Date; leaseMs: number }) {
  const { store, clock, leaseMs } = options;
  const now = () => clock().getTime();
  const lease = (runner: string, serves: (host: string) => boolean): LeaseRequest => ({
    runner,
    serves,
    nowMs: now(),
    leaseMs,
  });
  return {
    /** Queues `signed`; given a waiting runner, leases its oldest job in the same commit. */
    insert: (signed: SignedJob, waiting?: { runner: string; serves: (host: string) => boolean }) =>
      store.insertJob(
        signed,
        now(),
        waiting === undefined ? undefined : lease(waiting.runner, waiting.serves),
      ),
    take: (runner: string, serves: (host: string) => boolean) => store.take(lease(runner, serves)),
    runnersWithQueuedJobs: (runners: readonly string[]) => store.runnersWithQueuedJobs(runners),
    recordEvent: (runner: string, jobId: string, seq: number, event: StepEvent) =>
      store.recordEvent(runner, jobId, seq, event, now(), leaseMs),
    heartbeat: (runner: string, jobId: string) => store.heartbeat(runner, jobId, now(), leaseMs),
    finish: (runner: string, jobId: string, result: JobResult) => store.finish(runner, jobId, result, now()),
    /** `afterOutage`: the store was unreachable until now, so every lease first gets a full one again. */
    sweep: (afterOutage = false) => {
      const at = now();
      return afterOutage ? store.sweep(at, at + leaseMs) : store.sweep(at);
    },
    get: (jobId: string) => store.job(jobId),
    forChange: (changeId: string) => store.jobsOf(changeId),
    events: (jobId: string) => store.events(jobId),
  };
}

export type Queue = ReturnType<typeof createQueue>;

/** The row as a stored job, its decoding kept in `views` (see JobViews). */
function* viewOf(views: JobViews, row: JobRow): Script<StoredJob> {
  const cached = views.get(row.id);
  const status = { state: row.state, attempts: row.attempts };
  if (cached !== undefined && cached.signedJson === row.signed_json && cached.planHash === row.plan_hash) {
    // The most recently read stay: the jobs of the changes being shown now.
    views.delete(row.id);
    views.set(row.id, cached);
    return { job: cached.job, wire: cached.wire, ...status };
  }
  const stored = yield* fromRow(row);
  views.delete(row.id);
  views.set(row.id, {
    signedJson: row.signed_json,
    planHash: row.plan_hash,
    job: stored.job,
    wire: stored.wire,
  });
  const oldest = views.keys().next();
  if (views.size > VIEW_CACHE_JOBS && oldest.done !== true) views.delete(oldest.value);
  return stored;
}

function* jobOf(views: JobViews, row: JobRow): Script<Job> {
  return (yield* viewOf(views, row)).job;
}

/**
 * Queues `signed` (its plan kept once in plans, in the same commit) and, given `lease`, leases the
 * runner's oldest queued job for its waiter: one commit for "queued" and "leased". An id that
 * exists is DispatchError `duplicate-job`, decided by the insert itself, so two replicas
 * enqueueing one derived id queue it once.
 */
export function* insertJobScript(
  signed: SignedJob,
  nowMs: number,
  lease?: LeaseRequest,
): Script<StoredJob | null> {
  const { job } = signed;
  const stored = yield* storedFormScript(JSON.stringify(signed));
  const added = yield* run(
    `INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, plan_hash,
       created_ms, expires_ms)
     VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [
      job.id,
      job.runner,
      job.host,
      job.changeId,
      job.kind,
      stored.signedJson,
      stored.planHash,
      nowMs,
      Date.parse(job.expiresAt),
    ],
  );
  if (added !== 1) throw new DispatchError("duplicate-job", `job ${job.id} was already queued`);
  return lease === undefined ? null : yield* takeScript(lease);
}

/**
 * Applies `event` to the job in `row` and writes the outcome, only if the row still holds the
 * state it was read in. Returns the transition (a denial writes nothing) and whether it was written.
 */
function* move(row: JobRow, event: JobEvent) {
  const outcome = jobTransition(lifeOf(row), event);
  if (!outcome.ok || outcome.move === "duplicate") return { outcome, written: false };
  return { outcome, written: yield* write(row.id, row.state, outcome.life) };
}

function* write(id: string, from: JobState, life: JobLife): Script<boolean> {
  const changed = yield* run(
    `UPDATE dispatch_jobs SET state = ?, attempts = ?, last_event_seq = ?, leased_ms = ?, lease_until_ms = ?,
         finished_ms = ?, result_json = ?
       WHERE id = ? AND state = ?`,
    [
      life.state,
      life.attempts,
      life.lastEventSeq,
      life.leasedAtMs,
      life.leaseUntilMs,
      life.finishedAtMs,
      life.report,
      id,
      from,
    ],
  );
  const written = changed === 1;
  // A job that ended takes no more events: its rows become one compressed blob (event-logs.ts).
  if (written && FINISHED_JOB_STATES.includes(life.state)) yield* foldEventsScript(id);
  return written;
}

/**
 * Leases the oldest live queued job of the runner for a host that `serves` accepts, or returns
 * null. The host is checked on its own column, so a row whose JSON no longer parses is still
 * routed only to its host's runner, which then refuses it. Rows another replica is leasing are
 * skipped, not waited for.
 */
export function* takeScript(lease: LeaseRequest): Script<StoredJob | null> {
  const { runner, serves, nowMs: now, leaseMs } = lease;
  // One row at a time, so a replica taking one job holds no lock on the runner's others.
  for (let after = 0; ; ) {
    const raw = yield* one(
      "SELECT * FROM dispatch_jobs WHERE runner_name = ? AND state = 'queued' AND expires_ms >= ? AND seq > ? ORDER BY seq LIMIT 1",
      [runner, now, after],
      "skip-locked",
    );
    if (raw === undefined) return null;
    const row = toJobRow(raw);
    after = row.seq;
    if (!serves(row.host)) continue;
    const { outcome, written } = yield* move(row, { type: "lease", now, leaseMs });
    if (outcome.ok && written) {
      return { ...(yield* fromRow(row)), state: outcome.life.state, attempts: outcome.life.attempts };
    }
  }
}

/** Which of `runners` have a queued job: one indexed look-up per runner, in one statement. */
export function* runnersWithQueuedJobsScript(runners: readonly string[]): Script<string[]> {
  if (runners.length === 0) return [];
  const rows = yield* all(
    `SELECT r.name AS name FROM dispatch_runners r WHERE r.name IN (${runners.map(() => "?").join(", ")})
       AND EXISTS (SELECT 1 FROM dispatch_jobs j WHERE j.runner_name = r.name AND j.state = 'queued')
     ORDER BY r.name`,
    runners,
  );
  return rows.map((row) => String(row.name));
}

/** The job if it exists and belongs to `runner` (locked until the commit); another runner's is "not found". */
function* owned(runner: string, jobId: string): Script<JobRow | null> {
  const raw = yield* one(SERVED.jobById.sql, [jobId], "update");
  if (raw === undefined) return null;
  const row = toJobRow(raw);
  return row.runner_name === runner ? row : null;
}

const notFound = (runner: string, jobId: string) =>
  ({ ok: false, code: "not-found", error: `no job ${jobId} for runner ${runner}` }) as const;

/**
 * Records step event number `seq` (1, 2, ...) and extends the lease. A repeat of an event
 * already recorded (a retried POST) is acknowledged and not recorded twice.
 */
export function* recordEventScript(
  views: JobViews,
  report: { runner: string; jobId: string; seq: number; event: StepEvent },
  now: number,
  leaseMs: number,
): Script<QueueOutcome<{ duplicate: boolean; job: Job }>> {
  const { runner, jobId, seq, event } = report;
  const row = yield* owned(runner, jobId);
  if (row === null) return notFound(runner, jobId);
  const { outcome } = yield* move(row, { type: "step", seq, now, leaseMs });
  if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
  const job = yield* jobOf(views, row);
  if (outcome.move === "duplicate") return { ok: true, value: { duplicate: true, job } };
  yield* run(
    "INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json) VALUES (?, ?, ?, ?, ?)",
    [jobId, row.attempts, seq, now, JSON.stringify(event)],
  );
  return { ok: true, value: { duplicate: false, job } };
}

export function* heartbeatScript(
  runner: string,
  jobId: string,
  now: number,
  leaseMs: number,
): Script<QueueOutcome<{ leaseUntil: string }>> {
  const row = yield* owned(runner, jobId);
  if (row === null) return notFound(runner, jobId);
  const { outcome } = yield* move(row, { type: "heartbeat", now, leaseMs });
  if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
  return { ok: true, value: { leaseUntil: new Date(now + leaseMs).toISOString() } };
}

export function* finishScript(
  views: JobViews,
  report: { runner: string; jobId: string; result: JobResult },
  now: number,
): Script<QueueOutcome<{ duplicate: boolean; job: Job }>> {
  const { runner, jobId, result } = report;
  const row = yield* owned(runner, jobId);
  if (row === null) return notFound(runner, jobId);
  const { outcome } = yield* move(row, { type: "result", report: JSON.stringify(result), now });
  if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
  return { ok: true, value: { duplicate: outcome.move === "duplicate", job: yield* jobOf(views, row) } };
}

/**
 * Runs out leases and expiries as of `now`. The rows are claimed (SKIP LOCKED) and moved only if
 * still in the state read, so when replicas sweep together each job is reported by one of them.
 */
export function* sweepScript(views: JobViews, now: number, renewLeasesUntil?: number): Script<SweepResult> {
  const out: SweepResult = { lost: [], requeued: [], expired: [] };
  if (renewLeasesUntil !== undefined) {
    // No runner could heartbeat while the store was down: a lease that ran out meanwhile says
    // nothing about its runner. Its next heartbeat (every third of a lease) keeps it from here.
    yield* run("UPDATE dispatch_jobs SET lease_until_ms = ? WHERE state = 'leased' AND lease_until_ms < ?", [
      renewLeasesUntil,
      renewLeasesUntil,
    ]);
  }
  for (const row of yield* claimDue("leased", "lease_until_ms", now)) {
    const { outcome, written } = yield* move(row, { type: "lease-ran-out", now });
    if (!outcome.ok || !written) continue;
    (outcome.move === "reoffered" ? out.requeued : out.lost).push(yield* jobOf(views, row));
  }
  for (const row of yield* claimDue("queued", "expires_ms", now)) {
    const { outcome, written } = yield* move(row, { type: "ttl-ran-out", now });
    if (outcome.ok && written) out.expired.push(yield* jobOf(views, row));
  }
  return out;
}

/** The jobs in `state` whose `deadline` passed before `now`, oldest first, claimed for this sweep. */
function* claimDue(
  state: JobState,
  deadline: "lease_until_ms" | "expires_ms",
  now: number,
): Script<JobRow[]> {
  const rows = yield* all(
    `SELECT * FROM dispatch_jobs WHERE state = ? AND ${deadline} < ? ORDER BY seq`,
    [state, now],
    "skip-locked",
  );
  return rows.map(toJobRow);
}

export function* jobScript(views: JobViews, jobId: string): Script<JobView | null> {
  const raw = yield* one(SERVED.jobById.sql, [jobId]);
  if (raw === undefined) return null;
  const row = toJobRow(raw);
  return {
    ...(yield* viewOf(views, row)),
    result: resultOf(raw),
    leaseUntil: row.lease_until_ms === null ? null : new Date(row.lease_until_ms).toISOString(),
  };
}

/** Every job of one change, oldest first, with its state and result. */
export function* jobsOfScript(
  views: JobViews,
  changeId: string,
): Script<(StoredJob & { result: JobResult | null })[]> {
  const out: (StoredJob & { result: JobResult | null })[] = [];
  for (const raw of yield* all(SERVED.jobsOfChange.sql, [changeId])) {
    out.push({ ...(yield* viewOf(views, toJobRow(raw))), result: resultOf(raw) });
  }
  return out;
}

/** The latest attempt's events, folded or not (event-logs.ts reads both forms). */
export function* eventsScript(jobId: string): Script<StepEvent[]> {
  return (yield* eventRowsOfJobScript(jobId)).map(toStepEvent);
}

/**
 * The bot's own view of a stored job. A signed job edited by hand may no longer parse: the bot
 * then describes it from its columns (and still sends the stored text, which the runner will refuse).
 */
function* fromRow(row: JobRow): Script<StoredJob> {
  const wire = yield* envelopeOf(row);
  const parsed = signedJobSchema.safeParse(wire);
  const job: Job = parsed.success
    ? parsed.data.job
    : {
        id: row.id,
        kind: row.kind,
        changeId: row.change_id,
        runner: row.runner_name,
        host: row.host,
        role: "primary",
        planHash: "0".repeat(64),
        plan: {},
        issuedAt: new Date(row.created_ms).toISOString(),
        expiresAt: new Date(row.expires_ms).toISOString(),
      };
  return { job, wire, state: row.state, attempts: row.attempts };
}
