// The change store's contract, one suite for every engine: a function that registers the cases,
// given how to open a store on a new database and another store on the same one (a restart, a
// second process). change-store.sqlite.test.ts runs it on SQLite, postgres/change-store.test.ts on
// a real PostgreSQL server; what only one engine can show (a file's identity, two replicas racing)
// stays in that engine's own file. Every port method is covered: what it writes, what it refuses,
// and that a refusal writes nothing.
import { describe, expect, it } from "vitest";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import type { ChangeEvent, ChangeRecord, ChangeState } from "../../src/domain/record.ts";
import type { ChangeStore, CreateChangeInput, NewRequest, StoredAuditEntry } from "../../src/store/store.ts";
import { fakePlan } from "../support/plan.ts";

export interface StoreEngine {
  /** A store on a new, empty database; the engine's test file closes it after the test. */
  fresh(): Promise<ChangeStore>;
  /** Another store on the database of `store` (a restart, or a second process beside it). */
  again(store: ChangeStore): Promise<ChangeStore>;
}

export const REQ = "UREQ";
export const A1 = "UAPP1";
export const A2 = "UAPP2";
export const POLICY: ApprovalPolicy = {
  approvers: { users: [A1, A2], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
export const TWO_APPROVALS: ApprovalPolicy = { ...POLICY, requiredApprovals: 2 };
export const T0 = new Date("2025-11-26T10:12:00.000Z");
export const LATER = new Date("2025-11-26T10:20:00.000Z");
const AFTER_TTL = new Date("2025-11-26T10:50:00.000Z");

/** A plan for the two machines, as a person would ask for it. */
export function changeInput(primary = "mom-a", secondary = "mom-b", now = T0): CreateChangeInput {
  return {
    requester: REQ,
    channel: "C-OPS",
    plan: (id) => fakePlan(id, { primary, secondary }),
    hosts: { primary, secondary },
    now,
    ttlMinutes: 30,
  };
}

export async function create(
  store: ChangeStore,
  primary = "mom-a",
  secondary = "mom-b",
  now = T0,
): Promise<ChangeRecord> {
  const result = await store.createChange(changeInput(primary, secondary, now));
  if (!result.ok) throw new Error(`unexpected conflict with ${result.conflict.id}`);
  return result.record;
}

export async function mustApply(
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

export const approveAs = (actor: string, record: ChangeRecord): ChangeEvent => ({
  type: "approve",
  actor,
  actorGroups: [],
  hash: record.planHash,
});

/** Events that walk a fresh change into each state (along the DESIGN diagram). */
function path(state: ChangeState, r: ChangeRecord): ChangeEvent[] {
  const preflight: ChangeEvent = { type: "preflight-complete" };
  const approved = [preflight, approveAs(A1, r)];
  const executing = [...approved, { type: "start-execution" } as const];
  const failed = [...executing, { type: "fail", reason: "x" } as const];
  const rollback: ChangeEvent = { type: "rollback", actor: A1, actorGroups: [], hash: r.planHash };
  const paths: Record<ChangeState, ChangeEvent[]> = {
    planned: [],
    awaiting_approval: [preflight],
    approved,
    executing,
    succeeded: [...executing, { type: "succeed" }],
    failed,
    rolling_back: [...failed, rollback],
    rolled_back: [...failed, rollback, { type: "rolled-back" }],
    rejected: [preflight, { type: "reject", actor: A1, actorGroups: [], reason: "no" }],
    expired: [preflight, { type: "expire" }],
    cancelled: [{ type: "cancel", actor: REQ, actorGroups: [] }],
    needs_verification: [...executing, { type: "runner-lost", host: "mom-a" }],
  };
  return paths[state];
}

export async function driveTo(
  store: ChangeStore,
  state: ChangeState,
  r: ChangeRecord,
): Promise<ChangeRecord> {
  let record = r;
  for (const event of path(state, r)) {
    record = await mustApply(store, r.id, event, event.type === "expire" ? AFTER_TTL : LATER);
  }
  expect(record.state).toBe(state);
  return record;
}

export const request = (key: string, extra: Partial<NewRequest> = {}): NewRequest => ({
  key,
  kind: "approve",
  changeId: "CHG-1",
  actor: A1,
  channel: "C0OPS0001",
  payload: { hash: "hash-of-CHG-1" },
  receivedAt: T0,
  ...extra,
});

async function collect(entries: AsyncIterable<StoredAuditEntry>): Promise<StoredAuditEntry[]> {
  const out: StoredAuditEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

const ids = (records: ChangeRecord[]) => records.map((r) => r.id);

export function changeStoreContract(engine: StoreEngine): void {
  describe("creating changes", () => {
    it("numbers changes CHG-1, CHG-2, … and builds each plan with its own id", async () => {
      const store = await engine.fresh();
      const first = await create(store, "mom-a", "mom-b");
      const second = await create(store, "mom-c", "mom-d");
      expect([first.id, second.id]).toEqual(["CHG-1", "CHG-2"]);
      expect(second.plan.changeId).toBe("CHG-2");
      expect(await store.get("CHG-2")).toEqual(second);
      expect(await store.audit("CHG-2")).toMatchObject([{ event: "create", actor: REQ, toState: "planned" }]);
    });

    it("refuses a plan built for another change id and writes nothing", async () => {
      const store = await engine.fresh();
      await expect(
        store.createChange({
          requester: REQ,
          channel: null,
          plan: fakePlan("CHG-7"),
          hosts: { primary: "mom-a", secondary: "mom-b" },
          now: T0,
          ttlMinutes: 30,
        }),
      ).rejects.toThrow(/the plan was built for CHG-7 but the new change is CHG-\d+/);
      expect(await store.list()).toEqual([]);
      expect(await collect(store.exportAudit())).toEqual([]);
      // The hosts were not taken by the refused plan.
      expect((await create(store)).state).toBe("planned");
    });

    it("refuses a plan whose hash already names another plan, writing nothing", async () => {
      const store = await engine.fresh();
      await create(store);
      const result = store.createChange({
        requester: REQ,
        channel: "C-OPS",
        plan: (id) => fakePlan(id, { hash: "hash-of-CHG-1", primary: "mom-c", secondary: "mom-d" }),
        hosts: { primary: "mom-c", secondary: "mom-d" },
        now: T0,
        ttlMinutes: 30,
      });
      await expect(result).rejects.toThrow(
        /CHG-\d+: another plan is already stored under its plan hash hash-of-CHG-1/,
      );
      expect(ids(await store.list())).toEqual(["CHG-1"]);
    });

    it("gives no record for an unknown id", async () => {
      const store = await engine.fresh();
      expect(await store.get("CHG-404")).toBeNull();
      expect(await store.audit("CHG-404")).toEqual([]);
    });
  });

  describe("one open change per MOM host", () => {
    it("refuses a second plan touching a locked host, in any role and any spelling, and returns the open change", async () => {
      const store = await engine.fresh();
      const first = await create(store, "MOM-A.corp.example", "mom-b");
      for (const [primary, secondary] of [
        ["mom-x", "mom-a"],
        ["MOM-B", "mom-y"],
      ] as const) {
        const again = await store.createChange({
          requester: "UOTHER",
          channel: null,
          plan: (id) => fakePlan(id, { primary, secondary }),
          hosts: { primary, secondary },
          now: LATER,
          ttlMinutes: 30,
        });
        expect(again).toEqual({ ok: false, conflict: first });
      }
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
      const store = await engine.fresh();
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
    const rollbackOf = (r: ChangeRecord): ChangeEvent => ({
      type: "rollback",
      actor: A1,
      actorGroups: [],
      hash: r.planHash,
    });

    it("re-takes the hosts' lock when they are free", async () => {
      const store = await engine.fresh();
      const done = await driveTo(store, "succeeded", await create(store));
      const result = await store.apply(done.id, rollbackOf(done), { now: LATER, policy: POLICY });
      expect(result).toMatchObject({ ok: true, record: { state: "rolling_back" } });
      await expect(create(store, "mom-b", "mom-z", LATER)).rejects.toThrow(
        `unexpected conflict with ${done.id}`,
      );
    });

    it("is refused while a newer change holds one of its hosts, and writes nothing", async () => {
      const store = await engine.fresh();
      const done = await driveTo(store, "succeeded", await create(store));
      const audit = await store.audit(done.id);
      const newer = await create(store, "MOM-B", "mom-z", LATER);
      const result = await store.apply(done.id, rollbackOf(done), { now: LATER, policy: POLICY });
      expect(result).toMatchObject({ ok: false, code: "host-locked" });
      if (!result.ok) expect(result.reason).toContain(newer.id);
      expect(await store.get(done.id)).toEqual(done);
      expect(await store.audit(done.id)).toEqual(audit);
    });
  });

  describe("applying events", () => {
    it("writes the record, its approval and an audit entry for an accepted event", async () => {
      const store = await engine.fresh();
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
      const store = await engine.fresh();
      const r = await driveTo(store, "awaiting_approval", await create(store));
      const before = await store.get(r.id);
      const audit = await collect(store.exportAudit());
      const result = await store.apply(r.id, approveAs(REQ, r), { now: LATER, policy: POLICY });
      expect(result).toMatchObject({ ok: false, code: "not-approver" });
      expect(await store.get(r.id)).toEqual(before);
      expect(await collect(store.exportAudit())).toEqual(audit);
    });

    it("says so when the change does not exist", async () => {
      const store = await engine.fresh();
      expect(await store.apply("CHG-9", { type: "expire" }, { now: LATER, policy: POLICY })).toEqual({
        ok: false,
        code: "not-found",
        reason: "there is no change CHG-9",
      });
    });

    it("stores a rebuilt plan from pre-flight with its new hash, and reads it back after a reopen", async () => {
      const store = await engine.fresh();
      const r = await create(store);
      const rebuilt = { ...fakePlan(r.id, { hash: "hash-with-facts" }), share: "\\\\san-server\\other" };
      await mustApply(store, r.id, { type: "preflight-complete", plan: rebuilt });
      expect(await store.get(r.id)).toMatchObject({ planHash: "hash-with-facts", plan: rebuilt });
      expect((await (await engine.again(store)).get(r.id))?.plan).toEqual(rebuilt);
    });

    it("remembers where the plan message was posted without counting it as a transition", async () => {
      const store = await engine.fresh();
      const r = await create(store);
      const updated = await store.setMessage(r.id, "C-OPS", "1732615920.000100");
      expect(updated).toMatchObject({ channel: "C-OPS", messageTs: "1732615920.000100", version: r.version });
      expect(await store.get(r.id)).toEqual(updated);
      expect(await store.audit(r.id)).toHaveLength(1);
      expect(await store.setMessage("CHG-404", "C", "1")).toBeNull();
    });

    it("a second store on the same database sees the first's approval and refuses its own", async () => {
      const one = await engine.fresh();
      const two = await engine.again(one);
      const r = await driveTo(one, "awaiting_approval", await create(one));
      expect((await one.apply(r.id, approveAs(A1, r), { now: LATER, policy: POLICY })).ok).toBe(true);
      expect(await two.apply(r.id, approveAs(A2, r), { now: LATER, policy: POLICY })).toMatchObject({
        ok: false,
        code: "already-approved",
      });
      expect((await one.audit(r.id)).filter((e) => e.event === "approve")).toHaveLength(1);
    });
  });

  describe("approvals", () => {
    it("of the change, in the order given, survive a restart and the next one completes them", async () => {
      const first = await engine.fresh();
      const r = await create(first);
      await mustApply(first, r.id, { type: "preflight-complete" }, LATER, TWO_APPROVALS);
      // A2 first: the order is the order given, not the names'.
      await mustApply(first, r.id, approveAs(A2, r), LATER, TWO_APPROVALS);
      const before = await first.get(r.id);
      const second = await engine.again(first);
      expect(await second.get(r.id)).toEqual(before);
      expect(await second.apply(r.id, approveAs(A2, r), { now: LATER, policy: TWO_APPROVALS })).toMatchObject(
        {
          ok: false,
          code: "already-approved-by-you",
        },
      );
      const approved = await mustApply(second, r.id, approveAs(A1, r), T0, TWO_APPROVALS);
      expect(approved).toMatchObject({ state: "approved", approvals: [{ actor: A2 }, { actor: A1 }] });
      expect(await second.get(r.id)).toEqual(approved);
    });

    it("of a rollback are stored apart from the change's, with their attempt, and survive a reopen", async () => {
      const store = await engine.fresh();
      const r = await create(store);
      await mustApply(store, r.id, { type: "preflight-complete" }, LATER, TWO_APPROVALS);
      await mustApply(store, r.id, approveAs(A1, r), LATER, TWO_APPROVALS);
      await mustApply(store, r.id, approveAs(A2, r), LATER, TWO_APPROVALS);
      await mustApply(store, r.id, { type: "start-execution" }, LATER, TWO_APPROVALS);
      await mustApply(store, r.id, { type: "fail", reason: "x" }, LATER, TWO_APPROVALS);
      const rollback: ChangeEvent = { type: "rollback", actor: A1, actorGroups: [], hash: r.planHash };
      const pending = await mustApply(store, r.id, rollback, LATER, TWO_APPROVALS);

      const reopened = await (await engine.again(store)).get(r.id);
      expect(reopened).toEqual(pending);
      expect(reopened).toMatchObject({
        state: "failed",
        approvals: [{ actor: A1 }, { actor: A2 }],
        rollbackApprovals: [{ actor: A1, hash: r.planHash, round: 1, at: LATER.toISOString() }],
        rollbacksStarted: 0,
      });
    });
  });

  describe("audit", () => {
    it("exports every event of every change in the order it happened, across export pages", async () => {
      const store = await engine.fresh();
      const a = await create(store, "mom-a", "mom-b");
      const b = await create(store, "mom-c", "mom-d");
      await mustApply(store, a.id, { type: "preflight-complete" });
      await mustApply(store, b.id, { type: "cancel", actor: REQ, actorGroups: [] });
      await mustApply(store, a.id, approveAs(A2, a));
      await store.apply(a.id, approveAs(A1, a), { now: LATER, policy: POLICY }); // refused: not exported
      await mustApply(store, a.id, { type: "start-execution" });
      await mustApply(store, a.id, { type: "succeed" });

      const exported = await collect(store.exportAudit());
      expect(exported.map((e) => `${e.changeId} ${e.event} ${e.toState}`)).toEqual([
        "CHG-1 create planned",
        "CHG-2 create planned",
        "CHG-1 preflight-complete awaiting_approval",
        "CHG-2 cancel cancelled",
        "CHG-1 approve approved",
        "CHG-1 start-execution executing",
        "CHG-1 succeed succeeded",
      ]);
      const seqs = exported.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(exported[4]).toMatchObject({
        actor: A2,
        planHash: a.planHash,
        details: { approvals: 1, required: 1 },
      });
      expect(await store.audit(a.id)).toEqual(exported.filter((e) => e.changeId === a.id));
    });
  });

  describe("queries", () => {
    it("lists newest first, by host in any case, by state, and up to a limit", async () => {
      const store = await engine.fresh();
      const one = await create(store, "mom-a", "mom-b");
      await mustApply(store, one.id, { type: "cancel", actor: REQ, actorGroups: [] });
      await create(store, "mom-c", "mom-d");
      await create(store, "mom-b", "mom-a");
      expect(ids(await store.list())).toEqual(["CHG-3", "CHG-2", "CHG-1"]);
      expect(ids(await store.list({ host: "MOM-A" }))).toEqual(["CHG-3", "CHG-1"]);
      expect(ids(await store.list({ host: "mom-d" }))).toEqual(["CHG-2"]);
      expect(ids(await store.list({ host: "mom-a", limit: 1 }))).toEqual(["CHG-3"]);
      expect(ids(await store.list({ states: ["cancelled"] }))).toEqual(["CHG-1"]);
      expect(ids(await store.list({ states: ["planned", "cancelled"], limit: 2 }))).toEqual([
        "CHG-3",
        "CHG-2",
      ]);
      expect(ids(await store.list({ host: "mom-a", states: ["planned"] }))).toEqual(["CHG-3"]);
      expect(ids(await store.list({ limit: 1 }))).toEqual(["CHG-3"]);
      expect(await store.list({ states: [] })).toEqual([]);
      expect(await store.list({ host: "mom-zz" })).toEqual([]);
      expect((await store.list())[2]).toEqual(await store.get("CHG-1"));
    });

    it("lists a person's changes newest first, however many others came after them", async () => {
      const store = await engine.fresh();
      const asked = async (requester: string, primary: string, secondary: string) => {
        const result = await store.createChange({ ...changeInput(primary, secondary), requester });
        if (!result.ok) throw new Error(`unexpected conflict with ${result.conflict.id}`);
        return result.record;
      };
      await asked("U0CAROL01", "mom-a", "mom-b");
      await asked("U0CAROL01", "mom-c", "mom-d");
      for (let i = 0; i < 5; i++) await asked("U0DAVE001", `mom-x${i}`, `mom-y${i}`);
      expect(ids(await store.list({ requester: "U0CAROL01" }))).toEqual(["CHG-2", "CHG-1"]);
      expect(ids(await store.list({ requester: "U0CAROL01", limit: 1 }))).toEqual(["CHG-2"]);
      expect(ids(await store.list({ requester: "U0DAVE001", limit: 2 }))).toEqual(["CHG-7", "CHG-6"]);
      expect(await store.list({ requester: "U0NOBODY1" })).toEqual([]);
      expect((await store.list({ requester: "U0CAROL01" }))[1]).toEqual(await store.get("CHG-1"));
      await expect(store.list({ requester: "U0CAROL01", host: "mom-a" })).rejects.toThrow(/takes no host/);
    });

    it("finds plans past their expiry that nobody approved, and the expire event closes them", async () => {
      const store = await engine.fresh();
      const planned = await create(store, "mom-a", "mom-b", T0);
      const waiting = await driveTo(store, "awaiting_approval", await create(store, "mom-c", "mom-d", T0));
      await driveTo(store, "approved", await create(store, "mom-e", "mom-f", T0));
      await create(store, "mom-g", "mom-h", LATER); // not yet due
      expect(await store.dueForExpiry(LATER)).toEqual([]);
      const due = await store.dueForExpiry(new Date("2025-11-26T10:42:00.000Z"));
      expect(ids(due)).toEqual([planned.id, waiting.id]);
      expect(due[1]).toEqual(await store.get(waiting.id));
      for (const r of due) await mustApply(store, r.id, { type: "expire" }, AFTER_TTL);
      expect(await store.dueForExpiry(new Date("2025-11-26T10:49:59.999Z"))).toEqual([]);
    });
  });

  describe("notices", () => {
    it("are claimed once: a second claim, by this store or another over the same database, is refused", async () => {
      const store = await engine.fresh();
      const other = await engine.again(store);
      const record = await create(store, "mom-a", "mom-b", T0);
      expect(await store.claimNotice(record.id, "reminder", LATER)).toBe(true);
      expect(await store.claimNotice(record.id, "reminder", LATER)).toBe(false);
      expect(await other.claimNotice(record.id, "reminder", AFTER_TTL)).toBe(false);
      expect(await other.claimNotice(record.id, "outcome:7", AFTER_TTL)).toBe(true);
    });
  });

  describe("the request inbox", () => {
    /** The default lease of a received request (store/change-writes.ts DEFAULT_INBOX_LEASE_MS). */
    const LEASE_MS = 90_000;
    const at = (ms: number) => new Date(T0.getTime() + ms);
    const keys = (rows: readonly { key: string }[]) => rows.map((r) => r.key);

    it("leaves a living receiver's request alone and gives a lapsed one to one other store, once", async () => {
      const receiver = await engine.fresh();
      const [b, c] = [await engine.again(receiver), await engine.again(receiver)];
      await receiver.inbox.receive(request("first"));
      await receiver.inbox.receive(request("second", { receivedAt: at(1) }));
      expect(await b.inbox.takeOver(at(LEASE_MS - 1), "lapsed")).toEqual([]);
      // The receiver renews (it lives): the lease runs from the renewal.
      expect(await receiver.inbox.renewLeases(at(60_000), "own")).toBe(2);
      expect(await b.inbox.takeOver(at(LEASE_MS + 2), "lapsed")).toEqual([]);
      expect(await receiver.inbox.takeOver(at(60_000 + LEASE_MS + 1), "lapsed")).toEqual([]); // its own
      // The receiver stopped renewing: two stores taking over at once get each request once between them.
      const late = at(60_000 + LEASE_MS + 1);
      const [byB, byC] = await Promise.all([
        b.inbox.takeOver(late, "lapsed"),
        c.inbox.takeOver(late, "lapsed"),
      ]);
      expect([...keys(byB), ...keys(byC)].sort()).toEqual(["first", "second"]);
      const taker = byB.length > 0 ? b : c;
      expect(keys(byB.length > 0 ? byB : byC)).toEqual(["first", "second"]); // oldest first
      // Now the taker's, under its own lease, which it renews.
      expect(await taker.inbox.renewLeases(late, "own")).toBe(2);
      expect(await receiver.inbox.takeOver(at(60_000 + LEASE_MS + 2), "lapsed")).toEqual([]);
      await taker.inbox.finish("first", late);
      expect(keys(await receiver.inbox.takeOver(at(10 * LEASE_MS), "lapsed"))).toEqual(["second"]);
    });

    it("takes every other store's unfinished request at a start that knows they ended (any-other), never its own", async () => {
      const killed = await engine.fresh();
      await killed.inbox.receive(request("left"));
      const started = await engine.again(killed);
      await started.inbox.receive(request("mine"));
      expect(keys(await started.inbox.takeOver(T0, "any-other"))).toEqual(["left"]);
      expect(await started.inbox.takeOver(T0, "any-other")).toEqual([]);
    });

    it("renews every lapsed lease after an outage of the store (all), so nobody takes over a request its receiver could not renew", async () => {
      const receiver = await engine.fresh();
      const other = await engine.again(receiver);
      await receiver.inbox.receive(request("held"));
      const back = at(5 * LEASE_MS);
      expect(await other.inbox.renewLeases(back, "all")).toBe(1);
      expect(await other.inbox.takeOver(at(5 * LEASE_MS + 1), "lapsed")).toEqual([]);
      expect(keys(await other.inbox.takeOver(at(6 * LEASE_MS + 1), "lapsed"))).toEqual(["held"]);
    });
    it("takes a request once: the same key again is a duplicate, also after a reopen", async () => {
      const store = await engine.fresh();
      expect(await store.inbox.receive(request("action:UAPP1:1.1"))).toBe("received");
      expect(await store.inbox.receive(request("action:UAPP1:1.1", { actor: "UOTHER" }))).toBe("duplicate");
      const reopened = await engine.again(store);
      expect(await reopened.inbox.receive(request("action:UAPP1:1.1"))).toBe("duplicate");
      expect(await reopened.inbox.unfinished()).toEqual([
        {
          key: "action:UAPP1:1.1",
          kind: "approve",
          changeId: "CHG-1",
          actor: A1,
          channel: "C0OPS0001",
          payload: { hash: "hash-of-CHG-1" },
          receivedAt: T0.toISOString(),
          decidedAt: null,
          outcome: null,
        },
      ]);
    });

    it("marks a request decided in the transaction that approves, and not when the state machine refuses", async () => {
      const store = await engine.fresh();
      const r = await driveTo(store, "awaiting_approval", await create(store));
      await store.inbox.receive(request("refused"));
      await store.inbox.receive(request("accepted"));
      const approve = approveAs(A1, r);
      const refused = await store.apply(r.id, approveAs(REQ, r), { now: LATER, policy: POLICY }, "refused");
      expect(refused.ok).toBe(false);
      expect((await store.apply(r.id, approve, { now: T0, policy: POLICY }, "accepted")).ok).toBe(true);
      const [first, second] = await store.inbox.unfinished();
      expect(first).toMatchObject({ key: "refused", decidedAt: null, outcome: null });
      expect(second).toMatchObject({ key: "accepted", decidedAt: T0.toISOString(), outcome: { ok: true } });
    });

    it("records a refusal's decision once, and names the change a plan request created", async () => {
      const store = await engine.fresh();
      await store.inbox.receive(
        request("plan", { kind: "plan", changeId: null, payload: { text: "plan ..." } }),
      );
      await store.inbox.receive(request("denied"));
      await store.inbox.decide("denied", { ok: false, reason: "not an approver" }, LATER);
      await store.inbox.decide("denied", { ok: true }, LATER);
      const created = await store.createChange(
        {
          requester: REQ,
          channel: "C0OPS0001",
          plan: (id) => fakePlan(id),
          hosts: { primary: "mom-a", secondary: "mom-b" },
          now: LATER,
          ttlMinutes: 30,
        },
        "plan",
      );
      expect(created.ok).toBe(true);
      expect(
        (await store.inbox.unfinished()).map((r) => [r.key, r.changeId, r.outcome, r.decidedAt]),
      ).toEqual([
        ["plan", "CHG-1", { ok: true }, LATER.toISOString()],
        ["denied", "CHG-1", { ok: false, reason: "not an approver" }, LATER.toISOString()],
      ]);
    });

    it("lists only unfinished requests, oldest first, and prunes finished ones past their time", async () => {
      const store = await engine.fresh();
      for (const key of ["a", "b", "c", "d"]) await store.inbox.receive(request(key));
      await store.inbox.finish("b", T0);
      await store.inbox.finish("c", LATER);
      await store.inbox.finish("c", AFTER_TTL); // finished once: the first time stays
      expect((await store.inbox.unfinished()).map((r) => r.key)).toEqual(["a", "d"]);
      expect(await store.inbox.pruneFinished(LATER)).toBe(1); // b, finished before LATER
      expect(await store.inbox.pruneFinished(LATER)).toBe(0);
      expect(await store.inbox.receive(request("b"))).toBe("received");
      expect(await store.inbox.receive(request("c"))).toBe("duplicate");
      expect(await store.inbox.pruneFinished(new Date("2025-11-26T10:20:00.001Z"))).toBe(1); // c
      expect((await store.inbox.unfinished()).map((r) => r.key)).toEqual(["a", "d", "b"]);
    });
  });
}
