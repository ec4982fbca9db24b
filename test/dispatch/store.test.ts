import { rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DISPATCH_MIGRATIONS, DISPATCH_SCHEMA, migrateDispatch } from "../../src/dispatch/store.ts";
import { openDatabase } from "../../src/store/database.ts";
import { DatabaseGoneError } from "../../src/store/db-file.ts";
import { currentVersion, MIGRATIONS } from "../../src/store/migrations.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import { writeTransaction } from "../../src/store/transaction.ts";

const openDispatchDb = (path: string) => openDatabase(path, { schemas: [DISPATCH_SCHEMA] });

import { tempDir } from "./support.ts";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const tables = (db: DatabaseSync) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);

describe("the dispatcher's tables in the bot's database", () => {
  it.each([
    ["change store first", ["changes", "dispatch"]],
    ["dispatcher first", ["dispatch", "changes"]],
  ])("share one file with the change store, whichever opens it first (%s)", async (_name, order) => {
    const path = join(tmp.dir, "momlink.db");
    for (const which of order) {
      if (which === "changes") await openSqliteStore(path).close();
      else openDispatchDb(path).db.close();
    }
    // Both open again cleanly: neither mistakes the other's migrations for a newer schema.
    await openSqliteStore(path).close();
    const { db } = openDispatchDb(path);
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        "changes",
        "audit",
        "dispatch_jobs",
        "dispatch_runners",
        "dispatch_schema_migrations",
      ]),
    );
    expect(currentVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    db.close();
  });

  it("refuses a write transaction once the file is deleted, instead of writing into the unlinked file", () => {
    const path = join(tmp.dir, "momlink.db");
    const { db } = openDispatchDb(path);
    writeTransaction(db, () => db.prepare("SELECT 1").get());
    rmSync(path);
    expect(() => writeTransaction(db, () => db.prepare("SELECT 1").get())).toThrow(DatabaseGoneError);
    db.close();
  });

  it("applies its migrations once", () => {
    const db = new DatabaseSync(":memory:");
    expect(migrateDispatch(db)).toEqual(DISPATCH_MIGRATIONS.map((m) => m.version));
    expect(migrateDispatch(db)).toEqual([]);
  });

  it("refuses tables written by a newer momlink, changing nothing", () => {
    const db = new DatabaseSync(":memory:");
    migrateDispatch(db, [
      ...DISPATCH_MIGRATIONS,
      { version: 99, name: "future", sql: "CREATE TABLE future (x)" },
    ]);
    expect(() => migrateDispatch(db)).toThrow(
      new RegExp(
        `runner tables. schema was written by a newer momlink \\(schema version 99; this build knows up to ${DISPATCH_MIGRATIONS.at(-1)?.version}\\)`,
      ),
    );
  });

  it("re-keys the runners of a version-1 database by machine, so a plan's other spelling finds them", () => {
    const db = new DatabaseSync(":memory:");
    migrateDispatch(db, DISPATCH_MIGRATIONS.slice(0, 1));
    const insert = db.prepare(
      "INSERT INTO dispatch_runners (name, host, host_key, platform, created_at) VALUES (?, ?, ?, 'windows', 'x')",
    );
    insert.run("a", "MOM-A.corp.example", "mom-a.corp.example");
    insert.run("v6", "fe80-0-0-0-0-0-0-1.ipv6-literal.net", "fe80-0-0-0-0-0-0-1.ipv6-literal.net");
    expect(migrateDispatch(db)).toEqual(DISPATCH_MIGRATIONS.slice(1).map((m) => m.version));
    expect(db.prepare("SELECT name, host_key FROM dispatch_runners ORDER BY name").all()).toEqual([
      { name: "a", host_key: "mom-a" },
      { name: "v6", host_key: "fe80::1" },
    ]);
  });
});
