// What the team is told without asking, through the real Bolt app and the fake Slack API: one
// reminder that pings the approver group by its id (also across a restart, never twice), the
// expiry announced to the requester with the command that plans it again, and the requester's
// direct message when MOMLINK_NOTIFY_DM is on.
import { afterEach, describe, expect, it } from "vitest";
import { parsePlanText } from "../../src/domain/grammar.ts";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  APPROVERS_GROUP,
  BOB,
  type Momlink,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  T0,
  testClock,
  threadReplies,
} from "./support.ts";

const EXPIRY = new Date(T0.getTime() + 30 * 60_000);
const GROUP = `<!subteam^${APPROVERS_GROUP.id}>`;

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

const replies = (m: Momlink) => threadReplies(m.fake, planMessagesIn(m.fake)[0]!.ts).map((r) => r.text);
const REMINDER = `${GROUP}: ⏰ CHG-1 still awaits approval (0 of 1); it expires ${slackDate(EXPIRY)}. Approve or reject it on the message above.`;

describe("the reminder of a plan awaiting approval", () => {
  it("comes once at half the TTL, mentioning the approver group by its id", async () => {
    const m = await start();
    await m.command(PLAN_TEXT, ALICE);
    m.clock.advanceMinutes(14);
    expect(await m.handle.sweepReminders()).toBe(0);
    expect(replies(m)).toEqual([]);

    m.clock.advanceMinutes(1);
    expect(await m.handle.sweepReminders()).toBe(1);
    expect(await m.handle.sweepReminders()).toBe(0);
    m.clock.advanceMinutes(5);
    expect(await m.handle.sweepReminders()).toBe(0);
    expect(replies(m)).toEqual([REMINDER]);
  });

  it("is sent by the next process when the bot was down at its time, and not again after that", async () => {
    const clock = testClock();
    const first = await start({ clock });
    await first.command(PLAN_TEXT, ALICE);
    await first.stop({ keepFake: true });

    clock.advanceMinutes(20);
    const second = await start({ fake: first.fake, dbPath: first.dbPath, clock });
    expect(await second.handle.sweepReminders()).toBe(1);
    await second.stop({ keepFake: true });

    const third = await start({ fake: first.fake, dbPath: first.dbPath, clock });
    expect(await third.handle.sweepReminders()).toBe(0);
    expect(replies(third)).toEqual([REMINDER]);
  });

  it("comes no later than the lead time before expiry, and not at all when turned off", async () => {
    const late = await start({
      notices: { reminder: { percent: 90, leadMinutes: 5 }, directMessages: false },
    });
    await late.command(PLAN_TEXT, ALICE);
    late.clock.advanceMinutes(24);
    expect(await late.handle.sweepReminders()).toBe(0);
    late.clock.advanceMinutes(1);
    expect(await late.handle.sweepReminders()).toBe(1);

    const off = await start({ notices: { reminder: null, directMessages: false } });
    await off.command(PLAN_TEXT, ALICE);
    off.clock.advanceMinutes(29);
    expect(await off.handle.sweepReminders()).toBe(0);
  });

  it("is not sent for a plan that was decided before its time", async () => {
    const m = await start();
    await m.command(PLAN_TEXT, ALICE);
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_approve", BOB);
    m.clock.advanceMinutes(20);
    expect(await m.handle.sweepReminders()).toBe(0);
  });
});

describe("the expiry of a plan", () => {
  it("is announced to the requester in the thread, once, with the command that plans it again", async () => {
    const m = await start();
    await m.command(PLAN_TEXT, ALICE);
    m.clock.advanceMinutes(30);
    expect(await m.handle.sweepExpired()).toBe(1);
    expect(await m.handle.sweepExpired()).toBe(0);
    await m.handle.refreshMessage("CHG-1");

    const announced = replies(m).filter((r) => r.includes("⌛"));
    expect(announced).toHaveLength(1);
    const [text = ""] = announced;
    expect(
      text.startsWith(`<@${ALICE}>: ⌛ CHG-1 expired at ${slackDate(EXPIRY)} without enough approvals`),
    ).toBe(true);
    // The command in the announcement plans the very same pair again.
    const again = /To plan it again: `\/momlink plan (.*)`$/.exec(text)?.[1] ?? "";
    const original = parsePlanText(PLAN_TEXT.slice("plan ".length));
    const parsed = parsePlanText(
      again.replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">"),
    );
    expect(parsed.ok && original.ok && parsed.value).toEqual(original.ok && original.value);
  });
});

describe("MOMLINK_NOTIFY_DM", () => {
  it("tells the requester of each decision in a direct message too, with a link to the change", async () => {
    const m = await start({ notices: { reminder: null, directMessages: true } });
    await m.command(PLAN_TEXT, ALICE);
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_approve", BOB);
    const dm = m.fake.api.messages.filter((message) => message.channel === `D${ALICE.slice(1)}`);
    expect(dm.map((message) => message.text)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^<https://[^|>]+\\|CHG-1>: approved by <@${BOB}> at ${literal(slackDate(T0))} against plan hash [0-9a-f]{12}…$`,
        ),
      ),
    ]);
  });

  it("is off by default: the thread reply mentions the requester, and no DM goes out", async () => {
    const m = await start();
    await m.command(PLAN_TEXT, ALICE);
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_approve", BOB);
    expect(m.fake.api.messages.filter((message) => message.channel.startsWith("D"))).toEqual([]);
    expect(replies(m)[0]).toMatch(new RegExp(`^<@${ALICE}>: approved by <@${BOB}>`));
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
