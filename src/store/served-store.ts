// The store `momlink serve` and `momlink console` run on, chosen in one place: the SQLite file of
// MOMLINK_DB, held with its serve lock (serve-lock.ts) so no second bot runs on it. While the
// PostgreSQL store is not there yet (docs/postgres.md), MOMLINK_DATABASE_URL is refused rather than
// ignored: serving from the SQLite file while the operator asked for PostgreSQL would split the
// truth in two, silently. The PostgreSQL store plugs in here.
import type { Config } from "../config.ts";
import { StartError } from "../start-error.ts";
import { DB_VARIABLE } from "./db-file.ts";
import { DATABASE_URL_VARIABLE, redactDatabaseUrl } from "./postgres/url.ts";
import { holdServeLock } from "./serve-lock.ts";
import { openSqliteStore } from "./sqlite.ts";
import type { ChangeStore } from "./store.ts";

export interface ServedStore {
  store: ChangeStore;
  /** Closes the store, then lets the next serve take the lock. */
  close(): Promise<void>;
}

export async function openServedStore(
  config: Pick<Config, "db" | "databaseUrl" | "mode">,
): Promise<ServedStore> {
  if (config.databaseUrl !== undefined) {
    throw new StartError(
      `${DATABASE_URL_VARIABLE} is set (${redactDatabaseUrl(config.databaseUrl)}), but momlink serve does not run on ` +
        `PostgreSQL yet: unset it to serve from ${DB_VARIABLE}=${config.db}. momlink store copy fills the PostgreSQL ` +
        "database ahead of the switch (docs/postgres.md).",
    );
  }
  const store = openSqliteStore(config.db);
  try {
    const lock = holdServeLock(config.db, config.mode === "console" ? "momlink console" : "momlink serve");
    return {
      store,
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
