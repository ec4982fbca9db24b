// `/momlink plan` through the real Bolt app over signed HTTP: the ack, the one channel message and
// its buttons, long scripts, the form, and the refusal for a host that already has an open change.
import { afterEach, describe, expect, it } from "vitest";
import { parsePlanText } from "../../src/domain/grammar.ts";
import { describePolicy } from "../../src/domain/policy.ts";
import { describeProblems } from "../../src/domain/problem.ts";
import { renderHostScript } from "../../src/domain/render.ts";
import { escapeMrkdwn, mrkdwnPhrase } from "../../src/slack/mrkdwn.ts";
import { slackDate } from "../support/dates.ts";
import {
  ALICE,
  APPROVERS_GROUP,
  actionsBlock,
  BOB,
  blocksOf,
  CHANNEL,
  codeIn,
  GROUP_POLICY,
  type Momlink,
  openedViewId,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  T0,
  threadReplies,
  visibleText,
} from "./support.ts";

const EXPIRY = new Date(T0.getTime() + 30 * 60_000);

let m: Momlink;
afterEach(async () => {
  await m.stop();
});

describe("a valid /momlink plan", () => {
  it("is acked at once with an ephemeral note, then posted as one channel message and recorded", async () => {
    m = await startMomlink();
    const reply = await m.command(PLAN_TEXT);

    expect(reply).toEqual({
      status: 200,
      body: {
        response_type: "ephemeral",
        text: "Planning mom-a + mom-b: the preview will be posted in this channel for approval.",
      },
    });
    const posts = m.fake.api.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.params.channel).toBe(CHANNEL);
    expect(m.fake.api.ephemerals).toEqual([]);

    const record = await m.store.get("CHG-1");
    expect(record).toMatchObject({
      state: "awaiting_approval",
      requester: ALICE,
      channel: CHANNEL,
      messageTs: posts[0]?.response.ts,
      hosts: { primary: "mom-a", secondary: "mom-b" },
    });
    expect((await m.store.audit("CHG-1")).map((e) => e.event)).toEqual(["create", "preflight-complete"]);
  });

  it("shows the change, the requester, the share, each host's exact script, the hash and the policy", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT);
    const record = (await m.store.get("CHG-1"))!;
    const [message] = planMessagesIn(m.fake);
    const text = visibleText(message!);

    expect(blocksOf(message!)[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "⏳ CHG-1: mom-a → mom-b" },
    });
    // On a phone the buttons must not hide behind "Show more": they come before the scripts.
    const types = blocksOf(message!).map((b) => b.type);
    const firstScript = blocksOf(message!).findIndex((b) => JSON.stringify(b).includes("REM CHG-1 primary"));
    expect(types.indexOf("actions")).toBeGreaterThan(0);
    expect(types.indexOf("actions")).toBeLessThan(firstScript);
    expect(text).toContain(`*Requested by* <@${ALICE}>`);
    expect(text).toContain("*Share* `\\\\san-server\\mom-failover`");
    expect(codeIn(message!.blocks!)).toEqual(record.plan.hosts.map((h) => renderHostScript(record.plan, h)));
    expect(text).toContain(`Plan hash \`${record.planHash.slice(0, 12)}\` (sha256 ${record.planHash})`);
    const groupIds = new Map([[`@${APPROVERS_GROUP.handle}`, APPROVERS_GROUP.id]]);
    expect(text).toContain(mrkdwnPhrase(describePolicy(GROUP_POLICY, record.expiresAt), groupIds));
    // The group configured by its handle is mentioned by its id, so Slack pings its members.
    expect(text).toContain(
      `needs 1 approval from <!subteam^${APPROVERS_GROUP.id}>; requester cannot approve; expires ${slackDate(EXPIRY)}`,
    );
    expect(text).toContain("*Awaiting approval* — 0 of 1");
    // One properties file once config is linked: the share's copy, set once after seeding.
    expect(text).toContain(
      "Failover properties to set once, in the one shared \\\\san-server\\mom-failover\\config\\IntroscopeEnterpriseManager.properties after seeding (both EMs read that copy once config is linked; momlink does not edit it: failover-properties=check): `introscope.enterprisemanager.failover.enable=true",
    );
    expect(text).not.toContain("for both hosts");
    // The escaping Slack needs for the `->` of the verify lines, not a literal `>`.
    expect(message!.blocks!.map((b) => JSON.stringify(b)).join("")).toContain("REM verify config -&gt;");
  });

  it("offers Approve (primary, with a confirm naming the commands and hosts) and Reject (danger), both valued with the change id", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT);
    const record = (await m.store.get("CHG-1"))!;
    const actions = actionsBlock(planMessagesIn(m.fake)[0]!);

    expect(actions?.block_id).toBe(`momlink_decide:${record.planHash}`);
    expect(actions?.elements).toEqual([
      {
        type: "button",
        action_id: "momlink_approve",
        style: "primary",
        text: { type: "plain_text", text: "Approve" },
        value: "CHG-1",
        confirm: {
          title: { type: "plain_text", text: "Approve CHG-1?" },
          text: {
            type: "plain_text",
            text: `This runs up to 9 commands on mom-a and up to 6 commands on mom-b, exactly as shown (plan hash ${record.planHash.slice(0, 12)}).`,
          },
          confirm: { type: "plain_text", text: "Approve" },
          deny: { type: "plain_text", text: "Back" },
        },
      },
      {
        type: "button",
        action_id: "momlink_reject",
        style: "danger",
        text: { type: "plain_text", text: "Reject" },
        value: "CHG-1",
      },
    ]);
  });

  it("reads host names Slack auto-linked as they were typed", async () => {
    m = await startMomlink();
    const linked =
      "plan primary=<http://mom-a.corp.example|mom-a.corp.example> secondary=<http://mom-b.corp.example|mom-b.corp.example> " +
      "em-home=D:\\Introscope\\EM share=\\\\san-server\\mom-failover";
    await m.command(linked);

    expect((await m.store.get("CHG-1"))?.hosts).toEqual({
      primary: "mom-a.corp.example",
      secondary: "mom-b.corp.example",
    });
  });
});

