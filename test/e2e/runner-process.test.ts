// The whole product as an operator meets it, with nothing in-process: `momlink serve` (HTTP mode,
// against the fake Slack API), two `momlink runner start` processes registered through the CLI,
// temporary directories standing in for the MOM hosts' EM_HOMEs and for the share. Plan, approve
// as someone else, watch real links appear; then roll back and get the hosts back byte for byte.
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { createSandbox, PRIMARY, type Sandbox, SECONDARY, treeDigest } from "../runner/fixtures.ts";
import { freePort, type RunningMomlink, runMomlink, spawnMomlink } from "../support/cli.ts";

const ALICE = "UALICE0001";
const BOB = "UBOB00001";

let fake: FakeSlack;
let hosts: Sandbox;
let db: string;
let slackUrl: string;
const processes: RunningMomlink[] = [];
const before: Record<string, string> = {};

/** Starts a long-running momlink process, kept for afterAll to stop. */
async function startProcess(args: string[], env: Record<string, string>, until: string[]): Promise<void> {
  processes.push(await spawnMomlink(args, { cwd: hosts.root, env, until }));
}

const botEnv = () => ({ MOMLINK_DB: db });

async function cli(...args: string[]) {
  const run = await runMomlink(args, { cwd: hosts.root, env: botEnv() });
  if (run.exitCode !== 0) throw new Error(`momlink ${args.join(" ")} failed:\n${String(run.stderr)}`);
  return String(run.stdout);
}

async function command(user: string, text: string): Promise<void> {
  const body = slashCommandBody(fake.api.slashCommand({ text, userId: user }));
  const response = await postSigned(slackUrl, body, { secret: TEST_SIGNING_SECRET });
  expect(response.status).toBe(200);
}

const recordState = async () =>
  (JSON.parse(await cli("records", "show", "CHG-1", "--json")) as { state: string }).state;

beforeAll(async () => {
  fake = await startFakeSlack();
  hosts = await createSandbox();
  db = join(hosts.root, "var", "momlink.db");
  before.primary = await treeDigest(hosts.primaryEmHome);
  before.secondary = await treeDigest(hosts.secondaryEmHome);
  const [slackPort, runnerPort] = [await freePort(), await freePort()];
  slackUrl = `http://127.0.0.1:${slackPort}/slack/events`;

  await startProcess(
    ["serve"],
    {
      ...botEnv(),
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: fake.url,
      PORT: String(slackPort),
      MOMLINK_RUNNER_PORT: String(runnerPort),
      MOMLINK_RUNNER_HOST: "127.0.0.1",
      MOMLINK_APPROVERS: BOB,
    },
    ["momlink is running"],
  );
  const configs: string[] = [];
  for (const host of [PRIMARY, SECONDARY]) {
    const added = JSON.parse(
      await cli("runners", "add", host, "--host", host, "--platform", "linux", "--json"),
    ) as {
      token: string;
    };
    const config = join(hosts.root, `${host}.runner.json`);
    await cli(
      "runner",
      "register",
      "--server",
      `http://127.0.0.1:${runnerPort}`,
      "--token",
      added.token,
      "--config",
      config,
    );
    configs.push(config);
  }
  // A registered runner counts as online: a pre-flight job queued before its first long-poll
  // is handed over by that poll, so "runner started" is enough to go on.
  for (const config of configs) {
    await startProcess(
      [
        "runner",
        "start",
        "--config",
        config,
        "--allow-em-home",
        hosts.hosts,
        "--allow-share",
        hosts.share,
        "--platform",
        "linux",
        "--unknown-service-is-stopped",
      ],
      {},
      ["runner started"],
    );
  }
}, 60_000);

afterAll(async () => {
  for (const running of processes.splice(0).reverse()) await running.stop();
  await fake.close();
  await hosts.cleanup();
});

describe("a real change with real runner processes", () => {
  it("lists both runners online after they registered through the CLI", async () => {
    const runners = JSON.parse(await cli("runners", "list", "--json")) as {
      name: string;
      platform: string;
    }[];
    expect(runners.map((r) => [r.name, r.platform]).sort()).toEqual([
      [PRIMARY, "linux"],
      [SECONDARY, "linux"],
    ]);
  });

  it("plans with pre-flight facts, runs after another user approves, and leaves real links", async () => {
    const planText = [
      "plan platform=linux",
      `primary=${PRIMARY} secondary=${SECONDARY}`,
      `em-home="${hosts.primaryEmHome}" secondary-em-home="${hosts.secondaryEmHome}"`,
      `share=${hosts.share} dirs=config,data`,
    ].join(" ");
    const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 30_000,
    });
    await command(ALICE, planText);
    const message = await posted;
    const ts = String(message.response.ts);
    // The runners were asked: the message shows what each host really holds.
    expect(JSON.stringify(fake.api.message(String(message.response.channel), ts)?.blocks)).toMatch(
      /real directory/,
    );

    const done = fake.api.waitFor(
      "chat.update",
      (c) =>
        String(c.params.text).includes("Succeeded") ||
        JSON.stringify(c.params.blocks ?? "").includes("Succeeded"),
      {
        timeoutMs: 60_000,
      },
    );
    const click = fake.api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: BOB });
    const response = await postSigned(slackUrl, interactiveBody(click), { secret: TEST_SIGNING_SECRET });
    expect(response.status).toBe(200);
    await done;

    expect(await recordState()).toBe("succeeded");
    for (const [emHome, dir] of [
      [hosts.primaryEmHome, "config"],
      [hosts.primaryEmHome, "data"],
      [hosts.secondaryEmHome, "config"],
      [hosts.secondaryEmHome, "data"],
    ] as const) {
      const link = join(emHome, dir);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await readlink(link)).toBe(join(hosts.share, dir));
      expect((await lstat(`${link}.pre-CHG-1`)).isDirectory()).toBe(true);
    }
    // The share was seeded from the primary, never from the secondary.
    expect(await readFile(join(hosts.share, "config", "domains.xml"), "utf8")).toBe(
      '<domains owner="primary"/>\n',
    );
    expect(await treeDigest(join(hosts.share, "data"))).toBe(
      await treeDigest(join(hosts.primaryEmHome, "data.pre-CHG-1")),
    );
  });

  it("rolls back on an approver's word and restores both hosts byte for byte", async () => {
    const rolledBack = fake.api.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.params.blocks ?? "").includes("Rolled back"),
      { timeoutMs: 60_000 },
    );
    await command(BOB, "rollback CHG-1");
    await rolledBack;
    expect(await recordState()).toBe("rolled_back");
    expect(await treeDigest(hosts.primaryEmHome)).toBe(before.primary);
    expect(await treeDigest(hosts.secondaryEmHome)).toBe(before.secondary);
  });
});
