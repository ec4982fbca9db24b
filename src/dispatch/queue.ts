// Jobs as rows: queued -> leased -> done, or lost (lease ran out) / expired (never picked up).
// The row is written before anything is sent, so a bot restart loses no queued job and never
// hands a leased one out again. Execute and rollback are at-most-once: a lost one stays lost and
// the next pre-flight decides; a read-only job (preflight, verify) is offered once more.
import type { DatabaseSync } from "node:sqlite";
import type { Job, JobKind, StepEvent } from "../domain/job.ts";
import { type SignedJob, signedJobSchema } from "../protocol/signing.ts";
import type { JobResult } from "../protocol/wire.ts";
import { writeTransaction } from "../store/transaction.ts";

export const JOB_STATES = ["queued", "leased", "done", "lost", "expired"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Kinds that change nothing on the host and may therefore be offered a second time. */
const READ_ONLY: ReadonlySet<JobKind> = new Set(["preflight", "verify"]);
const MAX_READ_ONLY_ATTEMPTS = 2;

export interface StoredJob {
  job: Job;
  /** Exactly what the database holds, sent as is: the runner, not the bot, judges it. */
  wire: unknown;
  state: JobState;
  attempts: number;
}

/** What an HTTP handler answers; the queue speaks in statuses so that the server stays a thin layer. */
export type Outcome<T = Record<string, unknown>> =
  | { ok: true; value: T }
  | { ok: false; status: 404 | 409; error: string };

export interface SweepResult {
  lost: Job[];
  requeued: Job[];
  expired: Job[];
}

type Row = Record<string, unknown>;

export function createQueue(options: { db: DatabaseSync; clock: () => Date; leaseMs: number }) {
  const { db, clock, leaseMs } = options;

  function insert(signed: SignedJob): void {
    const { job } = signed;
    db.prepare(
      `INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, created_ms, expires_ms)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
    ).run(
      job.id,
      job.runner,
      job.host,
      job.changeId,
      job.kind,
      JSON.stringify(signed),
      clock().getTime(),
      Date.parse(job.expiresAt),
    );
  }

  /**
   * Leases the oldest live queued job of `runner` for a host that `serves` accepts, or returns
   * null. The host is checked on its own column, so a row whose JSON no longer parses is still
   * routed only to its host's runner, which then refuses it. The UPDATE is conditional on the
   * state it read, so a job can be leased once only.
   */
  function take(runner: string, serves: (host: string) => boolean): StoredJob | null {
    const now = clock().getTime();
    return writeTransaction(db, () => {
      const rows = db
        .prepare(
          "SELECT * FROM dispatch_jobs WHERE runner_name = ? AND state = 'queued' AND expires_ms >= ? ORDER BY seq",
        )
        .all(runner, now) as Row[];
      for (const row of rows) {
        if (!serves(String(row.host))) continue;
        const stored = fromRow(row);
        const changed = db
          .prepare(
            `UPDATE dispatch_jobs SET state = 'leased', attempts = attempts + 1, leased_ms = ?, lease_until_ms = ?
             WHERE id = ? AND state = 'queued'`,
          )
          .run(now, now + leaseMs, stored.job.id).changes;
        if (Number(changed) === 1)
          return { ...stored, state: "leased" as const, attempts: stored.attempts + 1 };
      }
      return null;
    });
  }

  function hasQueued(runner: string): boolean {
    const row = db
      .prepare("SELECT 1 AS x FROM dispatch_jobs WHERE runner_name = ? AND state = 'queued' LIMIT 1")
      .get(runner);
    return row !== undefined;
  }

  /** The job if it exists and belongs to `runner`; another runner's job is "not found", not "forbidden". */
  function owned(runner: string, jobId: string): { row: Row; stored: StoredJob } | null {
    const row = db.prepare("SELECT * FROM dispatch_jobs WHERE id = ?").get(jobId) as Row | undefined;
    if (row === undefined || row.runner_name !== runner) return null;
    return { row, stored: fromRow(row) };
  }

  function notRunning(state: JobState): string {
    switch (state) {
      case "lost":
        return "the job's lease ran out and it was reported lost; the next pre-flight decides";
      case "done":
        return "the job's result was already reported";
      case "expired":
        return "the job expired before it was picked up";
      case "queued":
        return "the job was not handed to this runner";
      case "leased":
        return "the job is running";
      default: {
        const never: never = state;
        return never;
      }
    }
  }

  /**
   * Records step event number `seq` (1, 2, ...) and extends the lease. A repeat of an event
   * already recorded (a retried POST) is acknowledged and not recorded twice.
   */
  function recordEvent(
    runner: string,
    jobId: string,
    seq: number,
    event: StepEvent,
  ): Outcome<{ duplicate: boolean; job: Job }> {
    const now = clock().getTime();
    return writeTransaction(db, () => {
      const found = owned(runner, jobId);
      if (found === null) return { ok: false, status: 404, error: `no job ${jobId} for runner ${runner}` };
      const { row, stored } = found;
      const last = Number(row.last_event_seq);
      if (seq <= last) return { ok: true, value: { duplicate: true, job: stored.job } };
      if (stored.state !== "leased") return { ok: false, status: 409, error: notRunning(stored.state) };
      if (seq !== last + 1) {
        return { ok: false, status: 409, error: `step event ${seq} arrived before event ${last + 1}` };
      }
      db.prepare(
        "INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json) VALUES (?, ?, ?, ?, ?)",
      ).run(jobId, stored.attempts, seq, now, JSON.stringify(event));
      db.prepare("UPDATE dispatch_jobs SET last_event_seq = ?, lease_until_ms = ? WHERE id = ?").run(
        seq,
        now + leaseMs,
        jobId,
      );
      return { ok: true, value: { duplicate: false, job: stored.job } };
    });
  }

  function heartbeat(runner: string, jobId: string): Outcome<{ leaseUntil: string }> {
    const now = clock().getTime();
    return writeTransaction(db, () => {
      const found = owned(runner, jobId);
      if (found === null) return { ok: false, status: 404, error: `no job ${jobId} for runner ${runner}` };
      if (found.stored.state !== "leased")
        return { ok: false, status: 409, error: notRunning(found.stored.state) };
      db.prepare("UPDATE dispatch_jobs SET lease_until_ms = ? WHERE id = ?").run(now + leaseMs, jobId);
      return { ok: true, value: { leaseUntil: new Date(now + leaseMs).toISOString() } };
    });
  }

  function finish(
    runner: string,
    jobId: string,
    result: JobResult,
  ): Outcome<{ duplicate: boolean; job: Job }> {
    const now = clock().getTime();
    return writeTransaction(db, () => {
      const found = owned(runner, jobId);
      if (found === null) return { ok: false, status: 404, error: `no job ${jobId} for runner ${runner}` };
      const { row, stored } = found;
      if (stored.state === "done" && row.result_json === JSON.stringify(result)) {
        return { ok: true, value: { duplicate: true, job: stored.job } };
      }
      if (stored.state !== "leased") return { ok: false, status: 409, error: notRunning(stored.state) };
      db.prepare(
        "UPDATE dispatch_jobs SET state = 'done', finished_ms = ?, result_json = ? WHERE id = ?",
      ).run(now, JSON.stringify(result), jobId);
      return { ok: true, value: { duplicate: false, job: stored.job } };
    });
  }

  /** Runs out leases and expiries as of the clock's now. */
  function sweep(): SweepResult {
    const now = clock().getTime();
    return writeTransaction(db, () => {
      const out: SweepResult = { lost: [], requeued: [], expired: [] };
      const overdue = db
        .prepare("SELECT * FROM dispatch_jobs WHERE state = 'leased' AND lease_until_ms < ? ORDER BY seq")
        .all(now) as Row[];
      for (const row of overdue) {
        const stored = fromRow(row);
        const again =
          READ_ONLY.has(stored.job.kind) &&
          stored.attempts < MAX_READ_ONLY_ATTEMPTS &&
          Number(row.expires_ms) >= now;
        // A second attempt numbers its events from 1 again (events are kept per attempt).
        db.prepare(
          `UPDATE dispatch_jobs SET state = ?, lease_until_ms = NULL, finished_ms = ?, last_event_seq = ? WHERE id = ?`,
        ).run(
          again ? "queued" : "lost",
          again ? null : now,
          again ? 0 : Number(row.last_event_seq),
          stored.job.id,
        );
        (again ? out.requeued : out.lost).push(stored.job);
      }
      const stale = db
        .prepare("SELECT * FROM dispatch_jobs WHERE state = 'queued' AND expires_ms < ? ORDER BY seq")
        .all(now) as Row[];
      for (const row of stale) {
        db.prepare("UPDATE dispatch_jobs SET state = 'expired', finished_ms = ? WHERE id = ?").run(
          now,
          String(row.id),
        );
        out.expired.push(fromRow(row).job);
      }
      return out;
    });
  }

  function get(jobId: string): (StoredJob & { result: JobResult | null; leaseUntil: string | null }) | null {
    const row = db.prepare("SELECT * FROM dispatch_jobs WHERE id = ?").get(jobId) as Row | undefined;
    if (row === undefined) return null;
    const lease = row.lease_until_ms;
    return {
      ...fromRow(row),
      result: typeof row.result_json === "string" ? (JSON.parse(row.result_json) as JobResult) : null,
      leaseUntil: typeof lease === "number" ? new Date(lease).toISOString() : null,
    };
  }

  /** Every job of one change, oldest first, with its state and result. */
  function forChange(changeId: string): (StoredJob & { result: JobResult | null })[] {
    return (
      db.prepare("SELECT * FROM dispatch_jobs WHERE change_id = ? ORDER BY seq").all(changeId) as Row[]
    ).map((row) => ({
      ...fromRow(row),
      result: typeof row.result_json === "string" ? (JSON.parse(row.result_json) as JobResult) : null,
    }));
  }

  function events(jobId: string): StepEvent[] {
    return (
      db
        .prepare(
          `SELECT event_json FROM dispatch_events WHERE job_id = ?
           AND attempt = (SELECT MAX(attempt) FROM dispatch_events WHERE job_id = ?) ORDER BY seq`,
        )
        .all(jobId, jobId) as Row[]
    ).map((row) => JSON.parse(String(row.event_json)) as StepEvent);
  }

  return { insert, take, hasQueued, recordEvent, heartbeat, finish, sweep, get, forChange, events };
}

export type Queue = ReturnType<typeof createQueue>;

/**
 * The bot's own view of a stored job. A row edited by hand may no longer parse: the bot then
 * describes it from its columns (and still sends the stored text, which the runner will refuse).
 */
function fromRow(row: Row): StoredJob {
  let wire: unknown = null;
  try {
    wire = JSON.parse(String(row.signed_json));
  } catch {
    wire = null;
  }
  const parsed = signedJobSchema.safeParse(wire);
  const job: Job = parsed.success
    ? parsed.data.job
    : {
        id: String(row.id),
        kind: row.kind as JobKind,
        changeId: String(row.change_id),
        runner: String(row.runner_name),
        host: String(row.host),
        role: "primary",
        planHash: "0".repeat(64),
        plan: {},
        issuedAt: new Date(Number(row.created_ms)).toISOString(),
        expiresAt: new Date(Number(row.expires_ms)).toISOString(),
      };
  return { job, wire, state: row.state as JobState, attempts: Number(row.attempts) };
}
