// Jobs as rows. Which move of a job is legal is domain/job-lifecycle.ts's to decide; this file
// reads a job's row, asks jobTransition(), and writes the outcome (one UPDATE, conditional on the
// state it read, so a job is leased once only). The row is written before anything is sent, so a
// bot restart loses no queued job and never hands a leased one out again. Outcomes are the
// domain's (not found, not running, out of order): server.ts turns them into HTTP statuses. Each
// method is a function over the shared QueueState; createQueue only wires them.
import type { DatabaseSync } from "node:sqlite";
import type { Job, StepEvent } from "../domain/job.ts";
import {
  FINISHED_JOB_STATES,
  type JobDenialCode,
  type JobEvent,
  type JobLife,
  type JobState,
  jobTransition,
} from "../domain/job-lifecycle.ts";
import { type SignedJob, signedJobSchema } from "../protocol/signing.ts";
import type { JobResult } from "../protocol/wire.ts";
import { SERVED } from "../store/served-queries.ts";
import { prepared } from "../store/statements.ts";
import { writeTransaction } from "../store/transaction.ts";
import { eventRowsOfJob, foldEvents } from "./event-logs.ts";
import { envelopeOf, storedForm } from "./job-plans.ts";
import { type JobRow, lifeOf, resultOf, toJobRow, toStepEvent } from "./rows.ts";

export interface StoredJob {
  job: Job;
  /** Exactly what the database holds, sent as is: the runner, not the bot, judges it. */
  wire: unknown;
  state: JobState;
  attempts: number;
}

/** Why the queue did not take a runner's report: the job is unknown to it, or the lifecycle refused. */
export type QueueDenialCode = "not-found" | JobDenialCode;

/** The queue's answer to a runner's report; server.ts maps a denial's code to an HTTP status. */
export type QueueOutcome<T> = { ok: true; value: T } | { ok: false; code: QueueDenialCode; error: string };

export interface SweepResult {
  lost: Job[];
  requeued: Job[];
  expired: Job[];
}

/** How many jobs' views jobOf keeps: more than the jobs running at once on a busy day. */
const VIEW_CACHE_JOBS = 512;

/** What the queue's functions share: the database, the clock, the lease and the view cache. */
interface QueueState {
  db: DatabaseSync;
  clock: () => Date;
  leaseMs: number;
  /**
   * The bot's view of the jobs runners are reporting on, by id: a step event (the most frequent
   * write) then rebuilds no plan. Keyed on the row's own text, so a row edited since is read afresh;
   * what is sent to a runner (take, get) is always rebuilt from the rows.
   */
  views: Map<string, { signedJson: string; planHash: string | null; job: Job }>;
}

export function createQueue(options: { db: DatabaseSync; clock: () => Date; leaseMs: number }) {
  const state: QueueState = {
    db: options.db,
    clock: options.clock,
    leaseMs: options.leaseMs,
    views: new Map(),
  };
  return {
    insert: (signed: SignedJob) => insert(state, signed),
    take: (runner: string, serves: (host: string) => boolean) => take(state, runner, serves),
    hasQueued: (runner: string) => hasQueued(state, runner),
    recordEvent: (runner: string, jobId: string, seq: number, event: StepEvent) =>
      recordEvent(state, runner, jobId, seq, event),
    heartbeat: (runner: string, jobId: string) => heartbeat(state, runner, jobId),
    finish: (runner: string, jobId: string, result: JobResult) => finish(state, runner, jobId, result),
    sweep: () => sweep(state),
    get: (jobId: string) => get(state, jobId),
    forChange: (changeId: string) => forChange(state, changeId),
    events: (jobId: string) => events(state, jobId),
  };
}

export type Queue = ReturnType<typeof createQueue>;

function jobOf(state: QueueState, row: JobRow): Job {
  const { views } = state;
  const cached = views.get(row.id);
  if (cached !== undefined && cached.signedJson === row.signed_json && cached.planHash === row.plan_hash) {
    return cached.job;
  }
  const { job } = fromRow(state.db, row);
  views.delete(row.id);
  views.set(row.id, { signedJson: row.signed_json, planHash: row.plan_hash, job });
  const oldest = views.keys().next();
  if (views.size > VIEW_CACHE_JOBS && oldest.done !== true) views.delete(oldest.value);
  return job;
}

