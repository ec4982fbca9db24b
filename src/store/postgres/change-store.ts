// ChangeStore on PostgreSQL: what several `momlink serve` replicas share (issue 12). The decisions
// (which rows a create or a transition writes, how a row reads back) are store/change-writes.ts
// and store/change-rows.ts, the same as SQLite's; this file is the SQL and the locking that make
// them safe when two processes act at the same instant (docs/postgres.md, "Locks"):
//   - createChange takes pg_advisory_xact_lock on each machine's key, in key order (so two
//     creators cannot deadlock), then checks for an open change and inserts: two replicas planning
//     for one host at once give one change and one conflict. CHG-n is nextval of changes.seq's
//     identity, taken in the creating transaction: unique across replicas, after `store copy`'s
//     setval; a creation rolled back after it leaves a gap (a sequence is not transactional).
//   - apply locks the change row (SELECT ... FOR UPDATE), then reads the record in a new
//     statement (READ COMMITTED: a new snapshot, with what the writer it waited for committed),
//     runs the domain transition and writes row, approvals, audit and inbox decision in one
//     transaction; the UPDATE still compares the version it read.
//   - a lost connection rejects with StoreUnavailableError (unavailable.ts), never crashes the
//     process: the pool's idle-client errors are logged, and the next call reconnects.
import type { PoolClient } from "pg";
import { hostKey } from "../../domain/host.ts";
import type { ChangeEvent, ChangeHosts, ChangeRecord, TransitionContext } from "../../domain/record.ts";
import { createLogger, type Logger } from "../../log.ts";
import { toAuditEntry, toChangeRecord } from "../change-rows.ts";
import {
  type ChangeWrites,
  DECIDED_OK,
  EXPIRABLE_STATES,
  hostKeys,
  hostsTakenDenial,
  listLimit,
  newChangeWrites,
  newInboxOwner,
  notFound,
  OPEN_STATES,
  type PlanToKeep,
  planHashTaken,
  transitionWrites,
} from "../change-writes.ts";
import { inflatePlan, keepPlanScript } from "../plans.ts";
import { int, type Row } from "../rows.ts";
import type {
  ApplyResult,
  ChangeStore,
  CreateChangeInput,
  CreateChangeResult,
  ListQuery,
  StoredAuditEntry,
} from "../store.ts";
import { PG } from "./change-queries.ts";
import { inPostgresTransaction, openPostgres, type PostgresConnection } from "./connect.ts";
import { PostgresRequestInbox } from "./inbox.ts";
import { migratePostgres } from "./migrate.ts";
import { PostgresMessageRenders } from "./renders.ts";
import { runOnClient } from "./script.ts";
import { asUnavailable } from "./unavailable.ts";

export interface PostgresStoreOptions {
  /** Where a lost idle connection is reported (it is not an error of any call). Default: silent. */
  logger?: Logger;
  /** Audit entries read per page by exportAudit. Default 500. */
  auditPageSize?: number;
  /** Connections in the pool, when opened from a URL. Default 10. */
  maxConnections?: number;
  /** How long an update may hold its message's lock (postgres/renders.ts). Default 60 s. */
  renderHoldMs?: number;
  /** Messages one replica may hold locked at once, a pool connection each. Default 3. */
  renderLockSlots?: number;
  /** How long a received request stays this replica's without a renewal (RequestInbox.renewLeases). */
  inboxLeaseMs?: number;
}

/**
 * Opens the store on `target` (a MOMLINK_DATABASE_URL, or a connection from openPostgres that the
 * caller keeps and closes, e.g. shared with the dispatcher's store) and migrates the database
 * (migrate.ts: once, however many replicas start together).
 */
export async function openPostgresStore(
  target: string | PostgresConnection,
  options: PostgresStoreOptions = {},
): Promise<ChangeStore> {
  const owned = typeof target === "string";
  const connection =
    typeof target === "string" ? openPostgres(target, { max: options.maxConnections ?? 10 }) : target;
  try {
    await migratePostgres(connection);
  } catch (error) {
    if (owned) await connection.close();
    throw error;
  }
  return new PostgresChangeStore(connection, owned, options);
}

class PostgresChangeStore implements ChangeStore {
  readonly inbox: PostgresRequestInbox;
  readonly renders: PostgresMessageRenders;
  readonly #connection: PostgresConnection;
  readonly #owned: boolean;
  readonly #pageSize: number;
  readonly #onPoolError: (error: Error) => void;

