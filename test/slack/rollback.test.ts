// Rolling a change back follows the change's own approval policy, through the real Bolt app over
// signed HTTP: N distinct approvers (never the requester alone), each approval bound to the plan
// hash the Roll back button showed, counted apart from the change's approvals and shown as
// "rollback: 1 of 2 approvals" in the message and the thread. The runner side is a recording fake:
// what matters here is when the rollback is handed to it.

import { afterEach, describe, expect, it } from "vitest";
import { plainPhrase } from "../../src/domain/phrase.ts";
import type { ChangeEvent, ChangeRecord } from "../../src/domain/record.ts";
import type { RunnerHooks } from "../../src/slack/app.ts";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  CAROL,
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

const TWO = { ...GROUP_POLICY, requiredApprovals: 2 };
const message = () => planMessagesIn(m.fake)[0]!;
const record = async () => (await m.store.get("CHG-1"))!;
const replies = () => threadReplies(m.fake, message().ts).map((r) => r.text);
const buttons = () =>
  (actionsBlock(message())?.elements ?? []).map((e) => (e as { action_id: string }).action_id);

/** A change approved by BOB and CAROL, then moved by "the runners" to `to`, its message re-rendered. */
async function changeThat(to: "failed" | "succeeded", policy = TWO): Promise<{ rolledBack: ChangeRecord[] }> {
  const rolledBack: ChangeRecord[] = [];
  const runners: RunnerHooks = {
    preflight: async () => null,
    approved: async () => {},
    rollback: async (change) => {
      rolledBack.push(change);
    },
  };
  m = await startMomlink({ policy, runners });
  await m.command(PLAN_TEXT, ALICE);
  await m.click(message().ts, "momlink_approve", BOB);
  if (policy.requiredApprovals > 1) await m.click(message().ts, "momlink_approve", CAROL);
  const runnerSide: ChangeEvent[] = [
    { type: "start-execution", actor: "system" },
    to === "failed" ? { type: "fail", actor: "system", reason: "mklink: 1314" } : { type: "succeed" },
  ];
  for (const event of runnerSide) {
    const applied = await m.store.apply("CHG-1", event, { now: m.clock.now(), policy });
    if (!applied.ok) throw new Error(plainPhrase(applied.reason));
  }
  await m.handle.refreshMessage("CHG-1");
  return { rolledBack };
}

describe("a rollback when two approvals are required", () => {
  it("records the first approver's Roll back as 1 of 2, shows it in the message and the thread, and runs nothing yet", async () => {
    const { rolledBack } = await changeThat("failed");
    const hash = (await record()).planHash;
    const reply = await m.click(message().ts, "momlink_rollback", BOB);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect(await record()).toMatchObject({
      state: "failed",
      approvals: [
        { actor: BOB, hash },
        { actor: CAROL, hash },
      ],
      rollbackApprovals: [{ actor: BOB, hash, round: 1 }],
    });
    expect(rolledBack).toEqual([]);
    expect(visibleText(message())).toContain(`rollback: 1 of 2 approvals (by <@${BOB}>)`);
    expect(buttons()).toEqual(["momlink_rollback"]);
    expect(replies().at(-1)).toBe(
      `<@${ALICE}>: rollback: 1 of 2 approvals by <@${BOB}> at ${slackDate(T0)} against plan hash ${hash.slice(0, 12)}…`,
    );
    expect((await m.store.audit("CHG-1")).at(-1)).toMatchObject({
      event: "rollback",
      actor: BOB,
      fromState: "failed",
      toState: "failed",
      details: { approvals: 1, required: 2 },
    });
  });

  it("counts each approver once, never the requester or an outsider, and starts on the second distinct approver", async () => {
    const { rolledBack } = await changeThat("failed");
    await m.click(message().ts, "momlink_rollback", BOB);
    await m.click(message().ts, "momlink_rollback", BOB);
    expect(m.fake.api.ephemerals.at(-1)?.text).toBe(
      "Your rollback was not started: you already approved the rollback of CHG-1 (1 of 2 approvals)",
    );
    await m.click(message().ts, "momlink_rollback", DAVE);
    expect(m.fake.api.ephemerals.at(-1)?.text).toMatch(/^Your rollback was not started: only an approver/);
    expect((await record()).state).toBe("failed");
    expect(rolledBack).toEqual([]);

    await m.click(message().ts, "momlink_rollback", CAROL);
    expect(await record()).toMatchObject({
      state: "rolling_back",
      rollbackApprovals: [{ actor: BOB }, { actor: CAROL }],
    });
    expect(rolledBack.map((c) => [c.id, c.state])).toEqual([["CHG-1", "rolling_back"]]);
    expect(replies().at(-1)).toMatch(
      new RegExp(
        `^<@${ALICE}>: rollback approved by <@${CAROL}> at ${slackDate(T0)}: undoing on mom-b, then mom-a$`,
      ),
    );
  });

  it("takes /momlink rollback CHG-n as one approval from whoever types it", async () => {
    const { rolledBack } = await changeThat("failed");
    await m.command("rollback CHG-1", BOB);
    expect(m.fake.api.ephemerals.at(-1)?.text).toBe(
      "Your approval of the rollback of CHG-1 is recorded: 1 of 2 approvals. Another approver must approve it too (the Roll back button, or `/momlink rollback CHG-1`).",
    );
    expect((await record()).state).toBe("failed");

    await m.command("rollback CHG-1", CAROL);
    expect((await record()).state).toBe("rolling_back");
    expect(rolledBack).toHaveLength(1);
  });

  it("refuses a Roll back button that shows another plan hash", async () => {
    await changeThat("failed");
    const stored = m.fake.api.message(message().channel, message().ts)!;
    const block = stored.blocks!.find((b) => (b as { type: string }).type === "actions") as {
      block_id: string;
    };
    expect(block.block_id).toBe(`momlink_undo:${(await record()).planHash}`);
    block.block_id = `momlink_undo:${"0".repeat(64)}`;
    await m.click(message().ts, "momlink_rollback", BOB);

    expect((await record()).rollbackApprovals).toEqual([]);
    expect(m.fake.api.ephemerals.at(-1)?.text).toMatch(/^Your rollback was not started: .*hash 00000000…/);
  });
});

describe("a rollback under a one-approval policy", () => {
  it("is never the requester's alone, even when the requester is an approver", async () => {
    const policy = { ...GROUP_POLICY, approvers: { users: [ALICE], groups: GROUP_POLICY.approvers.groups } };
    const { rolledBack } = await changeThat("failed", policy);
    await m.click(message().ts, "momlink_rollback", ALICE);

    expect(m.fake.api.ephemerals.at(-1)?.text).toBe(
      "Your rollback was not started: you requested CHG-1: four-eyes policy — someone else must approve its rollback",
    );
    expect((await record()).state).toBe("failed");
    await m.click(message().ts, "momlink_rollback", BOB);
    expect((await record()).state).toBe("rolling_back");
    expect(rolledBack).toHaveLength(1);
  });
});

describe("the Roll back button follows the state machine", () => {
  it("is offered on a change that succeeded, which the state machine lets an approver undo", async () => {
    await changeThat("succeeded");
    expect((await record()).state).toBe("succeeded");
    expect(buttons()).toEqual(["momlink_rollback"]);
  });
});