/** Call inside a write transaction: the plan and the row commit together. */
function insert(state: QueueState, signed: SignedJob): void {
  const { db, clock } = state;
  const { job } = signed;
  const stored = storedForm(db, JSON.stringify(signed));
  prepared(
    db,
    `INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, plan_hash,
       created_ms, expires_ms)
     VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
  ).run(
    job.id,
    job.runner,
    job.host,
    job.changeId,
    job.kind,
    stored.signedJson,
    stored.planHash,
    clock().getTime(),
    Date.parse(job.expiresAt),
  );
}

/**
 * Applies `event` to the job in `row` and writes the outcome, only if the row still holds the
 * state it was read in. Returns the transition (a denial writes nothing) and whether it was written.
 */
function move(state: QueueState, row: JobRow, event: JobEvent) {
  const outcome = jobTransition(lifeOf(row), event);
  if (!outcome.ok || outcome.move === "duplicate") return { outcome, written: false };
  return { outcome, written: write(state, row.id, row.state, outcome.life) };
}

function write(state: QueueState, id: string, from: JobState, life: JobLife): boolean {
  const changed = prepared(
    state.db,
    `UPDATE dispatch_jobs SET state = ?, attempts = ?, last_event_seq = ?, leased_ms = ?, lease_until_ms = ?,
         finished_ms = ?, result_json = ?
       WHERE id = ? AND state = ?`,
  ).run(
    life.state,
    life.attempts,
    life.lastEventSeq,
    life.leasedAtMs,
    life.leaseUntilMs,
    life.finishedAtMs,
    life.report,
    id,
    from,
  ).changes;
  const written = Number(changed) === 1;
  // A job that ended takes no more events: its rows become one compressed blob (event-logs.ts).
  if (written && FINISHED_JOB_STATES.includes(life.state)) foldEvents(state.db, id);
  return written;
}

/**
 * Leases the oldest live queued job of `runner` for a host that `serves` accepts, or returns
 * null. The host is checked on its own column, so a row whose JSON no longer parses is still
 * routed only to its host's runner, which then refuses it.
 */
function take(state: QueueState, runner: string, serves: (host: string) => boolean): StoredJob | null {
  const { db, clock, leaseMs } = state;
  const now = clock().getTime();
  return writeTransaction(db, () => {
    const rows = prepared(
      db,
      "SELECT * FROM dispatch_jobs WHERE runner_name = ? AND state = 'queued' AND expires_ms >= ? ORDER BY seq",
    )
      .all(runner, now)
      .map(toJobRow);
    for (const row of rows) {
      if (!serves(row.host)) continue;
      const { outcome, written } = move(state, row, { type: "lease", now, leaseMs });
      if (outcome.ok && written) {
        return { ...fromRow(db, row), state: outcome.life.state, attempts: outcome.life.attempts };
      }
    }
    return null;
  });
}

function hasQueued(state: QueueState, runner: string): boolean {
  const row = prepared(
    state.db,
    "SELECT 1 AS x FROM dispatch_jobs WHERE runner_name = ? AND state = 'queued' LIMIT 1",
  ).get(runner);
  return row !== undefined;
}

/** The job if it exists and belongs to `runner`; another runner's job is "not found", not "forbidden". */
function owned(state: QueueState, runner: string, jobId: string): JobRow | null {
  const raw = prepared(state.db, SERVED.jobById.sql).get(jobId);
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
function recordEvent(
  state: QueueState,
  runner: string,
  jobId: string,
  seq: number,
  event: StepEvent,
): QueueOutcome<{ duplicate: boolean; job: Job }> {
  const { db, clock, leaseMs } = state;
  const now = clock().getTime();
  return writeTransaction(db, () => {
    const row = owned(state, runner, jobId);
    if (row === null) return notFound(runner, jobId);
    const { outcome } = move(state, row, { type: "step", seq, now, leaseMs });
    if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
    const job = jobOf(state, row);
    if (outcome.move === "duplicate") return { ok: true, value: { duplicate: true, job } };
    prepared(
      db,
      "INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json) VALUES (?, ?, ?, ?, ?)",
    ).run(jobId, row.attempts, seq, now, JSON.stringify(event));
    return { ok: true, value: { duplicate: false, job } };
  });
}

function heartbeat(state: QueueState, runner: string, jobId: string): QueueOutcome<{ leaseUntil: string }> {
  const { clock, leaseMs } = state;
  const now = clock().getTime();
  return writeTransaction(state.db, () => {
    const row = owned(state, runner, jobId);
    if (row === null) return notFound(runner, jobId);
    const { outcome } = move(state, row, { type: "heartbeat", now, leaseMs });
    if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
    return { ok: true, value: { leaseUntil: new Date(now + leaseMs).toISOString() } };
  });
}

function finish(
  state: QueueState,
  runner: string,
  jobId: string,
  result: JobResult,
): QueueOutcome<{ duplicate: boolean; job: Job }> {
  const now = state.clock().getTime();
  return writeTransaction(state.db, () => {
    const row = owned(state, runner, jobId);
    if (row === null) return notFound(runner, jobId);
    const { outcome } = move(state, row, { type: "result", report: JSON.stringify(result), now });
    if (!outcome.ok) return { ok: false, code: outcome.code, error: outcome.reason };
    return { ok: true, value: { duplicate: outcome.move === "duplicate", job: jobOf(state, row) } };
  });
}

/** Runs out leases and expiries as of the clock's now. */
function sweep(state: QueueState): SweepResult {
  const { db } = state;
  const now = state.clock().getTime();
  return writeTransaction(db, () => {
    const out: SweepResult = { lost: [], requeued: [], expired: [] };
    const overdue = prepared(
      db,
      "SELECT * FROM dispatch_jobs WHERE state = 'leased' AND lease_until_ms < ? ORDER BY seq",
    )
      .all(now)
      .map(toJobRow);
    for (const row of overdue) {
      const { outcome, written } = move(state, row, { type: "lease-ran-out", now });
      if (!outcome.ok || !written) continue;
      (outcome.move === "reoffered" ? out.requeued : out.lost).push(jobOf(state, row));
    }
    const stale = prepared(
      db,
      "SELECT * FROM dispatch_jobs WHERE state = 'queued' AND expires_ms < ? ORDER BY seq",
    )
      .all(now)
      .map(toJobRow);
    for (const row of stale) {
      const { outcome, written } = move(state, row, { type: "ttl-ran-out", now });
      if (outcome.ok && written) out.expired.push(jobOf(state, row));
    }
    return out;
  });
}

function get(
  state: QueueState,
  jobId: string,
): (StoredJob & { result: JobResult | null; leaseUntil: string | null }) | null {
  const { db } = state;
  const raw = prepared(db, SERVED.jobById.sql).get(jobId);
  if (raw === undefined) return null;
  const row = toJobRow(raw);
  return {
    ...fromRow(db, row),
    result: resultOf(raw),
    leaseUntil: row.lease_until_ms === null ? null : new Date(row.lease_until_ms).toISOString(),
  };
}

/** Every job of one change, oldest first, with its state and result. */
function forChange(state: QueueState, changeId: string): (StoredJob & { result: JobResult | null })[] {
  const { db } = state;
  return prepared(db, SERVED.jobsOfChange.sql)
    .all(changeId)
    .map((raw) => ({ ...fromRow(db, toJobRow(raw)), result: resultOf(raw) }));
}

/** The latest attempt's events, folded or not (event-logs.ts reads both forms). */
function events(state: QueueState, jobId: string): StepEvent[] {
  return eventRowsOfJob(state.db, jobId).map(toStepEvent);
}

/**
 * The bot's own view of a stored job. A signed job edited by hand may no longer parse: the bot
 * then describes it from its columns (and still sends the stored text, which the runner will refuse).
 */
function fromRow(db: DatabaseSync, row: JobRow): StoredJob {
  const wire = envelopeOf(db, row);
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
