// Requests a replica acked and had not finished (issue 12): with two or three `momlink serve`
// replicas on one PostgreSQL database (real processes, a throwaway cluster, one fake Slack), a
// request belongs to the replica that received it under a lease it renews on every sweep
// (MOMLINK_SWEEP_SECONDS=2 here: a 6 s lease). Slack is made to hang on the approver group's
// members, so an approval acked by A waits in A: neither B's sweeps nor C's start take it while A
// lives; A killed, B's sweep takes it over, without a restart, and finishes it once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
import type { RunningMomlink } from "../support/cli.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";
import { waitFor } from "../support/watch.ts";
import { startReplica } from "./support.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0001";
const GROUP = { id: "S0APPROVE1", handle: "mom-approvers", users: [BOB] };
const PLAN_TEXT = "plan primary=mom-a secondary=mom-b em-home=D:\\EM share=\\\\san-server\\mom-failover";
const DB = "replica_requests";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the replica request tests: ${POSTGRES_INSTALL_HINT}`);

describe.skipIf(bin === null)("requests a replica acked and had not finished", () => {
  let server: PostgresServer;
  let fake: FakeSlack;
  let dir: string;
  let databaseUrl: string;
  const processes: RunningMomlink[] = [];

  const start = async (name: string) => {
    const replica = await startReplica({
      name,
      cwd: dir,
      fake,
      databaseUrl,
      signingKey: join(dir, "signing-key.pem"),
      approvers: GROUP.id,
      env: { MOMLINK_SWEEP_SECONDS: "2" },
    });
    processes.push(replica.process);
    return replica;
  };
  const query = (sql: string) => server.query(DB, sql);
  const approval = (column: string) => query(`SELECT ${column} FROM inbox WHERE kind = 'approve'`);

  beforeAll(async () => {
    server = await startPostgres();
    databaseUrl = await server.createDatabase(DB);
    fake = await startFakeSlack({
      users: [
        { id: ALICE, name: "alice" },
        { id: BOB, name: "bob" },
      ],
      usergroups: [GROUP],
    });
    dir = mkdtempSync(join(tmpdir(), "momlink-replica-requests-"));
  }, 60_000);

  afterAll(async () => {
    for (const running of processes.splice(0).reverse()) await running.stop();
    await fake?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves a living replica's request to it, and has a dead replica's finished by another's sweep, once", async () => {
    const a = await start("a");
    const b = await start("b");
    const since = fake.api.mark();
    const signed = async (url: string, body: string) =>
      expect((await postSigned(url, body, { secret: TEST_SIGNING_SECRET })).status).toBe(200);
    await signed(a.slackUrl, slashCommandBody(fake.api.slashCommand({ text: PLAN_TEXT, userId: ALICE })));
    const post = await fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      since,
    });
    const messageTs = String(post.response.ts);

    // Bob's approval reaches A and waits there on the group's members, which Slack does not answer.
    fake.api.holdCalls("usergroups.users.list");
    const held = fake.api.mark();
    await signed(
      a.slackUrl,
      interactiveBody(fake.api.blockActions({ messageTs, actionId: "momlink_approve", userId: BOB })),
    );
    await fake.api.waitFor("usergroups.users.list", undefined, { since: held, timeoutMs: 15_000 });
    const ownerA = await approval("owner");
    const firstLease = Number(await approval("lease_until_ms"));
    expect(ownerA).not.toBe("");

    // A lives: it renews the lease past the one the receipt had, and nobody takes the request,
    // neither B's sweeps (every 2 s) nor a replica starting meanwhile. A renewal past the first
    // lease plus one lease was made after the first lease had run out.
    await waitFor(
      "A to renew its request's lease beyond the first one",
      async () => (Number(await approval("lease_until_ms")) > firstLease + 6000 ? true : undefined),
      { everyMs: 250, timeoutMs: 30_000, describe: () => approval("owner || ' ' || lease_until_ms") },
    );
    const c = await start("c");
    expect(await approval("owner")).toBe(ownerA);
    expect(await approval("finished_at IS NULL")).toBe("t");
    await c.process.stop();

    // A dies with the request acked and undecided; Slack answers again. B's sweep takes it over.
    await a.process.kill("SIGKILL");
    const afterKill = fake.api.mark();
    fake.api.releaseCalls("usergroups.users.list");
    await fake.api.waitFor(
      "chat.postEphemeral",
      (call) => call.params.user === BOB && String(call.params.text).includes("CHG-1"),
      { since: afterKill, timeoutMs: 30_000 },
    );
    await waitFor(
      "the taken-over approval to be finished",
      async () => ((await approval("finished_at IS NOT NULL")) === "t" ? true : undefined),
      { everyMs: 250, timeoutMs: 15_000 },
    );
    expect(await query("SELECT state FROM changes WHERE id = 'CHG-1'")).toBe("approved");
    expect(await query("SELECT count(*) FROM approvals")).toBe("1");
    expect(await query("SELECT count(*) FROM audit WHERE to_state = 'approved'")).toBe("1");
    const owner = await approval("owner");
    expect(owner).not.toBe(ownerA);
    // Finished by one replica: Bob was told once.
    expect(
      fake.api
        .callsTo("chat.postEphemeral")
        .filter(
          (call) =>
            call.seq >= afterKill && call.params.user === BOB && String(call.params.text).includes("CHG-1"),
        ),
    ).toHaveLength(1);
    expect(b.process.output()).toContain("finished requests received by a replica that stopped");
  }, 120_000);
});
