// The PostgreSQL schema is the SQLite schema on another engine, and it is applied once however many
// replicas start together. Both engines are migrated for real (SQLite in memory, PostgreSQL on a
// throwaway cluster, each test its own database) and their catalogues compared: a SQLite migration
// without its PostgreSQL counterpart fails here, naming the table, column, index or trigger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISPATCH_SCHEMA } from "../../../src/dispatch/store.ts";
import { openDatabase } from "../../../src/store/database.ts";
import { CHANGE_SCHEMA } from "../../../src/store/migrations.ts";
import { openPostgres, type PostgresConnection } from "../../../src/store/postgres/connect.ts";
import { migratePostgres } from "../../../src/store/postgres/migrate.ts";
import {
  COPIED_TABLES,
  POSTGRES_BOOKKEEPING,
  POSTGRES_MIGRATIONS,
  POSTGRES_ONLY_COLUMNS,
  type PostgresMigration,
} from "../../../src/store/postgres/schema.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../../support/postgres.ts";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the PostgreSQL schema tests: ${POSTGRES_INSTALL_HINT}`);

/** One engine's schema as both can describe it: names, column kinds, keys, indexes, triggers. */
interface Schema {
  tables: string[];
  columns: Record<string, string[]>;
  primaryKeys: Record<string, string[]>;
  unique: string[];
  foreignKeys: string[];
  indexes: string[];
  triggers: string[];
}

/** What the bot opens on its SQLite file, through the one opener. */
const SQLITE_SCHEMAS = [CHANGE_SCHEMA, DISPATCH_SCHEMA];
const SQLITE_BOOKKEEPING = SQLITE_SCHEMAS.map((schema) => schema.table);
/** TRUNCATE skips row triggers on PostgreSQL; SQLite has no TRUNCATE. */
const POSTGRES_ONLY_TRIGGERS = ["audit.audit_no_truncate"];

function sqliteKind(type: string): string {
  if (type === "INTEGER") return "integer";
  if (type === "TEXT") return "text";
  if (type === "BLOB") return "bytes";
  throw new Error(`a SQLite column of type ${type}: map it in this test and in store/postgres/schema.ts`);
}

function sqliteSchema(): Schema {
  const { db } = openDatabase(":memory:", { schemas: SQLITE_SCHEMAS });
  const all = (sql: string, ...params: string[]) =>
    db.prepare(sql).all(...params) as Record<string, unknown>[];
  const tables = all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .map((r) => String(r.name))
    .filter((t) => !SQLITE_BOOKKEEPING.includes(t))
    .sort();
  const schema: Schema = {
    tables,
    columns: {},
    primaryKeys: {},
    unique: [],
    foreignKeys: [],
    indexes: [],
    triggers: [],
  };
  for (const table of tables) {
    const info = all(`SELECT * FROM pragma_table_info(?)`, table);
    schema.columns[table] = info.map((c) => {
      const notNull = Number(c.notnull) === 1 || Number(c.pk) > 0;
      return `${c.name} ${sqliteKind(String(c.type))}${notNull ? " not null" : ""}`;
    });
    schema.primaryKeys[table] = info
      .filter((c) => Number(c.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk))
      .map((c) => String(c.name));
    for (const index of all("SELECT * FROM pragma_index_list(?)", table)) {
      const columns = all("SELECT name FROM pragma_index_info(?) ORDER BY seqno", String(index.name)).map(
        (c) => String(c.name),
      );
      if (index.origin === "u") schema.unique.push(`${table}(${columns.join(",")})`);
      if (index.origin === "c") {
        const partial = Number(index.partial) === 1 ? " partial" : "";
        schema.indexes.push(`${index.name} on ${table}(${columns.join(",")})${partial}`);
      }
    }
    for (const fk of all("SELECT * FROM pragma_foreign_key_list(?)", table)) {
      schema.foreignKeys.push(`${table}.${fk.from} -> ${fk.table}.${fk.to}`);
    }
  }
  schema.triggers = all("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'").map(
    (r) => `${r.tbl_name}.${r.name}`,
  );
  db.close();
  return sorted(schema);
}

function postgresKind(type: string): string {
  if (type === "bigint" || type === "integer") return "integer";
  if (type === "text") return "text";
  if (type === "bytea") return "bytes";
  throw new Error(`a PostgreSQL column of type ${type}: SQLite has no counterpart in this test`);
}

async function postgresSchema(connection: PostgresConnection): Promise<Schema> {
  const all = async (sql: string, params: unknown[] = []) =>
    (await connection.pool.query<Record<string, unknown>>(sql, params)).rows;
  const tables = (
    await all(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
  )
    .map((r) => String(r.table_name))
    .filter((t) => t !== POSTGRES_BOOKKEEPING)
    .sort();
  const schema: Schema = {
    tables,
    columns: {},
    primaryKeys: {},
    unique: [],
    foreignKeys: [],
    indexes: [],
    triggers: [],
  };
  for (const table of tables) {
    const columns = await all(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    schema.columns[table] = columns
      .filter((c) => !POSTGRES_ONLY_COLUMNS.some((only) => only === `${table}.${c.column_name}`))
      .map(
        (c) =>
          `${c.column_name} ${postgresKind(String(c.data_type))}${c.is_nullable === "NO" ? " not null" : ""}`,
      );
  }
  const keyColumns = `(SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(att, n)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att)`;
  for (const c of await all(
    `SELECT c.conrelid::regclass::text AS tbl, c.contype, ${keyColumns} AS cols,
            c.confrelid::regclass::text AS ref, (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1]) AS refcol
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')`,
  )) {
    const table = String(c.tbl);
    if (table === POSTGRES_BOOKKEEPING) continue;
    if (c.contype === "p") schema.primaryKeys[table] = String(c.cols).split(",");
    if (c.contype === "u") schema.unique.push(`${table}(${c.cols})`);
    if (c.contype === "f") schema.foreignKeys.push(`${table}.${c.cols} -> ${c.ref}.${c.refcol}`);
  }
  for (const i of await all(
    `SELECT ic.relname AS name, t.relname AS tbl, x.indpred IS NOT NULL AS partial,
            (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(att, n)
               JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att) AS cols
       FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
  )) {
    schema.indexes.push(`${i.name} on ${i.tbl}(${i.cols})${i.partial ? " partial" : ""}`);
  }
  schema.triggers = (
    await all(
      `SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
    )
  )
    .map((r) => `${r.relname}.${r.tgname}`)
    .filter((t) => !POSTGRES_ONLY_TRIGGERS.includes(t));
  return sorted(schema);
}

