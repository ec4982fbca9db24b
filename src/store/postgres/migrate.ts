// Brings a PostgreSQL database up to the newest schema this build knows (schema.ts), safely when
// several replicas start at once: each migration runs in its own transaction that first takes
// pg_advisory_xact_lock(SCHEMA_LOCK), then reads the version. The second replica waits on the
// lock, sees the version the first committed, and applies nothing; the lock goes with the
// transaction, so a replica killed mid-migration leaves neither a half schema nor a held lock.
import type { PoolClient } from "pg";
import { checkOrder } from "../migrations.ts";
import { inPostgresTransaction, type PostgresConnection } from "./connect.ts";
import { POSTGRES_BOOKKEEPING, POSTGRES_MIGRATIONS, type PostgresMigration } from "./schema.ts";

/**
 * The advisory lock of momlink's schema, as pg_advisory_xact_lock's two keys: "moml" in ASCII, and
 * 1 for the schema. `store copy` takes it too, so a copy and a migration never interleave.
 */
export const SCHEMA_LOCK = [0x6d6f6d6c, 1] as const;

export async function lockSchema(client: PoolClient): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...SCHEMA_LOCK]);
}

async function currentVersion(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ v: number | null }>(
    `SELECT MAX(version)::bigint AS v FROM ${POSTGRES_BOOKKEEPING}`,
  );
  return rows[0]?.v ?? 0;
}

/** The schema version of the database, 0 before the first migration. */
export async function postgresVersion(connection: PostgresConnection): Promise<number> {
  return inPostgresTransaction(connection, async (client) => {
    const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [
      POSTGRES_BOOKKEEPING,
    ]);
    return rows[0]?.t === null || rows[0] === undefined ? 0 : currentVersion(client);
  });
}

function refuseNewer(current: number, known: number, shown: string): void {
  if (current <= known) return;
  throw new Error(
    `the PostgreSQL database ${shown} was written by a newer momlink (schema version ${current}; this build knows up to ${known}): upgrade momlink on this machine`,
  );
}

/**
 * Applies what is missing and returns the versions this call applied (empty when another replica
 * got there first or nothing was missing). Throws, changing nothing, for a newer schema.
 */
export async function migratePostgres(
  connection: PostgresConnection,
  options: { migrations?: readonly PostgresMigration[]; now?: () => Date } = {},
): Promise<number[]> {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  checkOrder(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await inPostgresTransaction(connection, async (client) => {
      await lockSchema(client);
      // Under the lock: CREATE TABLE IF NOT EXISTS is not safe against itself in parallel.
      await client.query(`CREATE TABLE IF NOT EXISTS ${POSTGRES_BOOKKEEPING} (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`);
      const current = await currentVersion(client);
      refuseNewer(current, known, connection.shown);
      if (m.version <= current) return false;
      await client.query(m.sql);
      await client.query(
        `INSERT INTO ${POSTGRES_BOOKKEEPING} (version, name, applied_at) VALUES ($1, $2, $3)`,
        [m.version, m.name, (options.now?.() ?? new Date()).toISOString()],
      );
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
