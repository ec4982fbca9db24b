// The dispatcher's tables, in the bot's SQLite file beside the change store's, opened by the same
// store/database.ts openDatabase() and migrated with a bookkeeping table of their own
// (dispatch_schema_migrations): each list's versions are counted apart, so neither list mistakes
// the other's for a newer schema. Their rows are decoded in rows.ts.
import type { DatabaseSync } from "node:sqlite";
import { hostKey } from "../domain/host.ts";
import { FINISHED_JOB_STATES } from "../domain/job-lifecycle.ts";
import { type Migration, migrate, type Schema } from "../store/migrations.ts";
import { PLANS_TABLE } from "../store/plans.ts";
import { EVENT_LOGS_TABLE, foldEvents } from "./event-logs.ts";
import { storedForm } from "./job-plans.ts";

export const DISPATCH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runners, registration tokens, credentials, jobs, step events",
    sql: `
      CREATE TABLE dispatch_runners (
        name          TEXT PRIMARY KEY,
        host          TEXT NOT NULL,
        host_key      TEXT NOT NULL,
        platform      TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        registered_at TEXT,
        version       TEXT,
        hostname      TEXT,
        last_seen_ms  INTEGER,
        revoked_at    TEXT
      );
      CREATE INDEX dispatch_runners_host ON dispatch_runners (host_key);

      CREATE TABLE dispatch_tokens (
        hash        TEXT PRIMARY KEY,
        runner_name TEXT NOT NULL REFERENCES dispatch_runners (name),
        created_at  TEXT NOT NULL,
        expires_ms  INTEGER NOT NULL,
        used_at     TEXT
      );

      CREATE TABLE dispatch_credentials (
        hash        TEXT PRIMARY KEY,
        runner_name TEXT NOT NULL REFERENCES dispatch_runners (name),
        issued_at   TEXT NOT NULL,
        revoked_at  TEXT
      );
      CREATE INDEX dispatch_credentials_runner ON dispatch_credentials (runner_name);

      CREATE TABLE dispatch_jobs (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT NOT NULL UNIQUE,
        runner_name    TEXT NOT NULL,
        host           TEXT NOT NULL,
        change_id      TEXT NOT NULL,
        kind           TEXT NOT NULL,
        state          TEXT NOT NULL,
        signed_json    TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        expires_ms     INTEGER NOT NULL,
        attempts       INTEGER NOT NULL DEFAULT 0,
        leased_ms      INTEGER,
        lease_until_ms INTEGER,
        finished_ms    INTEGER,
        last_event_seq INTEGER NOT NULL DEFAULT 0,
        result_json    TEXT
      );
      CREATE INDEX dispatch_jobs_pickup ON dispatch_jobs (runner_name, state, seq);
      CREATE INDEX dispatch_jobs_state ON dispatch_jobs (state);

      CREATE TABLE dispatch_events (
        job_id      TEXT NOT NULL REFERENCES dispatch_jobs (id),
        attempt     INTEGER NOT NULL,
        seq         INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        event_json  TEXT NOT NULL,
        PRIMARY KEY (job_id, attempt, seq)
      );
    `,
  },
  {
    version: 2,
    name: "runner host keys: one identity per machine (domain/host.ts hostKey)",
    sql: "",
    up: (db) => {
      const update = db.prepare("UPDATE dispatch_runners SET host_key = ? WHERE name = ?");
      for (const row of db.prepare("SELECT name, host FROM dispatch_runners").all()) {
        update.run(hostKey(String(row.host)), String(row.name));
      }
    },
  },
  {
    // Issue 10: a job references its plan in plans (store/plans.ts) by hash instead of carrying a
    // copy in signed_json; jobs.ts rebuilds the same bytes before they go to the runner. A row whose
    // plan cannot be stored that way (no hash, or another text under it) keeps its copy (plan_hash
    // NULL). Every render of a change reads its jobs: by (change_id, seq), not a scan.
    version: 3,
    name: "jobs reference their plan by hash (plans); index jobs by change",
    sql: `
      ${PLANS_TABLE};
      ALTER TABLE dispatch_jobs ADD COLUMN plan_hash TEXT;
      CREATE INDEX dispatch_jobs_change ON dispatch_jobs (change_id, seq);
    `,
    up: (db) => {
      // In pages by seq: rows are rewritten while they are read, and a year of jobs need not fit in memory.
      const page = db.prepare(
        "SELECT seq, signed_json FROM dispatch_jobs WHERE seq > ? ORDER BY seq LIMIT 500",
      );
      const update = db.prepare("UPDATE dispatch_jobs SET signed_json = ?, plan_hash = ? WHERE seq = ?");
      for (let after = 0, rows = page.all(after); rows.length > 0; rows = page.all(after)) {
        for (const row of rows) {
          after = Number(row.seq);
          const stored = storedForm(db, String(row.signed_json));
          if (stored.planHash !== null) update.run(stored.signedJson, stored.planHash, after);
        }
      }
    },
  },
  {
    // Issue 10: step events were ~10 KB of a change's 18 KB on disk. A finished job's events become
    // one compressed blob (event-logs.ts); a running job's stay rows. Existing finished jobs are
    // folded here, in pages by seq, so a year of jobs need not fit in memory.
    version: 4,
    name: "a finished job's step events folded into one compressed blob (dispatch_event_logs)",
    sql: EVENT_LOGS_TABLE,
    up: (db) => {
      const page = db.prepare(
        `SELECT seq, id FROM dispatch_jobs WHERE seq > ? AND state IN (SELECT value FROM json_each(?))
         ORDER BY seq LIMIT 500`,
      );
      let after = 0;
      const next = () => page.all(after, JSON.stringify(FINISHED_JOB_STATES));
      for (let rows = next(); rows.length > 0; rows = next()) {
        for (const row of rows) {
          after = Number(row.seq);
          foldEvents(db, String(row.id));
        }
      }
    },
  },
];

/** The dispatcher's schema, for store/database.ts openDatabase(). */
export const DISPATCH_SCHEMA: Schema = {
  migrations: DISPATCH_MIGRATIONS,
  table: "dispatch_schema_migrations",
  label: "the runner tables' schema",
};

/** Applies the dispatcher's migrations; refuses a file written by a newer momlink. Returns the versions applied. */
export function migrateDispatch(
  db: DatabaseSync,
  migrations: readonly Migration[] = DISPATCH_MIGRATIONS,
  now: Date = new Date(),
): number[] {
  return migrate(db, { ...DISPATCH_SCHEMA, migrations, now });
}
