// The store `momlink serve` and `momlink console` run on, chosen in one place, with where the
// runner dispatcher keeps its tables (always the same database as the changes: one truth).
// - MOMLINK_DATABASE_URL set: PostgreSQL, for one or several replicas. The change store and the
//   dispatcher share one connection pool; the schema is migrated once however many replicas start
//   together (postgres/migrate.ts), and nothing here holds a lock: replicas are meant to run at once.
// - Otherwise the SQLite file of MOMLINK_DB, held with its serve lock (serve-lock.ts) so no second
//   bot runs on it: a job queued by one process could not wake a runner waiting on another.
// pg is loaded only when PostgreSQL is asked for, so the embedded default starts as fast as before.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { PostgresConnection } from "./postgres/connect.ts";
import { holdServeLock } from "./serve-lock.ts";
import { openSqliteStore } from "./sqlite.ts";
import type { ChangeStore } from "./store.ts";

export interface ServedStore {
  store: ChangeStore;
  /** What the dispatcher opens its tables on (dispatch/dispatcher.ts DispatcherOptions.db). */
  dispatcherDb: string | { postgres: PostgresConnection };
  /** Which engine serves, for the start-up log line (a URL without its password). */
  shown: string;
  /** Closes the store (and the pool, after the dispatcher closed), then lets the next serve take the lock. */
  close(): Promise<void>;
}

export async function openServedStore(
  config: Pick<Config, "db" | "databaseUrl" | "mode"> & Partial<Pick<Config, "sweepSeconds">>,
  logger?: Logger,
): Promise<ServedStore> {
  // A request's receiver renews its lease on every sweep: three sweeps missed, and it is taken over.
  const inboxLeaseMs = config.sweepSeconds === undefined ? undefined : 3 * config.sweepSeconds * 1000;
  if (config.databaseUrl !== undefined) return openPostgresServed(config.databaseUrl, logger, inboxLeaseMs);
  const store = openSqliteStore(config.db, inboxLeaseMs === undefined ? {} : { inboxLeaseMs });
  try {
    const lock = holdServeLock(config.db, config.mode === "console" ? "momlink console" : "momlink serve");
    return {
      store,
      dispatcherDb: config.db,
      shown: config.db,
      close: async () => {
        await store.close();
        lock.release();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function openPostgresServed(
  url: string,
  logger: Logger | undefined,
  inboxLeaseMs: number | undefined,
): Promise<ServedStore> {
  const [{ openPostgres }, { openPostgresStore }] = await Promise.all([
    import("./postgres/connect.ts"),
    import("./postgres/change-store.ts"),
  ]);
  const connection = openPostgres(url, { applicationName: "momlink serve" });
  try {
    const store = await openPostgresStore(connection, {
      ...(logger === undefined ? {} : { logger }),
      ...(inboxLeaseMs === undefined ? {} : { inboxLeaseMs }),
    });
    return {
      store,
      dispatcherDb: { postgres: connection },
      shown: connection.shown,
      close: async () => {
        await store.close();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
