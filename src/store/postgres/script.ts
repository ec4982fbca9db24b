// Runs a store script (store/script.ts) on PostgreSQL: each statement awaited on one pool client,
// a write inside BEGIN … COMMIT (a throw rolls it back), a read without a transaction. The `?`
// placeholders become $1, $2, … and a locking read gains FOR UPDATE (SKIP LOCKED): two replicas
// changing one row queue behind each other, and two claiming work each take rows the other has not.
// A lost or refused connection is a StoreUnavailableError naming what was being done, never the
// password: the caller answers "try again", nothing was committed.
import type { PoolClient } from "pg";
import type { RowLock, Script, Statement, StatementResult } from "../script.ts";
import { connectClient, inPostgresTransaction, type PostgresConnection } from "./connect.ts";
import { asUnavailable } from "./unavailable.ts";

const LOCK_CLAUSE: Record<RowLock, string> = {
  update: " FOR UPDATE",
  "skip-locked": " FOR UPDATE SKIP LOCKED",
};

/** `sql` with its `?` placeholders numbered for PostgreSQL, and its lock clause. */
export function postgresSql(sql: string, lock?: RowLock): string {
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${++n}`);
  return lock === undefined ? numbered : numbered + LOCK_CLAUSE[lock];
}

const texts = new Map<string, string>();

async function execute(client: PoolClient, s: Statement): Promise<StatementResult> {
  const key = `${s.lock ?? ""}|${s.sql}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = postgresSql(s.sql, s.lock);
    texts.set(key, text);
  }
  const result = await client.query(text, [...s.params]);
  return { rows: result.rows, changes: result.rowCount ?? 0 };
}

/**
 * Runs `script` on `client` inside the caller's own transaction (the change store's, which takes
 * its locks itself): each statement awaited in turn; errors pass unchanged to the caller.
 */
export async function runOnClient<T>(client: PoolClient, script: Script<T>): Promise<T> {
  let step = script.next();
  while (step.done !== true) step = script.next(await execute(client, step.value));
  return step.value;
}

/**
 * The error a caller sees when a statement failed under `doing`: StoreUnavailableError ("try
 * again") only for a lost or refused connection (unavailable.ts, the change store's same rule); a
 * statement the server refused (a constraint, a bug) stays what it is, since trying again would
 * fail the same way.
 */
function unavailable(connection: PostgresConnection, doing: string, error: unknown): unknown {
  return asUnavailable(connection, doing, error);
}

/**
 * Runs `script` as one transaction (`write`) or as plain reads on one client (`read`). Errors the
 * script throws itself (a refusal, a decoding error) pass unchanged; the server's and the
 * connection's (connect, a statement, COMMIT) become StoreUnavailableError when the connection failed.
 */
export async function runPostgres<T>(
  connection: PostgresConnection,
  mode: "write" | "read",
  script: Script<T>,
  doing: string,
): Promise<T> {
  let scriptError: unknown;
  const drive = async (client: PoolClient): Promise<T> => {
    let step = next(script, undefined);
    while (step.done !== true) {
      let result: StatementResult;
      try {
        result = await execute(client, step.value);
      } catch (error) {
        throw unavailable(connection, doing, error);
      }
      step = next(script, result);
    }
    return step.value;
  };
  const next = (s: Script<T>, result: StatementResult | undefined) => {
    try {
      return result === undefined ? s.next() : s.next(result);
    } catch (error) {
      scriptError = error;
      throw error;
    }
  };
  try {
    if (mode === "write") return await inPostgresTransaction(connection, drive);
    const client = await connectClient(connection);
    try {
      return await drive(client);
    } finally {
      client.release();
    }
  } catch (error) {
    if (error === scriptError && scriptError !== undefined) throw error;
    throw unavailable(connection, doing, error);
  }
}
