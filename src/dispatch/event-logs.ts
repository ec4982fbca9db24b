// A finished job's step events, folded into one DEFLATE-compressed blob (dispatch_event_logs), so
// a year of history costs ~0.5 KB per execute job instead of ~5 KB of rows and their key index.
// A running job's events stay rows (dispatch_events): a runner's step report is one small INSERT,
// and the fold runs once, in the transaction that ends the job (done, lost or expired).
//
// What it keeps true: nothing is lost or changed by folding. The blob holds every row of every
// attempt with its columns as they were (attempt, seq, received_ms and event_json's own text), and
// a reader gets the same rows from either form (eventRowsOfJob), which rows.ts then decodes and
// checks the same way: a folded event that was altered is refused as a row's would be.
import type { DatabaseSync } from "node:sqlite";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { int, type Row, text } from "../store/rows.ts";
import { all, one, run, runSqlite, type Script } from "../store/script.ts";
import { SERVED } from "../store/served-queries.ts";

/** The table's definition (dispatcher migration 4; its PostgreSQL twin stores the blob as BYTEA). */
export const EVENT_LOGS_TABLE = `
  CREATE TABLE dispatch_event_logs (
    job_id          TEXT PRIMARY KEY REFERENCES dispatch_jobs (id),
    events_deflated BLOB NOT NULL
  )`;

/** One dispatch_events row, as both forms hold it. */
export type EventRow = {
  attempt: number;
  seq: number;
  received_ms: number;
  event_json: string;
};

/** The blob's JSON: one [attempt, seq, received_ms, event_json] per row, in (attempt, seq) order. */
type FoldedRow = [number, number, number, string];

function toEventRow(row: Row): EventRow {
  return {
    attempt: int(row, "attempt"),
    seq: int(row, "seq"),
    received_ms: int(row, "received_ms"),
    event_json: text(row, "event_json"),
  };
}

function byAttemptAndSeq(a: EventRow, b: EventRow): number {
  return a.attempt - b.attempt || a.seq - b.seq;
}

/** The rows folded into `blob`; a blob that is not what fold wrote is an altered database, said so. */
function unfold(blob: unknown): EventRow[] {
  const refused = new Error(
    "database column events_deflated does not hold step events as momlink folds them (DEFLATE of a JSON array of [attempt, seq, received_ms, event_json])",
  );
  if (!(blob instanceof Uint8Array)) throw refused;
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateRawSync(blob).toString("utf8"));
  } catch {
    throw refused;
  }
  if (!Array.isArray(parsed)) throw refused;
  return parsed.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 4) throw refused;
    const [attempt, seq, received_ms, event_json] = entry;
    return toEventRow({ attempt, seq, received_ms, event_json });
  });
}

function* foldedRowsOf(jobId: string): Script<EventRow[]> {
  const row = yield* one(SERVED.eventLogOfJob.sql, [jobId]);
  return row === undefined ? [] : unfold(row.events_deflated);
}

/**
 * Every recorded event row of the job's latest attempt, in seq order, whichever form holds them.
 * Both are read: a job folded by an older momlink and a row written since (none should be) still
 * show together.
 */
export function* eventRowsOfJobScript(jobId: string): Script<EventRow[]> {
  const rows = [
    ...(yield* foldedRowsOf(jobId)),
    ...(yield* all(SERVED.eventsOfJob.sql, [jobId, jobId])).map(toEventRow),
  ];
  const latest = Math.max(...rows.map((r) => r.attempt));
  return rows.filter((r) => r.attempt === latest).sort(byAttemptAndSeq);
}

/** Run inside the write transaction that ends the job: its rows become one blob (or stay none). */
export function* foldEventsScript(jobId: string): Script<void> {
  const rows = (yield* all(
    "SELECT attempt, seq, received_ms, event_json FROM dispatch_events WHERE job_id = ?",
    [jobId],
  )).map(toEventRow);
  if (rows.length === 0) return;
  const folded = [...(yield* foldedRowsOf(jobId)), ...rows]
    .sort(byAttemptAndSeq)
    .map((r): FoldedRow => [r.attempt, r.seq, r.received_ms, r.event_json]);
  yield* run(
    `INSERT INTO dispatch_event_logs (job_id, events_deflated) VALUES (?, ?)
     ON CONFLICT (job_id) DO UPDATE SET events_deflated = excluded.events_deflated`,
    [jobId, deflateRawSync(JSON.stringify(folded))],
  );
  yield* run("DELETE FROM dispatch_events WHERE job_id = ?", [jobId]);
}

/** foldEventsScript on an open SQLite database, inside the caller's transaction (migration 4 folds with it). */
export function foldEvents(db: DatabaseSync, jobId: string): void {
  runSqlite(db, foldEventsScript(jobId));
}
