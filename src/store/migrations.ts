// Versioned schema migrations, applied in order at open, each in its own transaction together with
// its row in schema_migrations. Append new migrations at the end; never edit one that has shipped.
import type { DatabaseSync } from "node:sqlite";
import { hostKey } from "../domain/host.ts";
import { keepPlan, PLANS_TABLE } from "./plans.ts";
import { writeTransaction } from "./transaction.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** What SQL alone cannot do (recomputing a derived column), run after `sql` in the same transaction. */
  up?: (db: DatabaseSync) => void;
}

/**
 * The lock's host columns hold domain/host.ts hostKey(host): one key per machine, however the
 * plan wrote its name. Rows from version 1 held the lower-cased name.
 */
function rekeyChangeHosts(db: DatabaseSync): void {
  const update = db.prepare("UPDATE changes SET primary_key = ?, secondary_key = ? WHERE seq = ?");
  for (const row of db.prepare("SELECT seq, primary_host, secondary_host FROM changes").all()) {
    update.run(hostKey(String(row.primary_host)), hostKey(String(row.secondary_host)), Number(row.seq));
  }
}

/**
 * Each change's plan into plans (compressed, once per hash), then the column goes. Real plans'
 * hashes cover their content and change id, so two changes never share one; the first text stored
 * under a hash is kept. In pages by seq, so a year of changes need not fit in memory.
 */
