// Approving a plan from its channel message, through the real Bolt app over signed HTTP.
import { afterEach, describe, expect, it } from "vitest";
import type { HostFacts } from "../../src/domain/facts.ts";
import type { ChangeRecord } from "../../src/domain/record.ts";
import { renderHostScript } from "../../src/domain/render.ts";
import type { RunnerHooks } from "../../src/slack/app.ts";
import { slackDate } from "../support/dates.ts";
import { BOTH_LOCAL_SYSTEM } from "../support/facts.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  CAROL,
  codeIn,
  DAVE,
  GROUP_POLICY,
  type Momlink,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  T0,
  threadReplies,
  visibleText,
} from "./support.ts";

let m: Momlink;
afterEach(async () => {
  await m.stop();
});

async function planned(options: Parameters<typeof startMomlink>[0] = {}, requester = ALICE) {
  m = await startMomlink(options);
  await m.command(PLAN_TEXT, requester);
  const message = planMessagesIn(m.fake)[0]!;
  return { message, record: (await m.store.get("CHG-1"))! };
}

const current = () => m.fake.api.messages.find((x) => x.thread_ts === undefined)!;

describe("an approver who is not the requester", () => {
  it("approves: the record moves first, the message is updated in place without buttons, the thread says who, when and which hash", async () => {
    const { message, record } = await planned();
    const reply = await m.click(message.ts, "momlink_approve", BOB);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect(await m.store.get("CHG-1")).toMatchObject({
      state: "approved",
      approvals: [{ actor: BOB, at: "2025-03-04T10:12:00.000Z", hash: record.planHash }],
    });
    const updates = m.fake.api.callsTo("chat.update");
    expect(updates.map((c) => c.params.ts)).toEqual([message.ts]);
    const updated = current();
    expect(updated.ts).toBe(message.ts);
    expect(actionsBlock(updated)).toBeUndefined();
    expect(visibleText(updated)).toContain(`*Approved* by <@${BOB}> — waiting for runner on mom-a, mom-b`);
    expect(codeIn(updated.blocks!)).toEqual(record.plan.hosts.map((h) => renderHostScript(record.plan, h)));
    expect(threadReplies(m.fake, message.ts).map((r) => r.text)).toEqual([
      `<@${ALICE}>: approved by <@${BOB}> at ${slackDate(T0)} against plan hash ${record.planHash.slice(0, 12)}…`,
    ]);
    expect(m.fake.api.ephemerals).toEqual([]);
  });

  it("is recognised through the configured user group, asked of Slack once and cached", async () => {
    const { message } = await planned({ policy: { ...GROUP_POLICY, requiredApprovals: 2 } });
    await m.click(message.ts, "momlink_approve", BOB);
    await m.click(message.ts, "momlink_approve", CAROL);

    expect((await m.store.get("CHG-1"))?.state).toBe("approved");
    expect(m.fake.api.callsTo("usergroups.users.list")).toHaveLength(1);
    expect(m.fake.api.callsTo("usergroups.users.list")[0]?.params.usergroup).toBe("S0APPROVE1");
  });

  it("counts towards a policy that needs two: the first approval keeps the buttons and says 1 of 2", async () => {
    const { message, record } = await planned({ policy: { ...GROUP_POLICY, requiredApprovals: 2 } });
    await m.click(message.ts, "momlink_approve", BOB);

    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(actionsBlock(current())).toBeDefined();
    expect(visibleText(current())).toContain(`*Awaiting approval* — 1 of 2 (approved by <@${BOB}>)`);
    await m.click(message.ts, "momlink_approve", CAROL);
    expect((await m.store.get("CHG-1"))?.state).toBe("approved");
    const short = record.planHash.slice(0, 12);
    expect(threadReplies(m.fake, message.ts).map((r) => r.text)).toEqual([
      `<@${ALICE}>: approval 1 of 2 by <@${BOB}> at ${slackDate(T0)} against plan hash ${short}…`,
      `<@${ALICE}>: approved by <@${CAROL}> at ${slackDate(T0)} against plan hash ${short}…`,
    ]);
  });
});

