// ChangeStore on node:sqlite (built into Node >= 22.13): one file, WAL, no server.
//
// The port is async (PostgreSQL's client is); here every method is async only at its surface:
// its whole body, transaction included, runs synchronously when called, with no await between
// BEGIN and COMMIT, so two requests on this one connection never interleave inside a transaction.
//
// Concurrency: node:sqlite is synchronous, so within one process two calls never interleave. Across
// processes (or two stores on one file) every write runs in BEGIN IMMEDIATE, which takes SQLite's
// write lock before the record is read: the second approval waits (busy_timeout), then reads the
// record the first one committed and is refused by the state machine. The UPDATE also checks the
// version it read, so a lost update cannot go unnoticed even if that reasoning is ever broken.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { hostKey } from "../domain/host.ts";
import type { ChangeEvent, ChangeHosts, ChangeRecord, TransitionContext } from "../domain/record.ts";
import { toAuditEntry, toChangeRecord } from "./change-rows.ts";
import {
  APPROVAL_COLUMNS,
  AUDIT_COLUMNS,
  CHANGE_COLUMNS,
  type ChangeWrites,
  DECIDED_OK,
  EXPIRABLE_STATES,
  hostKeys,
  hostsTakenDenial,
  type InboxOwner,
  insertSql,
  listLimit,
  newChangeWrites,
  newInboxOwner,
  notFound,
  OPEN_STATES,
  type PlanToKeep,
  planHashTaken,
  transitionWrites,
  updateChangeSql,
} from "./change-writes.ts";
import { openDatabase } from "./database.ts";
import { closeDatabase } from "./db-file.ts";
import { CHANGE_SCHEMA } from "./migrations.ts";
import { keepPlan, storedPlan } from "./plans.ts";
import { int, type Row, text } from "./rows.ts";
import { FROM_NEWEST, SERVED } from "./served-queries.ts";
import { SqliteRequestInbox } from "./sqlite-inbox.ts";
import { SqliteMessageRenders } from "./sqlite-renders.ts";
import type {
  ApplyResult,
  ChangeStore,
  CreateChangeInput,
  CreateChangeResult,
  ListQuery,
  StoredAuditEntry,
} from "./store.ts";
import { readSnapshot, writeTransaction } from "./transaction.ts";

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Create the file when it does not exist (the bot, default) or refuse (every reading command:
   * an auditor must never get an empty export from a mistyped MOMLINK_DB).
   */
  create?: boolean;
  /** How long a received request stays this process's without a renewal (RequestInbox.renewLeases). */
  inboxLeaseMs?: number;
}

const mark = () => "?";
const INSERT_CHANGE = insertSql("changes", CHANGE_COLUMNS, mark);
const INSERT_APPROVAL = insertSql("approvals", APPROVAL_COLUMNS, mark);
const INSERT_AUDIT = insertSql("audit", AUDIT_COLUMNS, mark);
const UPDATE_CHANGE = updateChangeSql(mark);
/** Audit entries read per page by exportAudit. */
const EXPORT_PAGE = 500;

/**
 * Opens the database at `path` (creating it and its directory if missing, unless `create` is
 * false) and brings its schema up to date. `:memory:` gives a private in-memory store. Throws a
 * DatabaseFileError (a start-up problem naming MOMLINK_DB) when the file cannot be opened or was
 * written by a newer momlink. Every write checks first that the file is still the one opened.
 * Given an open database (bench/history.ts seeds the store and the jobs in one transaction), it
 * only migrates it, and close() leaves it open for its owner.
 */
