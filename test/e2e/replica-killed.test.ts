// Replica A killed (SIGKILL) after the approval, while a runner is in the middle of the change:
// replica B finishes it (issue 12, fault 1). Nothing in-process: a real PostgreSQL cluster, two
// `momlink serve` replicas in HTTP mode, two real runners behind a TCP "load balancer" that sends
// each new connection to A while A lives and to B after, the fake Slack API for both. The primary's
// seed runs through a stand-in `cp` that waits for the test's word, so A is killed while the
// runner holds the job; after that, everything the runner says reaches B only.
import { chmod, lstat, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { createSandbox, PRIMARY, runnerStartArgs, type Sandbox, SECONDARY } from "../runner/fixtures.ts";
import { type RunningMomlink, runMomlink, spawnMomlink } from "../support/cli.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { untilFile } from "../support/processes.ts";
import { startTcpFailover, type TcpFailover } from "../support/tcp-failover.ts";
import { sandboxPlan, startReplica } from "./support.ts";

const ALICE = "UALICE0001";
const BOB = "UBOB00001";

/** A `cp -a <from> <to>` that logs its call, then waits for the gate file before copying. */
const GATED_CP = `#!/bin/sh
echo "$*" >> "$FAKE_CP_LOG"
while [ ! -e "$FAKE_CP_GATE" ]; do sleep 0.05; done
exec /bin/cp "$@"
`;

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the killed-replica test: ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null || process.platform !== "linux")("replica A killed after the approval", () => {
  let server: PostgresServer;
  let fake: FakeSlack;
  let hosts: Sandbox;
  let balancer: TcpFailover;
  const processes: RunningMomlink[] = [];
  let replicaA: RunningMomlink;
  let slackA: string;
  let databaseUrl: string;
  let cpLog: string;
  let cpGate: string;

  beforeAll(async () => {
    server = await startPostgres();
    databaseUrl = await server.createDatabase("killed_replica");
    fake = await startFakeSlack();
    hosts = await createSandbox();
    const shared = {
      MOMLINK_DATABASE_URL: databaseUrl,
      MOMLINK_SIGNING_KEY: join(hosts.root, "signing-key.pem"),
    };
    const runnerPorts: number[] = [];
    const slackUrls: string[] = [];
    for (const name of ["a", "b"]) {
      const replica = await startReplica({
        name,
        cwd: hosts.root,
        fake,
        databaseUrl,
        signingKey: shared.MOMLINK_SIGNING_KEY,
        approvers: BOB,
        runnerApi: true,
      });
      processes.push(replica.process);
      runnerPorts.push(replica.runnerPort as number);
      slackUrls.push(replica.slackUrl);
    }
    [replicaA] = processes as [RunningMomlink];
    slackA = slackUrls[0] as string;
    balancer = await startTcpFailover(runnerPorts);

    const cli = async (...args: string[]) => {
      const run = await runMomlink(args, { cwd: hosts.root, env: shared });
      if (run.exitCode !== 0) throw new Error(`momlink ${args.join(" ")} failed:\n${String(run.stderr)}`);
      return String(run.stdout);
    };
    cpLog = join(hosts.root, "cp.log");
    cpGate = join(hosts.root, "cp.gate");
    await mkdir(join(hosts.root, "fake-bin"));
    await writeFile(join(hosts.root, "fake-bin", "cp"), GATED_CP);
    await chmod(join(hosts.root, "fake-bin", "cp"), 0o755);
    for (const host of [PRIMARY, SECONDARY] as const) {
      // Added through the CLI on the replicas' database, registered through the balancer.
      const { token } = JSON.parse(
        await cli("runners", "add", host, "--host", host, "--platform", "linux", "--json"),
      ) as { token: string };
      const config = join(hosts.root, `${host}.runner.json`);
      await cli("runner", "register", "--server", balancer.url, "--token", token, "--config", config);
      const env: Record<string, string> =
        host === PRIMARY
          ? {
              PATH: `${join(hosts.root, "fake-bin")}:${process.env.PATH ?? ""}`,
              FAKE_CP_LOG: cpLog,
              FAKE_CP_GATE: cpGate,
            }
          : {};
      processes.push(
        await spawnMomlink(runnerStartArgs(config, hosts), {
          cwd: hosts.root,
          env,
          until: ["runner started"],
        }),
      );
    }
  }, 90_000);

  afterAll(async () => {
    for (const running of processes.splice(0).reverse()) await running.stop();
    await balancer?.close();
    await fake?.close();
    await hosts?.cleanup();
    await server?.close();
  });

  it("is finished by replica B: every step ran once, the record succeeded, and the message shows it", async () => {
    const signed = async (body: string) =>
      expect((await postSigned(slackA, body, { secret: TEST_SIGNING_SECRET })).status).toBe(200);
    const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 20_000,
    });
    await signed(
      slashCommandBody(fake.api.slashCommand({ text: sandboxPlan(hosts, "config"), userId: ALICE })),
    );
    const ts = String((await posted).response.ts);
    await signed(
      interactiveBody(fake.api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: BOB })),
    );

    // The primary's runner holds its execute job and is copying into the share: A goes now.
    await untilFile(cpLog, (text) => text.trim() !== "", 30_000);
    expect(await server.query("killed_replica", "SELECT state FROM changes WHERE id = 'CHG-1'")).toBe(
      "executing",
    );
    await replicaA.kill("SIGKILL");
    const since = fake.api.mark();
    await writeFile(cpGate, "");

    // Only B is left to hear the runners and to tell Slack.
    await fake.api.waitFor(
      "chat.update",
      (c) => c.params.ts === ts && /succeeded/i.test(String(c.params.text)),
      {
        since,
        timeoutMs: 60_000,
      },
    );
    expect(await server.query("killed_replica", "SELECT state FROM changes WHERE id = 'CHG-1'")).toBe(
      "succeeded",
    );
    // Each execute job was handed out once (no step ran twice), and the seed's copy started once.
    expect(
      await server.query(
        "killed_replica",
        "SELECT count(*) || ' ' || max(attempts) FROM dispatch_jobs WHERE kind = 'execute' AND state = 'done'",
      ),
    ).toBe("2 1");
    expect((await readFile(cpLog, "utf8")).trim().split("\n")).toHaveLength(1);
    for (const emHome of [hosts.primaryEmHome, hosts.secondaryEmHome]) {
      expect((await lstat(join(emHome, "config"))).isSymbolicLink()).toBe(true);
    }
  }, 90_000);
});
