// The same app in Socket Mode: envelopes over the local WebSocket, acks carrying the payloads.
import { afterEach, describe, expect, it } from "vitest";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  type Momlink,
  openedViewId,
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

describe("momlink in Socket Mode", () => {
  it("plans from a slash command envelope and approves from a button envelope", async () => {
    m = await startMomlink({ mode: "socket" });
    const ack = await m.command(PLAN_TEXT, ALICE);

    expect(ack.body).toEqual({
      response_type: "ephemeral",
      text: "Planning mom-a + mom-b: the preview will be posted in this channel for approval.",
    });
    const [message] = planMessagesIn(m.fake);
    expect(await m.store.get("CHG-1")).toMatchObject({ state: "awaiting_approval", messageTs: message?.ts });
    expect(actionsBlock(message!)?.elements.map((e) => (e as { action_id: string }).action_id)).toEqual([
      "momlink_approve",
      "momlink_reject",
    ]);

    await m.click(message!.ts, "momlink_approve", BOB);
    const record = (await m.store.get("CHG-1"))!;
    expect(record.state).toBe("approved");
    expect(visibleText(planMessagesIn(m.fake)[0]!)).toContain("waiting for runner on mom-a, mom-b");
    expect(threadReplies(m.fake, message!.ts).map((r) => r.text)).toEqual([
      `<@${ALICE}>: approved by <@${BOB}> at ${slackDate(T0)} against plan hash ${record.planHash.slice(0, 12)}…`,
    ]);
  });

  it("refuses invalid input in the ack and returns form errors in the submission's ack", async () => {
    m = await startMomlink({ mode: "socket" });
    const refused = await m.command("plan primary=mom-a", ALICE);
    expect((refused.body as { text: string }).text).toMatch(/^momlink refused the plan \(3 problems\):/);

    await m.command("plan", ALICE);
    const viewId = openedViewId(m.fake);
    const ack = await m.submit(
      viewId,
      {
        primary: { value: "mom-a" },
        secondary: { value: "mom-b" },
        "em-home": { value: "D:\\EM" },
        share: { value: "\\\\san-server\\a|b" },
      },
      ALICE,
    );
    expect(ack.body).toMatchObject({
      response_action: "errors",
      errors: { share: expect.stringContaining("`|`") },
    });
    expect(await m.store.list()).toEqual([]);
  });
});
