// Replica A killed (SIGKILL) after the approval, while a runner is in the middle of the change:
// replica B finishes it (issue 12, fault 1). Nothing in-process: a real PostgreSQL cluster, two
// `momlink serve` replicas in HTTP mode, two real runners behind a TCP "load balancer" that sends
// each new connection to A while A lives and to B after, the fake Slack API for both
// (replica-deployment.ts). The primary's seed runs through a stand-in `cp` that waits for the
// test's word, so A is killed while the runner holds the job; after that, everything the runner
// says reaches B only.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { deployReplicas, type ReplicaDeployment } from "./replica-deployment.ts";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the killed-replica test: ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null || process.platform !== "linux")("replica A killed after the approval", () => {
  let server: PostgresServer;
  let deployment: ReplicaDeployment;

  beforeAll(async () => {
    server = await startPostgres();
    deployment = await deployReplicas(server, "killed_replica");
  }, 90_000);

  afterAll(async () => {
    await deployment?.close();
    await server?.close();
  });

  it("is finished by replica B: every step ran once, the record succeeded, and the message shows it", async () => {
    const { fake, hosts, query } = deployment;
    const [replicaA] = deployment.replicas;
    const ts = await deployment.planAndApprove(deployment.slackUrls[0]);

    // The primary's runner holds its execute job and is copying into the share: A goes now.
    await deployment.untilCopying();
    expect(await query("SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("executing");
    await replicaA.kill("SIGKILL");
    const since = fake.api.mark();
    await deployment.releaseCopy();

    // Only B is left to hear the runners and to tell Slack.
    await fake.api.waitFor(
      "chat.update",
      (c) => c.params.ts === ts && /succeeded/i.test(String(c.params.text)),
      { since, timeoutMs: 60_000 },
    );
    expect(await query("SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("succeeded");
    // Each execute job was handed out once (no step ran twice), and the seed's copy started once.
    expect(
      await query(
        "SELECT count(*) || ' ' || max(attempts) FROM dispatch_jobs WHERE kind = 'execute' AND state = 'done'",
      ),
    ).toBe("2 1");
    expect(await deployment.copies()).toBe(1);
    for (const emHome of [hosts.primaryEmHome, hosts.secondaryEmHome]) {
      expect((await lstat(join(emHome, "config"))).isSymbolicLink()).toBe(true);
    }
  }, 90_000);
});
