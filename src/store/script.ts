// One transaction's reads and writes, written once for both engines (issue 12). A store operation
// is a generator that yields each statement it needs and receives its rows; a driver runs it: on
// SQLite synchronously inside one BEGIN IMMEDIATE (runSqlite: nothing is ever awaited inside a
// SQLite transaction, so no other work on the connection can join it), on PostgreSQL by awaiting
// each statement on one pool client inside BEGIN … COMMIT (postgres/script.ts). The decisions a
// script takes between its statements (a job's lifecycle, a token's refusals) are plain function
// calls, so each rule exists once, whichever engine holds the rows.
//
// What it keeps true: statements use `?` placeholders and SQL both engines read alike (ON CONFLICT,
// RETURNING); a row read to be changed says so (`lock`), which PostgreSQL turns into FOR UPDATE
// (or FOR UPDATE SKIP LOCKED, for work any replica may claim) and SQLite, whose write transaction
// already excludes every other writer, ignores.
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { Row } from "./rows.ts";
import { prepared } from "./statements.ts";
import { readSnapshot, writeTransaction } from "./transaction.ts";

export type SqlValue = string | number | null | Uint8Array;

/** How a row read to be changed is held on PostgreSQL until the commit. */
export type RowLock = "update" | "skip-locked";

export interface Statement {
  op: "all" | "run";
  sql: string;
  params: readonly SqlValue[];
  lock?: RowLock;
}

export interface StatementResult {
  rows: Row[];
  /** Rows changed by a write. */
  changes: number;
}

/** A store operation: yields statements, receives their results, returns its answer. */
export type Script<T> = Generator<Statement, T, StatementResult>;

/** Every row `sql` selects. */
export function* all(sql: string, params: readonly SqlValue[] = [], lock?: RowLock): Script<Row[]> {
  const result = yield lock === undefined ? { op: "all", sql, params } : { op: "all", sql, params, lock };
  return result.rows;
}

/** The first row `sql` selects, or undefined. */
export function* one(sql: string, params: readonly SqlValue[] = [], lock?: RowLock): Script<Row | undefined> {
  return (yield* all(sql, params, lock))[0];
}

/** Runs a write; returns how many rows it changed. */
export function* run(sql: string, params: readonly SqlValue[] = []): Script<number> {
  return (yield { op: "run", sql, params }).changes;
}

/** Feeds `script` the results `execute` gives each statement, synchronously or not. */
export function drive<T>(script: Script<T>, execute: (s: Statement) => StatementResult): T {
  let step = script.next();
  while (step.done !== true) step = script.next(execute(step.value));
  return step.value;
}

/**
 * The engine could not run a statement (the server is down, restarting, or refused the
 * connection): nothing was committed, and the same request may simply be tried again.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

function executeSqlite(db: DatabaseSync, s: Statement): StatementResult {
  const statement = prepared(db, s.sql);
  const params = s.params as SQLInputValue[];
  if (s.op === "all") return { rows: statement.all(...params), changes: 0 };
  return { rows: [], changes: Number(statement.run(...params).changes) };
}

/** Runs `script` on `db` as it stands: inside a caller's transaction, or one statement at a time. */
export function runSqlite<T>(db: DatabaseSync, script: Script<T>): T {
  return drive(script, (s) => executeSqlite(db, s));
}

/** Runs `script` as one SQLite transaction: a write (BEGIN IMMEDIATE) or one read snapshot. */
export function runSqliteTransaction<T>(db: DatabaseSync, mode: "write" | "read", script: Script<T>): T {
  return mode === "write"
    ? writeTransaction(db, () => runSqlite(db, script))
    : readSnapshot(db, () => runSqlite(db, script));
}