function movePlansOut(db: DatabaseSync): void {
  const page = db.prepare(
    "SELECT seq, plan_hash, plan_json FROM changes WHERE seq > ? ORDER BY seq LIMIT 500",
  );
  for (let after = 0, rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    for (const row of rows) {
      after = Number(row.seq);
      keepPlan(db, String(row.plan_hash), String(row.plan_json));
    }
  }
  db.exec("ALTER TABLE changes DROP COLUMN plan_json");
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "changes, approvals, append-only audit",
    sql: `
      CREATE TABLE changes (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT NOT NULL UNIQUE,
        state             TEXT NOT NULL,
        requester         TEXT NOT NULL,
        channel           TEXT,
        message_ts        TEXT,
        primary_host      TEXT NOT NULL,
        secondary_host    TEXT NOT NULL,
        primary_key       TEXT NOT NULL,
        secondary_key     TEXT NOT NULL,
        plan_hash         TEXT NOT NULL,
        plan_json         TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        expires_at        TEXT NOT NULL,
        rejection_json    TEXT,
        cancellation_json TEXT,
        failure_json      TEXT,
        lost_runner_json  TEXT,
        version           INTEGER NOT NULL
      );
      CREATE INDEX changes_primary_key ON changes (primary_key, state);
      CREATE INDEX changes_secondary_key ON changes (secondary_key, state);
      CREATE INDEX changes_state_expiry ON changes (state, expires_at);

      CREATE TABLE approvals (
        change_id TEXT NOT NULL REFERENCES changes (id),
        actor     TEXT NOT NULL,
        at        TEXT NOT NULL,
        hash      TEXT NOT NULL,
        PRIMARY KEY (change_id, actor, hash)
      );

      CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        change_id    TEXT NOT NULL REFERENCES changes (id),
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        event        TEXT NOT NULL,
        from_state   TEXT,
        to_state     TEXT NOT NULL,
        plan_hash    TEXT NOT NULL,
        details_json TEXT NOT NULL
      );
      CREATE INDEX audit_change ON audit (change_id, seq);
      -- The audit log is evidence: the database itself refuses to rewrite or drop it.
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only: rows cannot be updated'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only: rows cannot be deleted'); END;
    `,
  },
  {
    version: 2,
    name: "host lock keys: one identity per machine (short name, FQDN and IPv6 spellings alike)",
    sql: "",
    up: rekeyChangeHosts,
  },
  {
    // Rollbacks follow the change's approval policy: their approvals are kept apart from the
    // change's (kind) and per attempt (round), and the change counts the rollbacks it started.
    // SQLite cannot change a primary key in place: the table is rebuilt, its rows kept in order.
    version: 3,
    name: "rollback approvals apart from the change's, per attempt",
    sql: `
      CREATE TABLE approvals_by_kind (
        change_id TEXT NOT NULL REFERENCES changes (id),
        kind      TEXT NOT NULL CHECK (kind IN ('change', 'rollback')),
        round     INTEGER NOT NULL,
        actor     TEXT NOT NULL,
        at        TEXT NOT NULL,
        hash      TEXT NOT NULL,
        PRIMARY KEY (change_id, kind, round, actor, hash)
      );
      INSERT INTO approvals_by_kind (change_id, kind, round, actor, at, hash)
        SELECT change_id, 'change', 0, actor, at, hash FROM approvals ORDER BY rowid;
      DROP TABLE approvals;
      ALTER TABLE approvals_by_kind RENAME TO approvals;
      ALTER TABLE changes ADD COLUMN rollbacks_started INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // Every acknowledged click and form is a row before its ack (received), gets its decision
    // (decided, in the same transaction as the change it made) and is finished once the Slack
    // side has been told; a restart finishes what is left. The key dedupes Slack's redeliveries.
    version: 4,
    name: "inbox of received Slack requests",
    sql: `
      CREATE TABLE inbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        request_key  TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        change_id    TEXT,
        actor        TEXT NOT NULL,
        channel      TEXT,
        payload_json TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        decided_at   TEXT,
        outcome_json TEXT,
        finished_at  TEXT
      );
      CREATE INDEX inbox_unfinished ON inbox (seq) WHERE finished_at IS NULL;
      CREATE INDEX inbox_finished_at ON inbox (finished_at) WHERE finished_at IS NOT NULL;
    `,
  },
  {
    // What the bot told people of its own accord (a reminder, an outcome announced to the
    // requester): one row per notice, claimed by inserting it, so a notice goes out at most once
    // even with several bot processes sweeping the same store.
    version: 5,
    name: "notices sent about a change",
    sql: `
      CREATE TABLE notices (
        change_id TEXT NOT NULL REFERENCES changes (id),
        notice    TEXT NOT NULL,
        sent_at   TEXT NOT NULL,
        PRIMARY KEY (change_id, notice)
      );
    `,
  },
  {
    // Issue 10: a change's plan lives once in plans (store/plans.ts), referenced by plan_hash, not
    // in a column of its own (the jobs referenced it too, each with a copy). A host's history and
    // a list by state read indexes already in seq order (store/served-queries.ts), never a sort of
    // all of a host's changes. DROP COLUMN leaves the freed pages to SQLite's free list, reused by
    // later rows; a VACUUM gives them back to the disk.
    version: 6,
    name: "each plan once (plans, by hash); indexes for a host's and a state's newest changes",
    sql: `
      ${PLANS_TABLE};
      CREATE INDEX changes_primary_seq ON changes (primary_key, seq);
      CREATE INDEX changes_secondary_seq ON changes (secondary_key, seq);
      CREATE INDEX changes_state_seq ON changes (state, seq);
    `,
    up: movePlansOut,
  },
  {
    // Issue 12: what each change message last showed (domain/render-order.ts), so an update of a
    // render as old as, or older than, the one on Slack is not sent (store/sqlite-renders.ts;
    // PostgreSQL shares the table across replicas, store/postgres/renders.ts).
    version: 7,
    name: "the render each change message last showed (message_renders)",
    sql: `
      CREATE TABLE message_renders (
        channel    TEXT NOT NULL,
        message_ts TEXT NOT NULL,
        change_id  TEXT NOT NULL REFERENCES changes (id),
        version    INTEGER NOT NULL,
        digest     TEXT NOT NULL,
        shown_at   TEXT NOT NULL,
        PRIMARY KEY (channel, message_ts)
      );
    `,
  },
  {
    // Issue 12: each request is owned by the process that received it, under a lease it renews
    // while it lives (RequestInbox renewLeases), so with several replicas a sweep takes over only
    // the requests of one that died (takeOver), once, never one a living replica is finishing.
    // Rows from before have neither: anyone may take them (they are a previous process's).
    version: 8,
    name: "inbox requests owned by the process finishing them, under a lease",
    sql: `
      ALTER TABLE inbox ADD COLUMN owner TEXT;
      ALTER TABLE inbox ADD COLUMN lease_until_ms INTEGER;
    `,
  },
  {
    // Issue 10: App Home's "Your recent changes" reads a person's newest changes from an index by
    // requester (store/served-queries.ts requesterChanges), instead of decoding everyone's latest
    // 200 and keeping the person's, which read 200 records per open and lost older changes.
    version: 9,
    name: "an index of each person's changes, newest first",
    sql: "CREATE INDEX changes_requester_seq ON changes (requester, seq);",
  },
];

/** One list of migrations with its own bookkeeping table: several share a file, counted apart. */
export interface Schema {
  migrations: readonly Migration[];
  /** The bookkeeping table (schema_migrations, dispatch_schema_migrations). */
  table: string;
  /** What a refusal calls it ("the runner tables' schema"); default: the file's path. */
  label?: string;
}

/** The change store's tables: changes, approvals, audit, inbox. */
export const CHANGE_SCHEMA: Schema = { migrations: MIGRATIONS, table: "schema_migrations" };

/** The bookkeeping table of one migration list; several lists can share a file, each with its own table. */
function bookkeeping(table: string): string {
  return `
  CREATE TABLE IF NOT EXISTS ${table} (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Brings the database up to the newest migration this build knows. Returns the versions it applied
 * (empty when already current). Throws, changing nothing, when the database was written by a newer
 * momlink: an older build must not guess at a schema it does not know.
 */
export function migrate(
  db: DatabaseSync,
  options: { migrations?: readonly Migration[]; now?: Date; label?: string; table?: string } = {},
): number[] {
  const migrations = options.migrations ?? MIGRATIONS;
  const label = options.label ?? "the database";
  const table = options.table ?? "schema_migrations";
  if (!TABLE_NAME.test(table)) throw new Error(`not a bookkeeping table name: ${table}`);
  checkOrder(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  db.exec(bookkeeping(table));
  refuseNewer(currentVersion(db, table), known, label);
  const applied: number[] = [];
  for (const m of migrations) {
    // IMMEDIATE takes the write lock before reading the version, so two processes opening the
    // same new file at once cannot both apply a migration.
    writeTransaction(db, () => {
      const current = currentVersion(db, table);
      refuseNewer(current, known, label);
      if (m.version > current) {
        db.exec(m.sql);
        m.up?.(db);
        db.prepare(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`).run(
          m.version,
          m.name,
          (options.now ?? new Date()).toISOString(),
        );
        applied.push(m.version);
      }
    });
  }
  return applied;
}

function refuseNewer(current: number, known: number, label: string): void {
  if (current <= known) return;
  throw new Error(
    `${label} was written by a newer momlink (schema version ${current}; this build knows up to ${known}): upgrade momlink, or point MOMLINK_DB at another file`,
  );
}

export function currentVersion(db: DatabaseSync, table = "schema_migrations"): number {
  if (!TABLE_NAME.test(table)) throw new Error(`not a bookkeeping table name: ${table}`);
  const row = db.prepare(`SELECT MAX(version) AS v FROM ${table}`).get();
  const v = row?.v;
  return typeof v === "number" ? v : 0;
}

/** Throws unless versions increase from 1: both engines' lists (store/postgres/migrate.ts) are checked by it. */
export function checkOrder(migrations: readonly { version: number; name: string }[]): void {
  migrations.forEach((m, i) => {
    const prev = i === 0 ? 0 : (migrations[i - 1]?.version ?? 0);
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new Error(`migration "${m.name}" has version ${m.version}; versions must increase from 1`);
    }
  });
}
