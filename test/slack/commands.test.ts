// The other subcommands (show, history, cancel, help, a typo) and the App Home tab.
import { afterEach, describe, expect, it } from "vitest";
import { PLAN_USAGE } from "../../src/domain/grammar.ts";
import { renderPlanText } from "../../src/domain/render.ts";
import { escapeMrkdwn } from "../../src/slack/mrkdwn.ts";
import { SLACK_DATE, slackDate } from "../support/dates.ts";
import {
  ALICE,
  actionsBlock,
  BOB,
  codeIn,
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

const OTHER_PAIR = "plan primary=mom-c secondary=mom-d em-home=D:\\EM share=\\\\san-server\\pair-2";

describe("/momlink help", () => {
  it("answers in the ack with the commands, the plan grammar and the approval policy", async () => {
    m = await startMomlink();
    const reply = await m.command("help");
    const text = (reply.body as { text: string }).text;

    expect((reply.body as { response_type: string }).response_type).toBe("ephemeral");
    for (const sub of ["plan", "show CHG-n", "history [host]", "cancel CHG-n [reason]", "help"]) {
      expect(text).toContain(`\`/momlink ${sub}`);
    }
    expect(text).toContain(escapeMrkdwn(PLAN_USAGE));
    expect(text).toContain("Approval: 1 approval from @mom-approvers; plans expire after 30 min.");
    expect(m.fake.api.calls).toEqual([]);
  });

  it.each([
    ["shwo CHG-1", "`shwo` is not a momlink command (did you mean `show`?)."],
    ["hitsory", "`hitsory` is not a momlink command (did you mean `history`?)."],
    ["deploy now", "`deploy` is not a momlink command."],
  ])("answers the unknown `%s` with a suggestion and the help", async (typed, first) => {
    m = await startMomlink();
    const reply = await m.command(typed);
    const text = (reply.body as { text: string }).text;

    expect(text.split("\n")[0]).toBe(first);
    expect(text).toContain("`/momlink history [host]`");
  });

  it("is what an empty /momlink shows", async () => {
    m = await startMomlink();
    const reply = await m.command("");
    expect((reply.body as { text: string }).text).toContain("`/momlink plan key=value ...`");
  });
});

describe("/momlink show", () => {
  it("shows the asker the state, every event and the whole plan with its rollback", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT);
    await m.click(planMessagesIn(m.fake)[0]!.ts, "momlink_approve", BOB);
    const reply = await m.command("show chg-1", DAVE);
    const record = (await m.store.get("CHG-1"))!;

    expect(reply).toEqual({ status: 200, body: undefined });
    const shown = m.fake.api.ephemerals.filter((e) => e.user === DAVE);
    expect(shown.length).toBeGreaterThanOrEqual(1);
    const text = shown.map((e) => visibleText(e)).join("\n");
    expect(text).toContain(`*CHG-1* · mom-a + mom-b · requested by <@${ALICE}>`);
    expect(text).toContain("|plan message>");
    expect(text).toContain("waiting for runner on mom-a, mom-b");
    expect(text).toMatch(new RegExp(`${SLACK_DATE} <@U0ALICE01> \\*create\\*`));
    expect(text).toMatch(/<@U0BOB0001> \*approve\* \(awaiting approval → approved/);
    expect(shown.flatMap((e) => codeIn(e.blocks!)).join("\n")).toBe(renderPlanText(record.plan));
    expect(text).toContain("rollback on mom-a (primary)");
  });

  it.each([
    ["show", "Usage: `/momlink show CHG-n`, e.g. `/momlink show CHG-12`."],
    ["show 12", "Usage: `/momlink show CHG-n`, e.g. `/momlink show CHG-12`."],
  ])("explains its usage for `%s`", async (typed, usage) => {
    m = await startMomlink();
    expect((await m.command(typed)).body).toEqual({ response_type: "ephemeral", text: usage });
  });

  it.each([
    ["show CHG-99999999999999999999999", "its number has 23 digits, and momlink's have at most 9"],
    ["show CHG-1e3", "only digits follow CHG-"],
    ["show chg-0", "change numbers start at CHG-1"],
    ["cancel CHG-99999999999999999999999 typo", "its number has 23 digits"],
    ["rollback CHG-12345678901", "its number has 11 digits"],
  ])("refuses `%s` in the ack, saying why the id is not one, and looks nothing up", async (typed, why) => {
    m = await startMomlink();
    const reply = await m.command(typed);
    const text = (reply.body as { text: string }).text;

    const [sub = "", id = ""] = typed.split(" ");
    expect(text.split("\n")[0]?.startsWith(`\`${id}\` is not a change id: `)).toBe(true);
    expect(text).toContain(why);
    expect(text).toContain(`Usage: \`/momlink ${sub} CHG-n`);
    expect(text).not.toContain("e+");
    expect(m.fake.api.calls).toEqual([]);
  });

  it("says so for a change that does not exist", async () => {
    m = await startMomlink();
    await m.command("show CHG-9");
    expect(m.fake.api.ephemerals[0]?.text).toBe(
      "There is no change CHG-9. `/momlink history` lists the latest ones.",
    );
  });
});

