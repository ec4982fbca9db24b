// End to end, through the real Bolt app, real runners and the fake Slack answering writes over
// Slack's limits with 429 and Retry-After (src/console/local-slack/rate-limits.ts): a whole change
// stays within them, and a bot whose gate is set looser than Slack still delivers the final state,
// waiting out every Retry-After instead of calling again early.
import { afterEach, describe, expect, it } from "vitest";
import { type RecordedCall, SLACK_RATE_LIMITS } from "../../src/console/local-slack/web-api.ts";
import { PRIMARY, type Rig, SECONDARY, startRig } from "./rig.ts";
import { ALICE, BOB, planMessagesIn, visibleText } from "./support.ts";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function runOneChange(r: Rig): Promise<void> {
  await r.startRunner(PRIMARY);
  await r.startRunner(SECONDARY);
  const m = r.bot.m;
  await m.command(r.planText(), ALICE);
  const message = planMessagesIn(m.fake)[0];
  if (message === undefined) throw new Error("no plan message");
  await m.click(message.ts, "momlink_approve", BOB);
  await r.until(async () => (await m.store.get("CHG-1"))?.state === "succeeded", "CHG-1 to succeed");
  await r.bot.orchestrator.settled();
  await m.drain();
}

const writes = (calls: readonly RecordedCall[]) =>
  calls.filter((c) => c.method === "chat.update" || c.method === "chat.postMessage");

describe("Slack's rate limits", () => {
  it("a whole change keeps to them: no write is answered 429, and the message ends in its final state", async () => {
    rig = await startRig({ slackRateLimits: SLACK_RATE_LIMITS });
    await runOneChange(rig);
    const m = rig.bot.m;
    expect(m.fake.api.rateLimited).toEqual([]);
    expect(visibleText(planMessagesIn(m.fake)[0] ?? {})).toContain(
      "*Succeeded* — links in place on mom-a, mom-b",
    );
    expect(writes(m.fake.api.calls).length).toBeGreaterThan(4);
  });

  it("with a gate looser than Slack, every 429 is waited out: the next write to its channel is accepted", async () => {
    rig = await startRig({
      slackRateLimits: SLACK_RATE_LIMITS,
      slackLimits: { messageIntervalMs: 0, channelWrites: 100, channelWindowMs: 1000 },
    });
    await runOneChange(rig);
    const m = rig.bot.m;
    expect(m.fake.api.rateLimited.length).toBeGreaterThan(0);
    const calls = writes(m.fake.api.calls);
    calls.forEach((call, i) => {
      if (call.status !== 429) return;
      const next = calls.slice(i + 1).find((c) => c.params.channel === call.params.channel);
      expect(next?.status, `the write after ${call.method} #${call.seq} was refused too`).toBe(200);
    });
    expect(visibleText(planMessagesIn(m.fake)[0] ?? {})).toContain(
      "*Succeeded* — links in place on mom-a, mom-b",
    );
  });
});
