// Which failures a caller is told "the database is unavailable, try again": the connection's,
// in each shape pg gives them (a refused connect, a server shutting down, a connection cut), and
// never a statement the server refused, which trying again would not fix. The real outage (a
// cluster stopped and started under a store) is in change-store.test.ts.
import { DatabaseError } from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseConnectError, openPostgres } from "../../../src/store/postgres/connect.ts";
import { asUnavailable, isDatabaseUnavailable } from "../../../src/store/postgres/unavailable.ts";

// A pool connects lazily: this one never does.
const connection = openPostgres("postgres://momlink:s3cret@db.example.net:5432/momlink");
afterAll(() => connection.close());

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const serverError = (code: string) => {
  const error = new DatabaseError("terminating connection due to administrator command", 0, "error");
  error.code = code;
  return error;
};

describe("a failure during a store call", () => {
  it.each([
    ["a refused connect", withCode("connect ECONNREFUSED 10.0.0.5:5432", "ECONNREFUSED")],
    ["a reset connection", withCode("read ECONNRESET", "ECONNRESET")],
    ["a server shutting down (57P01)", serverError("57P01")],
    ["a server starting up (57P03)", serverError("57P03")],
    ["a connection exception (08006)", serverError("08006")],
    ["a connection cut under a query", new Error("Connection terminated unexpectedly")],
    ["the pool's connect timeout", new Error("timeout exceeded when trying to connect")],
    ["no connection to be had", new DatabaseConnectError("MOMLINK_DATABASE_URL …: cannot connect: …")],
    [
      "a refused connect to every address",
      new AggregateError([withCode("connect ECONNREFUSED", "ECONNREFUSED")]),
    ],
  ])("%s is 'unavailable, try again', without the password", (_, error) => {
    const shown = asUnavailable(connection, "applying approve to CHG-1", error);
    if (!isDatabaseUnavailable(shown)) throw new Error(`not called unavailable: ${String(shown)}`);
    expect(shown.message).toMatch(
      /^the database is unavailable, try again in a moment \(MOMLINK_DATABASE_URL postgres:\/\/momlink:\*\*\*@db\.example\.net:5432\/momlink: applying approve to CHG-1: /,
    );
    expect(shown.message).not.toContain("s3cret");
    expect(shown.cause).toBe(error);
  });

  it.each([
    ["a unique violation (23505)", serverError("23505")],
    ["a deadlock (40P01)", serverError("40P01")],
    ["a bug in the store", new Error("CHG-1 changed underneath this write (expected version 2)")],
    ["something not an Error", "boom"],
  ])("%s goes on unchanged", (_, error) => {
    expect(asUnavailable(connection, "creating a change", error)).toBe(error);
  });
});
