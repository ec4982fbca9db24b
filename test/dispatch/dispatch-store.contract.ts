// The dispatch store's contract (src/dispatch/ports/dispatch-store.ts), one suite for every engine:
// sqlite-store.test.ts runs it on a SQLite file, postgres/dispatch-store.test.ts on a real
// PostgreSQL cluster. Each case goes through the port only, so what it proves holds for both: the
// registration token spent once, a revoke seen at the next read, a job leased once and its
// lifecycle's refusals, the sweep's lost, re-offered and expired jobs, the plan rebuilt byte for byte.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { secretHash } from "../../src/dispatch/auth.ts";
import { DispatchError } from "../../src/dispatch/errors.ts";
import { generateSigningKeys } from "../../src/dispatch/keys.ts";
import type { DispatchStore, LeaseRequest } from "../../src/dispatch/ports/dispatch-store.ts";
import { hostKey } from "../../src/domain/host.ts";
import { type Job, type JobKind, jobSchema } from "../../src/domain/job.ts";
import { type SignedJob, signJob } from "../../src/protocol/signing.ts";
import type { RegisterRequest } from "../../src/protocol/wire.ts";
import { fakePlan } from "../support/plan.ts";
import { PLAN_HASH, stepEvent, T0 } from "./support.ts";

export interface OpenedStore {
  store: DispatchStore;
  cleanup(): Promise<void>;
}

const KEYS = generateSigningKeys();
const HOUR = 60 * 60 * 1000;
const LEASE = 60_000;
const t = (ms: number) => T0.getTime() + ms;

export function signedJob(
  id: string,
  options: { kind?: JobKind; runner?: string; ttlMs?: number } = {},
): SignedJob {
  const job: Job = jobSchema.parse({
    id,
    kind: options.kind ?? "execute",
    changeId: "CHG-7",
    runner: options.runner ?? "mom-a",
    host: options.runner ?? "mom-a",
    role: "primary",
    planHash: PLAN_HASH,
    plan: fakePlan("CHG-7", { hash: PLAN_HASH }),
    issuedAt: T0.toISOString(),
    expiresAt: new Date(t(options.ttlMs ?? 15 * 60_000)).toISOString(),
  });
  return signJob(job, KEYS);
}

export const leaseFor = (runner: string, nowMs = t(1000)): LeaseRequest => ({
  runner,
  serves: (host) => hostKey(host) === hostKey(runner),
  nowMs,
  leaseMs: LEASE,
});

const registration = (token: string, extra: Partial<RegisterRequest> = {}): RegisterRequest => ({
  token,
  version: "0.1.0",
  platform: "linux",
  hostname: "mom-a",
  ...extra,
});

/** Adds runner `name` (host `name`) with token `tok-<name>` and registers it with credential `cred-<name>`. */
/** Two runners, each with one leased job (j1 for mom-a, j2 for mom-b). */
export async function twoLeasedJobs(store: DispatchStore): Promise<void> {
  await enrolled(store, "mom-a");
  await enrolled(store, "mom-b");
  await store.insertJob(signedJob("j1"), t(0));
  await store.insertJob(signedJob("j2", { runner: "mom-b" }), t(0));
  await store.take(leaseFor("mom-a"));
  await store.take(leaseFor("mom-b"));
}

export async function enrolled(store: DispatchStore, name: string): Promise<void> {
  const token = { hash: secretHash(`tok-${name}`), createdAt: T0.toISOString(), expiresMs: t(HOUR) };
  await store.addRunner({ name, host: name, platform: "linux" }, token);
  const registered = await store.register(
    secretHash(`tok-${name}`),
    registration(`tok-${name}`, { hostname: name }),
    secretHash(`cred-${name}`),
    T0,
  );
  if (!registered.ok) throw new Error(registered.error);
}

