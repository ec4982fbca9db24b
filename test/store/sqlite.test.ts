// What only the SQLite store has: its file (created with its directory, WAL, foreign keys, in
// memory too), threads racing on one file under BEGIN IMMEDIATE, the audit log refusing raw SQL,
// the migrations of older files, and a file deleted or replaced under a running store. What every
// engine keeps is the contract (change-store.contract.ts), run on SQLite by change-store.sqlite.test.ts.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeState } from "../../src/domain/record.ts";
import { DatabaseGoneError, onDatabaseGone } from "../../src/store/db-file.ts";
import { currentVersion, MIGRATIONS, type Migration, migrate } from "../../src/store/migrations.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { fakePlan } from "../support/plan.ts";
import { A1, A2, create, driveTo, LATER, mustApply, POLICY, REQ, T0 } from "./change-store.contract.ts";

let dir: string;
let dbPath: string;
const opened: ChangeStore[] = [];
const raw: DatabaseSync[] = [];

function open(path = dbPath): ChangeStore {
  const store = openSqliteStore(path);
  opened.push(store);
  return store;
}

function rawDb(path = dbPath): DatabaseSync {
  const db = new DatabaseSync(path);
  raw.push(db);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-store-"));
  dbPath = join(dir, "var", "momlink.db");
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const db of raw.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the SQLite file", () => {
  it("creates the database's directory when it is missing", () => {
    expect(existsSync(join(dir, "var"))).toBe(false);
    open();
    expect(existsSync(dbPath)).toBe(true);
  });

  it("runs in WAL mode with foreign keys on", () => {
    open();
    const db = rawDb();
    expect(db.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(() =>
      db
        .prepare(
          "INSERT INTO approvals (change_id, kind, round, actor, at, hash) VALUES ('CHG-404', 'change', 0, 'U', 't', 'h')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it("works in memory too", async () => {
    const store = open(":memory:");
    expect((await create(store)).id).toBe("CHG-1");
  });
});

describe("two approvals at once", () => {
  it("two threads racing on one file, round after round, produce exactly one approval per change", async () => {
    const rounds = 25;
    const store = open();
    const ids: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await create(store, `mom-${i}a`, `mom-${i}b`);
      await driveTo(store, "awaiting_approval", r);
      ids.push(r.id);
    }
    const plans = await Promise.all(ids.map(async (id) => (await store.get(id))?.planHash ?? ""));
    const barrier = new SharedArrayBuffer(4);
    const race = (actor: string) =>
      runWorker({
        storeUrl: STORE_URL,
        path: dbPath,
        ids,
        hashes: plans,
        actor,
        policy: POLICY,
        now: LATER.toISOString(),
        barrier,
      });
    const [r1, r2] = await Promise.all([race(A1), race(A2)]);

    for (const [i, id] of ids.entries()) {
      const outcomes = [r1[i], r2[i]];
      expect(outcomes.filter((o) => o?.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o?.ok).map((o) => o?.code)).toEqual(["already-approved"]);
      const record = await store.get(id);
      expect(record).toMatchObject({ state: "approved", version: 3 });
      expect(record?.approvals).toHaveLength(1);
      expect((await store.audit(id)).filter((e) => e.event === "approve")).toHaveLength(1);
    }
  });
});

const STORE_URL = new URL("../../src/store/sqlite.ts", import.meta.url).href;

type Outcome = { ok: boolean; code?: string };

// Each thread opens its own store on the file, then both meet at a barrier before every approval
// so the two BEGIN IMMEDIATEs really contend. The assertions hold whichever thread wins.
const WORKER = `
import { parentPort, workerData } from "node:worker_threads";
const { openSqliteStore } = await import(workerData.storeUrl);
const store = openSqliteStore(workerData.path);
const sync = new Int32Array(workerData.barrier);
const out = [];
for (const [i, id] of workerData.ids.entries()) {
  Atomics.add(sync, 0, 1);
  Atomics.notify(sync, 0);
  for (let v = Atomics.load(sync, 0); v < 2 * (i + 1); v = Atomics.load(sync, 0)) Atomics.wait(sync, 0, v, 1000);
  const event = { type: "approve", actor: workerData.actor, actorGroups: [], hash: workerData.hashes[i] };
  const r = await store.apply(id, event, { now: new Date(workerData.now), policy: workerData.policy });
  out.push(r.ok ? { ok: true } : { ok: false, code: r.code });
}
await store.close();
parentPort.postMessage(out);
`;

function runWorker(workerData: Record<string, unknown>): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER)}`), { workerData });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

describe("audit", () => {
  it("cannot be updated or deleted, even with raw SQL", async () => {
    const store = open();
    await create(store);
    const db = rawDb();
    expect(() => db.exec("UPDATE audit SET actor = 'UMALLORY'")).toThrow(
      "audit is append-only: rows cannot be updated",
    );
    expect(() => db.exec("DELETE FROM audit")).toThrow("audit is append-only: rows cannot be deleted");
    expect(await store.audit("CHG-1")).toMatchObject([{ actor: REQ, event: "create" }]);
  });
});

/** A database as the first release left it (only migration 1), holding what `fill` writes. */
function versionOneDatabase(fill: (db: DatabaseSync) => void): void {
  mkdirSync(dirname(dbPath), { recursive: true });
  const db = rawDb();
  migrate(db, { migrations: MIGRATIONS.slice(0, 1) });
  fill(db);
  db.close();
}

/** A change row as version 1 wrote it: lock keys were the lower-cased host names. */
function insertVersionOneChange(
  db: DatabaseSync,
  id: string,
  primary: string,
  secondary: string,
  state: ChangeState = "awaiting_approval",
): void {
  const plan = fakePlan(id, { primary, secondary });
  const at = T0.toISOString();
  db.prepare(
    `INSERT INTO changes (id, state, requester, channel, message_ts, primary_host, secondary_host,
       primary_key, secondary_key, plan_hash, plan_json, created_at, updated_at, expires_at, version)
     VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2)`,
  ).run(
    id,
    state,
    REQ,
    primary,
    secondary,
    primary.toLowerCase(),
    secondary.toLowerCase(),
    plan.hash,
    JSON.stringify(plan),
    at,
    at,
    new Date(T0.getTime() + 30 * 60_000).toISOString(),
  );
}

describe("migrations", () => {
  it("keep the approvals of a database from before rollback approvals, as the change's", async () => {
    const plan = fakePlan("CHG-1");
    versionOneDatabase((db) => {
      insertVersionOneChange(db, "CHG-1", "mom-a", "mom-b", "approved");
      for (const actor of [A2, A1]) {
        db.prepare("INSERT INTO approvals (change_id, actor, at, hash) VALUES ('CHG-1', ?, ?, ?)").run(
          actor,
          T0.toISOString(),
          plan.hash,
        );
      }
    });

    expect(await open().get("CHG-1")).toMatchObject({
      approvals: [
        { actor: A2, hash: plan.hash },
        { actor: A1, hash: plan.hash },
      ],
      rollbackApprovals: [],
      rollbacksStarted: 0,
    });
  });

  it("move each change's plan into plans, once per plan, and drop the change's own copy", async () => {
    versionOneDatabase((db) => {
      insertVersionOneChange(db, "CHG-1", "mom-a", "mom-b", "succeeded");
      insertVersionOneChange(db, "CHG-2", "mom-c", "mom-d");
    });

    const store = open();
    expect((await store.get("CHG-1"))?.plan).toEqual(
      fakePlan("CHG-1", { primary: "mom-a", secondary: "mom-b" }),
    );
    expect((await store.get("CHG-2"))?.plan).toEqual(
      fakePlan("CHG-2", { primary: "mom-c", secondary: "mom-d" }),
    );
    const db = rawDb();
    expect(db.prepare("SELECT hash FROM plans ORDER BY hash").all()).toEqual([
      { hash: "hash-of-CHG-1" },
      { hash: "hash-of-CHG-2" },
    ]);
    const columns = db
      .prepare("SELECT name FROM pragma_table_info('changes')")
      .all()
      .map((r) => r.name);
    expect(columns).toContain("plan_hash");
    expect(columns).not.toContain("plan_json");
  });

  it("keep a plan once however many transitions and reads it sees, and a new plan beside it", async () => {
    const store = open();
    const r = await create(store);
    const rebuilt = { ...fakePlan(r.id, { hash: "hash-after-preflight" }), share: "\\\\san-server\\other" };
    await mustApply(store, r.id, { type: "preflight-complete", plan: rebuilt });
    expect((await store.get(r.id))?.plan).toEqual(rebuilt);
    const db = rawDb();
    expect(db.prepare("SELECT hash FROM plans ORDER BY hash").all()).toEqual([
      { hash: "hash-after-preflight" },
      { hash: `hash-of-${r.id}` },
    ]);
  });

  it("are applied once: reopening applies nothing and keeps one row per migration", async () => {
    await open().close();
    await open().close();
    const db = rawDb();
    expect(migrate(db)).toEqual([]);
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
  });

  it("refuses a database written by a newer momlink and says what to do", async () => {
    await open().close();
    const db = rawDb();
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run();
    db.close();
    const latest = MIGRATIONS.at(-1)?.version;
    expect(() => open()).toThrow(
      `${dbPath} was written by a newer momlink (schema version 99; this build knows up to ${latest}): upgrade momlink, or point MOMLINK_DB at another file`,
    );
  });

  it("re-key the host lock of a version-1 database, so its open change still holds the machine under any spelling", async () => {
    // What version 1 wrote: the lower-cased names as the lock keys.
    versionOneDatabase((db) => {
      insertVersionOneChange(db, "CHG-1", "MOM-A.corp.example", "fe80-0-0-0-0-0-0-1.ipv6-literal.net");
    });
    const held = { id: "CHG-1" };

    const reopened = open();
    expect(currentVersion(rawDb())).toBe(MIGRATIONS.at(-1)?.version);
    for (const [primary, secondary] of [
      ["mom-a", "mom-x"],
      ["mom-y", "fe80--1.ipv6-literal.net"],
    ] as const) {
      const again = await reopened.createChange({
        requester: REQ,
        channel: "C-OPS",
        plan: (id) => fakePlan(id, { primary, secondary }),
        hosts: { primary, secondary },
        now: LATER,
        ttlMinutes: 30,
      });
      expect(again).toMatchObject({ ok: false, conflict: { id: held.id } });
    }
    expect((await reopened.list({ host: "mom-a" })).map((r) => r.id)).toEqual([held.id]);
  });

  it("roll back a migration that fails, keeping the ones before it", () => {
    const db = rawDb(":memory:");
    const list: Migration[] = [
      { version: 1, name: "one", sql: "CREATE TABLE t1 (x)" },
      { version: 2, name: "broken", sql: "CREATE TABLE t2 (x); INSERT INTO nowhere VALUES (1)" },
    ];
    expect(() => migrate(db, { migrations: list })).toThrow(/no such table: nowhere/);
    expect(currentVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't2'").get()).toBeUndefined();
  });

  it("refuse a list whose versions do not increase", () => {
    const db = rawDb(":memory:");
    const list: Migration[] = [
      { version: 2, name: "two", sql: "SELECT 1" },
      { version: 2, name: "two again", sql: "SELECT 1" },
    ];
    expect(() => migrate(db, { migrations: list })).toThrow('migration "two again" has version 2');
  });
});

describe("a database file deleted or replaced under the store", () => {
  it.each([
    ["deleted", async (path: string) => rmSync(path)],
    [
      "replaced by another file",
      async (path: string) => {
        const other = openSqliteStore(join(dir, "other.db"));
        await other.close();
        renameSync(join(dir, "other.db"), path);
      },
    ],
  ])("refuses every write once the file is %s, and tells the listeners once", async (how, change) => {
    const store = open();
    await create(store, "mom-a", "mom-b");
    const told: string[] = [];
    const off = onDatabaseGone((error) => told.push(error.message));
    try {
      await change(dbPath);
      for (let i = 0; i < 2; i += 1) {
        await expect(create(store, "mom-c", "mom-d", LATER)).rejects.toThrow(DatabaseGoneError);
      }
      await expect(mustApply(store, "CHG-1", { type: "preflight-complete" }, LATER)).rejects.toThrow(
        `MOMLINK_DB ${dbPath} was ${how} while momlink was running`,
      );
      expect(told).toEqual([expect.stringContaining(`MOMLINK_DB ${dbPath} was ${how}`)]);
    } finally {
      off();
    }
  });

  it("refuses to open a missing file for reading, naming MOMLINK_DB and the path, and creates nothing", () => {
    const missing = join(dir, "typo", "momlink.db");
    expect(() => openSqliteStore(missing, { create: false })).toThrow(
      `MOMLINK_DB=${missing}: there is no database at ${missing}`,
    );
    expect(existsSync(join(dir, "typo"))).toBe(false);
  });
});
