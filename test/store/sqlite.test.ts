import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import type { ChangeEvent, ChangeRecord, ChangeState } from "../../src/domain/record.ts";
import { DatabaseGoneError, onDatabaseGone } from "../../src/store/db-file.ts";
import { currentVersion, MIGRATIONS, type Migration, migrate } from "../../src/store/migrations.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore, StoredAuditEntry } from "../../src/store/store.ts";
import { fakePlan } from "../support/plan.ts";

const REQ = "UREQ";
const A1 = "UAPP1";
const A2 = "UAPP2";
const POLICY: ApprovalPolicy = {
  approvers: { users: [A1, A2], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
const T0 = new Date("2025-11-26T10:12:00.000Z");
const LATER = new Date("2025-11-26T10:20:00.000Z");
const AFTER_TTL = new Date("2025-11-26T10:50:00.000Z");

/** A Plan-shaped value; the store treats it as opaque JSON carrying its hash. */
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

async function create(
  store: ChangeStore,
  primary = "mom-a",
  secondary = "mom-b",
  now = T0,
): Promise<ChangeRecord> {
  const result = await store.createChange({
    requester: REQ,
    channel: "C-OPS",
    plan: (id) => fakePlan(id, { primary, secondary }),
    hosts: { primary, secondary },
    now,
    ttlMinutes: 30,
  });
  if (!result.ok) throw new Error(`unexpected conflict with ${result.conflict.id}`);
  return result.record;
}

async function mustApply(
  store: ChangeStore,
  id: string,
  event: ChangeEvent,
  now = LATER,
  policy = POLICY,
): Promise<ChangeRecord> {
  const result = await store.apply(id, event, { now, policy });
  if (!result.ok) throw new Error(`${event.type} refused: ${result.reason}`);
  return result.record;
}

const approveAs = (actor: string, record: ChangeRecord): ChangeEvent => ({
  type: "approve",
  actor,
  actorGroups: [],
  hash: record.planHash,
});

/** Events that walk a fresh change into each state (sequences along the DESIGN diagram). */
function path(state: ChangeState, r: ChangeRecord): ChangeEvent[] {
  const preflight: ChangeEvent = { type: "preflight-complete" };
  const approved = [preflight, approveAs(A1, r)];
  const executing = [...approved, { type: "start-execution" } as const];
  const paths: Record<ChangeState, ChangeEvent[]> = {
    planned: [],
    awaiting_approval: [preflight],
    approved,
    executing,
    succeeded: [...executing, { type: "succeed" }],
    failed: [...executing, { type: "fail", reason: "mklink: 1314" }],
    rolling_back: [
      ...executing,
      { type: "fail", reason: "x" },
      { type: "rollback", actor: A1, actorGroups: [], hash: r.planHash },
    ],
    rolled_back: [
      ...executing,
      { type: "fail", reason: "x" },
      { type: "rollback", actor: A1, actorGroups: [], hash: r.planHash },
      { type: "rolled-back" },
    ],
    rejected: [preflight, { type: "reject", actor: A1, actorGroups: [], reason: "no" }],
    expired: [preflight, { type: "expire" }],
    cancelled: [{ type: "cancel", actor: REQ, actorGroups: [] }],
    needs_verification: [...executing, { type: "runner-lost", host: "mom-a" }],
  };
  return paths[state];
}

async function driveTo(store: ChangeStore, state: ChangeState, r: ChangeRecord): Promise<ChangeRecord> {
  let record = r;
  for (const event of path(state, r)) {
    record = await mustApply(store, r.id, event, event.type === "expire" ? AFTER_TTL : LATER);
  }
  expect(record.state).toBe(state);
  return record;
}

describe("creating changes", () => {
  it("numbers changes CHG-1, CHG-2, … and builds each plan with its own id", async () => {
    const store = open();
    const first = await create(store, "mom-a", "mom-b");
    const second = await create(store, "mom-c", "mom-d");
    expect([first.id, second.id]).toEqual(["CHG-1", "CHG-2"]);
    expect(second.plan.changeId).toBe("CHG-2");
    expect(await store.get("CHG-2")).toEqual(second);
  });

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

  it("refuses a plan built for another change id and writes nothing", async () => {
    const store = open();
    await expect(
      store.createChange({
        requester: REQ,
        channel: null,
        plan: fakePlan("CHG-7"),
        hosts: { primary: "mom-a", secondary: "mom-b" },
        now: T0,
        ttlMinutes: 30,
      }),
    ).rejects.toThrow("the plan was built for CHG-7 but the new change is CHG-1");
    expect(await store.list()).toEqual([]);
    expect((await create(store)).id).toBe("CHG-1");
  });

  it("works in memory too", async () => {
    const store = open(":memory:");
    expect((await create(store)).id).toBe("CHG-1");
  });
});

describe("one open change per MOM host", () => {
  it("refuses a second plan touching a locked host, in any role and any case, and returns the open change", async () => {
    const store = open();
    const first = await create(store, "mom-a", "mom-b");
    const again = await store.createChange({
      requester: "UOTHER",
      channel: null,
      plan: (id) => fakePlan(id, { primary: "mom-x", secondary: "MOM-A" }),
      hosts: { primary: "mom-x", secondary: "MOM-A" },
      now: LATER,
      ttlMinutes: 30,
    });
    expect(again).toEqual({ ok: false, conflict: first });
    // A refused plan consumes no number.
    expect((await create(store, "mom-x", "mom-y")).id).toBe("CHG-2");
  });

  const holds: [ChangeState, boolean][] = [
    ["planned", true],
    ["awaiting_approval", true],
    ["approved", true],
    ["executing", true],
    ["rolling_back", true],
    ["failed", true],
    ["needs_verification", true],
    ["succeeded", false],
    ["rolled_back", false],
    ["rejected", false],
    ["expired", false],
    ["cancelled", false],
  ];
  it.each(holds)("a change in %s holds its hosts: %s", async (state, locked) => {
    const store = open();
    const first = await driveTo(store, state, await create(store));
    const next = await store.createChange({
      requester: REQ,
      channel: null,
      plan: (id) => fakePlan(id),
      hosts: { primary: "mom-a", secondary: "mom-b" },
      now: AFTER_TTL,
      ttlMinutes: 30,
    });
    if (locked) expect(next).toMatchObject({ ok: false, conflict: { id: first.id, state } });
    else expect(next).toMatchObject({ ok: true, record: { id: "CHG-2", state: "planned" } });
  });
});

describe("undoing a change that succeeded", () => {
  it("re-takes the hosts' lock when they are free", async () => {
    const store = open();
    const done = await driveTo(store, "succeeded", await create(store));
    const result = await store.apply(
      done.id,
      { type: "rollback", actor: A1, actorGroups: [], hash: done.planHash },
      { now: LATER, policy: POLICY },
    );
    expect(result).toMatchObject({ ok: true, record: { state: "rolling_back" } });
    // Rolling back holds the hosts again: a new plan for one of them is refused.
    await expect(create(store, "mom-b", "mom-z", LATER)).rejects.toThrow(
      `unexpected conflict with ${done.id}`,
    );
  });

  it("is refused while a newer change holds one of its hosts, and writes nothing", async () => {
    const store = open();
    const done = await driveTo(store, "succeeded", await create(store));
    const newer = await create(store, "MOM-B", "mom-z", LATER);
    const result = await store.apply(
      done.id,
      { type: "rollback", actor: A1, actorGroups: [], hash: done.planHash },
      { now: LATER, policy: POLICY },
    );
    expect(result).toMatchObject({ ok: false, code: "host-locked" });
    if (!result.ok) expect(result.reason).toContain(newer.id);
    expect(await store.get(done.id)).toMatchObject({ state: "succeeded", version: done.version });
  });
});

describe("applying events", () => {
  it("writes the record, its approval and an audit entry for an accepted event", async () => {
    const store = open();
    const r = await create(store);
    await mustApply(store, r.id, { type: "preflight-complete", actor: "runner:mom-a" });
    const approved = await mustApply(store, r.id, approveAs(A1, r));
    expect(await store.get(r.id)).toEqual(approved);
    expect(approved).toMatchObject({
      state: "approved",
      version: 3,
      approvals: [{ actor: A1, hash: r.planHash }],
    });
    expect((await store.audit(r.id)).map((e) => [e.actor, e.event, e.fromState, e.toState])).toEqual([
      [REQ, "create", null, "planned"],
      ["runner:mom-a", "preflight-complete", "planned", "awaiting_approval"],
      [A1, "approve", "awaiting_approval", "approved"],
    ]);
  });

  it("changes nothing and writes nothing when the state machine refuses", async () => {
    const store = open();
    const r = await driveTo(store, "awaiting_approval", await create(store));
    const before = await store.get(r.id);
    const audit = await store.audit(r.id);
    const result = await store.apply(r.id, approveAs(REQ, r), { now: LATER, policy: POLICY });
    expect(result).toMatchObject({ ok: false, code: "not-approver" });
    expect(await store.get(r.id)).toEqual(before);
    expect(await store.audit(r.id)).toEqual(audit);
  });

  it("says so when the change does not exist", async () => {
    const store = open();
    expect(await store.apply("CHG-9", { type: "expire" }, { now: LATER, policy: POLICY })).toEqual({
      ok: false,
      code: "not-found",
      reason: "there is no change CHG-9",
    });
  });

  it("stores a rebuilt plan from pre-flight with its new hash", async () => {
    const store = open();
    const r = await create(store);
    const rebuilt = fakePlan(r.id, { hash: "hash-with-facts" });
    await mustApply(store, r.id, { type: "preflight-complete", plan: rebuilt });
    expect(await store.get(r.id)).toMatchObject({ planHash: "hash-with-facts", plan: rebuilt });
  });

  it("remembers where the plan message was posted without counting it as a transition", async () => {
    const store = open();
    const r = await create(store);
    const updated = await store.setMessage(r.id, "C-OPS", "1732615920.000100");
    expect(updated).toMatchObject({ channel: "C-OPS", messageTs: "1732615920.000100", version: r.version });
    expect(await store.audit(r.id)).toHaveLength(1);
    expect(await store.setMessage("CHG-404", "C", "1")).toBeNull();
  });
});

describe("restart", () => {
  it("loses nothing: a pending approval can still be completed after close and reopen", async () => {
    const policy = { ...POLICY, requiredApprovals: 2 };
    const first = open();
    const r = await create(first);
    await mustApply(first, r.id, { type: "preflight-complete" });
    await mustApply(first, r.id, approveAs(A1, r), LATER, policy);
    const before = await first.get(r.id);
    await first.close();

    const second = open();
    expect(await second.get(r.id)).toEqual(before);
    expect(before).toMatchObject({ state: "awaiting_approval", approvals: [{ actor: A1 }] });
    const again = await second.apply(r.id, approveAs(A1, r), { now: LATER, policy });
    expect(again).toMatchObject({ ok: false, code: "already-approved-by-you" });
    expect((await mustApply(second, r.id, approveAs(A2, r), LATER, policy)).state).toBe("approved");
    expect((await create(second, "mom-c", "mom-d")).id).toBe("CHG-2");
  });
});

describe("two approvals at once", () => {
  it("two store instances on one file: the second approval sees the first and is refused", async () => {
    const one = open();
    const two = open();
    const r = await driveTo(one, "awaiting_approval", await create(one));
    // One after the other (each SQLite write runs whole when called), as two processes would.
    const results = [
      await one.apply(r.id, approveAs(A1, r), { now: LATER, policy: POLICY }),
      await two.apply(r.id, approveAs(A2, r), { now: LATER, policy: POLICY }),
    ];
    expect(results.map((x) => x.ok)).toEqual([true, false]);
    expect(results[1]).toMatchObject({ code: "already-approved" });
    expect((await one.audit(r.id)).filter((e) => e.event === "approve")).toHaveLength(1);
  });

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

  it("exports every event of every change in the order it happened", async () => {
    const store = open();
    const a = await create(store, "mom-a", "mom-b");
    const b = await create(store, "mom-c", "mom-d");
    await mustApply(store, a.id, { type: "preflight-complete" });
    await mustApply(store, b.id, { type: "cancel", actor: REQ, actorGroups: [] });
    await mustApply(store, a.id, approveAs(A2, a));
    await store.apply(a.id, approveAs(A1, a), { now: LATER, policy: POLICY }); // refused: not exported
    await mustApply(store, a.id, { type: "start-execution" });

    const exported: StoredAuditEntry[] = [];
    for await (const entry of store.exportAudit()) exported.push(entry);
    expect(exported.map((e) => `${e.changeId} ${e.event} ${e.toState}`)).toEqual([
      "CHG-1 create planned",
      "CHG-2 create planned",
      "CHG-1 preflight-complete awaiting_approval",
      "CHG-2 cancel cancelled",
      "CHG-1 approve approved",
      "CHG-1 start-execution executing",
    ]);
    const seqs = exported.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(exported[4]).toMatchObject({
      actor: A2,
      planHash: a.planHash,
      details: { approvals: 1, required: 1 },
    });
  });
});

describe("queries", () => {
  it("lists newest first, by host in any case, by state, and up to a limit", async () => {
    const store = open();
    const one = await create(store, "mom-a", "mom-b");
    await mustApply(store, one.id, { type: "cancel", actor: REQ, actorGroups: [] });
    await create(store, "mom-c", "mom-d");
    await create(store, "mom-b", "mom-a");
    const ids = (rs: ChangeRecord[]) => rs.map((r) => r.id);
    expect(ids(await store.list())).toEqual(["CHG-3", "CHG-2", "CHG-1"]);
    expect(ids(await store.list({ host: "MOM-A" }))).toEqual(["CHG-3", "CHG-1"]);
    expect(ids(await store.list({ states: ["cancelled"] }))).toEqual(["CHG-1"]);
    expect(ids(await store.list({ host: "mom-a", states: ["planned"] }))).toEqual(["CHG-3"]);
    expect(ids(await store.list({ limit: 1 }))).toEqual(["CHG-3"]);
    expect(await store.list({ states: [] })).toEqual([]);
  });

  it("finds plans past their expiry that nobody approved, and the expire event closes them", async () => {
    const store = open();
    const planned = await create(store, "mom-a", "mom-b", T0);
    const waiting = await driveTo(store, "awaiting_approval", await create(store, "mom-c", "mom-d", T0));
    await driveTo(store, "approved", await create(store, "mom-e", "mom-f", T0));
    await create(store, "mom-g", "mom-h", LATER); // not yet due
    expect((await store.dueForExpiry(LATER)).map((r) => r.id)).toEqual([]);
    const due = await store.dueForExpiry(new Date("2025-11-26T10:42:00.000Z"));
    expect(due.map((r) => r.id)).toEqual([planned.id, waiting.id]);
    for (const r of due) await mustApply(store, r.id, { type: "expire" }, AFTER_TTL);
    expect(await store.dueForExpiry(new Date("2025-11-26T10:49:59.999Z"))).toEqual([]);
  });
});

describe("notices", () => {
  it("are claimed once: a second claim, by this store or another process's over the same file, is refused", async () => {
    const store = open();
    const other = open();
    const record = await create(store, "mom-a", "mom-b", T0);
    expect(await store.claimNotice(record.id, "reminder", LATER)).toBe(true);
    expect(await store.claimNotice(record.id, "reminder", LATER)).toBe(false);
    expect(await other.claimNotice(record.id, "reminder", AFTER_TTL)).toBe(false);
    expect(await other.claimNotice(record.id, "outcome:7", AFTER_TTL)).toBe(true);
    expect(rawDb().prepare("SELECT notice, sent_at FROM notices ORDER BY notice").all()).toEqual([
      { notice: "outcome:7", sent_at: AFTER_TTL.toISOString() },
      { notice: "reminder", sent_at: LATER.toISOString() },
    ]);
  });
});

describe("rollback approvals", () => {
  it("are stored apart from the change's approvals, with their attempt, and survive a reopen", async () => {
    const two = { ...POLICY, requiredApprovals: 2 };
    const store = open();
    const r = await create(store);
    await mustApply(store, r.id, { type: "preflight-complete" }, LATER, two);
    await mustApply(store, r.id, approveAs(A1, r), LATER, two);
    await mustApply(store, r.id, approveAs(A2, r), LATER, two);
    await mustApply(store, r.id, { type: "start-execution" }, LATER, two);
    await mustApply(store, r.id, { type: "fail", reason: "x" }, LATER, two);
    const rollback: ChangeEvent = { type: "rollback", actor: A1, actorGroups: [], hash: r.planHash };
    const pending = await mustApply(store, r.id, rollback, LATER, two);
    await store.close();

    const reopened = await open().get(r.id);
    expect(reopened).toEqual(pending);
    expect(reopened).toMatchObject({
      state: "failed",
      approvals: [{ actor: A1 }, { actor: A2 }],
      rollbackApprovals: [{ actor: A1, hash: r.planHash, round: 1, at: LATER.toISOString() }],
      rollbacksStarted: 0,
    });
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

  it("refuses a plan whose hash already names another plan, writing nothing", async () => {
    const store = open();
    await create(store);
    const result = store.createChange({
      requester: REQ,
      channel: "C-OPS",
      plan: () => fakePlan("CHG-2", { hash: "hash-of-CHG-1", primary: "mom-c", secondary: "mom-d" }),
      hosts: { primary: "mom-c", secondary: "mom-d" },
      now: T0,
      ttlMinutes: 30,
    });
    await expect(result).rejects.toThrow(
      "CHG-2: another plan is already stored under its plan hash hash-of-CHG-1",
    );
    expect((await store.list()).map((c) => c.id)).toEqual(["CHG-1"]);
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