export function dispatchStoreContract(engine: string, open: () => Promise<OpenedStore>): void {
  describe(`the dispatch store on ${engine}`, () => {
    let opened: OpenedStore;
    let store: DispatchStore;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it("exchanges a registration token once, then knows the credential's runner", async () => {
      await enrolled(store, "mom-a");
      const again = await store.register(
        secretHash("tok-mom-a"),
        registration("tok-mom-a"),
        secretHash("x"),
        T0,
      );
      expect(again).toMatchObject({ ok: false, code: "bad-token" });
      expect(again.ok ? "" : again.error).toMatch(/already used at/);
      const owner = await store.credentialOwner(secretHash("cred-mom-a"));
      expect(owner).toMatchObject({ credentialRevoked: false, runner: { name: "mom-a", version: "0.1.0" } });
      expect(owner?.runner.registered_at).toBe(T0.toISOString());
      expect(await store.credentialOwner(secretHash("x"))).toBeNull();
    });

    it("refuses an expired, unknown or mismatched token, and a second runner for one machine", async () => {
      const token = { hash: secretHash("tok"), createdAt: T0.toISOString(), expiresMs: t(HOUR) };
      await store.addRunner({ name: "mom-a", host: "mom-a", platform: "windows" }, token);
      const unknown = await store.register(secretHash("nope"), registration("nope"), secretHash("c"), T0);
      expect(unknown).toMatchObject({ ok: false, code: "bad-token" });
      const wrong = await store.register(secretHash("tok"), registration("tok"), secretHash("c"), T0);
      expect(wrong).toMatchObject({ ok: false, code: "mismatch" });
      const late = await store.register(
        secretHash("tok"),
        registration("tok", { platform: "windows" }),
        secretHash("c"),
        new Date(t(HOUR + 1)),
      );
      expect(late.ok ? "" : late.error).toMatch(/expired/);
      const other = { hash: secretHash("tok2"), createdAt: T0.toISOString(), expiresMs: t(HOUR) };
      await expect(
        store.addRunner({ name: "mom-a2", host: "MOM-A.corp.example", platform: "linux" }, other),
      ).rejects.toThrow(expect.objectContaining({ code: "host-taken" }));
      expect((await store.runners()).map((r) => r.name)).toEqual(["mom-a"]);
    });

    it("revokes a runner: its credential at the next read, its unused token, and only once", async () => {
      await enrolled(store, "mom-a");
      const spare = { hash: secretHash("spare"), createdAt: T0.toISOString(), expiresMs: t(HOUR) };
      await store.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" }, spare);
      expect(await store.revoke("mom-a", new Date(t(5)))).toBe(true);
      expect(await store.revoke("mom-a", new Date(t(6)))).toBe(false);
      expect(await store.credentialOwner(secretHash("cred-mom-a"))).toMatchObject({
        credentialRevoked: true,
      });
      const spent = await store.register(secretHash("spare"), registration("spare"), secretHash("c2"), T0);
      expect(spent.ok ? "" : spent.error).toMatch(/cancelled: runner "mom-a" was revoked/);
      expect(await store.activeRunnersOn(hostKey("mom-a"))).toEqual([]);
    });

    it("keeps the latest time a runner was seen, never an earlier one", async () => {
      await enrolled(store, "mom-a");
      await store.touch("mom-a", t(50_000));
      await store.touch("mom-a", t(20_000));
      expect((await store.runner("mom-a"))?.last_seen_ms).toBe(t(50_000));
      expect(await store.runner("nobody")).toBeNull();
    });

    it("queues a job once by id and leases it once, oldest first, to its own runner only", async () => {
      await enrolled(store, "mom-a");
      await enrolled(store, "mom-b");
      expect(await store.insertJob(signedJob("j1"), t(0))).toBeNull();
      await store.insertJob(signedJob("j2"), t(1));
      await expect(store.insertJob(signedJob("j1"), t(2))).rejects.toThrow(DispatchError);
      expect(await store.runnersWithQueuedJobs(["mom-a", "mom-b", "nobody"])).toEqual(["mom-a"]);
      expect(await store.take(leaseFor("mom-b"))).toBeNull();
      const first = await store.take(leaseFor("mom-a"));
      expect(first).toMatchObject({ state: "leased", attempts: 1, job: { id: "j1" } });
      // The wire form is the signed envelope as queued, plan and all, byte for byte.
      expect(JSON.stringify(first?.wire)).toBe(JSON.stringify(signedJob("j1")));
      expect((await store.take(leaseFor("mom-a")))?.job.id).toBe("j2");
      expect(await store.take(leaseFor("mom-a"))).toBeNull();
      expect(await store.runnersWithQueuedJobs(["mom-a", "mom-b"])).toEqual([]);
      expect((await store.job("j1"))?.leaseUntil).toBe(new Date(t(1000) + LEASE).toISOString());
    });

    it("records step events reported together (one batch) each in its job's order, with its own answer", async () => {
      await twoLeasedJobs(store);
      // Not awaited one by one: asked in one loop turn, as a busy runner API asks them.
      const answers = await Promise.all([
        store.recordEvent("mom-b", "j2", 1, stepEvent("j2", 0), t(2000), LEASE),
        store.recordEvent("mom-a", "j1", 1, stepEvent("j1", 0), t(2000), LEASE),
        store.recordEvent("mom-a", "j1", 2, stepEvent("j1", 1), t(2001), LEASE),
        store.recordEvent("mom-a", "j1", 2, stepEvent("j1", 1), t(2002), LEASE),
        store.recordEvent("mom-a", "j1", 4, stepEvent("j1", 3), t(2003), LEASE),
        store.recordEvent("mom-b", "j1", 3, stepEvent("j1", 2), t(2004), LEASE),
        store.recordEvent("mom-a", "j1", 3, stepEvent("j1", 2), t(2005), LEASE),
      ]);
      expect(answers.map((a) => (a.ok ? (a.value.duplicate ? "duplicate" : "recorded") : a.code))).toEqual([
        "recorded",
        "recorded",
        "recorded",
        "duplicate",
        "out-of-order",
        "not-found",
        "recorded",
      ]);
      expect(await store.events("j1")).toEqual([0, 1, 2].map((i) => stepEvent("j1", i)));
      expect(await store.events("j2")).toEqual([stepEvent("j2", 0)]);
      // The lease runs from the last event recorded.
      expect((await store.job("j1"))?.leaseUntil).toBe(new Date(t(2005) + LEASE).toISOString());
    });

    it("queues and leases for a waiter in one call", async () => {
      await enrolled(store, "mom-a");
      const leased = await store.insertJob(signedJob("j1"), t(0), leaseFor("mom-a"));
      expect(leased).toMatchObject({ state: "leased", job: { id: "j1" } });
      expect((await store.job("j1"))?.state).toBe("leased");
    });

    it("records step events in order, once each, and a result once, refusing what the lifecycle refuses", async () => {
      await enrolled(store, "mom-a");
      await store.insertJob(signedJob("j1"), t(0));
      await store.take(leaseFor("mom-a"));
      const one = await store.recordEvent("mom-a", "j1", 1, stepEvent("j1", 0), t(2000), LEASE);
      expect(one).toMatchObject({ ok: true, value: { duplicate: false, job: { id: "j1" } } });
      const again = await store.recordEvent("mom-a", "j1", 1, stepEvent("j1", 0), t(2001), LEASE);
      expect(again).toMatchObject({ ok: true, value: { duplicate: true } });
      const skipped = await store.recordEvent("mom-a", "j1", 3, stepEvent("j1", 2), t(2002), LEASE);
      expect(skipped).toMatchObject({ ok: false, code: "out-of-order" });
      const stranger = await store.recordEvent("mom-b", "j1", 2, stepEvent("j1", 1), t(2003), LEASE);
      expect(stranger).toMatchObject({ ok: false, code: "not-found" });
      expect(await store.heartbeat("mom-a", "j1", t(3000), LEASE)).toEqual({
        ok: true,
        value: { leaseUntil: new Date(t(3000) + LEASE).toISOString() },
      });
      expect(await store.finish("mom-a", "j1", { ok: true }, t(4000))).toMatchObject({
        ok: true,
        value: { duplicate: false },
      });
      expect(await store.finish("mom-a", "j1", { ok: true }, t(4001))).toMatchObject({
        ok: true,
        value: { duplicate: true },
      });
      expect(await store.heartbeat("mom-a", "j1", t(5000), LEASE)).toMatchObject({
        ok: false,
        code: "not-running",
      });
      expect(await store.events("j1")).toEqual([stepEvent("j1", 0)]);
      expect((await store.jobsOf("CHG-7")).map((j) => [j.job.id, j.state, j.result])).toEqual([
        ["j1", "done", { ok: true }],
      ]);
    });

    it("sweeps each overdue lease and expired job once: lost, offered again, or expired", async () => {
      await enrolled(store, "mom-a");
      await store.insertJob(signedJob("exec"), t(0));
      await store.insertJob(signedJob("pre", { kind: "preflight" }), t(0));
      await store.insertJob(signedJob("stale", { ttlMs: 2000 }), t(0));
      await store.take(leaseFor("mom-a"));
      await store.take(leaseFor("mom-a"));
      const swept = await store.sweep(t(1000) + LEASE + 1);
      expect(swept.lost.map((j) => j.id)).toEqual(["exec"]);
      expect(swept.requeued.map((j) => j.id)).toEqual(["pre"]);
      expect(swept.expired.map((j) => j.id)).toEqual(["stale"]);
      expect(await store.sweep(t(1000) + LEASE + 2)).toEqual({ lost: [], requeued: [], expired: [] });
      expect((await store.job("pre"))?.state).toBe("queued");
    });

    it("renews the leases that ran out during an outage of the store before it sweeps, and runs them out a lease later", async () => {
      await enrolled(store, "mom-a");
      await store.insertJob(signedJob("exec"), t(0));
      await store.take(leaseFor("mom-a"));
      // The first sweep after the outage, long after the lease ran out: nothing is lost.
      const back = t(1000) + 5 * LEASE;
      expect(await store.sweep(back, back + LEASE)).toEqual({ lost: [], requeued: [], expired: [] });
      expect((await store.job("exec"))?.leaseUntil).toBe(new Date(back + LEASE).toISOString());
      // A runner that stays silent after that is lost one lease later, as ever.
      expect((await store.sweep(back + LEASE - 1)).lost).toEqual([]);
      expect((await store.sweep(back + LEASE + 1)).lost.map((j) => j.id)).toEqual(["exec"]);
    });
  });
}
