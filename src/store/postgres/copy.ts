// `momlink store copy`'s work: every table of a SQLite store (schema.ts COPIED_TABLES: changes,
// approvals, notices, audit, inbox, runners, tokens, credentials, jobs, step events) into a migrated
// PostgreSQL database, in one transaction, or nothing at all. It refuses a SQLite file at another
// schema level than this build's PostgreSQL schema matches (the columns would not line up) and a
// target that holds any row (naming the tables), keeps every seq (so CHG-n and the audit order stay),
// sets each identity sequence past the highest id SQLite ever gave (sqlite_sequence: pruned inbox
// rows are never reused), and reads the counts back before it commits. The SQLite side is only read,
// inside one read transaction, so the copy is one consistent snapshot.
import type { DatabaseSync } from "node:sqlite";
import { escapeIdentifier, type PoolClient } from "pg";
import { currentVersion } from "../migrations.ts";
import { inPostgresTransaction, type PostgresConnection } from "./connect.ts";
import { lockSchema, migratePostgres } from "./migrate.ts";
import { COPIED_TABLES, POSTGRES_MIGRATIONS, type SqliteLevel } from "./schema.ts";

/** The copy cannot go ahead as asked; the message says why and what to do. Nothing was written. */
export class CopyRefusedError extends Error {}

export interface CopiedTable {
  table: string;
  /** Rows read from SQLite. */
  read: number;
  /** Rows PostgreSQL holds after the copy, counted before the commit. */
  inPostgres: number;
  /** The next id PostgreSQL will give this table's identity column, when it has one. */
  nextId?: number;
}

/** Bound parameters per INSERT: PostgreSQL allows 65535. */
const MAX_PARAMETERS = 30_000;

type SqliteRow = Record<string, unknown>;

function sqliteTables(source: DatabaseSync): Set<string> {
  const rows = source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  return new Set(rows.map((r) => String(r.name)));
}

/** The SQLite file must be at exactly the level the PostgreSQL schema matches; an absent list counts as empty. */
function checkSourceLevel(source: DatabaseSync, tables: Set<string>, from: string): void {
  const wanted: SqliteLevel | undefined = POSTGRES_MIGRATIONS.at(-1)?.sqlite;
  if (wanted === undefined) throw new Error("no PostgreSQL migrations");
  if (!tables.has("schema_migrations")) {
    throw new CopyRefusedError(`${from} is not a momlink database (it has no schema_migrations table)`);
  }
  for (const [list, version] of Object.entries(wanted)) {
    // The runner tables exist once a bot served runners; without them there is nothing of theirs to copy.
    if (list === "dispatch_schema_migrations" && !tables.has(list)) continue;
    const found = currentVersion(source, list);
    if (found === version) continue;
    const what = list === "schema_migrations" ? "change store" : "runner tables";
    throw new CopyRefusedError(
      found < version
        ? `${from} holds the ${what} at schema version ${found}, older than the ${version} this momlink copies: start this momlink's serve on it once (it migrates the file at start), stop it, then copy`
        : `${from} holds the ${what} at schema version ${found}, newer than the ${version} this momlink knows: copy with the momlink that wrote it`,
    );
  }
  const known = new Set<string>([
    ...COPIED_TABLES.map((t) => t.table),
    ...Object.keys(wanted),
    "sqlite_sequence",
  ]);
  const unknown = [...tables].filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new CopyRefusedError(
      `${from} has tables this momlink does not know how to copy: ${unknown.join(", ")}`,
    );
  }
}

