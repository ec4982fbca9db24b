// The one transaction helper of every store on the bot's file: BEGIN IMMEDIATE into the file that
// was opened, joining a transaction already open, rolling back on a throw.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DISPATCH_SCHEMA } from "../../src/dispatch/store.ts";
import { openDatabase } from "../../src/store/database.ts";
import { DatabaseGoneError } from "../../src/store/db-file.ts";
import { CHANGE_SCHEMA } from "../../src/store/migrations.ts";
import { readSnapshot, writeTransaction } from "../../src/store/transaction.ts";

let dir: string;
let path: string;
const open: DatabaseSync[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-tx-"));
  path = join(dir, "momlink.db");
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function connection(): DatabaseSync {
  const { db } = openDatabase(path, { schemas: [CHANGE_SCHEMA, DISPATCH_SCHEMA] });
  open.push(db);
  db.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
  return db;
}

const count = (db: DatabaseSync) => Number(db.prepare("SELECT COUNT(*) AS n FROM t").get()?.n);

describe("writeTransaction", () => {
  it("commits what it wrote, and nothing when its function throws", () => {
    const db = connection();
    writeTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
    expect(() =>
      writeTransaction(db, () => {
        db.prepare("INSERT INTO t VALUES (2)").run();
        throw new Error("refused halfway");
      }),
    ).toThrow("refused halfway");
    expect(count(db)).toBe(1);
    expect(db.isTransaction).toBe(false);
  });

  it("joins a transaction already open: the inner write is committed by the outer one, not before", () => {
    const db = connection();
    const other = connection();
    writeTransaction(db, () => {
      writeTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
      // Still inside the outer transaction: another connection sees nothing yet.
      expect(db.isTransaction).toBe(true);
      expect(count(other)).toBe(0);
    });
    expect(count(other)).toBe(1);
  });

  it("rolls back a joined write with the outer transaction that fails after it", () => {
    const db = connection();
    expect(() =>
      writeTransaction(db, () => {
        writeTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
        throw new Error("the outer write fails");
      }),
    ).toThrow("the outer write fails");
    expect(count(db)).toBe(0);
  });

  it("refuses to write once the file was deleted, before anything is written", () => {
    const db = connection();
    rmSync(path);
    expect(() => writeTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run())).toThrow(
      DatabaseGoneError,
    );
    expect(db.isTransaction).toBe(false);
  });
});

describe("readSnapshot", () => {
  it("reads inside a write transaction without starting a second one", () => {
    const db = connection();
    const seen = writeTransaction(db, () => {
      db.prepare("INSERT INTO t VALUES (1)").run();
      return readSnapshot(db, () => count(db));
    });
    expect(seen).toBe(1);
  });
});

describe("openDatabase", () => {
  it("adopts an open database: migrates it, and leaves closing it to its owner", () => {
    const db = new DatabaseSync(":memory:");
    const opened = openDatabase(db, { schemas: [DISPATCH_SCHEMA] });
    expect(opened).toEqual({ db, owned: false });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'dispatch_jobs'").get()).toBeDefined();
    db.close();
  });

  it("opens a file with WAL and each schema counted in its own table", () => {
    const { db } = openDatabase(path, { schemas: [CHANGE_SCHEMA, DISPATCH_SCHEMA] });
    open.push(db);
    expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    for (const table of ["schema_migrations", "dispatch_schema_migrations"]) {
      expect(Number(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n)).toBeGreaterThan(0);
    }
  });
});
