// SQLite serves one bot process: a second `momlink serve` on the same MOMLINK_DB would run its own
// timers and its own long-polls, so a job one enqueues would never wake a runner waiting on the
// other. The serve (and `store copy`, which must not read a file a bot still writes) holds this
// lock for its lifetime: a companion SQLite file, `<MOMLINK_DB>.serve-lock`, kept inside a
// BEGIN EXCLUSIVE transaction. SQLite takes that as an OS file lock, which the kernel drops with
// the process however it ends (kill -9 leaves no stale lock, and there is no pid file to clean).
// The companion keeps the rollback journal (never WAL), where an exclusive lock shuts everyone
// else out; the CLI's `records` and `runners` never touch it, so they keep working beside a bot.
import { resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StartError } from "../start-error.ts";
import { DB_VARIABLE } from "./db-file.ts";
import { DATABASE_URL_VARIABLE } from "./postgres/url.ts";

/** SQLITE_BUSY: another connection holds the lock. */
const SQLITE_BUSY = 5;

/** Another process holds the lock: a start-up problem, printed plainly (exit 2). */
export class ServeLockHeldError extends StartError {}

export interface ServeLock {
  /** The companion file, or null for `:memory:` (nothing to share). */
  path: string | null;
  release(): void;
}

export function serveLockPathFor(dbPath: string): string {
  return `${resolve(dbPath)}.serve-lock`;
}

function isBusy(error: unknown): boolean {
  const err = error as { errcode?: unknown; message?: unknown };
  return err.errcode === SQLITE_BUSY || /database is locked/.test(String(err.message));
}

/**
 * Takes the lock of `dbPath` for this process, or throws ServeLockHeldError naming MOMLINK_DB and
 * what to do (`holder` says who is refused: "momlink serve", "momlink store copy"). Call after the
 * store opened the database (its directory exists then).
 */
export function holdServeLock(dbPath: string, holder: string): ServeLock {
  if (dbPath === ":memory:" || dbPath.startsWith("file:")) return { path: null, release: () => {} };
  const path = serveLockPathFor(dbPath);
  const db = new DatabaseSync(path, { timeout: 0 });
  try {
    db.exec("PRAGMA journal_mode = DELETE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    if (!isBusy(error)) {
      throw new StartError(
        `${DB_VARIABLE}=${dbPath}: cannot take the lock ${path}: ${(error as Error).message}`,
      );
    }
    throw new ServeLockHeldError(
      `${DB_VARIABLE}=${dbPath}: another momlink serve (or store copy) is running on this database (it holds ${path}), ` +
        `so ${holder} does not start: SQLite serves one bot process. Stop the other one first; to run several bot ` +
        `replicas, keep the store in PostgreSQL with ${DATABASE_URL_VARIABLE} instead (docs/postgres.md). ` +
        "momlink records and momlink runners work beside a running bot.",
    );
  }
  return {
    path,
    release: () => {
      if (!db.isOpen) return;
      db.exec("ROLLBACK");
      db.close();
    },
  };
}