describe("the header of a plan with long host names", () => {
  it("keeps both names within Slack's 150 characters, each cut rather than the secondary dropped", async () => {
    m = await startMomlink();
    const label = "a".repeat(40);
    const primary = `mom-primary-${label}.${"p".repeat(63)}.corp.example`;
    const secondary = `mom-secondary-${label}.${"s".repeat(20)}.corp.example`;
    await m.command(
      `plan primary=${primary} secondary=${secondary} em-home=D:\\Introscope\\EM share=\\\\san-server\\mom-failover`,
    );
    const header = blocksOf(planMessagesIn(m.fake)[0]!)[0] as unknown as { text: { text: string } };
    const text = header.text.text;
    expect(text.length).toBeLessThanOrEqual(150);
    const [first = "", second = ""] = text.replace("⏳ CHG-1: ", "").split(" → ");
    expect(first.startsWith("mom-primary-aaaa")).toBe(true);
    expect(second.startsWith("mom-secondary-aaaa")).toBe(true);
    expect(first.endsWith("…") && second.endsWith("…")).toBe(true);
  });
});

describe("an invalid /momlink plan", () => {
  it.each([
    [
      "a drive-letter share and the same host twice",
      "plan primary=mom-a secondary=mom-a em-home=D:\\EM share=S:\\mom",
    ],
    ["an unknown key", "plan primary=mom-a secondary=mom-b em-home=D:\\EM share=\\\\san\\mom colour=blue"],
    [
      "a cmd.exe metacharacter Slack escaped",
      "plan primary=mom-a secondary=mom-b em-home=D:\\EM share=\\\\san\\a&amp;b",
    ],
  ])(
    "with %s is refused in the ack with every problem, and nothing is recorded or posted",
    async (_name, text) => {
      m = await startMomlink();
      const reply = await m.command(text);

      const parsed = parsePlanText(text.slice("plan ".length).replaceAll("&amp;", "&"));
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(reply).toEqual({
        status: 200,
        body: { response_type: "ephemeral", text: escapeMrkdwn(describeProblems(parsed.problems)) },
      });
      expect(await m.store.list()).toEqual([]);
      expect(m.fake.api.calls).toEqual([]);
    },
  );
});

