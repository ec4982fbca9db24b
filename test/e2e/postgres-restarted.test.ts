// PostgreSQL restarted in the middle of a change (issue 12, fault 4): two `momlink serve` replicas
// on one throwaway cluster, real runners (replica-deployment.ts). While the primary's runner is
// in the middle of its execute job, the cluster stops (`pg_ctl -m immediate`, like a crash): a
// request sent meanwhile is told to try again, the runner's reports get 503 and are sent again,
// and once the server is back on the same port the replicas reconnect by themselves and the change
// completes — each execute job handed out once, each step run once, the message showing it.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_UNAVAILABLE } from "../../src/slack/failures.ts";
import { postSigned, slashCommandBody, TEST_SIGNING_SECRET } from "../harness/index.ts";
import type { RunningMomlink } from "../support/cli.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { isAlive } from "../support/processes.ts";
import { waitFor } from "../support/watch.ts";
import { deployReplicas, type ReplicaDeployment } from "./replica-deployment.ts";

/** A plan for another pair, sent while the database is down: it must be refused with "try again". */
const OTHER_PLAN = "plan primary=mom-x secondary=mom-y em-home=D:\\EM share=\\\\san-server\\mom-failover";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the PostgreSQL restart test: ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null || process.platform !== "linux")("PostgreSQL restarted mid-change", () => {
  let server: PostgresServer;
  let deployment: ReplicaDeployment;

  beforeAll(async () => {
    server = await startPostgres();
    // The shortest lease there is (3 s), so the outage below outlasts it, as a restart of a minute
    // outlasts the default 60 s: the runner held its job all along and must not lose it for that.
    deployment = await deployReplicas(server, "restarted_mid_change", {
      replicaEnv: { MOMLINK_JOB_LEASE_SECONDS: "3" },
    });
  }, 90_000);

  afterAll(async () => {
    await deployment?.close();
    await server?.close();
  });

  it("completes the change once the server is back: each step ran once, the record succeeded, the message shows it", async () => {
    const { fake, hosts, query } = deployment;
    const [primaryRunner] = deployment.runners;
    const ts = await deployment.planAndApprove(deployment.slackUrls[0]);

    await deployment.untilCopying();
    expect(await query("SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("executing");
    await server.stop();
    const since = fake.api.mark();
    try {
      // A request during the outage, on the other replica: not recorded, and the person is told so.
      const refused = await postSigned(
        deployment.slackUrls[1],
        slashCommandBody(fake.api.slashCommand({ text: OTHER_PLAN })),
        { secret: TEST_SIGNING_SECRET },
      );
      expect(refused.status).toBe(200);
      const answer = await fake.api.waitFor(
        "response_url",
        (call) => String(call.params.text ?? "").includes(DATABASE_UNAVAILABLE),
        { since, timeoutMs: 30_000 },
      );
      expect(String(answer.params.text)).toContain("cannot reach its database right now");
      // The runner finishes its step with the server still down: its report is refused (503) and
      // kept. The server stays down until the runner has been refused five times in a row: its
      // back-off (0.25-0.5 s doubling) has then waited more than the 3 s lease.
      const before = primaryRunner.output().length;
      await deployment.releaseCopy();
      await untilOutputAfter(
        primaryRunner,
        before,
        /"attempt":5,"msg":"the bot failed to take the .+; retrying/,
      );
    } finally {
      await server.start();
    }

    // The message's first closed state (a lost job would make it "needs verification" or failed).
    const closed = await fake.api.waitFor(
      "chat.update",
      (c) => c.params.ts === ts && /succeeded|failed|needs verification/i.test(String(c.params.text)),
      { since, timeoutMs: 90_000 },
    );
    expect(String(closed.params.text)).toMatch(/succeeded/);
    expect(await query("SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("succeeded");
    expect(
      await query(
        "SELECT count(*) || ' ' || max(attempts) FROM dispatch_jobs WHERE kind = 'execute' AND state = 'done'",
      ),
    ).toBe("2 1");
    expect(await deployment.copies()).toBe(1);
    // The refused plan left nothing behind.
    expect(await query("SELECT count(*) FROM changes")).toBe("1");
    for (const emHome of [hosts.primaryEmHome, hosts.secondaryEmHome]) {
      expect((await lstat(join(emHome, "config"))).isSymbolicLink()).toBe(true);
    }
    // Both replicas lived through it (a connection cut between two statements once ended one).
    for (const replica of deployment.replicas) expect(await isAlive(replica.pid)).toBe(true);
  }, 180_000);
});

/** Resolves once what `process` printed after the first `from` characters matches `pattern`. */
function untilOutputAfter(process: RunningMomlink, from: number, pattern: RegExp): Promise<true> {
  return waitFor(
    `output matching ${String(pattern)}`,
    () => (pattern.test(process.output().slice(from)) ? true : undefined),
    { timeoutMs: 30_000, describe: () => process.output().slice(from) },
  );
}
