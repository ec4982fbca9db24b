// Two `momlink serve` replicas on one throwaway PostgreSQL database with two real runners, as the
// replica fault tests (issue 12) need them: nothing in-process. The runners reach the replicas
// through a TCP "load balancer" that sends each new connection to A while A lives and to B after;
// the primary's seed copy runs through a stand-in `cp` that logs its call and waits for the test's
// word (`releaseCopy`), so a test can act while a runner is in the middle of an execute job.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
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
import type { PostgresServer } from "../support/postgres.ts";
import { untilFile } from "../support/processes.ts";
import { startTcpFailover, type TcpFailover } from "../support/tcp-failover.ts";
import { ALICE, BOB, sandboxPlan, startReplica } from "./support.ts";

/** A `cp -a <from> <to>` that logs its call, then waits for the gate file before copying. */
const GATED_CP = `#!/bin/sh
echo "$*" >> "$FAKE_CP_LOG"
while [ ! -e "$FAKE_CP_GATE" ]; do sleep 0.05; done
exec /bin/cp "$@"
`;

export interface ReplicaDeployment {
  fake: FakeSlack;
  hosts: Sandbox;
  /** Replica A (the balancer's first choice) and B, in that order. */
  replicas: [RunningMomlink, RunningMomlink];
  /** The primary's runner (the one with the gated copy), then the secondary's. */
  runners: [RunningMomlink, RunningMomlink];
  /** Each replica's Slack request URL, A then B. */
  slackUrls: [string, string];
  /** One SQL statement on the replicas' database (psql, unaligned). */
  query(sql: string): Promise<string>;
  /** Alice plans the sandbox pair on `slackUrl`, Bob approves it there; resolves with the message's ts. */
  planAndApprove(slackUrl: string): Promise<string>;
  /** Resolves once the primary's runner has started its gated seed copy (it holds its execute job). */
  untilCopying(): Promise<void>;
  /** Lets the gated copy go on. */
  releaseCopy(): Promise<void>;
  /** How many times the seed copy was started. */
  copies(): Promise<number>;
  close(): Promise<void>;
}

export async function deployReplicas(
  server: PostgresServer,
  database: string,
  options: { replicaEnv?: Record<string, string> } = {},
): Promise<ReplicaDeployment> {
  const databaseUrl = await server.createDatabase(database);
  const fake = await startFakeSlack();
  const hosts = await createSandbox();
  const processes: RunningMomlink[] = [];
  let balancer: TcpFailover | undefined;
  const close = async () => {
    for (const running of processes.splice(0).reverse()) await running.stop();
    await balancer?.close();
    await fake.close();
    await hosts.cleanup();
  };
  try {
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
        ...(options.replicaEnv === undefined ? {} : { env: options.replicaEnv }),
      });
      processes.push(replica.process);
      runnerPorts.push(replica.runnerPort as number);
      slackUrls.push(replica.slackUrl);
    }
    const replicas = [processes[0], processes[1]] as [RunningMomlink, RunningMomlink];
    balancer = await startTcpFailover(runnerPorts);

    const cli = async (...args: string[]) => {
      const run = await runMomlink(args, { cwd: hosts.root, env: shared });
      if (run.exitCode !== 0) throw new Error(`momlink ${args.join(" ")} failed:\n${String(run.stderr)}`);
      return String(run.stdout);
    };
    const cpLog = join(hosts.root, "cp.log");
    const cpGate = join(hosts.root, "cp.gate");
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

    const signed = async (url: string, body: string) =>
      expect((await postSigned(url, body, { secret: TEST_SIGNING_SECRET })).status).toBe(200);
    return {
      fake,
      hosts,
      replicas,
      runners: [processes[2], processes[3]] as [RunningMomlink, RunningMomlink],
      slackUrls: [slackUrls[0] as string, slackUrls[1] as string],
      query: (sql) => server.query(database, sql),
      async planAndApprove(slackUrl) {
        const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
          timeoutMs: 20_000,
        });
        await signed(
          slackUrl,
          slashCommandBody(fake.api.slashCommand({ text: sandboxPlan(hosts, "config"), userId: ALICE })),
        );
        const ts = String((await posted).response.ts);
        await signed(
          slackUrl,
          interactiveBody(fake.api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: BOB })),
        );
        return ts;
      },
      untilCopying: async () => {
        await untilFile(cpLog, (text) => text.trim() !== "", 30_000);
      },
      releaseCopy: () => writeFile(cpGate, ""),
      copies: async () => (await readFile(cpLog, "utf8")).trim().split("\n").length,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
