// One throwaway PostgreSQL cluster per test file and a fresh database per test, for the
// dispatcher's PostgreSQL tests; they skip, printing the install hint, where PostgreSQL is absent.
import { afterAll, beforeAll } from "vitest";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../../support/postgres.ts";

export const havePostgres = findPostgresBin() !== null;

/** Starts the file's cluster (when PostgreSQL is installed) and hands out a new database per call. */
export function postgresCluster(what: string) {
  if (!havePostgres) console.warn(`skipping ${what}: ${POSTGRES_INSTALL_HINT}`);
  let server: PostgresServer | undefined;
  let databases = 0;
  beforeAll(async () => {
    if (havePostgres) server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });
  return {
    server: (): PostgresServer => {
      if (server === undefined) throw new Error("the PostgreSQL cluster is not running");
      return server;
    },
    /** A new, empty database's URL. */
    database: async (): Promise<string> => {
      databases += 1;
      return (server as PostgresServer).createDatabase(`dispatch_${process.pid}_${databases}`);
    },
  };
}
