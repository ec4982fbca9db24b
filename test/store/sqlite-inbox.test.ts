// The inbox of received Slack requests on the store's SQLite file: received before the ack,
// decided in the same transaction as the change it made, finished once answered.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import type { ChangeEvent } from "../../src/domain/record.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore, NewRequest } from "../../src/store/store.ts";
import { fakePlan } from "../support/plan.ts";

const POLICY: ApprovalPolicy = {
  approvers: { users: ["UAPP1"], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
const T0 = new Date("2025-11-26T10:12:00.000Z");
const T1 = new Date("2025-11-26T10:13:00.000Z");

const plan = (changeId: string) => fakePlan(changeId);

let dir: string;
let dbPath: string;
const opened: ChangeStore[] = [];
const open = () => {
  const store = openSqliteStore(dbPath);
  opened.push(store);
  return store;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-inbox-"));
  dbPath = join(dir, "momlink.db");
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (key: string, extra: Partial<NewRequest> = {}): NewRequest => ({
  key,
  kind: "approve",
  changeId: "CHG-1",
  actor: "UAPP1",
  channel: "C0OPS0001",
  payload: { hash: "hash-of-CHG-1" },
  receivedAt: T0,
  ...extra,
});

async function awaitingApproval(store: ChangeStore) {
  const created = await store.createChange({
    requester: "UREQ",
    channel: "C0OPS0001",
    plan,
    hosts: { primary: "mom-a", secondary: "mom-b" },
    now: T0,
    ttlMinutes: 30,
  });
  if (!created.ok) throw new Error("conflict");
  await store.apply(created.record.id, { type: "preflight-complete" }, { now: T0, policy: POLICY });
  return created.record;
}

describe("the request inbox", () => {
  it("takes a request once: the same key again is a duplicate, also after a reopen", async () => {
    const store = open();
    expect(await store.inbox.receive(request("action:UAPP1:1.1"))).toBe("received");
    expect(await store.inbox.receive(request("action:UAPP1:1.1", { actor: "UOTHER" }))).toBe("duplicate");
    await store.close();
    const reopened = open();
    expect(await reopened.inbox.receive(request("action:UAPP1:1.1"))).toBe("duplicate");
    expect(await reopened.inbox.unfinished()).toEqual([
      {
        key: "action:UAPP1:1.1",
        kind: "approve",
        changeId: "CHG-1",
        actor: "UAPP1",
        channel: "C0OPS0001",
        payload: { hash: "hash-of-CHG-1" },
        receivedAt: T0.toISOString(),
        decidedAt: null,
        outcome: null,
      },
    ]);
  });

  it("marks a request decided in the transaction that approves, and not when the state machine refuses", async () => {
    const store = open();
    const r = await awaitingApproval(store);
    await store.inbox.receive(request("refused"));
    await store.inbox.receive(request("accepted"));
    const approve: ChangeEvent = { type: "approve", actor: "UAPP1", actorGroups: [], hash: r.planHash };
    const refused = await store.apply(
      r.id,
      { ...approve, actor: "UREQ" },
      { now: T1, policy: POLICY },
      "refused",
    );
    expect(refused.ok).toBe(false);
    expect((await store.apply(r.id, approve, { now: T1, policy: POLICY }, "accepted")).ok).toBe(true);

    const [first, second] = await store.inbox.unfinished();
    expect(first).toMatchObject({ key: "refused", decidedAt: null, outcome: null });
    expect(second).toMatchObject({ key: "accepted", decidedAt: T1.toISOString(), outcome: { ok: true } });
  });

  it("records a refusal's decision once, and names the change a plan request created", async () => {
    const store = open();
    await store.inbox.receive(
      request("plan", { kind: "plan", changeId: null, payload: { text: "plan ..." } }),
    );
    await store.inbox.receive(request("denied"));
    await store.inbox.decide("denied", { ok: false, reason: "not an approver" }, T1);
    await store.inbox.decide("denied", { ok: true }, T1);
    const created = await store.createChange(
      {
        requester: "UREQ",
        channel: "C0OPS0001",
        plan,
        hosts: { primary: "mom-a", secondary: "mom-b" },
        now: T1,
        ttlMinutes: 30,
      },
      "plan",
    );
    expect(created.ok).toBe(true);

    expect((await store.inbox.unfinished()).map((r) => [r.key, r.changeId, r.outcome])).toEqual([
      ["plan", "CHG-1", { ok: true }],
      ["denied", "CHG-1", { ok: false, reason: "not an approver" }],
    ]);
  });

  it("lists only unfinished requests, oldest first, and prunes finished ones past their time", async () => {
    const store = open();
    for (const key of ["a", "b", "c"]) await store.inbox.receive(request(key));
    await store.inbox.finish("b", T0);
    await store.inbox.finish("c", T1);
    expect((await store.inbox.unfinished()).map((r) => r.key)).toEqual(["a"]);

    expect(await store.inbox.pruneFinished(T1)).toBe(1); // b, finished before T1
    expect(await store.inbox.receive(request("b"))).toBe("received");
    expect(await store.inbox.receive(request("c"))).toBe("duplicate");
  });
});
