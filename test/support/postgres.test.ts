// The throwaway PostgreSQL the replica tests run against: it must really start, keep what was
// committed across an abrupt stop, and come back on the same port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPostgresBin, POSTGRES_INSTALL_HINT, type PostgresServer, startPostgres } from "./postgres.ts";

const bin = findPostgresBin();
if (bin === null)
  console.warn(`skipping the PostgreSQL tests: no PostgreSQL server binaries. ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null)("a throwaway PostgreSQL server", () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 90_000);
  afterAll(async () => {
    await pg?.close();
  });

  it("serves its own database on loopback and keeps committed rows across a crash-like stop", async () => {
    expect(pg.url).toMatch(/^postgres:\/\/momlink@127\.0\.0\.1:\d+\/momlink$/);
    await pg.query("momlink", "CREATE TABLE t (x int); INSERT INTO t VALUES (41), (1)");
    await pg.stop();
    await expect(pg.query("momlink", "SELECT 1")).rejects.toThrow();
    await pg.start();
    expect(await pg.query("momlink", "SELECT sum(x) FROM t")).toBe("42");
  });

  it("creates separate databases on request", async () => {
    const url = await pg.createDatabase("other_one");
    expect(url.endsWith("/other_one")).toBe(true);
    expect(await pg.query("other_one", "SELECT count(*) FROM pg_tables WHERE tablename = 't'")).toBe("0");
  });
});
