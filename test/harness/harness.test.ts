// Proves the shared harness against a real, minimal Bolt app (not momlink's): signed HTTP requests
// and Socket Mode envelopes reach its listeners, and its Web API calls reach the local Slack.
import { App, type AppOptions, type types } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalSlackApi } from "../../src/console/local-slack/web-api.ts";
import {
  type FakeSlack,
  httpAppOptions,
  interactiveBody,
  nowSeconds,
  postSigned,
  slashCommandBody,
  socketAppOptions,
  startFakeSlack,
  startHttpApp,
  TEST_APP_TOKEN,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "./index.ts";

const MODAL: types.ModalView = {
  type: "modal",
  callback_id: "plan_modal",
  title: { type: "plain_text", text: "Plan a link" },
  submit: { type: "plain_text", text: "Preview" },
  blocks: [
    {
      type: "input",
      block_id: "share",
      label: { type: "plain_text", text: "Share (UNC)" },
      element: { type: "plain_text_input", action_id: "share_input" },
    },
  ],
};

/** The smallest app that exercises commands, posts, buttons and modals. */
function minimalApp(options: AppOptions) {
  const app = new App(options);
  const commands: string[] = [];
  app.command("/momlink", async ({ ack, command, client }) => {
    commands.push(command.text);
    await ack("ok");
    if (command.text === "modal") {
      await client.views.open({ trigger_id: command.trigger_id, view: MODAL });
      return;
    }
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `planning: ${command.text}`,
      blocks: [
        {
          type: "section",
          block_id: "summary",
          text: { type: "mrkdwn", text: `*planning:* ${command.text}` },
        },
        {
          type: "actions",
          block_id: "decide",
          elements: [
            {
              type: "button",
              action_id: "approve",
              value: "CHG-1",
              text: { type: "plain_text", text: "Approve" },
            },
          ],
        },
      ],
    });
  });
  app.action("approve", async ({ ack, action, respond }) => {
    await ack();
    const value = action.type === "button" ? action.value : undefined;
    await respond({ replace_original: true, text: `approved ${value}` });
  });
  app.view("plan_modal", async ({ ack, view }) => {
    const share = view.state.values.share?.share_input?.value ?? "";
    await ack({ response_action: "errors", errors: { share: `not a UNC path: ${share}` } });
  });
  return { app, commands };
}