describe("long scripts", () => {
  const emHome = "D:\\Program Files\\CA APM\\Introscope Enterprise Manager 10.7\\installation root\\EM";
  const share = "\\\\san-server.storage.corp.example\\mom-failover-share\\production\\introscope\\mom-pair-1";
  const planFor = (dirs: string[]) =>
    `plan primary=mom-a secondary=mom-b em-home='${emHome}' share='${share}' dirs=${dirs.join(",")}`;
  const named = (n: number) => Array.from({ length: n }, (_, i) => `dir${String(i).padStart(3, "0")}`);

  it("are split across sections of at most 3000 characters at line boundaries, whole, in one message", async () => {
    const dirs = named(20);
    m = await startMomlink({ allowedDirs: ["config", ...dirs] });
    await m.command(planFor(dirs));
    const record = (await m.store.get("CHG-1"))!;
    const [message] = planMessagesIn(m.fake);
    const sections = blocksOf(message!).filter((b) => b.type === "section");

    expect(record.state).toBe("awaiting_approval");
    expect(message!.blocks!.length).toBeLessThanOrEqual(50);
    for (const s of sections) expect((s.text as { text: string }).text.length).toBeLessThanOrEqual(3000);
    const code = codeIn(message!.blocks!);
    expect(code.length).toBeGreaterThan(4); // several sections per host
    const [primary, secondary] = record.plan.hosts.map((h) => renderHostScript(record.plan, h));
    expect(code.join("\n")).toBe(`${primary}\n${secondary}`);
    expect(actionsBlock(message!)).toBeDefined();
  });

  it("too long for one message go to its thread, whole, each reply within Slack's limits", async () => {
    const dirs = named(150);
    m = await startMomlink({ allowedDirs: ["config", ...dirs] });
    await m.command(planFor(dirs));
    const record = (await m.store.get("CHG-1"))!;
    const [message] = planMessagesIn(m.fake);
    const replies = threadReplies(m.fake, message!.ts);

    expect(message!.blocks!.length).toBeLessThanOrEqual(50);
    expect(visibleText(message!)).toContain("*The scripts are in this message's thread*");
    expect(actionsBlock(message!)).toBeDefined();
    expect(replies.length).toBeGreaterThanOrEqual(2);
    for (const reply of replies) expect(reply.blocks!.length).toBeLessThanOrEqual(50);
    const [primary, secondary] = record.plan.hosts.map((h) => renderHostScript(record.plan, h));
    expect(replies.flatMap((r) => codeIn(r.blocks!)).join("\n")).toBe(`${primary}\n${secondary}`);
  });
});

describe("/momlink plan alone", () => {
  const filled = {
    primary: { value: "mom-a" },
    secondary: { value: "mom-b" },
    "em-home": { value: "D:\\Introscope\\EM" },
    share: { value: "\\\\san-server\\mom-failover" },
  };

  async function openForm(): Promise<string> {
    const reply = await m.command("plan");
    expect(reply).toEqual({ status: 200, body: undefined });
    return openedViewId(m.fake);
  }

  it("opens a form with one input per grammar key", async () => {
    m = await startMomlink();
    const viewId = await openForm();
    const view = m.fake.api.view(viewId)!;

    expect(view.callback_id).toBe("momlink_plan_modal");
    expect(blocksOf(view).map((b) => b.block_id)).toEqual([
      "primary",
      "secondary",
      "em-home",
      "share",
      "dirs",
      "secondary-em-home",
      "platform",
      "share-data",
      "share-access",
      "services",
      "failover-properties",
      "ticket",
      "reason",
    ]);
  });

  it("returns each field's problems to the form, keyed by its block, and records nothing", async () => {
    m = await startMomlink();
    const viewId = await openForm();
    const reply = await m.submit(
      viewId,
      {
        ...filled,
        secondary: { value: "MOM-A" },
        share: { value: "S:\\failover" },
        dirs: { value: "config,nope" },
      },
      ALICE,
    );

    expect(reply.status).toBe(200);
    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(Object.keys(body.errors).sort()).toEqual(["dirs", "secondary", "share"]);
    expect(body.errors.share).toMatch(/Try: share=/);
    expect(body.errors.secondary).toMatch(/same machine/);
    expect(await m.store.list()).toEqual([]);
  });

  it("records services=manage and failover-properties=set chosen in the form, as the command would", async () => {
    m = await startMomlink();
    const viewId = await openForm();
    const reply = await m.submit(
      viewId,
      { ...filled, services: { value: "manage" }, "failover-properties": { value: "set" } },
      ALICE,
    );
    expect(reply).toEqual({ status: 200, body: undefined });
    expect((await m.store.get("CHG-1"))?.plan).toMatchObject({
      manageServices: true,
      setFailoverProperties: true,
    });
    const text = visibleText(planMessagesIn(m.fake)[0]!);
    expect(text).toContain("services=manage (recorded): momlink stops the EM service on both hosts first");
    expect(text).toContain("failover-properties=set (recorded): after seeding, momlink sets failover.enable");
  });

  it("records share-access=checked-by-hand chosen in the form, as the command would", async () => {
    m = await startMomlink();
    const viewId = await openForm();
    const reply = await m.submit(viewId, { ...filled, "share-access": { value: "checked-by-hand" } }, ALICE);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect((await m.store.get("CHG-1"))?.plan.shareAccess).toBe("checked-by-hand");
    expect(visibleText(planMessagesIn(m.fake)[0]!)).toContain("share-access=checked-by-hand (recorded): ");
  });

  it("plans a valid form like the command, in the channel it was opened from", async () => {
    m = await startMomlink();
    const viewId = await openForm();
    const reply = await m.submit(viewId, { ...filled, platform: { value: "windows" } }, ALICE);

    expect(reply).toEqual({ status: 200, body: undefined });
    expect(await m.store.get("CHG-1")).toMatchObject({
      state: "awaiting_approval",
      requester: ALICE,
      channel: CHANNEL,
    });
    expect(planMessagesIn(m.fake)).toHaveLength(1);
  });
});