export function openSqliteStore(path: string | DatabaseSync, options: SqliteStoreOptions = {}): ChangeStore {
  const { db, owned } = openDatabase(path, {
    schemas: [CHANGE_SCHEMA],
    ...(options.create === undefined ? {} : { create: options.create }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  return new SqliteChangeStore(db, owned, newInboxOwner(options.inboxLeaseMs));
}

class SqliteChangeStore implements ChangeStore {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly owned: boolean;
  readonly inbox: SqliteRequestInbox;
  readonly renders: SqliteMessageRenders;

  constructor(db: DatabaseSync, owned: boolean, inboxOwner: InboxOwner) {
    this.db = db;
    this.owned = owned;
    this.inbox = new SqliteRequestInbox(
      {
        sql: (text) => this.sql(text),
        write: (fn) => this.write(fn),
        read: (fn) => this.read(fn),
      },
      inboxOwner,
    );
    this.renders = new SqliteMessageRenders({
      sql: (text) => this.sql(text),
      write: (fn) => this.write(fn),
    });
  }

  async createChange(input: CreateChangeInput, decides?: string): Promise<CreateChangeResult> {
    return this.write(() => {
      const conflict = this.openConflict(input.hosts);
      if (conflict !== null) return { ok: false, conflict };
      const seq = int(this.sql(SERVED.nextChangeSeq.sql).get() ?? {}, "n");
      const writes = newChangeWrites(input, seq, decides);
      if (writes.plan !== null) this.keepPlan(writes.plan);
      this.sql(INSERT_CHANGE).run(...writes.change);
      this.writeRest(writes);
      return { ok: true, record: writes.record };
    });
  }

  /** The newest open change on either machine (by hostKey), other than `except`. Call inside a write. */
  private openConflict(hosts: ChangeHosts, except = ""): ChangeRecord | null {
    const keys = hostKeys(hosts);
    const row = this.sql(SERVED.openConflict.sql).get(JSON.stringify(OPEN_STATES), ...keys, except);
    return row === undefined ? null : this.toRecord(row);
  }

  async get(id: string): Promise<ChangeRecord | null> {
    return this.read(() => this.load(id));
  }

  async list(query: ListQuery = {}): Promise<ChangeRecord[]> {
    if (query.states !== undefined && query.states.length === 0) return [];
    const limit = listLimit(query);
    const states = query.states === undefined ? null : JSON.stringify(query.states);
    const rows = (): Row[] => {
      if (query.requester !== undefined) {
        return this.sql(SERVED.requesterChanges.sql).all(query.requester, FROM_NEWEST, limit);
      }
      if (query.host !== undefined) {
        const key = hostKey(query.host);
        return states === null
          ? this.sql(SERVED.hostChanges.sql).all(key, FROM_NEWEST, limit)
          : this.sql(SERVED.hostChangesInStates.sql).all(key, FROM_NEWEST, limit, states);
      }
      return states === null
        ? this.sql(SERVED.latestChanges.sql).all(FROM_NEWEST, limit)
        : this.sql(SERVED.latestChangesInStates.sql).all(FROM_NEWEST, limit, states);
    };
    return this.read(() => rows().map((r) => this.toRecord(r)));
  }

  async apply(
    id: string,
    event: ChangeEvent,
    ctx: TransitionContext,
    decides?: string,
  ): Promise<ApplyResult> {
    return this.write((): ApplyResult => {
      const current = this.load(id);
      if (current === null) return notFound(id);
      const writes = transitionWrites(current, event, ctx, decides);
      if (!writes.ok) return writes.denial;
      if (writes.retakesHosts) {
        // Re-opening a closed change (rolling back a succeeded one) re-takes its hosts: only if
        // no other change holds them now, checked in this same write transaction.
        const holder = this.openConflict(current.hosts, id);
        if (holder !== null) return hostsTakenDenial(id, holder);
      }
      if (writes.plan !== null) this.keepPlan(writes.plan);
      const changed = this.sql(UPDATE_CHANGE).run(...writes.update);
      if (Number(changed.changes) !== 1) {
        // Unreachable under BEGIN IMMEDIATE; throwing rolls back rather than overwrite a newer row.
        throw new Error(`${id} changed underneath this write (expected version ${current.version})`);
      }
      this.writeRest(writes);
      return writes.result;
    });
  }

  async setMessage(id: string, channel: string, ts: string): Promise<ChangeRecord | null> {
    return this.write(() => {
      this.sql("UPDATE changes SET channel = ?, message_ts = ? WHERE id = ?").run(channel, ts, id);
      return this.load(id);
    });
  }

  async dueForExpiry(now: Date): Promise<ChangeRecord[]> {
    const sql = `SELECT * FROM changes WHERE state IN (${placeholders(EXPIRABLE_STATES.length)})
                   AND expires_at <= ? ORDER BY expires_at, seq`;
    return this.read(() =>
      this.sql(sql)
        .all(...EXPIRABLE_STATES, now.toISOString())
        .map((r) => this.toRecord(r)),
    );
  }

  async claimNotice(changeId: string, notice: string, at: Date): Promise<boolean> {
    return this.write(() => {
      const inserted = this.sql(
        "INSERT INTO notices (change_id, notice, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ).run(changeId, notice, at.toISOString());
      return Number(inserted.changes) === 1;
    });
  }

  async audit(id: string): Promise<StoredAuditEntry[]> {
    return this.sql(SERVED.auditOfChange.sql).all(id).map(toAuditEntry);
  }

  /**
   * Pages of EXPORT_PAGE entries by seq, each page one synchronous read: nothing is held open
   * between pages (a consumer may await between entries while others write), and the whole log
   * is never in memory at once.
   */
  async *exportAudit(): AsyncIterableIterator<StoredAuditEntry> {
    let after = 0;
    for (;;) {
      const page = this.sql("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
        .all(after, EXPORT_PAGE)
        .map(toAuditEntry);
      yield* page;
      const last = page.at(-1);
      if (last === undefined || page.length < EXPORT_PAGE) return;
      after = last.seq;
    }
  }

  async close(): Promise<void> {
    if (this.owned) closeDatabase(this.db);
  }

  // --- internals

  private sql(text: string): StatementSync {
    let stmt = this.statements.get(text);
    if (stmt === undefined) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /** One write transaction, holding SQLite's write lock from the first read, into the file that was opened. */
  private write<T>(fn: () => T): T {
    return writeTransaction(this.db, fn);
  }

  /** One read snapshot: a record and its approvals are read as of the same commit. */
  private read<T>(fn: () => T): T {
    return readSnapshot(this.db, fn);
  }

  private load(id: string): ChangeRecord | null {
    const row = this.sql(SERVED.changeById.sql).get(id);
    return row === undefined ? null : this.toRecord(row);
  }

  private toRecord(raw: Row): ChangeRecord {
    const approvals = this.sql(SERVED.approvalsOfChange.sql).all(text(raw, "id"));
    return toChangeRecord(raw, approvals, storedPlan(this.db, text(raw, "plan_hash")));
  }

  /** A change's plan into plans (store/plans.ts); a different plan under the same hash is refused. */
  private keepPlan(plan: PlanToKeep): void {
    if (!keepPlan(this.db, plan.hash, plan.json)) throw planHashTaken(plan);
  }

  /** The approvals, audit entry and inbox decision of a write, after its change row. */
  private writeRest(writes: ChangeWrites): void {
    for (const approval of writes.approvals) this.sql(INSERT_APPROVAL).run(...approval);
    this.sql(INSERT_AUDIT).run(...writes.audit);
    if (writes.decides !== null) {
      const { key, changeId, at } = writes.decides;
      this.inbox.decideWithin(key, changeId, DECIDED_OK, at);
    }
  }
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
