// The change store on a real PostgreSQL server: the contract every engine keeps
// (../change-store.contract.ts), then what only several replicas can show. One throwaway cluster
// for the file, a database per test; every store opens its own pool, so two stores are two
// replicas as far as the server can tell. Races start together with Promise.all and assert only
// what must hold whichever replica wins.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.ts";
import { PG } from "../../../src/store/postgres/change-queries.ts";
import { openPostgresStore } from "../../../src/store/postgres/change-store.ts";
import { connectClient, openPostgres } from "../../../src/store/postgres/connect.ts";
import { copySqliteToPostgres } from "../../../src/store/postgres/copy.ts";
import { isDatabaseUnavailable } from "../../../src/store/postgres/unavailable.ts";
import { GROWING_TABLES } from "../../../src/store/served-queries.ts";
import { openSqliteStore } from "../../../src/store/sqlite.ts";
import type { ChangeStore } from "../../../src/store/store.ts";
import { fakePlan } from "../../support/plan.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../../support/postgres.ts";
import {
  A1,
  A2,
  approveAs,
  changeStoreContract,
  create,
  driveTo,
  LATER,
  mustApply,
  REQ,
  request,
  T0,
  TWO_APPROVALS,
} from "../change-store.contract.ts";
import {
  messageOf,
  messageRendersContract,
  raceUpdates,
  recordOn,
  shownOn,
} from "../message-renders.contract.ts";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the PostgreSQL change store tests: ${POSTGRES_INSTALL_HINT}`);

/** Small pages, so the contract's export crosses page boundaries. */
const AUDIT_PAGE = 3;

let pg: PostgresServer;
let databases = 0;
const opened: ChangeStore[] = [];
const urlOf = new Map<ChangeStore, string>();

async function openOn(url: string, logged: string[] = []): Promise<ChangeStore> {
  const logger = createLogger({
    level: "warn",
    destination: { write: (line: string) => void logged.push(line) },
  });
  const store = await openPostgresStore(url, { auditPageSize: AUDIT_PAGE, maxConnections: 4, logger });
  opened.push(store);
  urlOf.set(store, url);
  return store;
}

/** A database migrated once in beforeAll: each test's database is a copy of it (CREATE DATABASE … TEMPLATE). */
const MIGRATED = "changes_migrated";

async function fresh(): Promise<ChangeStore> {
  const name = `changes_${++databases}`;
  await pg.query("postgres", `CREATE DATABASE ${name} TEMPLATE ${MIGRATED}`);
  const url = new URL(pg.url);
  url.pathname = `/${name}`;
  return openOn(url.href);
}

async function again(store: ChangeStore, logged?: string[]): Promise<ChangeStore> {
  const url = urlOf.get(store);
  if (url === undefined) throw new Error("not a store this file opened");
  return openOn(url, logged);
}

describe.skipIf(bin === null)("the change store on PostgreSQL", () => {
  beforeAll(async () => {
    pg = await startPostgres();
    // Opening a store migrates its database; closing it leaves no connection to the template.
    await (await openPostgresStore(await pg.createDatabase(MIGRATED))).close();
  }, 90_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    urlOf.clear();
  });
  afterAll(async () => {
    await pg?.close();
  });

  describe("the contract", () => {
    changeStoreContract({ fresh, again });
    messageRendersContract({ fresh, again });
  });

  describe("two replicas at the same instant", () => {
    it("a replica whose send hangs holds its message's lock no longer than the hold: the server ends its session, the other updates, the hung one records nothing", async () => {
      const a = await fresh();
      const url = urlOf.get(a) ?? "";
      const logged: string[] = [];
      const hung = await openPostgresStore(url, {
        renderHoldMs: 300,
        logger: createLogger({
          level: "warn",
          destination: { write: (line: string) => void logged.push(line) },
        }),
      });
      opened.push(hung);
      const key = await messageOf(a);
      let unhang = () => {};
      let hungHolds = () => {};
      const holding = new Promise<void>((resolve) => {
        hungHolds = resolve;
      });
      const stuck = hung.renders.withMessage(key, async (claim) => {
        hungHolds();
        await new Promise<void>((resolve) => {
          unhang = resolve;
        });
        await claim.record({ version: 1, digest: "hung" });
        return "sent late";
      });
      await holding;
      // The other replica gets the message once the server cut the hung one off.
      await recordOn(a, key, { version: 2, digest: "newer" });
      unhang();
      expect(await stuck).toBe("sent late");
      expect(await shownOn(a, key)).toEqual({ version: 2, digest: "newer" });
      expect(logged.join("")).toContain("could not record what the change message shows");
    }, 60_000);

    it("updating one message: the lock puts both replicas' updates in line, each sees the one before", async () => {
      const a = await fresh();
      const b = await again(a);
      const key = await messageOf(a);
      expect(await raceUpdates([a, b], key, 12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(await shownOn(b, key)).toEqual({ version: 12, digest: "render 12" });
    });

    it("planning for the same host: one change, one conflict naming it", async () => {
      const a = await fresh();
      const b = await again(a);
      for (let round = 0; round < 10; round += 1) {
        const hosts = { primary: `mom-${round}`, secondary: `mom-${round}-b` };
        const plan = (who: ChangeStore, primary: string, secondary: string) =>
          who.createChange({
            requester: REQ,
            channel: null,
            plan: (id) => fakePlan(id, { primary, secondary }),
            hosts: { primary, secondary },
            now: T0,
            ttlMinutes: 30,
          });
        // The same machine, spelled differently and in the other role on the second replica.
        const results = await Promise.all([
          plan(a, hosts.primary, hosts.secondary),
          plan(b, `mom-x${round}`, hosts.primary.toUpperCase()),
        ]);
        const made = results.flatMap((r) => (r.ok ? [r.record] : []));
        const refused = results.flatMap((r) => (r.ok ? [] : [r.conflict]));
        expect(made).toHaveLength(1);
        expect(refused.map((c) => c.id)).toEqual(made.map((c) => c.id));
      }
      expect(await a.list({ limit: 100 })).toHaveLength(10);
    });

    it("two approvals with two required: exactly one transition to approved, both approvals recorded", async () => {
      const a = await fresh();
      const b = await again(a);
      for (let round = 0; round < 10; round += 1) {
        const r = await create(a, `mom-${round}a`, `mom-${round}b`);
        await mustApply(a, r.id, { type: "preflight-complete" }, LATER, TWO_APPROVALS);
        const ctx = { now: LATER, policy: TWO_APPROVALS };
        const results = await Promise.all([
          a.apply(r.id, approveAs(A1, r), ctx),
          b.apply(r.id, approveAs(A2, r), ctx),
        ]);
        expect(results.map((x) => x.ok)).toEqual([true, true]);
        const states = results.map((x) => (x.ok ? x.record.state : null)).sort();
        expect(states).toEqual(["approved", "awaiting_approval"]);
        const record = await b.get(r.id);
        expect(record).toMatchObject({ state: "approved", version: 4 });
        expect(record?.approvals.map((x) => x.actor).sort()).toEqual([A1, A2]);
        const audit = await a.audit(r.id);
        expect(audit.filter((e) => e.event === "approve").map((e) => e.toState)).toEqual([
          "awaiting_approval",
          "approved",
        ]);
      }
    });

    it("one Slack redelivery reaching both: one received, one duplicate", async () => {
      const a = await fresh();
      const b = await again(a);
      for (let round = 0; round < 10; round += 1) {
        const key = `action:UAPP1:${round}`;
        const outcomes = await Promise.all([a.inbox.receive(request(key)), b.inbox.receive(request(key))]);
        expect(outcomes.sort()).toEqual(["duplicate", "received"]);
      }
      expect(await a.inbox.unfinished()).toHaveLength(10);
    });

    it("claiming one notice: true for exactly one of them", async () => {
      const a = await fresh();
      const b = await again(a);
      const r = await create(a);
      for (let round = 0; round < 10; round += 1) {
        const notice = `outcome:${round}`;
        const claims = await Promise.all([
          a.claimNotice(r.id, notice, LATER),
          b.claimNotice(r.id, notice, LATER),
        ]);
        expect(claims.sort()).toEqual([false, true]);
      }
    });

    it("20 creations on each on distinct hosts: 40 changes, CHG-1 to CHG-40, each number once", async () => {
      const a = await fresh();
      const b = await again(a);
      const results = await Promise.all(
        [a, b].flatMap((store, replica) =>
          Array.from({ length: 20 }, (_, i) => create(store, `mom-${replica}-${i}`, `mom-${replica}-${i}-b`)),
        ),
      );
      const numbers = results.map((r) => Number(r.id.slice("CHG-".length))).sort((x, y) => x - y);
      expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      for (const r of results) expect(r.plan.changeId).toBe(r.id);
      expect(await a.list({ limit: 100 })).toHaveLength(40);
    });
  });

  describe("a store copied from SQLite", () => {
    it("reads back every record as SQLite does, approvals in the order given, and numbers on after it", async () => {
      const dir = mkdtempSync(join(tmpdir(), "momlink-copy-"));
      try {
        const path = join(dir, "momlink.db");
        const sqlite = openSqliteStore(path);
        const r = await create(sqlite);
        await mustApply(sqlite, r.id, { type: "preflight-complete" }, LATER, TWO_APPROVALS);
        await mustApply(sqlite, r.id, approveAs(A2, r), LATER, TWO_APPROVALS);
        await mustApply(sqlite, r.id, approveAs(A1, r), T0, TWO_APPROVALS);
        await create(sqlite, "mom-c", "mom-d");
        const records = await sqlite.list();
        const audit = await sqlite.audit(r.id);
        await sqlite.close();

        const url = await pg.createDatabase(`changes_${++databases}`);
        const source = new DatabaseSync(path, { readOnly: true });
        const target = openPostgres(url, { max: 1 });
        try {
          await copySqliteToPostgres(source, target, { from: path });
        } finally {
          source.close();
          await target.close();
        }
        const store = await openOn(url);
        expect(await store.list()).toEqual(records);
        expect(records[1]?.approvals.map((a) => a.actor)).toEqual([A2, A1]);
        expect(await store.audit(r.id)).toEqual(audit);
        expect((await create(store, "mom-e", "mom-f")).id).toBe("CHG-3");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("the statements", () => {
    // With sequential scans priced out, a statement still planned as a Seq Scan of a growing table
    // has no index it could use at all. This is weaker than SQLite's served-queries test (an
    // index scanned end to end passes here; the planner's choice on tiny tables says little about
    // 100k rows): it catches a statement on a column no index covers.
    const samples: [keyof typeof PG, unknown[]][] = [
      ["changeById", ["CHG-1"]],
      ["lockChange", ["CHG-1"]],
      ["openConflict", [["mom-a", "mom-b"], ["planned"], ""]],
      ["latestChanges", [20]],
      ["latestChangesInStates", [20, ["planned"]]],
      ["requesterChanges", ["U0ALICE01", 20]],
      ["hostChanges", ["mom-a", 20]],
      ["hostChangesInStates", ["mom-a", 20, ["planned"]]],
      ["dueForExpiry", [["planned"], T0.toISOString()]],
      ["auditOfChange", ["CHG-1"]],
      ["auditPage", [0, 500]],
      ["inboxUnfinished", []],
    ];
    it.each(samples)(
      "%s can be planned without a sequential scan of a growing table",
      async (name, values) => {
        const store = await fresh();
        const url = urlOf.get(store) ?? "";
        const connection = openPostgres(url, { max: 1 });
        try {
          const client = await connection.pool.connect();
          try {
            await client.query("SET enable_seqscan = off");
            const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${PG[name]}`, values);
            const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
            const scanned = GROWING_TABLES.filter((table) =>
              new RegExp(`Seq Scan on ${table}\\b`).test(plan),
            );
            expect(scanned, plan).toEqual([]);
          } finally {
            client.release();
          }
        } finally {
          await connection.close();
        }
      },
    );
  });

  describe("on a connection the caller keeps", () => {
    it("migrates through it, and closing the store leaves it open for its other users", async () => {
      const url = await pg.createDatabase(`changes_${++databases}`);
      const connection = openPostgres(url, { max: 2 });
      try {
        const store = await openPostgresStore(connection);
        const r = await create(store);
        await store.close();
        const { rows } = await connection.pool.query<{ id: string }>("SELECT id FROM changes");
        expect(rows).toEqual([{ id: r.id }]);
        expect(connection.pool.listenerCount("error")).toBe(1); // openPostgres's own, not the store's
      } finally {
        await connection.close();
      }
    });
  });

  describe("CHG-n", () => {
    it("continues after the number a store copy set the identity to", async () => {
      const store = await fresh();
      const url = urlOf.get(store) ?? "";
      const database = new URL(url).pathname.slice(1);
      await pg.query(database, "SELECT setval(pg_get_serial_sequence('changes', 'seq'), 41, true)");
      expect((await create(store)).id).toBe("CHG-42");
    });
  });

  describe("the server restarted", () => {
    it("a call during the outage rejects as unavailable, nothing crashes, and the pool reconnects when it is back", async () => {
      const logged: string[] = [];
      const first = await fresh();
      const store = await again(first, logged);
      const r = await driveTo(store, "awaiting_approval", await create(store));
      await pg.stop();
      try {
        const refused = store.apply(r.id, approveAs(A1, r), { now: LATER, policy: TWO_APPROVALS });
        await expect(refused).rejects.toSatisfy(isDatabaseUnavailable);
        await expect(refused).rejects.toThrow(
          /^the database is unavailable, try again in a moment \(MOMLINK_DATABASE_URL /,
        );
        await expect(store.get(r.id)).rejects.toSatisfy(isDatabaseUnavailable);
        await expect(store.inbox.receive(request("during-outage"))).rejects.toSatisfy(isDatabaseUnavailable);
      } finally {
        await pg.start();
      }
      // Nothing of the refused call was written; the pool opens new connections by itself.
      expect(await store.get(r.id)).toMatchObject({ state: "awaiting_approval", approvals: [] });
      expect((await mustApply(store, r.id, approveAs(A1, r), LATER, TWO_APPROVALS)).approvals).toHaveLength(
        1,
      );
      expect(await store.inbox.receive(request("after-outage"))).toBe("received");
      expect(logged.join("")).toContain("PostgreSQL connection lost; the next call reconnects");
    });

    it("a connection checked out between two statements of a transaction, cut by the stop, does not take the process down", async () => {
      // pg emits 'error' on a client that loses its server while no query runs, and a pool takes
      // its own listener off the clients it hands out: unheard, that error ended serve itself
      // (vitest fails the run on it: an uncaught exception).
      const url = await pg.createDatabase(`changes_${++databases}`);
      const connection = openPostgres(url);
      try {
        const client = await connectClient(connection);
        await client.query("BEGIN");
        await pg.stop();
        try {
          const cut = await client.query("SELECT 1").then(
            () => null,
            (error: unknown) => error,
          );
          expect(cut).toBeInstanceOf(Error);
          client.release(cut as Error);
        } finally {
          await pg.start();
        }
        // The pool dropped that client: the next one is a new connection.
        const next = await connectClient(connection);
        expect((await next.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
        next.release();
      } finally {
        await connection.close();
      }
    });
  });
});
