// The dispatch store (dispatch/ports/dispatch-store.ts) on PostgreSQL, for several bot replicas on
// one database: the same scripts as SQLite's (dispatch/scripted-store.ts), each run as one
// transaction on a pool client (postgres/script.ts), after the schema is migrated (migrate.ts: once,
// even when replicas start together). Its LISTEN/NOTIFY signals are job-signals.ts. A migration
// that fails (the server is not up yet) is tried again by the next statement, so a replica started
// before its database recovers by itself.

import type { DispatchStore } from "../../dispatch/ports/dispatch-store.ts";
import type { ScriptRunner } from "../../dispatch/scripted-store.ts";
import { scriptedDispatchStore } from "../../dispatch/scripted-store.ts";
import type { Logger } from "../../log.ts";
import { StoreUnavailableError } from "../script.ts";
import { openPostgres, type PostgresConnection } from "./connect.ts";
import { type PostgresJobSignals, postgresJobSignals } from "./job-signals.ts";
import { migratePostgres } from "./migrate.ts";
import { runPostgres } from "./script.ts";

export interface PostgresDispatch {
  run: ScriptRunner;
  signals: PostgresJobSignals;
  /** Resolves once the schema is migrated and the signals listen. */
  ready(): Promise<void>;
  /** Stops the signals, and closes the pool when it was opened here. */
  close(): Promise<void>;
}

/** Runs scripts on `connection` once its schema is up to date; a failed migration is tried again. */
function migratedRunner(connection: PostgresConnection): {
  run: ScriptRunner;
  migrated: () => Promise<void>;
} {
  let migration: Promise<void> | null = null;
  const migrated = () => {
    migration ??= migratePostgres(connection).then(
      () => undefined,
      (error: unknown) => {
        migration = null;
        throw error instanceof Error && /newer momlink/.test(error.message)
          ? error
          : new StoreUnavailableError(connection.explain("migrating the schema", error), { cause: error });
      },
    );
    return migration;
  };
  const run: ScriptRunner = async (mode, script, doing) => {
    await migrated();
    return runPostgres(connection, mode, script, doing);
  };
  return { run, migrated };
}

/** The dispatcher's store on `connection` (no signals), for callers that have their own. */
export function postgresDispatchStore(connection: PostgresConnection): DispatchStore {
  return scriptedDispatchStore(migratedRunner(connection).run, async () => {});
}

/** The store's runner and the LISTEN/NOTIFY signals on a URL (a pool opened here) or an open connection. */
export function openPostgresDispatch(target: string | PostgresConnection, logger: Logger): PostgresDispatch {
  const owned = typeof target === "string";
  const connection =
    typeof target === "string" ? openPostgres(target, { applicationName: "momlink dispatcher" }) : target;
  const { run, migrated } = migratedRunner(connection);
  const signals = postgresJobSignals(connection, logger);
  return {
    run,
    signals,
    ready: async () => {
      await migrated();
      await signals.listening();
    },
    async close() {
      await signals.close();
      if (owned) await connection.close();
    },
  };
}
