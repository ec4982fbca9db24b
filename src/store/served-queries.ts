// Every statement that runs while a person waits (a click's ack, a channel message's render,
// `/momlink show`, `history`, App Home), in one place: the stores take their SQL from here, and
// test/store/served-queries.test.ts runs EXPLAIN QUERY PLAN on each against a migrated database and
// fails on a SCAN of a table that grows with history. A new query on those paths goes here, or it
// is not on them.
//
// Lists newest-first are keyset searches (`seq < ?` with the cursor, by default past the end):
// their plan then reads as a search, so the test needs no exception for a LIMIT'd scan. A list for
// one host is two indexed halves merged (primary side, secondary side), each already in seq order:
// `primary_key = ? OR secondary_key = ?` with ORDER BY would sort every change the host ever had.

export interface ServedQuery {
  sql: string;
  /** Which person-facing path runs it (for the reader and the test's failure message). */
  serves: string;
}

/** The cursor that starts a newest-first list at the newest row. */
export const FROM_NEWEST = Number.MAX_SAFE_INTEGER;

const HOST_HALF = (column: "primary_key" | "secondary_key", states: boolean) =>
  `SELECT seq FROM (SELECT seq FROM changes WHERE ${column} = ?1 AND seq < ?2
     ${states ? "AND state IN (SELECT value FROM json_each(?4))" : ""} ORDER BY seq DESC LIMIT ?3)`;

const hostList = (states: boolean) =>
  `SELECT * FROM changes WHERE seq IN (${HOST_HALF("primary_key", states)} UNION ${HOST_HALF("secondary_key", states)})
   ORDER BY seq DESC LIMIT ?3`;

export const SERVED = {
  changeById: { sql: "SELECT * FROM changes WHERE id = ?", serves: "every click, show, a render" },
  approvalsOfChange: {
    sql: "SELECT * FROM approvals WHERE change_id = ? ORDER BY rowid",
    serves: "every read of a change",
  },
  auditOfChange: { sql: "SELECT * FROM audit WHERE change_id = ? ORDER BY seq", serves: "show" },
  nextChangeSeq: {
    sql: "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) + 1 AS n",
    serves: "plan (creating the change)",
  },
  openConflict: {
    // ?1: the open states (JSON array), ?2 and ?3: the two machines' keys, ?4: a change to leave out.
    sql: `SELECT * FROM changes WHERE seq IN (
            SELECT seq FROM changes WHERE primary_key IN (?2, ?3) AND state IN (SELECT value FROM json_each(?1))
            UNION
            SELECT seq FROM changes WHERE secondary_key IN (?2, ?3) AND state IN (SELECT value FROM json_each(?1)))
          AND id <> ?4 ORDER BY seq DESC LIMIT 1`,
    serves: "plan and rollback (the host lock)",
  },
  latestChanges: {
    sql: "SELECT * FROM changes WHERE seq < ? ORDER BY seq DESC LIMIT ?",
    serves: "App Home, history",
  },
  latestChangesInStates: {
    // ?1: cursor, ?2: limit, ?3: states (JSON array).
    sql: `SELECT * FROM changes WHERE seq IN (SELECT seq FROM changes WHERE state IN (SELECT value FROM json_each(?3)) AND seq < ?1)
          ORDER BY seq DESC LIMIT ?2`,
    serves: "the busy check before a restart, resume",
  },
  requesterChanges: {
    sql: "SELECT * FROM changes WHERE requester = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
    serves: "App Home (your recent changes)",
  },
  hostChanges: { sql: hostList(false), serves: "history <host>" },
  hostChangesInStates: { sql: hostList(true), serves: "verify <host>" },
  planByHash: {
    sql: "SELECT plan_deflated FROM plans WHERE hash = ?",
    serves: "every read of a change or job",
  },
  jobsOfChange: {
    sql: "SELECT * FROM dispatch_jobs WHERE change_id = ? ORDER BY seq",
    serves: "every render of a change's progress, show",
  },
  jobById: { sql: "SELECT * FROM dispatch_jobs WHERE id = ?", serves: "a runner's step event, result" },
  eventsOfJob: {
    sql: `SELECT attempt, seq, received_ms, event_json FROM dispatch_events WHERE job_id = ?
          AND attempt = (SELECT MAX(attempt) FROM dispatch_events WHERE job_id = ?) ORDER BY seq`,
    serves: "every render of a running job's steps",
  },
  eventLogOfJob: {
    sql: "SELECT events_deflated FROM dispatch_event_logs WHERE job_id = ?",
    serves: "every render of a finished job's steps, show",
  },
  inboxReceive: {
    sql: `INSERT INTO inbox (request_key, kind, change_id, actor, channel, payload_json, received_at, owner, lease_until_ms)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_key) DO NOTHING`,
    serves: "every acked click and form, before its ack",
  },
  inboxDecide: {
    sql: `UPDATE inbox SET decided_at = ?, outcome_json = ?, change_id = COALESCE(change_id, ?)
          WHERE request_key = ? AND decided_at IS NULL`,
    serves: "every acked click and form, with its change",
  },
  shownRender: {
    sql: "SELECT version, digest FROM message_renders WHERE channel = ? AND message_ts = ?",
    serves: "every update of a change's message (what it shows already)",
  },
  recordRender: {
    // Never back: a stamp of a lower version than the stored one changes nothing.
    sql: `INSERT INTO message_renders (channel, message_ts, change_id, version, digest, shown_at)
          VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, message_ts) DO UPDATE SET
          change_id = excluded.change_id, version = excluded.version, digest = excluded.digest,
          shown_at = excluded.shown_at WHERE excluded.version >= message_renders.version`,
    serves: "every update of a change's message, once Slack took it",
  },
  inboxFinish: {
    sql: "UPDATE inbox SET finished_at = ? WHERE request_key = ? AND finished_at IS NULL",
    serves: "every acked click and form, once Slack was told",
  },
} as const satisfies Record<string, ServedQuery>;

/** The tables that grow with history: a SCAN of one of them on a served path fails the test. */
export const GROWING_TABLES = [
  "changes",
  "approvals",
  "audit",
  "inbox",
  "notices",
  "message_renders",
  "plans",
  "dispatch_jobs",
  "dispatch_events",
  "dispatch_event_logs",
] as const;
