// The one way every store on the bot's SQLite file opens it: the change store (sqlite.ts) and the
// dispatcher's tables (dispatch/store.ts) alike. Opening checks the file (db-file.ts), turns WAL,
// the busy timeout and foreign keys on, and brings each schema up to date; writes then go through
// transaction.ts. Issue 12 puts a PostgreSQL opener beside this one; nothing else in the stores
// knows how a file is opened.
import type { DatabaseSync } from "node:sqlite";
import { databaseSetupError, openDatabaseFile } from "./db-file.ts";
import { migrate, type Schema } from "./migrations.ts";

export interface OpenOptions {
  schemas: readonly Schema[];
  /** Create a missing file (the bot, default) or refuse (the reading commands). */
  create?: boolean;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
}

export interface OpenedDatabase {
  db: DatabaseSync;
  /** True when opened here (the caller closes it with closeDatabase); false for an adopted one. */
  owned: boolean;
}

/**
 * Opens the database at `target` (WAL, busy timeout, foreign keys) and applies each schema's
 * migrations, or adopts an open database and only migrates it. Problems with a path are
 * DatabaseFileErrors naming MOMLINK_DB: a file that cannot be opened, or one written by a newer
 * momlink.
 */
export function openDatabase(target: string | DatabaseSync, options: OpenOptions): OpenedDatabase {
  const migrateAll = (db: DatabaseSync, fallbackLabel: string) => {
    for (const schema of options.schemas) {
      migrate(db, {
        migrations: schema.migrations,
        table: schema.table,
        label: schema.label ?? fallbackLabel,
      });
    }
  };
  if (typeof target !== "string") {
    migrateAll(target, "the database");
    return { db: target, owned: false };
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const db = openDatabaseFile(target, { create: options.create ?? true, busyTimeoutMs });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.exec("PRAGMA foreign_keys = ON");
    migrateAll(db, target === ":memory:" ? "the in-memory database" : target);
  } catch (err) {
    db.close();
    throw databaseSetupError(target, err);
  }
  return { db, owned: true };
}
