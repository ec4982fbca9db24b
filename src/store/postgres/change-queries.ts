// The change store's SQL on PostgreSQL (the SQLite text is store/served-queries.ts; the rows both
// write come from store/change-writes.ts). A change is read in one statement with its plan and its
// approvals (json_agg, in the order given), so a record is always one snapshot and one round trip
// under READ COMMITTED, with no transaction around a read. Lists are index searches by seq
// (changes_*_seq): a host's list merges its two indexed halves, as on SQLite.
import {
  APPROVAL_COLUMNS,
  AUDIT_COLUMNS,
  CHANGE_COLUMNS,
  INBOX_RECEIVE_COLUMNS,
  insertSql,
  updateChangeSql,
} from "../change-writes.ts";

const mark = (n: number) => `$${n}`;

/** A change row with `plan_deflated` and `approvals_list` (a JSON array of approval rows). */
const RECORD = `SELECT c.*, p.plan_deflated,
    (SELECT COALESCE(json_agg(json_build_object('kind', a.kind, 'round', a.round, 'actor', a.actor,
                                                'at', a.at, 'hash', a.hash) ORDER BY a.seq), '[]'::json)
       FROM approvals a WHERE a.change_id = c.id) AS approvals_list
  FROM changes c LEFT JOIN plans p ON p.hash = c.plan_hash`;

const hostHalf = (column: "primary_key" | "secondary_key", states: boolean) =>
  `(SELECT seq FROM changes WHERE ${column} = $1 ${states ? "AND state = ANY($3::text[])" : ""}
     ORDER BY seq DESC LIMIT $2)`;

const hostList = (states: boolean) =>
  `${RECORD} WHERE c.seq IN (${hostHalf("primary_key", states)} UNION ALL ${hostHalf("secondary_key", states)})
   ORDER BY c.seq DESC LIMIT $2`;

export const PG = {
  changeById: `${RECORD} WHERE c.id = $1`,
  /**
   * The row lock of a transition. A statement of its own: under READ COMMITTED the statement
   * after it takes a new snapshot, so the record read next includes every approval the writer
   * we waited for committed (a subquery in the locking statement would still see the old ones).
   */
  lockChange: "SELECT version FROM changes WHERE id = $1 FOR UPDATE",
  /** One machine's creation lock: held to the end of the transaction, ordered by key by the caller. */
  lockHost: "SELECT pg_advisory_xact_lock(hashtextextended('momlink host ' || $1, 0))",
  nextChangeSeq: "SELECT nextval(pg_get_serial_sequence('changes', 'seq')) AS n",
  // $1: the two machines' keys, $2: the open states, $3: a change to leave out.
  openConflict: `${RECORD} WHERE c.seq IN (
      SELECT seq FROM changes WHERE primary_key = ANY($1::text[]) AND state = ANY($2::text[])
      UNION ALL
      SELECT seq FROM changes WHERE secondary_key = ANY($1::text[]) AND state = ANY($2::text[]))
    AND c.id <> $3 ORDER BY c.seq DESC LIMIT 1`,
  latestChanges: `${RECORD} ORDER BY c.seq DESC LIMIT $1`,
  latestChangesInStates: `${RECORD} WHERE c.state = ANY($2::text[]) ORDER BY c.seq DESC LIMIT $1`,
  requesterChanges: `${RECORD} WHERE c.requester = $1 ORDER BY c.seq DESC LIMIT $2`,
  hostChanges: hostList(false),
  hostChangesInStates: hostList(true),
  dueForExpiry: `${RECORD} WHERE c.state = ANY($1::text[]) AND c.expires_at <= $2 ORDER BY c.expires_at, c.seq`,
  setMessage: "UPDATE changes SET channel = $1, message_ts = $2 WHERE id = $3",
  insertChange: insertSql("changes", CHANGE_COLUMNS, mark),
  updateChange: updateChangeSql(mark),
  insertApproval: insertSql("approvals", APPROVAL_COLUMNS, mark),
  insertAudit: insertSql("audit", AUDIT_COLUMNS, mark),
  claimNotice:
    "INSERT INTO notices (change_id, notice, sent_at) VALUES ($1, $2, $3) ON CONFLICT (change_id, notice) DO NOTHING",
  auditOfChange: "SELECT * FROM audit WHERE change_id = $1 ORDER BY seq",
  /** A page of the export: keyset by seq, so a page never re-reads or skips rows. */
  auditPage: "SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
  inboxReceive: `${insertSql("inbox", INBOX_RECEIVE_COLUMNS, mark)} ON CONFLICT (request_key) DO NOTHING`,
  inboxDecide: `UPDATE inbox SET decided_at = $1, outcome_json = $2, change_id = COALESCE(change_id, $3)
      WHERE request_key = $4 AND decided_at IS NULL`,
  inboxFinish: "UPDATE inbox SET finished_at = $1 WHERE request_key = $2 AND finished_at IS NULL",
  inboxUnfinished: "SELECT * FROM inbox WHERE finished_at IS NULL ORDER BY seq",
  inboxPrune: "DELETE FROM inbox WHERE finished_at IS NOT NULL AND finished_at < $1",
} as const;