describe("a click that must not approve", () => {
  it.each([
    [
      "its requester, an approver (four-eyes)",
      BOB,
      BOB,
      "you requested CHG-1: four-eyes policy — someone else must approve",
    ],
    [
      "someone outside the approver group",
      ALICE,
      DAVE,
      "you are not an approver for momlink (approvers: @mom-approvers)",
    ],
    [
      "a requester outside the approver group",
      ALICE,
      ALICE,
      "you are not an approver for momlink (approvers: @mom-approvers)",
    ],
  ])("by %s gets a private denial saying why, and nothing changes", async (_who, requester, user, reason) => {
    const { message, record } = await planned({}, requester);
    const auditBefore = await m.store.audit("CHG-1");
    await m.click(message.ts, "momlink_approve", user);

    expect(m.fake.api.ephemerals).toEqual([
      expect.objectContaining({
        user,
        via: "response_url",
        text: `Your approval was not recorded: ${reason}`,
      }),
    ]);
    expect(await m.store.get("CHG-1")).toEqual(record);
    expect(await m.store.audit("CHG-1")).toEqual(auditBefore);
    expect(m.fake.api.callsTo("chat.update")).toEqual([]);
    expect(threadReplies(m.fake, message.ts)).toEqual([]);
  });

  it("by an approver whose group Slack cannot list is refused, and the denial says why", async () => {
    const { message } = await planned();
    m.fake.api.failNext("usergroups.users.list", "missing_scope");
    await m.click(message.ts, "momlink_approve", BOB);

    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(m.fake.api.ephemerals[0]?.text).toBe(
      "Your approval was not recorded: you are not an approver for momlink (approvers: @mom-approvers) " +
        "(note: could not read the members of @mom-approvers from Slack (missing_scope))",
    );
    await m.click(message.ts, "momlink_approve", BOB); // the failure is not cached
    expect((await m.store.get("CHG-1"))?.state).toBe("approved");
  });

  it("from a message that shows an older plan hash is refused as stale", async () => {
    const { message, record } = await planned();
    const stored = m.fake.api.message(message.channel, message.ts)!;
    const actions = stored.blocks!.find((b) => (b as { type: string }).type === "actions") as {
      block_id: string;
    };
    actions.block_id = `momlink_decide:${"0".repeat(64)}`;
    await m.click(message.ts, "momlink_approve", BOB);

    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(m.fake.api.ephemerals[0]?.text).toBe(
      `Your approval was not recorded: the plan changed since this message was posted (hash 00000000…, now ${record.planHash.slice(0, 8)}…): look at the updated message`,
    );
    // The message it points to was re-rendered: its buttons carry the plan's hash again, and work.
    expect(actionsBlock(current())?.block_id).toBe(`momlink_decide:${record.planHash}`);
    await m.click(message.ts, "momlink_approve", BOB);
    expect((await m.store.get("CHG-1"))?.state).toBe("approved");
  });
});

describe("two approvals at once", () => {
  it("make one transition: one approval recorded, one thread reply, the other approver told it is already approved", async () => {
    const { message } = await planned();
    const replies = await Promise.all([
      m.click(message.ts, "momlink_approve", BOB),
      m.click(message.ts, "momlink_approve", CAROL),
    ]);

    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const record = (await m.store.get("CHG-1"))!;
    expect(record.state).toBe("approved");
    expect(record.approvals).toHaveLength(1);
    expect((await m.store.audit("CHG-1")).filter((e) => e.event === "approve")).toHaveLength(1);
    expect(threadReplies(m.fake, message.ts)).toHaveLength(1);
    const loser = record.approvals[0]?.actor === BOB ? CAROL : BOB;
    expect(m.fake.api.ephemerals).toEqual([
      expect.objectContaining({
        user: loser,
        text: "Your approval was not recorded: CHG-1 is already approved",
      }),
    ]);
  });
});

describe("Slack as a view of the store", () => {
  it("keeps an approval whose message update failed, and refreshMessage re-renders it from the record", async () => {
    const { message } = await planned();
    m.fake.api.failNext("chat.update", "internal_error");
    await m.click(message.ts, "momlink_approve", BOB);

    expect((await m.store.get("CHG-1"))?.state).toBe("approved");
    expect(actionsBlock(current())).toBeDefined(); // Slack still shows the old buttons
    expect(m.logs.some((l) => l.level === 50 && String(l.msg).includes("refreshMessage can redo it"))).toBe(
      true,
    );

    await m.handle.refreshMessage("CHG-1");
    expect(actionsBlock(current())).toBeUndefined();
    expect(visibleText(current())).toContain("waiting for runner on mom-a, mom-b");
  });
});

describe("with runner hooks", () => {
  const facts = (host: string): HostFacts => ({
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs: ["config", "data", "traces"].map((dir) => ({
      dir,
      linkPath: "directory" as const,
      share: { exists: true, writable: true, empty: true },
    })),
  });

  function hooks(found: Awaited<ReturnType<RunnerHooks["preflight"]>>) {
    const asked: ChangeRecord[] = [];
    const approved: ChangeRecord[] = [];
    const runners: RunnerHooks = {
      preflight: async (change) => {
        asked.push(change);
        return found;
      },
      approved: async (change) => {
        approved.push(change);
      },
    };
    return { runners, asked, approved };
  }

  it("rebuilds the plan from the pre-flight facts before posting it, and hands the approved change to the runners", async () => {
    const h = hooks({ primary: facts("mom-a"), secondary: facts("mom-b") });
    const { message, record } = await planned({ runners: h.runners });

    expect(h.asked.map((c) => [c.id, c.state])).toEqual([["CHG-1", "planned"]]);
    expect(record.plan.hosts.map((x) => x.facts?.host)).toEqual(["mom-a", "mom-b"]);
    expect((await m.store.audit("CHG-1"))[1]?.details).toMatchObject({ planChanged: true });
    const code = codeIn(message.blocks!);
    expect(code).toEqual(record.plan.hosts.map((x) => renderHostScript(record.plan, x)));
    expect(code.join("\n")).not.toContain("[if ");

    await m.click(message.ts, "momlink_approve", BOB);
    expect(h.approved.map((c) => [c.id, c.state, c.planHash])).toEqual([
      ["CHG-1", "approved", record.planHash],
    ]);
    expect(visibleText(current())).toContain("handed to the runners on mom-a, mom-b");
  });

  it("keeps the worst-case plan when no runner is registered", async () => {
    const h = hooks(null);
    const { record } = await planned({ runners: h.runners });

    expect(h.asked).toHaveLength(1);
    expect(record.plan.hosts.map((x) => x.facts)).toEqual([null, null]);
    expect(record.state).toBe("awaiting_approval");
  });
});
