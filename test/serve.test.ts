// `npm start` (momlink serve) as an operator runs it: the mode comes from the environment, a bad
// environment stops the start naming the variable, and a configured bot answers Slack.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeSlack,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_APP_TOKEN,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "./harness/index.ts";
import { freePort, type RunningMomlink, runMomlink, spawnMomlink } from "./support/cli.ts";

const PLAN_TEXT = "plan primary=mom-a secondary=mom-b em-home=D:\\EM share=\\\\san-server\\mom-failover";

let dir: string;
let fake: FakeSlack;
let bot: RunningMomlink | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "momlink-serve-"));
  fake = await startFakeSlack();
});

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `momlink serve` and resolves once it logged that it is running. */
async function startBot(env: Record<string, string>): Promise<void> {
  bot = await spawnMomlink(["serve"], {
    cwd: dir,
    env: { MOMLINK_DB: join(dir, "momlink.db"), LOG_LEVEL: "info", ...env },
    until: ["momlink is running"],
  });
}

describe("momlink serve", () => {
  it("answers a signed slash command in HTTP mode and posts the plan to the channel", async () => {
    const port = await freePort();
    await startBot({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(port),
    });
    const since = fake.api.mark();
    const body = slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT }));
    const response = await postSigned(`http://127.0.0.1:${port}/slack/events`, body, {
      secret: TEST_SIGNING_SECRET,
    });
    expect(response.status).toBe(200);
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    expect(String(post.params.text)).toContain("CHG-1");
    // It identified itself once at start, so Bolt does not call auth.test on every request.
    expect(fake.api.callsTo("auth.test")).toHaveLength(1);
  });

  it("connects in Socket Mode when SLACK_APP_TOKEN is set", async () => {
    await startBot({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_APP_TOKEN: TEST_APP_TOKEN,
      SLACK_API_URL: fake.url,
    });
    await fake.socket.connected();
    const since = fake.api.mark();
    const ack = await fake.socket.slashCommand(fake.api.slashCommand({ text: PLAN_TEXT }));
    expect(ack.envelope_id).toBeTruthy();
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    expect(String(post.params.text)).toContain("CHG-1");
  });

  it("opens the runner API beside Slack when MOMLINK_RUNNER_PORT is set, with its signing key beside the database", async () => {
    const [port, runnerPort] = [await freePort(), await freePort()];
    await startBot({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(port),
      MOMLINK_RUNNER_PORT: String(runnerPort),
      MOMLINK_RUNNER_HOST: "127.0.0.1",
    });
    const response = await fetch(`http://127.0.0.1:${runnerPort}/v1/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token: "mlt_not-a-token",
        version: "0.1.0",
        platform: "linux",
        hostname: "mom-a",
      }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toMatch(/^unknown registration token/);
    expect(statSync(join(dir, "momlink-signing-key.pem")).mode & 0o777).toBe(0o600);
  });

  it("stops with status 2 and names the variable when the environment is wrong", async () => {
    const run = await runMomlink(["serve"], {
      cwd: dir,
      env: { SLACK_BOT_TOKEN: TEST_BOT_TOKEN, MOMLINK_PLAN_TTL_MINUTES: "forever" },
    });
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toContain("MOMLINK_PLAN_TTL_MINUTES");
    expect(String(run.stderr)).toContain("SLACK_BOT_TOKEN");
    expect(String(run.stderr)).not.toContain(TEST_BOT_TOKEN);
  });
});
