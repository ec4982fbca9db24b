// Rejecting a plan: the button asks for a reason in a modal; the reason is recorded and shown.
import { afterEach, describe, expect, it } from "vitest";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  DAVE,
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

async function clickReject(user: string): Promise<{ ts: string; viewId?: string }> {
  m = await startMomlink();
  await m.command(PLAN_TEXT, ALICE);
  const { ts } = planMessagesIn(m.fake)[0]!;
  await m.click(ts, "momlink_reject", user);
  const opened = m.fake.api.callsTo("views.open")[0];
  return opened === undefined ? { ts } : { ts, viewId: (opened.response.view as { id: string }).id };
}

describe("Reject by an approver", () => {
  it("opens a modal asking why, and records the reason on submit: state, message and thread", async () => {
    const { ts, viewId } = await clickReject(BOB);
    expect(viewId).toBeDefined();
    expect(m.fake.api.view(viewId!)?.callback_id).toBe("momlink_reject_modal");
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval"); // nothing recorded before the reason

    const reply = await m.submit(viewId!, { reason: { value: "share is the <test> one & not prod" } }, BOB);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect(await m.store.get("CHG-1")).toMatchObject({
      state: "rejected",
      rejection: { actor: BOB, reason: "share is the <test> one & not prod" },
    });
    expect((await m.store.audit("CHG-1")).at(-1)).toMatchObject({
      event: "reject",
      actor: BOB,
      details: { reason: "share is the <test> one & not prod" },
    });
    const message = m.fake.api.message(planMessagesIn(m.fake)[0]!.channel, ts)!;
    expect(actionsBlock(message)).toBeUndefined();
    expect(visibleText(message)).toContain(
      `*Rejected* by <@${BOB}> at ${slackDate(T0)}: “share is the &lt;test&gt; one &amp; not prod”`,
    );
    expect(threadReplies(m.fake, ts).map((r) => r.text)).toEqual([
      `<@${ALICE}>: rejected by <@${BOB}> at ${slackDate(T0)}: “share is the &lt;test&gt; one &amp; not prod”`,
    ]);
  });

  it("cannot submit a blank reason: the modal shows the error on the reason field", async () => {
    const { viewId } = await clickReject(BOB);
    const reply = await m.submit(viewId!, { reason: { value: "   " } }, BOB);

    expect(reply.body).toEqual({
      response_action: "errors",
      errors: {
        reason:
          "The reason is blank: say why, in words, for the record and the requester (spaces and invisible characters such as U+200B do not count).",
      },
    });
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
  });
});

describe("a reject reason that is not real text", () => {
  it.each([
    ["a lone zero-width space", "\u200b", "blank"],
    ["spaces, a soft hyphen and a word joiner", " \u00ad \u2060 \ufeff ", "blank"],
    [
      "2000 characters (the modal's own 500 is only enforced by the client)",
      "x".repeat(2000),
      "at most 500 characters (this one has 2000)",
    ],
    [
      "a forged 200 kB reason, beyond what any Slack input holds",
      "x".repeat(200_000),
      "momlink could not read this field",
    ],
  ])(
    "is refused on the reason field when it is %s; nothing is recorded or posted",
    async (_what, value, says) => {
      const { ts, viewId } = await clickReject(BOB);
      const reply = await m.submit(viewId!, { reason: { value } }, BOB);

      expect(reply.status).toBe(200);
      const body = reply.body as { response_action: string; errors: { reason: string } };
      expect(body.response_action).toBe("errors");
      expect(body.errors.reason).toContain(says);
      expect(body.errors.reason.length).toBeLessThan(300);
      expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
      expect(threadReplies(m.fake, ts)).toEqual([]);
    },
  );

  it("keeps 500 characters exactly, counted as characters, not UTF-16 units", async () => {
    const { viewId } = await clickReject(BOB);
    const reason = "🚫".repeat(500); // 1000 UTF-16 units
    const reply = await m.submit(viewId!, { reason: { value: reason } }, BOB);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect((await m.store.get("CHG-1"))?.rejection?.reason).toBe(reason);
  });
});

describe("Reject by someone who is not an approver", () => {
  it("gets a private denial and no modal; nothing changes", async () => {
    const { viewId } = await clickReject(DAVE);

    expect(viewId).toBeUndefined();
    expect(m.fake.api.ephemerals).toEqual([
      expect.objectContaining({
        user: DAVE,
        text: "You cannot reject CHG-1: you are not an approver for momlink (approvers: @mom-approvers)",
      }),
    ]);
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
  });
});