function sorted(schema: Schema): Schema {
  return {
    ...schema,
    unique: schema.unique.sort(),
    foreignKeys: schema.foreignKeys.sort(),
    indexes: schema.indexes.sort(),
    triggers: schema.triggers.sort(),
  };
}

describe("the SQLite and PostgreSQL migration lists", () => {
  it("end at the same level: the last PostgreSQL migration matches the newest version of each SQLite list", () => {
    const newest = Object.fromEntries(
      SQLITE_SCHEMAS.map((schema) => [schema.table, schema.migrations.at(-1)?.version]),
    );
    expect(POSTGRES_MIGRATIONS.at(-1)?.sqlite).toEqual(newest);
  });

  it("store copy moves every table of the schema", () => {
    expect(COPIED_TABLES.map((t) => t.table).sort()).toEqual(sqliteSchema().tables);
  });
});

describe.skipIf(bin === null)("the PostgreSQL schema on a real server", () => {
  let pg: PostgresServer;
  let databases = 0;
  const open: PostgresConnection[] = [];
  const freshDatabase = async (replicas = 1) => {
    const url = await pg.createDatabase(`schema_${++databases}`);
    const connections = Array.from({ length: replicas }, () => openPostgres(url, { max: 2 }));
    open.push(...connections);
    return connections;
  };
  beforeAll(async () => {
    pg = await startPostgres();
  }, 90_000);
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await pg?.close();
  });

  it("has the same tables, columns, keys, indexes and triggers as SQLite after migrating both", async () => {
    const [connection] = await freshDatabase();
    if (connection === undefined) throw new Error("no connection");
    expect(await migratePostgres(connection)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(await postgresSchema(connection)).toEqual(sqliteSchema());
  });

  it("applies each migration exactly once when four replicas start together, with no error", async () => {
    const replicas = await freshDatabase(4);
    // Two more versions, so the race covers migrations after the first, not only the empty database.
    const migrations: PostgresMigration[] = [
      ...POSTGRES_MIGRATIONS,
      ...[2, 3].map((n) => ({
        version: (POSTGRES_MIGRATIONS.at(-1)?.version ?? 0) + n,
        name: `test ${n}`,
        sql: `CREATE TABLE race_${n} (x int); INSERT INTO race_${n} VALUES (1)`,
        sqlite: { schema_migrations: 0, dispatch_schema_migrations: 0 },
      })),
    ];
    const applied = await Promise.all(replicas.map((r) => migratePostgres(r, { migrations })));
    expect(applied.flat().sort((a, b) => a - b)).toEqual(migrations.map((m) => m.version));
    const [first] = replicas;
    if (first === undefined) throw new Error("no replica");
    const rows = await first.pool.query<{ version: number }>(
      `SELECT version FROM ${POSTGRES_BOOKKEEPING} ORDER BY version`,
    );
    expect(rows.rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    const inserted = await first.pool.query<{ n: number }>(
      "SELECT (SELECT count(*) FROM race_2) + (SELECT count(*) FROM race_3) AS n",
    );
    expect(inserted.rows[0]?.n).toBe(2);
    expect(await migratePostgres(first, { migrations })).toEqual([]);
  });

  it("refuses a database a newer momlink migrated, naming both versions and changing nothing", async () => {
    const [connection] = await freshDatabase();
    if (connection === undefined) throw new Error("no connection");
    await migratePostgres(connection);
    await connection.pool.query(`INSERT INTO ${POSTGRES_BOOKKEEPING} VALUES (99, 'from the future', 'x')`);
    await expect(migratePostgres(connection)).rejects.toThrow(
      `newer momlink (schema version 99; this build knows up to ${POSTGRES_MIGRATIONS.at(-1)?.version})`,
    );
  });

  it("refuses a list whose versions do not increase, before touching the database", async () => {
    const [connection] = await freshDatabase();
    if (connection === undefined) throw new Error("no connection");
    const twice = [...POSTGRES_MIGRATIONS, ...POSTGRES_MIGRATIONS];
    await expect(migratePostgres(connection, { migrations: twice })).rejects.toThrow(
      /versions must increase from 1/,
    );
    expect((await connection.pool.query("SELECT to_regclass('changes') AS t")).rows[0]?.t).toBeNull();
  });

  it("keeps the audit log append-only, TRUNCATE included", async () => {
    const [connection] = await freshDatabase();
    if (connection === undefined) throw new Error("no connection");
    await migratePostgres(connection);
    await connection.pool.query(
      `INSERT INTO changes (id, state, requester, primary_host, secondary_host, primary_key, secondary_key, plan_hash, created_at, updated_at, expires_at, version)
       VALUES ('CHG-1', 'planned', 'U1', 'a', 'b', 'a', 'b', 'h', 't', 't', 't', 1)`,
    );
    await connection.pool.query(
      "INSERT INTO audit (change_id, at, actor, event, to_state, plan_hash, details_json) VALUES ('CHG-1', 't', 'U1', 'planned', 'planned', 'h', '{}')",
    );
    await expect(connection.pool.query("UPDATE audit SET actor = 'x'")).rejects.toThrow(
      /rows cannot be updated/,
    );
    await expect(connection.pool.query("DELETE FROM audit")).rejects.toThrow(/rows cannot be deleted/);
    await expect(connection.pool.query("TRUNCATE audit CASCADE")).rejects.toThrow(/rows cannot be truncated/);
  });

  it("reads BIGINT as a number, as node:sqlite does, and refuses one it could not read exactly", async () => {
    const [connection] = await freshDatabase();
    if (connection === undefined) throw new Error("no connection");
    const { rows } = await connection.pool.query<{ ms: unknown }>("SELECT 1767225600000::bigint AS ms");
    expect(rows[0]?.ms).toBe(1767225600000);
    await expect(connection.pool.query("SELECT 9007199254740993::bigint AS ms")).rejects.toThrow(
      /beyond what momlink reads exactly/,
    );
  });
});