  constructor(connection: PostgresConnection, owned: boolean, options: PostgresStoreOptions) {
    this.#connection = connection;
    this.#owned = owned;
    this.#pageSize = Math.max(1, Math.trunc(options.auditPageSize ?? 500));
    const logger = options.logger ?? createLogger({ level: "silent" });
    // An idle connection whose server went away: pg drops it from the pool and the next call
    // opens a new one. Without a listener the process would die of an unhandled 'error'.
    this.#onPoolError = (error) =>
      logger.warn(
        { error: connection.explain("an idle connection was lost", error) },
        "PostgreSQL connection lost; the next call reconnects",
      );
    connection.pool.on("error", this.#onPoolError);
    this.inbox = new PostgresRequestInbox(
      {
        execute: (doing, sql, values) => this.#execute(doing, sql, values),
        read: (doing, sql, values) => this.#read(doing, sql, values),
      },
      newInboxOwner(options.inboxLeaseMs),
    );
    this.renders = new PostgresMessageRenders(connection, {
      logger,
      ...(options.renderHoldMs === undefined ? {} : { holdMs: options.renderHoldMs }),
      ...(options.renderLockSlots === undefined ? {} : { lockSlots: options.renderLockSlots }),
    });
  }

  createChange(input: CreateChangeInput, decides?: string): Promise<CreateChangeResult> {
    return this.#write("creating a change", async (client): Promise<CreateChangeResult> => {
      await lockHosts(client, input.hosts);
      const conflict = await openConflict(client, input.hosts);
      if (conflict !== null) return { ok: false, conflict };
      const next = await client.query<Row>(PG.nextChangeSeq);
      const writes = newChangeWrites(input, int(next.rows[0] ?? {}, "n"), decides);
      if (writes.plan !== null) await keepPlan(client, writes.plan);
      await client.query(PG.insertChange, writes.change);
      await this.#writeRest(client, writes);
      return { ok: true, record: writes.record };
    });
  }

  async get(id: string): Promise<ChangeRecord | null> {
    const [row] = await this.#read(`reading ${id}`, PG.changeById, [id]);
    return row === undefined ? null : toRecord(row);
  }

  async list(query: ListQuery = {}): Promise<ChangeRecord[]> {
    if (query.states !== undefined && query.states.length === 0) return [];
    const limit = listLimit(query);
    const states = query.states === undefined ? null : [...query.states];
    const key = query.host === undefined ? null : hostKey(query.host);
    const [sql, values]: [string, unknown[]] =
      query.requester !== undefined
        ? [PG.requesterChanges, [query.requester, limit]]
        : key === null
          ? states === null
            ? [PG.latestChanges, [limit]]
            : [PG.latestChangesInStates, [limit, states]]
          : states === null
            ? [PG.hostChanges, [key, limit]]
            : [PG.hostChangesInStates, [key, limit, states]];
    return (await this.#read("listing changes", sql, values)).map(toRecord);
  }

  apply(id: string, event: ChangeEvent, ctx: TransitionContext, decides?: string): Promise<ApplyResult> {
    return this.#write(`applying ${event.type} to ${id}`, async (client): Promise<ApplyResult> => {
      const locked = await client.query(PG.lockChange, [id]);
      if (locked.rowCount === 0) return notFound(id);
      const current = await loadRecord(client, id);
      if (current === null) return notFound(id);
      const writes = transitionWrites(current, event, ctx, decides);
      if (!writes.ok) return writes.denial;
      if (writes.retakesHosts) {
        // Re-opening a closed change (rolling back a succeeded one) takes its hosts again: under
        // the same locks a creation takes, so a plan for one of them cannot slip in between.
        await lockHosts(client, current.hosts);
        const holder = await openConflict(client, current.hosts, id);
        if (holder !== null) return hostsTakenDenial(id, holder);
      }
      if (writes.plan !== null) await keepPlan(client, writes.plan);
      const changed = await client.query(PG.updateChange, writes.update);
      if (changed.rowCount !== 1) {
        // Unreachable under the row lock; throwing rolls back rather than overwrite a newer row.
        throw new Error(`${id} changed underneath this write (expected version ${current.version})`);
      }
      await this.#writeRest(client, writes);
      return writes.result;
    });
  }

  setMessage(id: string, channel: string, ts: string): Promise<ChangeRecord | null> {
    return this.#write(`recording the message of ${id}`, async (client) => {
      await client.query(PG.setMessage, [channel, ts, id]);
      return loadRecord(client, id);
    });
  }

  async dueForExpiry(now: Date): Promise<ChangeRecord[]> {
    const rows = await this.#read("finding expired plans", PG.dueForExpiry, [
      [...EXPIRABLE_STATES],
      now.toISOString(),
    ]);
    return rows.map(toRecord);
  }

  claimNotice(changeId: string, notice: string, at: Date): Promise<boolean> {
    return this.#guard(`claiming the ${notice} notice of ${changeId}`, async () => {
      const inserted = await this.#connection.pool.query(PG.claimNotice, [
        changeId,
        notice,
        at.toISOString(),
      ]);
      return inserted.rowCount === 1;
    });
  }

  async audit(id: string): Promise<StoredAuditEntry[]> {
    return (await this.#read(`reading the audit of ${id}`, PG.auditOfChange, [id])).map(toAuditEntry);
  }

  async *exportAudit(): AsyncGenerator<StoredAuditEntry> {
    let after = 0;
    for (;;) {
      const rows = await this.#read("exporting the audit log", PG.auditPage, [after, this.#pageSize]);
      for (const row of rows) {
        const entry = toAuditEntry(row);
        after = entry.seq;
        yield entry;
      }
      if (rows.length < this.#pageSize) return;
    }
  }

  async close(): Promise<void> {
    this.#connection.pool.off("error", this.#onPoolError);
    if (this.#owned) await this.#connection.close();
  }

  // --- internals

  /** The approvals, audit entry and inbox decision of a write, after its change row. */
  async #writeRest(client: PoolClient, writes: ChangeWrites): Promise<void> {
    for (const approval of writes.approvals) await client.query(PG.insertApproval, approval);
    await client.query(PG.insertAudit, writes.audit);
    if (writes.decides !== null) {
      const { key, changeId, at } = writes.decides;
      await this.inbox.decideWithin(client, key, changeId, DECIDED_OK, at);
    }
  }

  #write<T>(doing: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#guard(doing, () => inPostgresTransaction(this.#connection, fn));
  }

  /** One statement on its own: atomic by itself, one round trip; returns how many rows it wrote. */
  #execute(doing: string, sql: string, values: readonly unknown[]): Promise<number> {
    return this.#guard(
      doing,
      async () => (await this.#connection.pool.query(sql, [...values])).rowCount ?? 0,
    );
  }

  #read(doing: string, sql: string, values: readonly unknown[]): Promise<Row[]> {
    return this.#guard(doing, async () => (await this.#connection.pool.query<Row>(sql, [...values])).rows);
  }

  async #guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw asUnavailable(this.#connection, doing, error);
    }
  }
}

