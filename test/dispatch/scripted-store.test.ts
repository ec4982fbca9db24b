// The dispatch store's two load paths on a SQLite file (issue 10): runner reports made in one
// loop turn are one commit (store/write-batch.ts), each answered only after it, a report that throws
// failing only itself; and a change's jobs read again for a render rebuild no plan (queue.ts
// viewOf), while a row changed behind the store's back is decoded afresh. Commits are counted on
// the store's own diagnostics channel (store/transaction.ts), statements by wrapping the driver.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DispatchStore } from "../../src/dispatch/ports/dispatch-store.ts";
import { scriptedDispatchStore } from "../../src/dispatch/scripted-store.ts";
import { sqliteDispatchStore } from "../../src/dispatch/sqlite-store.ts";
import { DISPATCH_SCHEMA } from "../../src/dispatch/store.ts";
import { openDatabase } from "../../src/store/database.ts";
import { runSqliteTransaction, type Script } from "../../src/store/script.ts";
import { SQLITE_WRITE_CHANNEL } from "../../src/store/transaction.ts";
import { signedJob, twoLeasedJobs } from "./dispatch-store.contract.ts";
import { stepEvent, T0, tempDir } from "./support.ts";

const LEASE = 60_000;
const t = (ms: number) => T0.getTime() + ms;

let tmp: ReturnType<typeof tempDir>;
let path: string;
let raw: DatabaseSync | undefined;
/** What happened, in order: "commit" per committed write transaction, and what each test adds. */
let log: string[];
const onCommit = () => void log.push("commit");

beforeEach(() => {
  tmp = tempDir();
  path = join(tmp.dir, "momlink.db");
  log = [];
});
afterEach(() => {
  unsubscribe(SQLITE_WRITE_CHANNEL, onCommit);
  raw?.close();
  raw = undefined;
  tmp.cleanup();
});

describe("runner reports made in one loop turn", () => {
  it("are one commit (steps, a result, a sighting), and each is answered only after it", async () => {
    const store = sqliteDispatchStore(path);
    await twoLeasedJobs(store);
    subscribe(SQLITE_WRITE_CHANNEL, onCommit);
    const reports = [
      store.recordEvent("mom-a", "j1", 1, stepEvent("j1", 0), t(2000), LEASE),
      store.recordEvent("mom-b", "j2", 1, stepEvent("j2", 0), t(2000), LEASE),
      store.recordEvent("mom-a", "j1", 2, stepEvent("j1", 1), t(2001), LEASE),
      store.finish("mom-b", "j2", { ok: true }, t(2002)),
      store.touch("mom-a", t(2003)),
    ].map((p, n) =>
      p.then((answer) => {
        log.push(`answered ${n}`);
        return answer;
      }),
    );
    const [first, , second, result] = await Promise.all(reports);
    expect([first, second, result].map((a) => (typeof a === "object" ? a.ok : a))).toEqual([
      true,
      true,
      true,
    ]);
    // One commit, before any answer (answered by the row each locks: j1's two, j2's two, the runner).
    expect(log).toEqual(["commit", "answered 0", "answered 2", "answered 1", "answered 3", "answered 4"]);
    expect(await store.events("j1")).toEqual([stepEvent("j1", 0), stepEvent("j1", 1)]);
    expect(await store.events("j2")).toEqual([stepEvent("j2", 0)]);
    expect((await store.job("j2"))?.state).toBe("done");
    expect((await store.runner("mom-a"))?.last_seen_ms).toBe(t(2003));
    await store.close();
  });

  it("fail only the one that throws: the others are still recorded, each in its own commit", async () => {
    const store = sqliteDispatchStore(path);
    await twoLeasedJobs(store);
    raw = new DatabaseSync(path);
    raw.prepare("UPDATE dispatch_jobs SET state = 'running' WHERE id = 'j2'").run();
    subscribe(SQLITE_WRITE_CHANNEL, onCommit);
    const [first, altered, second] = await Promise.allSettled([
      store.recordEvent("mom-a", "j1", 1, stepEvent("j1", 0), t(2000), LEASE),
      store.recordEvent("mom-b", "j2", 1, stepEvent("j2", 0), t(2000), LEASE),
      store.recordEvent("mom-a", "j1", 2, stepEvent("j1", 1), t(2001), LEASE),
    ]);
    expect(first).toMatchObject({ status: "fulfilled", value: { ok: true } });
    expect(second).toMatchObject({ status: "fulfilled", value: { ok: true } });
    expect(altered).toMatchObject({
      status: "rejected",
      reason: { message: expect.stringMatching(/column state/) },
    });
    // The batch rolled back whole; then each report alone: j1's two commits, j2's none.
    expect(log).toEqual(["commit", "commit"]);
    expect(await store.events("j1")).toEqual([stepEvent("j1", 0), stepEvent("j1", 1)]);
    await store.close();
  });
});

/** A store on `path` whose driver notes every table a statement reads from (`FROM <table>`). */
function statementsNoted(): DispatchStore {
  const { db } = openDatabase(path, { schemas: [DISPATCH_SCHEMA] });
  function* noted<T>(script: Script<T>): Script<T> {
    let step = script.next();
    while (step.done !== true) {
      for (const [, table] of step.value.sql.matchAll(/FROM\s+(\w+)/gi)) log.push(`read ${table}`);
      step = script.next(yield step.value);
    }
    return step.value;
  }
  return scriptedDispatchStore(
    async (mode, script) => runSqliteTransaction(db, mode, noted(script)),
    async () => db.close(),
  );
}

describe("a change's jobs read again, as each render of its message reads them", () => {
  it("rebuild no plan: the second read of an unchanged job reads no plan row", async () => {
    const store = statementsNoted();
    await twoLeasedJobs(store);
    const first = await store.jobsOf("CHG-7");
    expect(log.filter((l) => l === "read plans").length).toBeGreaterThan(0);
    log = [];
    const again = await store.jobsOf("CHG-7");
    const one = await store.job("j1");
    expect(log).not.toContain("read plans");
    expect(again).toEqual(first);
    expect(one?.job).toEqual(first[0]?.job);
    expect(JSON.stringify(one?.wire)).toBe(JSON.stringify(signedJob("j1")));
    await store.close();
  });

  it("decode a row changed behind the store's back afresh, and show its state as it now stands", async () => {
    const store = statementsNoted();
    await twoLeasedJobs(store);
    await store.jobsOf("CHG-7");
    const other = new DatabaseSync(path);
    raw = other;
    // Another process (a replica, a hand edit) changes the row's state and its stored text.
    const row = other.prepare("SELECT signed_json FROM dispatch_jobs WHERE id = 'j1'").get();
    const edited = String(row?.signed_json).replace('"kind":"execute"', '"kind":"rollback"');
    other.prepare("UPDATE dispatch_jobs SET signed_json = ?, state = 'done' WHERE id = 'j1'").run(edited);
    const [j1] = await store.jobsOf("CHG-7");
    expect(j1?.state).toBe("done");
    expect(j1?.job.kind).toBe("rollback");
    await store.close();
  });
});
