// The one transaction helper of every store on the bot's SQLite file (the change store, its inbox,
// the dispatcher's queue and registry, the migrations). A write is one BEGIN IMMEDIATE transaction
// into the file that was opened (db-file.ts checks its identity first, so nothing lands in a
// deleted file); a write inside a transaction already open joins it, so a caller can make several
// writes one commit (enqueue and hand-over are one fsync). node:sqlite has no helper of its own.
import type { DatabaseSync } from "node:sqlite";
import { assertSameFile } from "./db-file.ts";

/**
 * Runs `fn` in one write transaction, holding SQLite's write lock from its first read (BEGIN
 * IMMEDIATE), so that what it reads is what it updates. Inside a transaction already open, it
 * joins it: the outer one commits or rolls back both. Refuses (DatabaseGoneError) when the file
 * was deleted or replaced since it was opened, before anything is written.
 */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  assertSameFile(db);
  db.exec("BEGIN IMMEDIATE");
  try {
    const value = fn();
    db.exec("COMMIT");
    return value;
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/** Runs `fn` on one read snapshot (a record and its approvals as of one commit); joins an open transaction. */
export function readSnapshot<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec("BEGIN");
  try {
    return fn();
  } finally {
    if (db.isTransaction) db.exec("COMMIT");
  }
}