/** Both machines' creation locks, in key order: two transactions locking both never deadlock. */
async function lockHosts(client: PoolClient, hosts: ChangeHosts): Promise<void> {
  for (const key of [...new Set(hostKeys(hosts))].sort()) await client.query(PG.lockHost, [key]);
}

/** The newest open change on either machine (by hostKey), other than `except`. */
async function openConflict(
  client: PoolClient,
  hosts: ChangeHosts,
  except = "",
): Promise<ChangeRecord | null> {
  const { rows } = await client.query<Row>(PG.openConflict, [hostKeys(hosts), [...OPEN_STATES], except]);
  const [row] = rows;
  return row === undefined ? null : toRecord(row);
}

async function loadRecord(client: PoolClient, id: string): Promise<ChangeRecord | null> {
  const [row] = (await client.query<Row>(PG.changeById, [id])).rows;
  return row === undefined ? null : toRecord(row);
}

/** The plan into plans unless it is there (store/plans.ts, as the dispatcher keeps a job's); another plan under its hash is refused. */
async function keepPlan(client: PoolClient, plan: PlanToKeep): Promise<void> {
  if (!(await runOnClient(client, keepPlanScript(plan.hash, plan.json)))) throw planHashTaken(plan);
}

function toRecord(row: Row): ChangeRecord {
  return toChangeRecord(row, approvalRows(row), inflatePlan(row.plan_deflated));
}

/** The approvals a record read carries as JSON (change-queries.ts RECORD), checked row by row. */
function approvalRows(row: Row): Row[] {
  const list: unknown = row.approvals_list;
  if (!Array.isArray(list)) throw new Error("database column approvals_list does not hold a JSON array");
  return list.map((approval: unknown): Row => {
    if (typeof approval !== "object" || approval === null || Array.isArray(approval)) {
      throw new Error("database column approvals_list holds an approval that is not an object");
    }
    return approval as Row;
  });
}
