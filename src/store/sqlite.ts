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
import type { Plan } from "../domain/plan.ts";
import {
  type Approval,
  type AuditEntry,
  type ChangeEvent,
  type ChangeHosts,
  type ChangeRecord,
  type ChangeState,
  holdsHostLock,
  newChange,
  type RollbackApproval,
  STATES,
  type TransitionContext,
  transition,
} from "../domain/record.ts";
import { toAuditEntry, toChangeRow, toState } from "./change-rows.ts";
import { openDatabase } from "./database.ts";
import { closeDatabase } from "./db-file.ts";
import { CHANGE_SCHEMA } from "./migrations.ts";
import { keepPlan, storedPlan } from "./plans.ts";
import { int, type Row, text } from "./rows.ts";
import { FROM_NEWEST, SERVED } from "./served-queries.ts";
import { DECIDED_OK, SqliteRequestInbox } from "./sqlite-inbox.ts";
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
}

const OPEN_STATES: readonly ChangeState[] = STATES.filter(holdsHostLock);
const EXPIRABLE_STATES: readonly ChangeState[] = ["planned", "awaiting_approval"];
const DEFAULT_LIST_LIMIT = 20;
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
  return new SqliteChangeStore(db, owned);
}

class SqliteChangeStore implements ChangeStore {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly owned: boolean;
  readonly inbox: SqliteRequestInbox;

  constructor(db: DatabaseSync, owned: boolean) {
    this.db = db;
    this.owned = owned;
    this.inbox = new SqliteRequestInbox({
      sql: (text) => this.sql(text),
      write: (fn) => this.write(fn),
      read: (fn) => this.read(fn),
    });
  }

  async createChange(input: CreateChangeInput, decides?: string): Promise<CreateChangeResult> {
    return this.write(() => {
      const conflict = this.openConflict(input.hosts);
      if (conflict !== null) return { ok: false, conflict };

      const next = this.sql(SERVED.nextChangeSeq.sql).get();
      const seq = int(next ?? {}, "n");
      const id = `CHG-${seq}`;
      const plan = typeof input.plan === "function" ? input.plan(id) : input.plan;
      if (plan.changeId !== null && plan.changeId !== id) {
        throw new Error(`the plan was built for ${plan.changeId} but the new change is ${id}`);
      }
      const { record, audit } = newChange({
        id,
        requester: input.requester,
        channel: input.channel,
        plan,
        hosts: input.hosts,
        now: input.now,
        ttlMinutes: input.ttlMinutes,
      });
      this.insertChange(seq, record);
      this.insertAudit(audit);
      if (decides !== undefined) this.inbox.decideWithin(decides, id, DECIDED_OK, input.now);
      return { ok: true, record };
    });
  }

  /** The newest open change on either machine (by hostKey), other than `except`. Call inside a write. */
  private openConflict(hosts: ChangeHosts, except = ""): ChangeRecord | null {
    const keys = [hostKey(hosts.primary), hostKey(hosts.secondary)];
    const row = this.sql(SERVED.openConflict.sql).get(JSON.stringify(OPEN_STATES), ...keys, except);
    return row === undefined ? null : this.toRecord(row);
  }

  async get(id: string): Promise<ChangeRecord | null> {
    return this.read(() => this.load(id));
  }

