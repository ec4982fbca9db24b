// Forged and malformed interaction payloads, correctly signed, through the real Bolt app: every
// field momlink reads is checked for type and size before use; a bad payload is acked, answered
// (a modal's field errors, or a private note to the clicker), logged once, and reaches nothing.
import { afterEach, describe, expect, it } from "vitest";
import {
  ALICE,
  BOB,
  CHANNEL,
  type Momlink,
  openedViewId,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
} from "./support.ts";

let m: Momlink;
afterEach(async () => {
  await m.stop();
});

type Payload = Record<string, unknown> & {
  view?: { private_metadata?: unknown; state: { values: Record<string, unknown> } };
  actions?: Array<Record<string, unknown>>;
};

const refusals = () => m.logs.filter((l) => l.msg === "refused a malformed Slack payload");
/** Log lines of level error or above: a payload that reached code unchecked shows up here. */
const errors = () => m.logs.filter((l) => typeof l.level === "number" && l.level >= 50);

const filled = {
  primary: { value: "mom-a" },
  secondary: { value: "mom-b" },
  "em-home": { value: "D:\\Introscope\\EM" },
  share: { value: "\\\\san-server\\mom-failover" },
};

async function planForm(): Promise<string> {
  m = await startMomlink();
  await m.command("plan");
  return openedViewId(m.fake);
}

function planSubmission(viewId: string): Payload {
  return m.fake.api.viewSubmission({ viewId, values: filled, userId: ALICE }) as Payload;
}

describe("a plan form submission with forged values", () => {
  it.each([
    ["an array", ["mom-a", "mom-b"]],
    ["an object", { $ne: 1 }],
    ["a number", 42],
    ["text over Slack's 3000-character input limit", "a".repeat(3001)],
  ])("whose primary is %s is acked with an error on that field; nothing is planned", async (_what, bad) => {
    const viewId = await planForm();
    const payload = planSubmission(viewId);
    payload.view!.state.values.primary = { value: { type: "plain_text_input", value: bad } };
    const reply = await m.send("interactive", payload);

    expect(reply.status).toBe(200);
    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(Object.keys(body.errors)).toEqual(["primary"]);
    expect(body.errors.primary).toMatch(/^momlink could not read this field/);
    expect(await m.store.list()).toEqual([]);
    expect(refusals()).toHaveLength(1);
    expect(errors()).toEqual([]);
  });

  it("whose whole block is an array is acked with an error on that block", async () => {
    const viewId = await planForm();
    const payload = planSubmission(viewId);
    payload.view!.state.values.share = [{ type: "plain_text_input", value: "x" }];
    const reply = await m.send("interactive", payload);

    expect(reply.status).toBe(200);
    expect((reply.body as { errors: Record<string, string> }).errors).toEqual({
      share: expect.stringMatching(/^momlink could not read this field/),
    });
    expect(await m.store.list()).toEqual([]);
  });

  it.each([
    ["not JSON", "{channel:"],
    ["a channel that is an object", JSON.stringify({ channel: { $ne: 1 } })],
    ["not text at all", { channel: CHANNEL }],
  ])("whose private metadata is %s is refused in the form; nothing is planned", async (_what, metadata) => {
    const viewId = await planForm();
    const payload = planSubmission(viewId);
    payload.view!.private_metadata = metadata;
    const reply = await m.send("interactive", payload);

    expect(reply.status).toBe(200);
    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(body.errors.primary).toMatch(/could not read this form.*\/momlink plan/);
    expect(await m.store.list()).toEqual([]);
    expect(refusals()).toHaveLength(1);
    expect(errors()).toEqual([]);
  });
});

describe("a reject form submission with a forged change id", () => {
  async function rejectForm(): Promise<Payload> {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_reject", BOB);
    const viewId = openedViewId(m.fake);
    return m.fake.api.viewSubmission({ viewId, values: { reason: { value: "no" } }, userId: BOB }) as Payload;
  }

  it.each([
    ["an object SQLite would take as named parameters", { $ne: 1 }],
    ["an id that is not a change id", "CHG-1' OR '1'='1"],
    ["a number", 1],
  ])("as %s is refused in the form and never reaches the store", async (_what, changeId) => {
    const payload = await rejectForm();
    payload.view!.private_metadata = JSON.stringify({ changeId, channel: CHANNEL });
    const reply = await m.send("interactive", payload);

    expect(reply.status).toBe(200);
    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(body.errors.reason).toMatch(/could not read this form/);
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(refusals()).toHaveLength(1);
    expect(errors()).toEqual([]);
  });

  it("whose reason is not text is refused on the reason field", async () => {
    const payload = await rejectForm();
    payload.view!.state.values.reason = { value: { type: "plain_text_input", value: ["no"] } };
    const reply = await m.send("interactive", payload);

    expect((reply.body as { errors: Record<string, string> }).errors).toEqual({
      reason: expect.stringMatching(/^momlink could not read this field/),
    });
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(errors()).toEqual([]);
  });
});

describe("a button click with a forged payload", () => {
  async function planned(): Promise<string> {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    return planMessagesIn(m.fake)[0]!.ts;
  }

  it.each([
    ["momlink_approve", "a value that is an object", { value: { $ne: 1 } }],
    ["momlink_approve", "a value that is not a change id", { value: "CHG-1 OR 1=1" }],
    ["momlink_approve", "an over-long value", { value: `CHG-${"1".repeat(2000)}` }],
    ["momlink_approve", "a block id that is an object", { block_id: { $ne: 1 } }],
    ["momlink_approve", "a block id with no plan hash", { block_id: "momlink_decide:" }],
    ["momlink_reject", "a value that is an array", { value: ["CHG-1"] }],
  ])(
    "%s with %s is acked, refused privately and logged once; nothing changes",
    async (actionId, _what, forged) => {
      const ts = await planned();
      const payload = m.fake.api.blockActions({ messageTs: ts, actionId, userId: BOB }) as Payload;
      Object.assign(payload.actions![0]!, forged);
      const before = await m.store.get("CHG-1");
      const reply = await m.send("interactive", payload);

      expect(reply).toEqual({ status: 200, body: undefined });
      expect(await m.store.get("CHG-1")).toEqual(before);
      expect(m.fake.api.callsTo("views.open")).toEqual([]);
      expect(m.fake.api.ephemerals).toEqual([
        expect.objectContaining({
          user: BOB,
          text: expect.stringMatching(/^momlink refused this click: .*Nothing was recorded\.$/),
        }),
      ]);
      expect(refusals()).toHaveLength(1);
      expect(errors()).toEqual([]);
    },
  );

  it("from a user id that is not a Slack user id is refused", async () => {
    const ts = await planned();
    const payload = m.fake.api.blockActions({
      messageTs: ts,
      actionId: "momlink_approve",
      userId: BOB,
    }) as Payload & { user: Record<string, unknown> };
    payload.user.id = { $ne: 1 };
    const reply = await m.send("interactive", payload);

    expect(reply.status).toBe(200);
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(refusals()).toHaveLength(1);
    expect(errors()).toEqual([]);
  });
});
