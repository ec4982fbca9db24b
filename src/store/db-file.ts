// The bot's SQLite file (MOMLINK_DB): opening it with errors an operator can act on, and noticing
// when it is deleted or replaced under a running bot. SQLite goes on writing to a file that was
// unlinked, so without a check every approval after an `rm` lands in a file nobody will ever open
// again. Both stores on the file (store/sqlite.ts, dispatch/store.ts) open it here, through
// database.ts, and transaction.ts calls assertSameFile() before each write transaction: the file at
// the path must still be the one that was opened (same device and inode), or the write is refused
// and every listener is told, once.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StartError } from "../start-error.ts";

/** The variable that names the file, for every message: the operator sets it. */
export const DB_VARIABLE = "MOMLINK_DB";

/** The database cannot be opened: a start-up problem, printed plainly (exit 2). */
export class DatabaseFileError extends StartError {}

/** The file was deleted or replaced after it was opened: nothing more may be written to it. */
export class DatabaseGoneError extends Error {
  readonly path: string;
  constructor(path: string, how: "deleted" | "replaced by another file") {
    super(
      `${DB_VARIABLE} ${path} was ${how} while momlink was running: momlink stops rather than record ` +
        "what it would lose (whatever the file at that path holds is what momlink reads when it starts again)",
    );
    this.name = "DatabaseGoneError";
    this.path = path;
  }
}

interface Watched {
  path: string;
  absolute: string;
  dev: bigint;
  ino: bigint;
  told: boolean;
}

const watched = new WeakMap<DatabaseSync, Watched>();
const listeners = new Set<(error: DatabaseGoneError) => void>();

/** Calls `listener` the first time each open database is found gone. Returns the unsubscribe. */
export function onDatabaseGone(listener: (error: DatabaseGoneError) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const isFile = (path: string) => path !== ":memory:" && !path.startsWith("file:");

function reasonOf(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  const message = String(err.message ?? err);
  return err.code === undefined || message.startsWith(err.code) ? message : `${err.code}: ${message}`;
}

/**
 * `mkdir -p`, one level at a time from the first existing ancestor. Not mkdirSync's `recursive`:
 * on a file system that answers ENOENT under an existing parent (/proc) it retries forever.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

export interface OpenDatabaseOptions {
  /** Create the file (and its directory) when missing; otherwise a missing file is an error. */
  create: boolean;
  busyTimeoutMs: number;
}

/**
 * Opens `path` for a store, or throws a DatabaseFileError naming MOMLINK_DB, the path and the
 * reason (a missing file when `create` is false, a directory that cannot be made, a file SQLite
 * cannot open). `:memory:` and `file:` URIs are opened as given and never watched.
 */
export function openDatabaseFile(path: string, options: OpenDatabaseOptions): DatabaseSync {
  const sqliteOptions = { timeout: options.busyTimeoutMs, enableForeignKeyConstraints: true };
  if (!isFile(path)) return new DatabaseSync(path, sqliteOptions);
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    if (!options.create) {
      throw new DatabaseFileError(
        `${DB_VARIABLE}=${path}: there is no database at ${absolute}; check ${DB_VARIABLE} (the bot creates ` +
          "its database when it first starts, and this command only reads an existing one)",
      );
    }
    try {
      makeDirectories(dirname(absolute));
    } catch (error) {
      throw new DatabaseFileError(
        `${DB_VARIABLE}=${path}: cannot create the directory ${dirname(absolute)}: ${reasonOf(error)}`,
      );
    }
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(absolute, sqliteOptions);
  } catch (error) {
    throw new DatabaseFileError(
      `${DB_VARIABLE}=${path}: SQLite cannot open ${absolute} (${reasonOf(error)}); point ${DB_VARIABLE} at a ` +
        "file in a directory this user can write",
    );
  }
  try {
    const stat = statSync(absolute, { bigint: true });
    watched.set(db, { path, absolute, dev: stat.dev, ino: stat.ino, told: false });
  } catch (error) {
    db.close();
    throw new DatabaseFileError(`${DB_VARIABLE}=${path}: cannot read ${absolute}: ${reasonOf(error)}`);
  }
  return db;
}

/** A problem while preparing an opened database (WAL, migrations), as a start-up error naming the file. */
export function databaseSetupError(path: string, error: unknown): DatabaseFileError {
  return new DatabaseFileError(`${DB_VARIABLE}=${path}: ${(error as Error).message ?? String(error)}`);
}

/**
 * Closes `db`. When its file was deleted or replaced, first folds its WAL into the file it has
 * open and empties the `-wal` at the path: SQLite skips that on close for a moved file, and a
 * stale WAL beside a replacement file would be replayed into it.
 */
export function closeDatabase(db: DatabaseSync): void {
  if (!db.isOpen) return;
  const file = watched.get(db);
  if (file !== undefined && !isSameFile(file)) {
    try {
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // Closing matters more than the checkpoint.
    }
  }
  db.close();
}

function isSameFile(file: Watched): boolean {
  try {
    const now = statSync(file.absolute, { bigint: true });
    return now.dev === file.dev && now.ino === file.ino;
  } catch {
    return false;
  }
}

/**
 * Throws DatabaseGoneError when the file `db` was opened from is no longer at its path (deleted,
 * or another file moved there). Call before every write transaction; costs one stat.
 */
export function assertSameFile(db: DatabaseSync): void {
  const file = watched.get(db);
  if (file === undefined || isSameFile(file)) return;
  const error = new DatabaseGoneError(
    file.path,
    existsSync(file.absolute) ? "replaced by another file" : "deleted",
  );
  if (!file.told) {
    file.told = true;
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // A listener's failure must not hide the refusal itself.
      }
    }
  }
  throw error;
}
