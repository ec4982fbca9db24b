// One deployment as an operator builds it, for the end-to-end tests, with nothing in-process: the
// fake Slack API, `momlink serve` in HTTP mode with its runner API, a runner for each sandbox host
// added and registered through the CLI (each test starts them as it needs), and temporary
// directories standing in for the hosts' EM_HOMEs and the share.
import { join } from "node:path";
import { expect } from "vitest";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { createSandbox, PRIMARY, runnerStartArgs, type Sandbox, SECONDARY } from "../runner/fixtures.ts";
import { freePort, type RunningMomlink, runMomlink, spawnMomlink } from "../support/cli.ts";

export const ALICE = "UALICE0001";
export const BOB = "UBOB00001";

export interface Deployment {
  fake: FakeSlack;
  hosts: Sandbox;
  db: string;
  /** The runner config file of each sandbox host, registered. */
  configs: Record<typeof PRIMARY | typeof SECONDARY, string>;
  /** A momlink CLI command on the bot's machine; its stdout, or a throw with its stderr. */
  cli(...args: string[]): Promise<string>;
  /** A signed slash command (`/momlink <text>`) from `user`, acknowledged. */
  command(user: string, text: string): Promise<void>;
  /** A signed click of `actionId` on the message `messageTs` by `user`, acknowledged. */
  click(messageTs: string, actionId: string, user: string): Promise<void>;
  recordState(changeId?: string): Promise<string>;
  /** `momlink runner start` for `host`, limited to the sandbox; stopped by close(). */
  startRunner(
    host: typeof PRIMARY | typeof SECONDARY,
    options?: { env?: Record<string, string>; until?: string[]; args?: string[] },
  ): Promise<RunningMomlink>;
  close(): Promise<void>;
}

/** Bob approves; `serveEnv` adds to (or overrides) the bot's environment. */
export async function deploy(serveEnv: Record<string, string> = {}): Promise<Deployment> {
  const fake = await startFakeSlack();
  const hosts = await createSandbox();
  const db = join(hosts.root, "var", "momlink.db");
  const processes: RunningMomlink[] = [];
  const [slackPort, runnerPort] = [await freePort(), await freePort()];
  const slackUrl = `http://127.0.0.1:${slackPort}/slack/events`;

  const cli = async (...args: string[]) => {
    const run = await runMomlink(args, { cwd: hosts.root, env: { MOMLINK_DB: db } });
    if (run.exitCode !== 0) throw new Error(`momlink ${args.join(" ")} failed:\n${String(run.stderr)}`);
    return String(run.stdout);
  };
  const signed = async (body: string) => {
    expect((await postSigned(slackUrl, body, { secret: TEST_SIGNING_SECRET })).status).toBe(200);
  };

  processes.push(
    await spawnMomlink(["serve"], {
      cwd: hosts.root,
      env: {
        MOMLINK_DB: db,
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: fake.url,
        PORT: String(slackPort),
        MOMLINK_RUNNER_PORT: String(runnerPort),
        MOMLINK_RUNNER_HOST: "127.0.0.1",
        MOMLINK_APPROVERS: BOB,
        ...serveEnv,
      },
      until: ["momlink is running"],
    }),
  );
  const configs = {} as Deployment["configs"];
  for (const host of [PRIMARY, SECONDARY] as const) {
    const { token } = JSON.parse(
      await cli("runners", "add", host, "--host", host, "--platform", "linux", "--json"),
    ) as { token: string };
    configs[host] = join(hosts.root, `${host}.runner.json`);
    const server = `http://127.0.0.1:${runnerPort}`;
    await cli("runner", "register", "--server", server, "--token", token, "--config", configs[host]);
  }

  return {
    fake,
    hosts,
    db,
    configs,
    cli,
    command: (user, text) => signed(slashCommandBody(fake.api.slashCommand({ text, userId: user }))),
    click: (messageTs, actionId, user) =>
      signed(interactiveBody(fake.api.blockActions({ messageTs, actionId, userId: user }))),
    recordState: async (changeId = "CHG-1") =>
      (JSON.parse(await cli("records", "show", changeId, "--json")) as { state: string }).state,
    async startRunner(host, options = {}) {
      // A registered runner counts as online: a pre-flight job queued before its first long-poll
      // is handed over by that poll, so "runner started" is enough to go on.
      const running = await spawnMomlink(
        [...runnerStartArgs(configs[host], hosts), ...(options.args ?? [])],
        {
          cwd: hosts.root,
          env: options.env ?? {},
          until: options.until ?? ["runner started"],
        },
      );
      processes.push(running);
      return running;
    },
    async close() {
      for (const running of processes.splice(0).reverse()) await running.stop();
      await fake.close();
      await hosts.cleanup();
    },
  };
}

/** The plan text for the sandbox pair, as an operator types it after /momlink. */
export function sandboxPlan(hosts: Sandbox, dirs: string): string {
  return [
    "plan platform=linux",
    `primary=${PRIMARY} secondary=${SECONDARY}`,
    `em-home="${hosts.primaryEmHome}" secondary-em-home="${hosts.secondaryEmHome}"`,
    `share=${hosts.share} dirs=${dirs}`,
  ].join(" ");
}

/** One `momlink serve` replica in HTTP mode on a PostgreSQL database, as the replica tests start them. */
export interface Replica {
  process: RunningMomlink;
  /** Its Slack request URL (a load balancer would send Slack's requests here). */
  slackUrl: string;
  /** Its runner API port, when asked for one. */
  runnerPort?: number;
}

/**
 * Starts replica `name` on `databaseUrl` with the shared signing key `signingKey`. Start replicas
 * one after the other: the first migrates the schema and creates the key file the next ones read.
 */
export async function startReplica(options: {
  name: string;
  cwd: string;
  fake: FakeSlack;
  databaseUrl: string;
  signingKey: string;
  approvers: string;
  runnerApi?: boolean;
  env?: Record<string, string>;
}): Promise<Replica> {
  const slackPort = await freePort();
  const runnerPort = options.runnerApi === true ? await freePort() : undefined;
  const process = await spawnMomlink(["serve"], {
    cwd: options.cwd,
    env: {
      SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: options.fake.url,
      PORT: String(slackPort),
      MOMLINK_DATABASE_URL: options.databaseUrl,
      MOMLINK_SIGNING_KEY: options.signingKey,
      // Never used on PostgreSQL: a replica must not quietly open a file of its own.
      MOMLINK_DB: join(options.cwd, `unused-${options.name}.db`),
      MOMLINK_APPROVERS: options.approvers,
      LOG_LEVEL: "info",
      ...(runnerPort === undefined
        ? {}
        : { MOMLINK_RUNNER_PORT: String(runnerPort), MOMLINK_RUNNER_HOST: "127.0.0.1" }),
      ...options.env,
    },
    until: ["momlink is running"],
  });
  return {
    process,
    slackUrl: `http://127.0.0.1:${slackPort}/slack/events`,
    ...(runnerPort === undefined ? {} : { runnerPort }),
  };
}
