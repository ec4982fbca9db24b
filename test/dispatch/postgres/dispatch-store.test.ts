// The dispatch store's contract (dispatch-store.contract.ts) on a real PostgreSQL cluster, and what
// only PostgreSQL can show: two pools (two replicas) claiming the same rows at the same instant.
import { describe, expect, it } from "vitest";
import { secretHash } from "../../../src/dispatch/auth.ts";
import type { DispatchStore } from "../../../src/dispatch/ports/dispatch-store.ts";
import { openPostgres, type PostgresConnection } from "../../../src/store/postgres/connect.ts";
import { postgresDispatchStore } from "../../../src/store/postgres/dispatch-store.ts";
import { dispatchStoreContract, enrolled, leaseFor, signedJob } from "../dispatch-store.contract.ts";
import { T0 } from "../support.ts";
import { havePostgres, postgresCluster } from "./support.ts";

const cluster = postgresCluster("the PostgreSQL dispatch store tests");

async function twoReplicas(): Promise<{ a: DispatchStore; b: DispatchStore; close: () => Promise<void> }> {
  const url = await cluster.database();
  const pools: PostgresConnection[] = [openPostgres(url), openPostgres(url)];
  const [a, b] = pools.map(postgresDispatchStore) as [DispatchStore, DispatchStore];
  return { a, b, close: async () => void (await Promise.all(pools.map((p) => p.close()))) };
}

/** Runs `fn` on two stores (two pools) of one fresh database, closing them after. */
async function withTwoReplicas(fn: (a: DispatchStore, b: DispatchStore) => Promise<void>): Promise<void> {
  const { a, b, close } = await twoReplicas();
  try {
    await fn(a, b);
  } finally {
    await close();
  }
}

describe.skipIf(!havePostgres)("PostgreSQL", () => {
  dispatchStoreContract("PostgreSQL", async () => {
    const connection = openPostgres(await cluster.database());
    return { store: postgresDispatchStore(connection), cleanup: () => connection.close() };
  });

  describe("two replicas at the same instant", () => {
    it("lease each queued job to one of them only", async () => {
      await withTwoReplicas(async (a, b) => {
        await enrolled(a, "mom-a");
        for (let n = 0; n < 20; n++) await a.insertJob(signedJob(`j${n}`), T0.getTime());
        const taken: string[] = [];
        for (let round = 0; round < 15; round++) {
          const both = await Promise.all([a.take(leaseFor("mom-a")), b.take(leaseFor("mom-a"))]);
          for (const stored of both) if (stored !== null) taken.push(stored.job.id);
        }
        expect(taken.sort()).toEqual(Array.from({ length: 20 }, (_, n) => `j${n}`).sort());
      });
    });

    it("report each lost lease once when both sweep", async () => {
      await withTwoReplicas(async (a, b) => {
        await enrolled(a, "mom-a");
        for (let n = 0; n < 10; n++) {
          await a.insertJob(signedJob(`j${n}`), T0.getTime());
          await a.take(leaseFor("mom-a"));
        }
        const late = T0.getTime() + 5 * 60_000;
        const [fromA, fromB] = await Promise.all([a.sweep(late), b.sweep(late)]);
        const lost = [...fromA.lost, ...fromB.lost].map((j) => j.id).sort();
        expect(lost).toEqual(Array.from({ length: 10 }, (_, n) => `j${n}`).sort());
      });
    });

    it("spend a registration token once, round after round", async () => {
      await withTwoReplicas(async (a, b) => {
        for (let round = 0; round < 10; round++) {
          const name = `mom-${round}`;
          const tokenHash = secretHash(`tok-${round}`);
          const token = { hash: tokenHash, createdAt: T0.toISOString(), expiresMs: T0.getTime() + 60_000 };
          await a.addRunner({ name, host: name, platform: "linux" }, token);
          const body = { token: `tok-${round}`, version: "1", platform: "linux" as const, hostname: name };
          const results = await Promise.all([
            a.register(tokenHash, body, secretHash(`cred-a-${round}`), T0),
            b.register(tokenHash, body, secretHash(`cred-b-${round}`), T0),
          ]);
          expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
          expect(results.find((r) => !r.ok)).toMatchObject({ code: "bad-token" });
        }
      });
    });

    it("queue one derived job id once when both enqueue it", async () => {
      await withTwoReplicas(async (a, b) => {
        await enrolled(a, "mom-a");
        const results = await Promise.allSettled([
          a.insertJob(signedJob("CHG-7-v1-execute-primary"), T0.getTime()),
          b.insertJob(signedJob("CHG-7-v1-execute-primary"), T0.getTime()),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
        expect(results.find((r) => r.status === "rejected")).toMatchObject({
          reason: expect.objectContaining({ code: "duplicate-job" }),
        });
      });
    });
  });

  it("says the database is unavailable, naming no password, when the server is down, and works again after", async () => {
    const connection = openPostgres(await cluster.database());
    const store = postgresDispatchStore(connection);
    try {
      await enrolled(store, "mom-a");
      await cluster.server().stop();
      await expect(store.runners()).rejects.toThrow(
        expect.objectContaining({
          name: "StoreUnavailableError",
          message: expect.stringContaining("listing runners"),
        }),
      );
      await cluster.server().start();
      expect((await store.runners()).map((r) => r.name)).toEqual(["mom-a"]);
    } finally {
      await connection.close();
    }
  });
});
