// The change layer with no front end: each use-case decides through the state machine, writes the
// store first, then asks the presenter for what people must see, and answers with data (a
// refusal's reason is a phrase naming people as mentions, never Slack markup).
import { afterEach, describe, expect, it } from "vitest";
import { phraseParts, plainPhrase } from "../../src/domain/phrase.ts";
import type { ChangeRecord } from "../../src/domain/record.ts";
import { ALICE, BOB, CAROL, CHANNEL, type ChangeRig, DAVE, pairSpec, startChangeRig } from "./support.ts";

let rig: ChangeRig;
const rigs: ChangeRig[] = [];
async function start(options: Parameters<typeof startChangeRig>[0] = {}): Promise<ChangeRig> {
  rig = await startChangeRig(options);
  rigs.push(rig);
  return rig;
}
afterEach(async () => {
  for (const r of rigs.splice(0).reverse()) await r.close();
});

async function planned(primary = "mom-a", secondary = "mom-b"): Promise<ChangeRecord> {
  const outcome = await rig.changes.plan({
    spec: pairSpec(primary, secondary),
    requester: ALICE,
    channel: CHANNEL,
  });
  if (outcome.kind !== "posted") throw new Error(`not posted: ${outcome.kind}`);
  return outcome.record;
}

describe("plan", () => {
  it("creates the change, makes it approvable and has its message posted where the record says", async () => {
    await start();
    const record = await planned();
    expect(record).toMatchObject({ id: "CHG-1", state: "awaiting_approval", channel: CHANNEL });
    expect(record.messageTs).toMatch(/^1700000000\./);
    expect(rig.shown.filter((s) => "posted" in s)).toHaveLength(1);
  });

  it("cancels a plan whose message cannot be posted, so it does not hold its hosts", async () => {
    await start();
    rig.failPosts("not_in_channel");
    const outcome = await rig.changes.plan({ spec: pairSpec(), requester: ALICE, channel: CHANNEL });
    expect(outcome).toMatchObject({
      kind: "not-posted",
      error: "not_in_channel",
      record: { state: "cancelled" },
    });
    rig.failPosts(null);
    expect((await planned()).id).toBe("CHG-2");
  });

  it("refuses a second plan for a host with an open change and links the open one", async () => {
    await start();
    const first = await planned();
    const outcome = await rig.changes.plan({
      spec: pairSpec("MOM-A", "mom-c"),
      requester: ALICE,
      channel: CHANNEL,
    });
    expect(outcome).toMatchObject({ kind: "locked", hosts: ["MOM-A"], conflict: { id: first.id } });
    expect(outcome.kind === "locked" && outcome.link).toContain(`p${first.messageTs}`);
  });
});

describe("approve", () => {
  it("hands the approved change to the runners and tells the thread who approved against which hash", async () => {
    await start();
    const record = await planned();
    const outcome = await rig.changes.approve({ changeId: record.id, actor: BOB, hash: record.planHash });
    expect(outcome).toMatchObject({ ok: true, record: { state: "approved" } });
    expect(rig.handed.approved).toEqual([record.id]);
    expect(rig.shown.at(-1)).toEqual({
      told: record.id,
      news: { kind: "approved", actor: BOB, hash: record.planHash },
      audience: { mentions: [{ user: record.requester }], broadcast: false, direct: null },
    });
    expect((await rig.store.get(record.id))?.state).toBe("approved");
  });

  it("counts a member of an approver group as an approver (the identity port answers)", async () => {
    await start();
    const record = await planned();
    const outcome = await rig.changes.approve({ changeId: record.id, actor: CAROL, hash: record.planHash });
    expect(outcome.ok).toBe(true);
  });

  it("refuses someone who is not an approver with a phrase that names the approvers as mentions", async () => {
    await start();
    const record = await planned();
    const outcome = await rig.changes.approve({ changeId: record.id, actor: DAVE, hash: record.planHash });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(phraseParts(outcome.reason)).toContainEqual({ user: BOB });
    expect(phraseParts(outcome.reason)).toContainEqual({ group: "@ops" });
    expect(plainPhrase(outcome.reason)).toBe(`you are not an approver for momlink (approvers: @ops, ${BOB})`);
    expect(rig.handed.approved).toEqual([]);
  });

  it("expires a plan whose TTL ran out on the first click, and re-shows it without buttons", async () => {
    await start();
    const record = await planned();
    rig.clock.advanceMinutes(31);
    const outcome = await rig.changes.approve({ changeId: record.id, actor: BOB, hash: record.planHash });
    expect(outcome.ok).toBe(false);
    expect((await rig.store.get(record.id))?.state).toBe("expired");
    const [shown, told] = rig.shown.slice(-2);
    expect(shown !== undefined && "shown" in shown && shown.shown?.record.state).toBe("expired");
    // The requester hears of it in the thread, mentioned, with no broadcast (nothing failed).
    expect(told).toEqual({
      told: record.id,
      news: { kind: "outcome", event: "expire" },
      audience: { mentions: [{ user: record.requester }], broadcast: false, direct: null },
    });
  });
});

describe("expire", () => {
  it("expires every plan past its TTL, each shown again, and nothing else", async () => {
    await start();
    const a = await planned("mom-a", "mom-b");
    rig.clock.advanceMinutes(20);
    const b = await planned("mom-c", "mom-d");
    rig.clock.advanceMinutes(15);
    expect(await rig.changes.expireDue()).toBe(1);
    expect((await rig.store.get(a.id))?.state).toBe("expired");
    expect((await rig.store.get(b.id))?.state).toBe("awaiting_approval");
    expect(await rig.changes.expireDue()).toBe(0);
  });
});

describe("rollback", () => {
  it("refuses when no runners are wired in, and says how to close the change instead", async () => {
    await start({ runners: false });
    const record = await planned();
    const outcome = await rig.changes.rollback({ changeId: record.id, actor: BOB, hash: record.planHash });
    expect(outcome.ok === false && plainPhrase(outcome.reason)).toContain(`/momlink cancel ${record.id}`);
  });
});

describe("requests received before a restart", () => {
  it("decides an approval that was received but never decided, and tells the person what came of it", async () => {
    await start();
    const record = await planned();
    const receivedAt = rig.clock.now().toISOString();
    const request = {
      kind: "approve" as const,
      key: "k1",
      actor: BOB,
      channel: CHANNEL,
      changeId: record.id,
      hash: record.planHash,
      receivedAt,
    };
    expect(await rig.changes.receive(request, async () => {})).toBe(true);
    const restarted = await rig.restart();
    rigs.push(restarted);
    expect(await restarted.changes.finishReceived()).toBe(1);
    expect((await restarted.store.get(record.id))?.state).toBe("approved");
    expect(restarted.shown.at(-1)).toMatchObject({
      recovered: "k1",
      answer: { kind: "recorded", record: { state: "approved" } },
    });
    expect(restarted.handed.approved).toEqual([record.id]);
  });
});