describe("a second plan for a host with an open change", () => {
  it("is refused privately with a link to that change's message, and nothing new is recorded", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT);
    const first = (await m.store.get("CHG-1"))!;
    const reply = await m.command(
      "plan primary=MOM-B secondary=mom-c em-home=D:\\EM share=\\\\san-server\\other",
      BOB,
    );

    expect(reply.status).toBe(200);
    expect((await m.store.list()).map((r) => r.id)).toEqual(["CHG-1"]);
    expect(planMessagesIn(m.fake)).toHaveLength(1);
    const [told] = m.fake.api.ephemerals;
    const permalink = `https://momlink-local.slack.com/archives/${CHANNEL}/p${first.messageTs?.replace(".", "")}`;
    expect(told).toMatchObject({ user: BOB, via: "response_url" });
    expect(told?.text).toBe(
      `momlink refused the plan: MOM-B has an open change, <${permalink}|CHG-1> (awaiting approval, requested by <@${ALICE}>). ` +
        "One open change per MOM host: let it finish, or cancel it with `/momlink cancel CHG-1`.",
    );
  });

  it("is accepted once the first change is closed", async () => {
    m = await startMomlink();
    await m.command(PLAN_TEXT);
    await m.command("cancel CHG-1");
    await m.command(PLAN_TEXT, BOB);

    expect((await m.store.get("CHG-2"))?.state).toBe("awaiting_approval");
  });
});

describe("a plan from the form that cannot be posted", () => {
  const form = {
    primary: { value: "mom-a" },
    secondary: { value: "mom-b" },
    "em-home": { value: "D:\\Introscope\\EM" },
    share: { value: "\\\\san-server\\mom-failover" },
  };

  it.each([
    [
      "a channel the bot is not in",
      "C0CLOSED1",
      /could not post the plan CHG-1 in this channel \(not_in_channel\)\. If the bot is not in this channel, invite it/,
    ],
    [
      "a direct message between people",
      "D0ALICEBOB",
      /could not post the plan CHG-1 in a direct message \(not_in_channel\)\. Plan from the ops channel the bot is in/,
    ],
  ])(
    "opened from %s tells the requester in their DM with the app, not only the log",
    async (_where, channelId, told) => {
      m = await startMomlink();
      m.fake.api.addChannel({ id: channelId, name: "elsewhere", isMember: false });
      expect(await m.command("plan", ALICE, { channelId })).toEqual({ status: 200, body: undefined });
      const reply = await m.submit(openedViewId(m.fake), form, ALICE);

      expect(reply).toEqual({ status: 200, body: undefined });
      expect(await m.store.get("CHG-1")).toMatchObject({ state: "cancelled", messageTs: null });
      const direct = m.fake.api.messages.filter((message) => message.channel === `D${ALICE.slice(1)}`);
      expect(direct.map((message) => message.text)).toEqual([expect.stringMatching(told)]);
      expect(direct[0]?.text.startsWith("From your `/momlink plan` form: ")).toBe(true);
    },
  );
});

describe("a channel the bot cannot post in", () => {
  it("gets a private explanation, and the change is cancelled so the hosts stay free", async () => {
    m = await startMomlink();
    m.fake.api.addChannel({ id: "C0CLOSED1", name: "closed", isMember: false });
    await m.command(PLAN_TEXT, ALICE, { channelId: "C0CLOSED1" });

    expect(await m.store.get("CHG-1")).toMatchObject({ state: "cancelled", messageTs: null });
    expect(m.fake.api.ephemerals[0]?.text).toMatch(
      /could not post the plan CHG-1 in this channel \(not_in_channel\)/,
    );
    await m.command(PLAN_TEXT);
    expect((await m.store.get("CHG-2"))?.state).toBe("awaiting_approval");
  });
});