describe("/momlink history", () => {
  it("lists the latest changes newest first, or those of one host", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.command(OTHER_PAIR, BOB);
    await m.command("history");
    await m.command("history MOM-C");

    const [all, forHost] = m.fake.api.ephemerals.map((e) => e.text);
    expect(all?.split("\n")).toEqual([
      "*Latest changes*",
      `• *CHG-2* · awaiting approval · mom-c + mom-d · by <@${BOB}> · ${slackDate(T0)}`,
      `• *CHG-1* · awaiting approval · mom-a + mom-b · by <@${ALICE}> · ${slackDate(T0)}`,
    ]);
    expect(forHost?.split("\n")).toEqual([
      "*Latest changes for MOM-C*",
      `• *CHG-2* · awaiting approval · mom-c + mom-d · by <@${BOB}> · ${slackDate(T0)}`,
    ]);
  });

  it("says when there is nothing yet", async () => {
    m = await startMomlink();
    await m.command("history mom-z");
    expect(m.fake.api.ephemerals[0]?.text).toBe("No changes for mom-z yet. `/momlink plan` starts one.");
  });
});

describe("/momlink cancel", () => {
  it("by the requester closes the change: message without buttons, a thread reply, the hosts free", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    const { ts } = planMessagesIn(m.fake)[0]!;
    await m.command("cancel CHG-1 wrong share", ALICE);

    expect(await m.store.get("CHG-1")).toMatchObject({
      state: "cancelled",
      cancellation: { actor: ALICE, reason: "wrong share" },
    });
    expect(m.fake.api.ephemerals.at(-1)?.text).toBe("CHG-1 is cancelled; its hosts are free for a new plan.");
    const message = planMessagesIn(m.fake)[0]!;
    expect(actionsBlock(message)).toBeUndefined();
    expect(visibleText(message)).toContain(`*Cancelled* by <@${ALICE}> at ${slackDate(T0)}: “wrong share”`);
    expect(threadReplies(m.fake, ts).map((r) => r.text)).toEqual([
      `cancelled by <@${ALICE}> at ${slackDate(T0)}: “wrong share”`,
    ]);
  });

  it("by an approver is allowed too", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.command("cancel CHG-1", BOB);
    expect((await m.store.get("CHG-1"))?.state).toBe("cancelled");
  });

  it("by anyone else is refused privately, and nothing changes", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.command("cancel CHG-1", DAVE);

    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    expect(m.fake.api.ephemerals.at(-1)?.text).toBe(
      `momlink did not cancel CHG-1: only the requester (<@${ALICE}>) or an approver can cancel CHG-1 (approvers: @mom-approvers)`,
    );
  });

  it("explains its usage without a change id", async () => {
    m = await startMomlink();
    const reply = await m.command("cancel");
    expect((reply.body as { text: string }).text).toMatch(/^Usage: `\/momlink cancel CHG-n \[reason\]`/);
  });
});

describe("the App Home tab", () => {
  it("is published with the latest changes and their states when a user opens it", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.command(OTHER_PAIR, BOB);
    await m.command("cancel CHG-2", BOB);
    const reply = await m.event({ type: "app_home_opened", user: DAVE, channel: "D0DAVE001", tab: "home" });

    expect(reply.status).toBe(200);
    const publish = m.fake.api.callsTo("views.publish");
    expect(publish).toHaveLength(1);
    expect(publish[0]?.params.user_id).toBe(DAVE);
    const home = m.fake.api.homeView(DAVE)!;
    const text = visibleText(home);
    expect(text).toContain("momlink — MOM failover links");
    expect(text).toMatch(
      /\*CHG-2\* · \*cancelled\* · mom-c \+ mom-d[\s\S]*\*CHG-1\* · \*awaiting approval\* · mom-a \+ mom-b/,
    );
  });

  it("shows an approver what awaits their approval with a link to its message, then their changes, then everyone's", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT, ALICE);
    await m.command(OTHER_PAIR, BOB);
    await m.event({ type: "app_home_opened", user: BOB, channel: "D0BOB0001", tab: "home" });
    const text = visibleText(m.fake.api.homeView(BOB)!);
    const [awaiting = "", mine = "", latest = ""] = text
      .split(/\*Awaiting your approval\*|\*Your recent changes\*|\*Latest changes\*/)
      .slice(1);
    // BOB's own plan is not his to approve (four-eyes); ALICE's is, with the way to its buttons.
    expect(awaiting).toMatch(/\*CHG-1\* · \*awaiting approval\* · mom-a \+ mom-b/);
    expect(awaiting).toMatch(/<https:\/\/[^|>]+\|open the message to approve or reject>/);
    expect(awaiting).not.toContain("CHG-2");
    expect(mine).toContain("*CHG-2*");
    expect(mine).not.toContain("CHG-1");
    expect(latest).toMatch(/\*CHG-2\*[\s\S]*\*CHG-1\*/);

    await m.event({ type: "app_home_opened", user: DAVE, channel: "D0DAVE001", tab: "home" });
    const dave = visibleText(m.fake.api.homeView(DAVE)!);
    expect(dave).toContain("*Awaiting your approval*: nothing right now.");
    expect(dave).toContain("*Your recent changes*: none yet.");
  });

  it("is not published when the user opens the Messages tab", async () => {
    m = await startMomlink();
    await m.event({ type: "app_home_opened", user: DAVE, channel: "D0DAVE001", tab: "messages" });
    expect(m.fake.api.callsTo("views.publish")).toEqual([]);
  });
});