  async list(query: ListQuery = {}): Promise<ChangeRecord[]> {
    if (query.states !== undefined && query.states.length === 0) return [];
    const limit = Math.max(0, Math.trunc(query.limit ?? DEFAULT_LIST_LIMIT));
    const states = query.states === undefined ? null : JSON.stringify(query.states);
    const rows = (): Row[] => {
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
      if (current === null) return { ok: false, code: "not-found", reason: `there is no change ${id}` };
      const result = transition(current, event, ctx);
      if (!result.ok) return result;
      const next = result.record;
      if (!holdsHostLock(current.state) && holdsHostLock(next.state)) {
        // Re-opening a closed change (rolling back a succeeded one) re-takes its hosts: only if
        // no other change holds them now, checked in this same write transaction.
        const conflict = this.openConflict(current.hosts, id);
        if (conflict !== null) {
          return {
            ok: false,
            code: "host-locked",
            reason: `${conflict.id} (${conflict.state}) is open on ${conflict.hosts.primary}/${conflict.hosts.secondary}: close it before rolling back ${id}`,
          };
        }
      }
      if (next.planHash !== current.planHash) this.keepPlan(next);
      const changed = this.sql(
        `UPDATE changes SET state = ?, channel = ?, message_ts = ?, plan_hash = ?,
           updated_at = ?, expires_at = ?, rejection_json = ?, cancellation_json = ?, failure_json = ?,
           lost_runner_json = ?, version = ?, rollbacks_started = ?
         WHERE id = ? AND version = ?`,
      ).run(
        next.state,
        next.channel,
        next.messageTs,
        next.planHash,
        next.updatedAt,
        next.expiresAt,
        jsonOrNull(next.rejection),
        jsonOrNull(next.cancellation),
        jsonOrNull(next.failure),
        jsonOrNull(next.lostRunner),
        next.version,
        next.rollbacksStarted,
        id,
        current.version,
      );
      if (Number(changed.changes) !== 1) {
        // Unreachable under BEGIN IMMEDIATE; throwing rolls back rather than overwrite a newer row.
        throw new Error(`${id} changed underneath this write (expected version ${current.version})`);
      }
      for (const a of next.approvals.slice(current.approvals.length)) this.insertApproval(id, "change", 0, a);
      for (const a of next.rollbackApprovals.slice(current.rollbackApprovals.length)) {
        this.insertApproval(id, "rollback", a.round, a);
      }
      this.insertAudit(result.audit);
      if (decides !== undefined) this.inbox.decideWithin(decides, null, DECIDED_OK, ctx.now);
      return result;
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
    const row = toChangeRow(raw);
    const approvals: Approval[] = [];
    const rollbackApprovals: RollbackApproval[] = [];
    for (const a of this.sql(SERVED.approvalsOfChange.sql).all(row.id)) {
      const approval = { actor: text(a, "actor"), at: text(a, "at"), hash: text(a, "hash") };
      const kind = text(a, "kind");
      if (kind === "change") approvals.push(approval);
      else if (kind === "rollback") rollbackApprovals.push({ ...approval, round: int(a, "round") });
      else throw new Error(`${row.id} has an approval of unknown kind "${kind}" in the database`);
    }
    const planJson = storedPlan(this.db, row.plan_hash);
    if (planJson === null) {
      throw new Error(
        `${row.id}: its plan ${row.plan_hash} is not in the database; the database was altered`,
      );
    }
    const plan: Plan = JSON.parse(planJson);
    if (plan.hash !== row.plan_hash) {
      throw new Error(
        `${row.id}: the stored plan does not carry the stored plan hash; the database was altered`,
      );
    }
    return {
      id: row.id,
      state: toState(row.state, row.id),
      requester: row.requester,
      channel: row.channel,
      messageTs: row.message_ts,
      hosts: { primary: row.primary_host, secondary: row.secondary_host },
      planHash: row.plan_hash,
      plan,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      expiresAt: row.expires_at,
      approvals,
      rollbackApprovals,
      rollbacksStarted: row.rollbacks_started,
      rejection: parseOrNull(row.rejection_json),
      cancellation: parseOrNull(row.cancellation_json),
      failure: parseOrNull(row.failure_json),
      lostRunner: parseOrNull(row.lost_runner_json),
      version: row.version,
    };
  }

  /** The change's plan into plans (store/plans.ts); a different plan under the same hash is refused. */
  private keepPlan(r: ChangeRecord): void {
    if (!keepPlan(this.db, r.planHash, JSON.stringify(r.plan))) {
      throw new Error(`${r.id}: another plan is already stored under its plan hash ${r.planHash}`);
    }
  }

  private insertChange(seq: number, r: ChangeRecord): void {
    this.keepPlan(r);
    this.sql(
      `INSERT INTO changes (seq, id, state, requester, channel, message_ts, primary_host, secondary_host,
         primary_key, secondary_key, plan_hash, created_at, updated_at, expires_at,
         rejection_json, cancellation_json, failure_json, lost_runner_json, version, rollbacks_started)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      seq,
      r.id,
      r.state,
      r.requester,
      r.channel,
      r.messageTs,
      r.hosts.primary,
      r.hosts.secondary,
      hostKey(r.hosts.primary),
      hostKey(r.hosts.secondary),
      r.planHash,
      r.createdAt,
      r.updatedAt,
      r.expiresAt,
      jsonOrNull(r.rejection),
      jsonOrNull(r.cancellation),
      jsonOrNull(r.failure),
      jsonOrNull(r.lostRunner),
      r.version,
      r.rollbacksStarted,
    );
    for (const a of r.approvals) this.insertApproval(r.id, "change", 0, a);
    for (const a of r.rollbackApprovals) this.insertApproval(r.id, "rollback", a.round, a);
  }

  private insertApproval(changeId: string, kind: "change" | "rollback", round: number, a: Approval): void {
    this.sql("INSERT INTO approvals (change_id, kind, round, actor, at, hash) VALUES (?, ?, ?, ?, ?, ?)").run(
      changeId,
      kind,
      round,
      a.actor,
      a.at,
      a.hash,
    );
  }

  private insertAudit(e: AuditEntry): void {
    this.sql(
      `INSERT INTO audit (change_id, at, actor, event, from_state, to_state, plan_hash, details_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(e.changeId, e.at, e.actor, e.event, e.fromState, e.toState, e.planHash, JSON.stringify(e.details));
  }
}

function parseOrNull<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

function jsonOrNull(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
