// Prepared statements, one per SQL text and connection, kept for the connection's life: preparing
// costs more than running the short statements the stores issue on every step event and click.
// What it keeps true: a cached statement is only run to completion (run, get, all), never left
// half-iterated, so a nested call reusing it cannot reset a caller's iteration; iterate() callers
// prepare their own (as exportAudit does).
import type { DatabaseSync, StatementSync } from "node:sqlite";

const caches = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** The statement for `sql` on `db`, prepared once. */
export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
