// Two `momlink serve` replicas on one PostgreSQL database, as an operator runs them behind a load
// balancer (HTTP mode): real processes, a real throwaway cluster, Slack faked once for both.
// What it shows (issue 12's faults 2 and 3): the same Slack request reaching both replicas makes
// one change, and two approvers clicking at the same instant on different replicas give exactly
// one transition with both approvals recorded (and `records` on that database shows it); and a
// living replica's own sweep (MOMLINK_SWEEP_SECONDS) moves on a change another replica approved
// and never handed to the runners, without a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DATABASE_UNAVAILABLE } from "../../src/slack/failures.ts";
import {
  type FakeSlack,
  interactiveBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { type RunningMomlink, runMomlink } from "../support/cli.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { waitFor } from "../support/watch.ts";
import { startReplica } from "./support.ts";

const BOB = "U0BOB0001";
const CAROL = "U0CAROL01";
const PLAN_TEXT = "plan primary=mom-a secondary=mom-b em-home=D:\\EM share=\\\\san-server\\mom-failover";
/** The same pair on Linux, for runners registered from this (Linux) machine. */
const LINUX_PLAN =
  "plan platform=linux primary=mom-a secondary=mom-b em-home=/opt/introscope share=/mnt/mom-failover";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the replica tests: ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null)("two momlink serve replicas on one PostgreSQL database", () => {
  let server: PostgresServer;
  let dir: string;
  let fake: FakeSlack;
  let replicas: RunningMomlink[] = [];
  let database = 0;

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "momlink-replicas-"));
    fake = await startFakeSlack();
  });
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    replicas = [];
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts two replicas on a new database (same URL, same signing key); returns their Slack URLs and the database's name. */
  async function startReplicas(
    env: Record<string, string> = {},
  ): Promise<{ urls: string[]; name: string; databaseUrl: string }> {
    database += 1;
    const name = `replicas_${database}`;
    const url = await server.createDatabase(name);
    const urls: string[] = [];
    for (const replica of ["a", "b"]) {
      const started = await startReplica({
        name: replica,
        cwd: dir,
        fake,
        databaseUrl: url,
        signingKey: join(dir, "signing-key.pem"),
        approvers: `${BOB},${CAROL}`,
        env,
      });
      replicas.push(started.process);
      urls.push(started.slackUrl);
    }
    return { urls, name, databaseUrl: url };
  }

  const count = async (name: string, sql: string) => Number(await server.query(name, sql));

  it("makes one change of one slash command delivered to both (Slack's retry reached the other replica)", async () => {
    const { urls, name } = await startReplicas();
    const body = slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT }));
    const since = fake.api.mark();
    const [first, retry] = await Promise.all([
      postSigned(urls[0] as string, body, { secret: TEST_SIGNING_SECRET }),
      postSigned(urls[1] as string, body, {
        secret: TEST_SIGNING_SECRET,
        retryNum: 1,
        retryReason: "http_timeout",
      }),
    ]);
    expect([first.status, retry.status]).toEqual([200, 200]);
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    expect(String(post.params.text)).toContain("CHG-1");
    // Each replica recorded its receipt before its ack: by now the second one found the first's.
    expect(await count(name, "SELECT count(*) FROM inbox")).toBe(1);
    expect(await count(name, "SELECT count(*) FROM changes")).toBe(1);
    expect(await server.query(name, "SELECT id FROM changes")).toBe("CHG-1");
  });

  it("records two approvals clicked at once on A and on B (2 required) and makes exactly one transition", async () => {
    const { urls, name, databaseUrl } = await startReplicas({ MOMLINK_REQUIRED_APPROVALS: "2" });
    const since = fake.api.mark();
    const plan = await postSigned(
      urls[0] as string,
      slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT })),
      { secret: TEST_SIGNING_SECRET },
    );
    expect(plan.status).toBe(200);
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    const messageTs = String(post.response.ts);
    const click = (user: string) =>
      interactiveBody(fake.api.blockActions({ messageTs, actionId: "momlink_approve", userId: user }));
    const [bob, carol] = await Promise.all([
      postSigned(urls[0] as string, click(BOB), { secret: TEST_SIGNING_SECRET }),
      postSigned(urls[1] as string, click(CAROL), { secret: TEST_SIGNING_SECRET }),
    ]);
    expect([bob.status, carol.status]).toEqual([200, 200]);
    // The decisions are taken after the acks: the thread hears the one that made it approved.
    await fake.api.waitFor("chat.postMessage", (call) => String(call.params.text).includes(": approved by"), {
      since,
    });
    expect(await server.query(name, "SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("approved");
    expect(await count(name, "SELECT count(*) FROM approvals WHERE kind = 'change'")).toBe(2);
    expect(await server.query(name, "SELECT string_agg(actor, ',' ORDER BY actor) FROM approvals")).toBe(
      [BOB, CAROL].sort().join(","),
    );
    expect(await count(name, "SELECT count(*) FROM audit WHERE to_state = 'approved'")).toBe(1);
    // An auditor reads the same from the replicas' database with the CLI.
    const listed = await runMomlink(["records", "list", "--json"], {
      cwd: dir,
      env: { MOMLINK_DATABASE_URL: databaseUrl },
    });
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(String(listed.stdout))).toEqual([
      expect.objectContaining({ id: "CHG-1", state: "approved" }),
    ]);
  });

  it("tells the person to try again while PostgreSQL is down, and serves the same request once it is back", async () => {
    const { urls, name } = await startReplicas();
    await server.stop();
    try {
      const since = fake.api.mark();
      const refused = await postSigned(
        urls[0] as string,
        slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT })),
        { secret: TEST_SIGNING_SECRET },
      );
      const answer = await fake.api.waitFor(
        "response_url",
        (call) => String(call.params.text ?? "").includes(DATABASE_UNAVAILABLE) || refused.status !== 200,
        { since },
      );
      expect(String(answer.params.text)).toContain("cannot reach its database right now");
    } finally {
      await server.start();
    }
    // The replicas reconnect by themselves: the next request, on the other replica, is served.
    const since = fake.api.mark();
    await postSigned(urls[1] as string, slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT })), {
      secret: TEST_SIGNING_SECRET,
    });
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    expect(String(post.params.text)).toMatch(/CHG-\d+/);
    expect(await count(name, "SELECT count(*) FROM changes")).toBe(1);
  });

  it("moves on, from a living replica's sweep, a change another replica approved and never handed to the runners", async () => {
    database += 1;
    const name = `replicas_${database}`;
    const databaseUrl = await server.createDatabase(name);
    const started = async (replicaName: string, env: Record<string, string>, runnerApi: boolean) => {
      const replica = await startReplica({
        name: replicaName,
        cwd: dir,
        fake,
        databaseUrl,
        signingKey: join(dir, "signing-key.pem"),
        approvers: BOB,
        runnerApi,
        env,
      });
      replicas.push(replica.process);
      return replica;
    };
    // B serves the runners and sweeps every second; it is up before the change exists, so only its
    // sweep (not the resume of its start) can move the change on. The runners are registered (a
    // job can be queued for them) and not started: the job stays queued, for the test to see.
    const b = await started("b", { MOMLINK_SWEEP_SECONDS: "1" }, true);
    const cliEnv = { MOMLINK_DATABASE_URL: databaseUrl, MOMLINK_SIGNING_KEY: join(dir, "signing-key.pem") };
    const cli = async (...args: string[]) => {
      const run = await runMomlink(args, { cwd: dir, env: cliEnv });
      expect(run.exitCode, String(run.stderr)).toBe(0);
      return String(run.stdout);
    };
    for (const host of ["mom-a", "mom-b"]) {
      const { token } = JSON.parse(
        await cli("runners", "add", host, "--host", host, "--platform", "linux", "--json"),
      ) as { token: string };
      const server = `http://127.0.0.1:${String(b.runnerPort)}`;
      await cli(
        "runner",
        "register",
        "--server",
        server,
        "--token",
        token,
        "--config",
        join(dir, `${host}.json`),
      );
    }
    // A has no runner API: what it approves it never hands over, as a replica that died right after
    // the approval leaves a change (approved, no job queued).
    const a = await started("a", {}, false);
    const since = fake.api.mark();
    await postSigned(a.slackUrl, slashCommandBody(fake.api.slashCommand({ text: LINUX_PLAN })), {
      secret: TEST_SIGNING_SECRET,
    });
    const post = await fake.api.waitFor("chat.postMessage", undefined, { since });
    const messageTs = String(post.response.ts);
    await postSigned(
      a.slackUrl,
      interactiveBody(fake.api.blockActions({ messageTs, actionId: "momlink_approve", userId: BOB })),
      { secret: TEST_SIGNING_SECRET },
    );
    const queued = await waitFor(
      "an execute job of CHG-1 queued by B's sweep",
      async () => {
        const jobs = await server.query(
          name,
          "SELECT id || ' ' || state FROM dispatch_jobs WHERE kind = 'execute'",
        );
        return jobs === "" ? undefined : jobs;
      },
      {
        everyMs: 250,
        timeoutMs: 20_000,
        describe: () => server.query(name, "SELECT state FROM changes WHERE id = 'CHG-1'"),
      },
    );
    expect(queued).toMatch(/^CHG-1-v\d+-execute-primary queued$/);
    expect(await server.query(name, "SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("executing");
  });
});
