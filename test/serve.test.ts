// `npm start` (momlink serve) as an operator runs it: the mode comes from the environment, a bad
// environment stops the start naming the variable, and a configured bot answers Slack.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NOT_RECORDED } from "../src/slack/failures.ts";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_APP_TOKEN,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "./harness/index.ts";
import { freePort, type RunningMomlink, runMomlink, spawnMomlink } from "./support/cli.ts";

const APPROVER = "U0BOB0001";
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
    // Outside the console approvers are required (a real workspace must never start open).
    env: { MOMLINK_DB: join(dir, "momlink.db"), LOG_LEVEL: "info", MOMLINK_APPROVERS: APPROVER, ...env },
    until: ["momlink is running"],
  });
}

/** HTTP mode with the runner API on loopback; the ports it was given. */
async function startWithRunnerApi(
  env: Record<string, string> = {},
): Promise<{ port: number; runnerPort: number }> {
  const [port, runnerPort] = [await freePort(), await freePort()];
  await startBot({
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    PORT: String(port),
    MOMLINK_RUNNER_PORT: String(runnerPort),
    MOMLINK_RUNNER_HOST: "127.0.0.1",
    ...env,
  });
  return { port, runnerPort };
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
    const { runnerPort } = await startWithRunnerApi();
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

  it("declares a runner that falls silent lost once MOMLINK_JOB_LEASE_SECONDS have passed, as the lease it announced", async () => {
    const { port, runnerPort } = await startWithRunnerApi({
      MOMLINK_APPROVERS: APPROVER,
      MOMLINK_JOB_LEASE_SECONDS: "3",
      // Only the lease may end the wait for the pre-flight: its own timeout is far away.
      MOMLINK_PREFLIGHT_TIMEOUT_SECONDS: "600",
    });
    const runnerApi = `http://127.0.0.1:${runnerPort}`;
    const added = await runMomlink(["runners", "add", "mom-a", "--host", "mom-a", "--json"], {
      cwd: dir,
      env: { MOMLINK_DB: join(dir, "momlink.db") },
    });
    expect(added.exitCode, String(added.stderr)).toBe(0);
    const { token } = JSON.parse(String(added.stdout)) as { token: string };
    const registered = await fetch(`${runnerApi}/v1/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, version: "0.1.0", platform: "windows", hostname: "mom-a" }),
    });
    expect(registered.status).toBe(200);
    const { credential } = (await registered.json()) as { credential: string };
    const poll = () =>
      fetch(`${runnerApi}/v1/jobs/next?wait=25`, { headers: { authorization: `Bearer ${credential}` } });

    const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 25_000,
    });
    const body = slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT }));
    expect(
      (await postSigned(`http://127.0.0.1:${port}/slack/events`, body, { secret: TEST_SIGNING_SECRET }))
        .status,
    ).toBe(200);

    // This test is mom-a's runner: it takes the pre-flight, hears the lease, and says nothing more.
    const first = await poll();
    expect(first.status).toBe(200);
    expect(first.headers.get("x-momlink-lease-ms")).toBe("3000");
    const job = ((await first.json()) as { job: { id: string; kind: string } }).job;
    expect(job.kind).toBe("preflight");
    // A read-only job whose lease ran out is offered once more; silent again, it is lost.
    const second = await poll();
    expect(second.status).toBe(200);
    expect(((await second.json()) as { job: { id: string } }).job.id).toBe(job.id);

    const message = await posted;
    expect(JSON.stringify(message.params.blocks)).toContain(
      "runner mom-a on mom-a stopped answering during pre-flight",
    );
  });

  it("stops with a fatal line naming MOMLINK_DB when its database is deleted under it, and the click is told it was not recorded", async () => {
    const port = await freePort();
    const db = join(dir, "momlink.db");
    await startBot({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(port),
      MOMLINK_APPROVERS: APPROVER,
    });
    const events = `http://127.0.0.1:${port}/slack/events`;
    const since = fake.api.mark();
    await postSigned(events, slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT })), {
      secret: TEST_SIGNING_SECRET,
    });
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    const ts = String(post.response.ts);

    rmSync(db);
    const click = fake.api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: APPROVER });
    const ack = await postSigned(events, interactiveBody(click), { secret: TEST_SIGNING_SECRET });
    expect(ack.status).toBe(200);

    const { exitCode, output } = await bot!.exited;
    expect(exitCode).toBe(1);
    const fatal = output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string; variable?: string; path?: string })
      .filter((line) => line.level === 60);
    expect(fatal).toEqual([
      expect.objectContaining({
        variable: "MOMLINK_DB",
        path: db,
        msg: expect.stringContaining(`MOMLINK_DB ${db} was deleted while momlink was running`),
      }),
    ]);
    expect(output).not.toContain("approval recorded");
    expect(fake.api.ephemerals.filter((e) => e.user === APPROVER).map((e) => e.text)).toEqual([NOT_RECORDED]);
    // Closed on the way out: no stale WAL is left for a new file at that path to be paired with.
    expect(existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0).toBe(0);
    // Nothing was left for an auditor to mistake for the record: the path holds no database.
    const records = await runMomlink(["records", "list"], { cwd: dir, env: { MOMLINK_DB: db } });
    expect(records.exitCode).toBe(2);
    expect(records.stderr).toContain(`MOMLINK_DB=${db}: there is no database`);
  });

  it.each([
    ["a directory SQLite cannot create a file in", "/proc/momlink.db", "SQLite cannot open /proc/momlink.db"],
    [
      "a directory that cannot be created",
      "/proc/momlink/momlink.db",
      "cannot create the directory /proc/momlink",
    ],
  ])("stops with status 2, naming MOMLINK_DB and the reason, for %s", async (_name, path, reason) => {
    const run = await runMomlink(["serve"], {
      cwd: dir,
      env: {
        MOMLINK_DB: path,
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_APP_TOKEN: TEST_APP_TOKEN,
        SLACK_API_URL: fake.url,
        MOMLINK_APPROVERS: APPROVER,
      },
    });
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toContain(`MOMLINK_DB=${path}: ${reason}`);
    expect(String(run.stderr)).not.toMatch(/^\s+at /m);
  });

  it.each([
    ["HTTP mode", { SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, PORT: "3999" }],
    ["Socket Mode", { SLACK_APP_TOKEN: TEST_APP_TOKEN }],
  ])("refuses to start in %s without MOMLINK_APPROVERS, naming it with an example", async (_mode, env) => {
    const run = await runMomlink(["serve"], {
      cwd: dir,
      env: { SLACK_BOT_TOKEN: TEST_BOT_TOKEN, SLACK_API_URL: fake.url, ...env },
    });
    expect(run.exitCode).toBe(2);
    const stderr = String(run.stderr);
    expect(stderr).toContain("MOMLINK_APPROVERS");
    expect(stderr).toMatch(/e\.g\. MOMLINK_APPROVERS=\S+/);
    expect(stderr).not.toMatch(/^\s+at /m); // a refusal, not a stack trace
    // It stopped before talking to Slack: nobody could approve anything.
    expect(fake.api.calls).toEqual([]);
  });

  it("refuses a second serve on the same MOMLINK_DB, naming MOMLINK_DATABASE_URL, while records list works beside the first", async () => {
    const httpMode = async () => ({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(await freePort()),
    });
    await startBot(await httpMode());
    const env = { MOMLINK_DB: join(dir, "momlink.db"), MOMLINK_APPROVERS: APPROVER };
    const second = await runMomlink(["serve"], { cwd: dir, env: { ...env, ...(await httpMode()) } });
    expect(second.exitCode).toBe(2);
    expect(String(second.stderr)).toContain(
      "another momlink serve (or store copy) is running on this database",
    );
    expect(String(second.stderr)).toContain("MOMLINK_DATABASE_URL");
    expect(String(second.stderr)).not.toMatch(/^\s+at /m);
    const records = await runMomlink(["records", "list"], { cwd: dir, env });
    expect(records.exitCode, String(records.stderr)).toBe(0);
    const runners = await runMomlink(["runners", "list"], { cwd: dir, env });
    expect(runners.exitCode, String(runners.stderr)).toBe(0);
    // The first one still answers: the refused start changed nothing under it.
    expect(bot?.output()).not.toContain("fatal");
  });

  it("starts again at once after the serve holding MOMLINK_DB was killed with SIGKILL (no stale lock)", async () => {
    const httpMode = async () => ({
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(await freePort()),
    });
    await startBot(await httpMode());
    await bot?.kill("SIGKILL");
    await startBot(await httpMode());
    expect(bot?.output()).toContain("momlink is running");
    // And the restarted one holds the lock in turn.
    const env = { MOMLINK_DB: join(dir, "momlink.db"), MOMLINK_APPROVERS: APPROVER, ...(await httpMode()) };
    const another = await runMomlink(["serve"], { cwd: dir, env });
    expect(another.exitCode).toBe(2);
    expect(String(another.stderr)).toContain("another momlink serve");
  });

  it("refuses MOMLINK_DATABASE_URL without MOMLINK_SIGNING_KEY (each replica would sign with a key of its own), without showing its password", async () => {
    const run = await runMomlink(["serve"], {
      cwd: dir,
      env: {
        MOMLINK_DB: join(dir, "momlink.db"),
        MOMLINK_APPROVERS: APPROVER,
        MOMLINK_DATABASE_URL: "postgres://momlink:Zq9wQz7@db.example.net/momlink?sslmode=verify-full",
      },
    });
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toContain("MOMLINK_SIGNING_KEY");
    expect(String(run.stderr)).toContain(
      "every replica signs jobs with the one key the runners enrolled with",
    );
    expect(String(run.stderr)).not.toContain("Zq9wQz7");
    expect(existsSync(join(dir, "momlink.db"))).toBe(false);
  });

  it("refuses more required approvals than named approvers, naming both variables", async () => {
    const run = await runMomlink(["serve"], {
      cwd: dir,
      env: {
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: fake.url,
        MOMLINK_APPROVERS: "U0BOB0001,U0CAROL01",
        MOMLINK_REQUIRED_APPROVALS: "5",
      },
    });
    expect(run.exitCode).toBe(2);
    const stderr = String(run.stderr);
    expect(stderr).toContain("MOMLINK_REQUIRED_APPROVALS");
    expect(stderr).toContain("MOMLINK_APPROVERS");
    expect(stderr).toContain("names only 2");
    expect(fake.api.calls).toEqual([]);
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
