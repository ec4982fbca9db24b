// The one way momlink opens PostgreSQL: a pg Pool on MOMLINK_DATABASE_URL whose rows read like
// node:sqlite's (BIGINT as a JavaScript number, so store/rows.ts decodes both engines), and whose
// failures name the variable and the redacted URL, never the password. A value pg could not
// return exactly (a BIGINT beyond 2^53) is an error, not a rounded number.
import { Pool, type PoolClient, TypeOverrides, types } from "pg";
import { StartError } from "../../start-error.ts";
import { DATABASE_URL_VARIABLE, redactDatabaseUrl, withoutPassword } from "./url.ts";

/** PostgreSQL cannot be reached or refused us: a start-up problem, printed plainly (exit 2). */
export class DatabaseConnectError extends StartError {}

const INT8_OID = 20;

function rowTypes(): TypeOverrides {
  const overrides = new TypeOverrides(types);
  overrides.setTypeParser(INT8_OID, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new Error(`a BIGINT of ${text} is beyond what momlink reads exactly`);
    return n;
  });
  return overrides;
}

export interface PostgresConnection {
  pool: Pool;
  /** The URL as logs and messages may show it. */
  shown: string;
  /** `error`'s message with the password removed, prefixed with what momlink was doing. */
  explain(doing: string, error: unknown): string;
  close(): Promise<void>;
}

export function openPostgres(
  url: string,
  options: { max?: number; applicationName?: string } = {},
): PostgresConnection {
  const shown = redactDatabaseUrl(url);
  const explain = (doing: string, error: unknown) =>
    withoutPassword(
      `${DATABASE_URL_VARIABLE} ${shown}: ${doing}: ${(error as Error).message ?? String(error)}`,
      url,
    );
  let pool: Pool;
  try {
    pool = new Pool({
      connectionString: url,
      types: rowTypes(),
      max: options.max ?? 10,
      application_name: options.applicationName ?? "momlink",
      connectionTimeoutMillis: 10_000,
    });
  } catch (error) {
    throw new DatabaseConnectError(explain("cannot use this URL", error));
  }
  // An idle client whose server went away emits here; without a listener the process would die.
  pool.on("error", () => undefined);
  return {
    pool,
    shown,
    explain,
    close: () => pool.end(),
  };
}

/** Clients given a listener for a server lost while they are checked out (once each: a pool reuses them). */
const heard = new WeakSet<PoolClient>();

/**
 * A client from the pool, or a DatabaseConnectError saying why none could be had. pg emits 'error'
 * on a client whose server goes away while no query of it runs (between two statements of a
 * transaction), and the pool takes its own listener off the clients it hands out: unheard, that
 * error would end the process (a PostgreSQL restart killed serve). The next statement on that
 * client then fails as a lost connection, and the pool drops the client when it is released.
 */
export async function connectClient(connection: PostgresConnection): Promise<PoolClient> {
  let client: PoolClient;
  try {
    client = await connection.pool.connect();
  } catch (error) {
    throw new DatabaseConnectError(connection.explain("cannot connect", error));
  }
  if (!heard.has(client)) {
    heard.add(client);
    client.on("error", () => undefined);
  }
  return client;
}

/**
 * Runs `fn` in one transaction on one client: COMMIT when it returns, ROLLBACK when it throws
 * (the error goes on unchanged), and the client back to the pool either way.
 */
export async function inPostgresTransaction<T>(
  connection: PostgresConnection,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await connectClient(connection);
  try {
    await client.query("BEGIN");
    try {
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
