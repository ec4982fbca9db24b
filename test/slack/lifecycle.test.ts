// What happens around a change rather than to it: time passing, the bot restarting, Slack
// redelivering a request, and requests that are not Slack's at all.
import { afterEach, describe, expect, it } from "vitest";
import { parsePlanText } from "../../src/domain/grammar.ts";
import { buildPlan } from "../../src/domain/plan.ts";
import { TEST_SIGNING_SECRET } from "../harness/index.ts";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  CHANNEL,
  GROUP_POLICY,
  type Momlink,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  T0,
  testClock,
  threadReplies,
  visibleText,
} from "./support.ts";

const EXPIRY = new Date(T0.getTime() + 30 * 60_000);

const running: Momlink[] = [];
async function start(options: Parameters<typeof startMomlink>[0] = {}): Promise<Momlink> {
  const m = await startMomlink(options);
  running.push(m);
  return m;
}
afterEach(async () => {
  // Newest first: the first instance owns the fake and the DB directory.
  for (const m of running.splice(0).reverse()) await m.stop();
});

const messageOf = (m: Momlink) => planMessagesIn(m.fake)[0]!;

describe("plan expiry", () => {
  it("leaves a plan alone before its TTL, then expires it: buttons gone, the message says expired", async () => {
    const m = await start();
    await m.command(PLAN_TEXT);
    m.clock.advanceMinutes(29);
    expect(await m.handle.sweepExpired()).toBe(0);
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");

    m.clock.advanceMinutes(1);
    expect(await m.handle.sweepExpired()).toBe(1);
    expect((await m.store.get("CHG-1"))?.state).toBe("expired");
    const message = messageOf(m);
    expect(actionsBlock(message)).toBeUndefined();
    expect(visibleText(message)).toContain(
      `*Expired* at ${slackDate(EXPIRY)} without enough approvals — plan it again`,
    );
    expect(await m.handle.sweepExpired()).toBe(0);
  });

  it("refuses an approval that arrives after the TTL, and expires the plan on the spot", async () => {
    const m = await start();
    await m.command(PLAN_TEXT);
    m.clock.advanceMinutes(31);
    await m.click(messageOf(m).ts, "momlink_approve", BOB);

    expect((await m.store.get("CHG-1"))?.state).toBe("expired");
    expect(m.fake.api.ephemerals[0]?.text).toBe(
      `Your approval was not recorded: CHG-1 expired at ${slackDate(EXPIRY)}: plan it again`,
    );
    expect(actionsBlock(messageOf(m))).toBeUndefined();
  });
});

describe("a restart", () => {
  it("loses nothing: a new app over the same database approves a plan made before it", async () => {
    const first = await start();
    await first.command(PLAN_TEXT, ALICE);
    const { ts } = messageOf(first);
    await first.stop({ keepFake: true });

    const second = await start({ fake: first.fake, dbPath: first.dbPath });
    await second.click(ts, "momlink_approve", BOB);

    expect((await second.store.get("CHG-1"))?.state).toBe("approved");
    expect(actionsBlock(messageOf(second))).toBeUndefined();
    expect(threadReplies(second.fake, ts)).toHaveLength(1);
  });

  it("expires, at start-up, the plans whose TTL ran out while the bot was down", async () => {
    const clock = testClock();
    const first = await start({ clock });
    await first.command(PLAN_TEXT);
    await first.stop({ keepFake: true });

    clock.advanceMinutes(45);
    const second = await start({ fake: first.fake, dbPath: first.dbPath, clock });
    expect(await second.handle.sweepExpired()).toBe(1);
    expect((await second.store.get("CHG-1"))?.state).toBe("expired");
    expect(visibleText(messageOf(second))).toContain("*Expired*");
  });
});

describe("a change whose message was never posted (the bot stopped between recording and posting)", () => {
  it("gets its message from refreshMessage, rendered from the record", async () => {
    const m = await start();
    const spec = parsePlanText(PLAN_TEXT.slice("plan ".length));
    if (!spec.ok) throw new Error("the test plan must parse");
    const created = await m.store.createChange({
      requester: ALICE,
      channel: CHANNEL,
      plan: (changeId) => buildPlan({ spec: spec.value, changeId }),
      hosts: { primary: "mom-a", secondary: "mom-b" },
      now: m.clock.now(),
      ttlMinutes: 30,
    });
    expect(created.ok).toBe(true);
    const ctx = { now: m.clock.now(), policy: GROUP_POLICY };
    expect((await m.store.apply("CHG-1", { type: "preflight-complete" }, ctx)).ok).toBe(true);

    await m.handle.refreshMessage("CHG-1");

    const [message] = planMessagesIn(m.fake);
    expect((await m.store.get("CHG-1"))?.messageTs).toBe(message?.ts);
    expect(actionsBlock(message!)).toBeDefined();
    await m.handle.refreshMessage("CHG-1");
    expect(planMessagesIn(m.fake)).toHaveLength(1); // updated in place, not posted again
  });
});

describe("a request Slack delivers again", () => {
  it("is acked and not acted on twice (a slash command retried with x-slack-retry-num)", async () => {
    const m = await start();
    const payload = m.fake.api.slashCommand({ text: PLAN_TEXT, userId: ALICE });
    const first = await m.send("command", payload);
    const retry = await m.send("command", payload, { retryNum: 1, retryReason: "http_timeout" });

    expect(first.status).toBe(200);
    expect(retry).toEqual({ status: 200, body: undefined });
    expect(await m.store.list()).toHaveLength(1);
    expect(m.fake.api.callsTo("chat.postMessage")).toHaveLength(1);
    expect(m.logs.some((l) => l.msg === "redelivered request ignored" && l.retryNum === 1)).toBe(true);
  });

  it("is acked and not acted on twice (a button click retried)", async () => {
    const m = await start();
    await m.command(PLAN_TEXT);
    const click = m.fake.api.blockActions({
      messageTs: messageOf(m).ts,
      actionId: "momlink_approve",
      userId: BOB,
    });
    await m.send("interactive", click);
    const retry = await m.send("interactive", click, { retryNum: 1, retryReason: "http_timeout" });

    expect(retry.status).toBe(200);
    expect((await m.store.audit("CHG-1")).filter((e) => e.event === "approve")).toHaveLength(1);
    expect(threadReplies(m.fake, messageOf(m).ts)).toHaveLength(1);
    expect(m.fake.api.ephemerals).toEqual([]); // no "already approved" for the retry
  });
});

describe("requests that are not from Slack", () => {
  it.each([
    ["a wrong signature", { secret: "f".repeat(32) }],
    ["a stale timestamp (a replay)", { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
  ])("with %s are refused with 401 and change nothing", async (_what, post) => {
    const m = await start();
    const reply = await m.send("command", m.fake.api.slashCommand({ text: PLAN_TEXT }), {
      secret: TEST_SIGNING_SECRET,
      ...post,
    });

    expect(reply.status).toBe(401);
    expect(await m.store.list()).toEqual([]);
    expect(m.fake.api.calls).toEqual([]);
  });
});