async function count(client: PoolClient, table: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${escapeIdentifier(table)}`);
  return rows[0]?.n ?? 0;
}

async function refuseNonEmpty(client: PoolClient, shown: string): Promise<void> {
  const found: string[] = [];
  for (const { table } of COPIED_TABLES) {
    const n = await count(client, table);
    if (n > 0) found.push(`${table} (${n} row${n === 1 ? "" : "s"})`);
  }
  if (found.length > 0) {
    throw new CopyRefusedError(
      `the PostgreSQL database ${shown} is not empty: it holds ${found.join(", ")}. store copy fills a new database only: create an empty one (CREATE DATABASE) and copy into it`,
    );
  }
}

async function insertRows(
  client: PoolClient,
  table: string,
  columns: string[],
  rows: SqliteRow[],
): Promise<void> {
  const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length)));
  const names = columns.map(escapeIdentifier).join(", ");
  for (let start = 0; start < rows.length; start += perInsert) {
    const batch = rows.slice(start, start + perInsert);
    const values: unknown[] = [];
    const tuples = batch.map((row) => {
      const marks = columns.map((column) => {
        values.push(row[column] ?? null);
        return `$${values.length}`;
      });
      return `(${marks.join(", ")})`;
    });
    await client.query(
      `INSERT INTO ${escapeIdentifier(table)} (${names}) VALUES ${tuples.join(", ")}`,
      values,
    );
  }
}

function sqliteColumns(source: DatabaseSync, table: string): string[] {
  return source
    .prepare("SELECT name FROM pragma_table_info(?)")
    .all(table)
    .map((c) => String(c.name));
}

/** Moves the identity sequence past the highest id SQLite handed out; returns the next id, when the table has one. */
async function advanceIdentity(
  client: PoolClient,
  source: DatabaseSync,
  table: string,
  tables: Set<string>,
): Promise<number | undefined> {
  const { rows } = await client.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
    [table],
  );
  const column = rows[0]?.column_name;
  if (column === undefined) return undefined;
  // A PostgreSQL-only identity (schema.ts POSTGRES_ONLY_COLUMNS): the inserts numbered the rows
  // in SQLite's order and moved the sequence along; there is nothing of SQLite's to honour.
  if (!sqliteColumns(source, table).includes(column)) return undefined;
  const given = tables.has("sqlite_sequence")
    ? Number(source.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table)?.seq ?? 0)
    : 0;
  const highest = Number(
    source
      .prepare(`SELECT COALESCE(MAX(${escapeIdentifier(column)}), 0) AS m FROM ${escapeIdentifier(table)}`)
      .get()?.m ?? 0,
  );
  const last = Math.max(given, highest);
  if (last > 0) {
    await client.query("SELECT setval(pg_get_serial_sequence($1, $2), $3, true)", [table, column, last]);
  }
  return last + 1;
}

/**
 * Copies `source` (opened read-only by the caller) into `target`, migrating the target first.
 * Returns what it read and what PostgreSQL held before the commit; throws CopyRefusedError (or
 * the database's own error) having committed nothing.
 */
export async function copySqliteToPostgres(
  source: DatabaseSync,
  target: PostgresConnection,
  options: { from: string },
): Promise<CopiedTable[]> {
  const tables = sqliteTables(source);
  checkSourceLevel(source, tables, options.from);
  await migratePostgres(target);
  // One read snapshot across the awaits below (transaction.ts readSnapshot takes a synchronous fn).
  source.exec("BEGIN");
  try {
    return await inPostgresTransaction(target, async (client) => {
      // The schema's lock: a replica migrating, or a second copy, waits for this one.
      await lockSchema(client);
      await refuseNonEmpty(client, target.shown);
      const copied: CopiedTable[] = [];
      for (const { table, order } of COPIED_TABLES) {
        if (!tables.has(table)) {
          copied.push({ table, read: 0, inPostgres: await count(client, table) });
          continue;
        }
        const columns = sqliteColumns(source, table);
        const rows = source
          .prepare(`SELECT * FROM ${escapeIdentifier(table)} ORDER BY ${order}`)
          .all() as SqliteRow[];
        await insertRows(client, table, columns, rows);
        const nextId = await advanceIdentity(client, source, table, tables);
        const inPostgres = await count(client, table);
        if (inPostgres !== rows.length) {
          throw new Error(
            `${table}: read ${rows.length} rows from SQLite but PostgreSQL holds ${inPostgres}; nothing was committed`,
          );
        }
        copied.push({ table, read: rows.length, inPostgres, ...(nextId === undefined ? {} : { nextId }) });
      }
      return copied;
    });
  } finally {
    source.exec("COMMIT");
  }
}
