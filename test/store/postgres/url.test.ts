// What logs and errors may show of MOMLINK_DATABASE_URL: everything but the password, wherever the
// URL carries it (user info or ?password=), raw or percent-encoded, also inside another message.
import { describe, expect, it } from "vitest";
import { redactDatabaseUrl, withoutPassword } from "../../../src/store/postgres/url.ts";

describe("redactDatabaseUrl", () => {
  const rows: Array<[string, string, string]> = [
    [
      "a password in the user info",
      "postgres://momlink:s3cret@db:5432/momlink",
      "postgres://momlink:***@db:5432/momlink",
    ],
    [
      "a password in the query, TLS options kept",
      "postgresql://momlink@db/momlink?password=s3cret&sslmode=verify-full",
      "postgresql://momlink@db/momlink?password=***&sslmode=verify-full",
    ],
    ["no password", "postgres://momlink@db/momlink", "postgres://momlink@db/momlink"],
    ["a value that is no URL", "s3cret", "(not a URL)"],
  ];
  it.each(rows)("hides %s", (_name, url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });
});

describe("withoutPassword", () => {
  it("removes the password from a message that quotes it, encoded or not", () => {
    const url = "postgres://momlink:p%40ss@db/momlink";
    const message = `connect to ${url} failed: password "p@ss" (p%40ss) rejected`;
    const clean = withoutPassword(message, url);
    expect(clean).not.toContain("p@ss");
    expect(clean).not.toContain("p%40ss");
    expect(clean).toContain("postgres://momlink:***@db/momlink");
  });
});