describe("Bolt over HTTP against the local Slack", () => {
  let fake: FakeSlack;
  let app: App;
  let commands: string[];
  let url: string;

  beforeEach(async () => {
    fake = await startFakeSlack();
    ({ app, commands } = minimalApp(httpAppOptions(fake)));
    ({ url } = await startHttpApp(app));
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it("acks a correctly signed /momlink with 200 and its message reaches Slack", async () => {
    const command = fake.api.slashCommand({ text: "plan primary=mom-a" });
    const response = await postSigned(url, slashCommandBody(command), { secret: TEST_SIGNING_SECRET });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
    const post = await fake.api.waitFor("chat.postMessage");
    expect(post.token).toBe(TEST_BOT_TOKEN);
    expect(post.params).toMatchObject({ channel: command.channel_id, text: "planning: plan primary=mom-a" });
    // WebClient sends blocks as a JSON string inside a form: the fake hands them back decoded.
    expect(post.params.blocks).toEqual([
      expect.objectContaining({ block_id: "summary" }),
      expect.objectContaining({ block_id: "decide" }),
    ]);
    expect(fake.api.messages).toHaveLength(1);
    // botId/botUserId given: Bolt never needs auth.test.
    expect(fake.api.callsTo("auth.test")).toHaveLength(0);
    expect(fake.api.unknownCalls()).toEqual([]);
  });

  it("refuses a request with a wrong signature with 401 and runs no listener", async () => {
    const body = slashCommandBody(fake.api.slashCommand({ text: "help" }));
    const response = await postSigned(url, body, { secret: "f".repeat(32) });

    expect(response.status).toBe(401);
    expect(commands).toEqual([]);
    expect(fake.api.calls).toEqual([]);
  });

  it("refuses a correctly signed request older than five minutes (a replay) with 401 and runs no listener", async () => {
    const body = slashCommandBody(fake.api.slashCommand({ text: "help" }));
    const response = await postSigned(url, body, {
      secret: TEST_SIGNING_SECRET,
      timestamp: nowSeconds() - 6 * 60,
    });

    expect(response.status).toBe(401);
    expect(commands).toEqual([]);
    expect(fake.api.calls).toEqual([]);
  });

  it("delivers a button click from a posted message and lets the app replace it through its response URL", async () => {
    await postSigned(url, slashCommandBody(fake.api.slashCommand({ text: "plan" })), {
      secret: TEST_SIGNING_SECRET,
    });
    const posted = await fake.api.waitFor("chat.postMessage");
    const ts = String(posted.response.ts);

    const click = fake.api.blockActions({ messageTs: ts, actionId: "approve" });
    const response = await postSigned(url, interactiveBody(click), { secret: TEST_SIGNING_SECRET });

    expect(response.status).toBe(200);
    await fake.api.waitFor("response_url");
    expect(fake.api.message(String(posted.response.channel), ts)).toMatchObject({
      text: "approved CHG-1",
      blocks: undefined,
      updates: 1,
    });
  });
});

describe("Bolt in Socket Mode against the local Slack", () => {
  let fake: FakeSlack;
  let app: App;
  let commands: string[];

  beforeEach(async () => {
    fake = await startFakeSlack();
    ({ app, commands } = minimalApp(socketAppOptions(fake)));
    await app.start();
  });

  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it("connects with the app-level token through apps.connections.open", async () => {
    await fake.socket.connected();
    const opens = fake.api.callsTo("apps.connections.open");
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(TEST_APP_TOKEN);
  });

  it("acks a /momlink envelope and its message reaches Slack", async () => {
    const command = fake.api.slashCommand({ text: "plan primary=mom-a" });
    const ack = await fake.socket.slashCommand(command);

    expect(ack.payload).toEqual({ text: "ok" });
    expect(commands).toEqual(["plan primary=mom-a"]);
    const post = await fake.api.waitFor("chat.postMessage");
    expect(post.token).toBe(TEST_BOT_TOKEN);
    expect(post.params).toMatchObject({ channel: command.channel_id, text: "planning: plan primary=mom-a" });
    expect(fake.api.callsTo("auth.test")).toHaveLength(0);
  });

  it("returns a modal's validation errors to Slack in the ack of its submission", async () => {
    await fake.socket.slashCommand(fake.api.slashCommand({ text: "modal" }));
    const opened = await fake.api.waitFor("views.open");
    const view = opened.response.view as { id: string };

    const submission = fake.api.viewSubmission({
      viewId: view.id,
      values: { share: { share_input: "D:\\shares" } },
    });
    const ack = await fake.socket.interactive(submission);

    expect(ack.payload).toEqual({
      response_action: "errors",
      errors: { share: "not a UNC path: D:\\shares" },
    });
  });
});

describe("the local Slack Web API", () => {
  let fake: FakeSlack;
  let app: App;

  beforeEach(async () => {
    fake = await startFakeSlack();
    app = new App(httpAppOptions(fake));
  });

  afterEach(async () => {
    await fake.close();
  });

  it("answers auth.test with the workspace's team and bot ids", async () => {
    const result = await app.client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      team_id: "T0LOCAL01",
      user_id: "U0LOCALBOT",
      bot_id: "B0LOCALBOT",
    });
  });

  it("updates a posted message and refuses to update one that does not exist", async () => {
    const posted = await app.client.chat.postMessage({ channel: "C0LOCAL01", text: "planned" });
    await app.client.chat.update({ channel: "C0LOCAL01", ts: String(posted.ts), text: "approved" });

    expect(fake.api.message("C0LOCAL01", String(posted.ts))?.text).toBe("approved");
    await expect(
      app.client.chat.update({ channel: "C0LOCAL01", ts: "1.000001", text: "x" }),
    ).rejects.toMatchObject({
      data: { error: "message_not_found" },
    });
  });

  it("fails a method once on demand, then serves it again", async () => {
    const posted = await app.client.chat.postMessage({ channel: "C0LOCAL01", text: "planned" });
    fake.api.failNext("chat.update", "ratelimited");

    await expect(
      app.client.chat.update({ channel: "C0LOCAL01", ts: String(posted.ts), text: "x" }),
    ).rejects.toMatchObject({ code: "slack_webapi_rate_limited_error" });
    await app.client.chat.update({ channel: "C0LOCAL01", ts: String(posted.ts), text: "approved" });
    expect(fake.api.callsTo("chat.update").map((c) => c.status)).toEqual([429, 200]);
    expect(fake.api.message("C0LOCAL01", String(posted.ts))?.text).toBe("approved");
  });

  it("holds every call to a method unanswered (recorded as it arrives) until released, serving the others", async () => {
    fake.api.holdCalls("usergroups.users.list");
    let answered = false;
    const held = app.client.usergroups.users.list({ usergroup: "S0LOCAL01" }).then(() => {
      answered = true;
    });
    const call = await fake.api.waitFor("usergroups.users.list");
    expect(call).toMatchObject({ status: 0, params: { usergroup: "S0LOCAL01" } });
    // Other methods answer meanwhile; the held call has still not been answered.
    await app.client.chat.postMessage({ channel: "C0LOCAL01", text: "still served" });
    expect(answered).toBe(false);

    fake.api.releaseCalls("usergroups.users.list");
    await app.client.usergroups.users.list({ usergroup: "S0LOCAL01" }).catch(() => undefined);
    expect(fake.api.callsTo("usergroups.users.list").map((c) => c.status)).toEqual([0, 200]);
    expect(answered).toBe(false); // a held call is never answered: its client gives up or dies
    void held.catch(() => undefined);
  });

  it("answers a method it does not model with unknown_method and records it", async () => {
    await expect(
      app.client.apiCall("reactions.add", { channel: "C0LOCAL01", name: "eyes" }),
    ).rejects.toMatchObject({
      data: { error: "unknown_method" },
    });
    expect(fake.api.unknownCalls().map((c) => c.method)).toEqual(["reactions.add"]);
  });

  it("refuses blocks Slack would refuse, naming the offending field", async () => {
    const script = "mklink /D config \\\\san\\share\\config\n".repeat(100);
    const tooLong = [{ type: "section", text: { type: "mrkdwn", text: script } }];

    await expect(
      app.client.chat.postMessage({ channel: "C0LOCAL01", text: "plan", blocks: tooLong }),
    ).rejects.toMatchObject({
      data: {
        error: "invalid_blocks",
        errors: ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"],
      },
    });
  });

  it("opens a modal only with a trigger, and each trigger only once", async () => {
    const trigger = fake.api.issueTriggerId();
    await expect(app.client.views.open({ trigger_id: "", view: MODAL })).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    await app.client.views.open({ trigger_id: trigger, view: MODAL });
    await expect(app.client.views.open({ trigger_id: trigger, view: MODAL })).rejects.toMatchObject({
      data: { error: "expired_trigger_id" },
    });
  });

  it("refuses a bot method called with the app-level token, and an unknown bot token", async () => {
    await expect(app.client.auth.test({ token: TEST_APP_TOKEN })).rejects.toMatchObject({
      data: { error: "not_allowed_token_type" },
    });
    const strict = new LocalSlackApi({ botToken: TEST_BOT_TOKEN });
    expect(await strict.call("auth.test", {}, "xoxb-someone-else")).toEqual({
      ok: false,
      error: "invalid_auth",
    });
    expect(await strict.call("auth.test", {})).toEqual({ ok: false, error: "not_authed" });
  });

  it("lists the members of a user group", async () => {
    fake.api.addUsergroup({ id: "S0APPROVE1", handle: "mom-approvers", users: ["U0ALICE01"] });
    fake.api.setUsergroupMembers("@mom-approvers", ["U0ALICE01", "U0BOB0001"]);

    const result = await app.client.usergroups.users.list({ usergroup: "S0APPROVE1" });
    expect(result.users).toEqual(["U0ALICE01", "U0BOB0001"]);
    await expect(app.client.usergroups.users.list({ usergroup: "S0NOSUCH01" })).rejects.toMatchObject({
      data: { error: "no_such_subteam" },
    });
  });

  it("serves a Bolt app in-process through its fetch, with no port (as the local console does)", async () => {
    const api = new LocalSlackApi();
    const inProcess = new App({
      ...httpAppOptions(fake),
      clientOptions: {
        slackApiUrl: "http://slack.local/api/",
        fetch: api.fetch,
        retryConfig: { retries: 0 },
      },
    });

    await inProcess.client.chat.postMessage({ channel: "C0LOCAL01", text: "from the console", blocks: [] });
    expect(api.messages.map((m) => m.text)).toEqual(["from the console"]);
    expect(fake.api.calls).toEqual([]);
  });
});
