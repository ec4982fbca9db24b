// The one transaction helper of every store on the bot's SQLite file (the change store, its inbox,
// the dispatcher's queue and registry, the migrations). A write is one BEGIN IMMEDIATE transaction
// into the file that was opened (db-file.ts checks its identity first, so nothing lands in a
// deleted file); a write inside a transaction already open joins it, so a caller can make several
// writes one commit (enqueue and hand-over are one fsync). node:sqlite has no helper of its own.
// Each write's time (its whole transaction and its COMMIT, the fsync) is published on a diagnostics
// channel, SQLITE_WRITE_CHANNEL, for a bench or an operator's probe to subscribe to; with nobody
// subscribed, nothing is timed.
import { channel } from "node:diagnostics_channel";
import type { DatabaseSync } from "node:sqlite";
import { assertSameFile } from "./db-file.ts";

/** The diagnostics channel each committed write transaction's timing is published on. */
export const SQLITE_WRITE_CHANNEL = "momlink:sqlite:write";

/** What SQLITE_WRITE_CHANNEL carries: ms from BEGIN IMMEDIATE to the end of COMMIT, and of COMMIT alone. */
export interface SqliteWriteTiming {
  totalMs: number;
  commitMs: number;
}

const writes = channel(SQLITE_WRITE_CHANNEL);

/**
 * Runs `fn` in one write transaction, holding SQLite's write lock from its first read (BEGIN
 * IMMEDIATE), so that what it reads is what it updates. Inside a transaction already open, it
 * joins it: the outer one commits or rolls back both. Refuses (DatabaseGoneError) when the file
 * was deleted or replaced since it was opened, before anything is written.
 */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  assertSameFile(db);
  const timed = writes.hasSubscribers;
  const began = timed ? performance.now() : 0;
  db.exec("BEGIN IMMEDIATE");
  try {
    const value = fn();
    const committing = timed ? performance.now() : 0;
    db.exec("COMMIT");
    if (timed) {
      const end = performance.now();
      writes.publish({ totalMs: end - began, commitMs: end - committing } satisfies SqliteWriteTiming);
    }
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
