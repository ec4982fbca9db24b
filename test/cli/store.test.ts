// `momlink store copy` through the real binary, from a SQLite store the bot's own stores wrote into
// a real PostgreSQL (one throwaway cluster for the file, a database per test): every table, the ids
// and sequences kept, the counts read back, and refusals that leave both sides as they were.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldEvents } from "../../src/dispatch/event-logs.ts";
import { DISPATCH_SCHEMA } from "../../src/dispatch/store.ts";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import { openDatabase } from "../../src/store/database.ts";
import { MIGRATIONS, migrate } from "../../src/store/migrations.ts";
import { openPostgres } from "../../src/store/postgres/connect.ts";
import { migratePostgres } from "../../src/store/postgres/migrate.ts";
import { holdServeLock } from "../../src/store/serve-lock.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import { runMomlink } from "../support/cli.ts";
import { fakePlan } from "../support/plan.ts";
import {
  findPostgresBin,
  POSTGRES_INSTALL_HINT,
  type PostgresServer,
  startPostgres,
} from "../support/postgres.ts";

const bin = findPostgresBin();
if (bin === null) console.warn(`skipping the store copy tests: ${POSTGRES_INSTALL_HINT}`);

const policy: ApprovalPolicy = {
  approvers: { users: [], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
const now = new Date("2026-12-01T10:00:00.000Z");

/** A store as a bot leaves it: two changes (one approved, reminded of), the runner tables, and a pruned inbox. */
async function seedSqlite(path: string): Promise<void> {
  const store = openSqliteStore(path);
  for (const [primary, secondary] of [
    ["mom-a", "mom-b"],
    ["mom-c", "mom-d"],
  ] as const) {
    const created = await store.createChange({
      requester: "UALICE000",
      channel: "C0OPS0001",
      plan: (id) => fakePlan(id, { primary, secondary }),
      hosts: { primary, secondary },
      now,
      ttlMinutes: 30,
    });
    if (!created.ok) throw new Error("fixture change must be created");
  }
  const ctx = { now, policy };
  expect((await store.apply("CHG-1", { type: "preflight-complete" }, ctx)).ok).toBe(true);
  expect(
    (
      await store.apply(
        "CHG-1",
        { type: "approve", actor: "U0BOB0001", actorGroups: [], hash: "hash-of-CHG-1" },
        ctx,
      )
    ).ok,
  ).toBe(true);
  await store.close();
  const { db } = openDatabase(path, { schemas: [DISPATCH_SCHEMA] });
  db.exec(`
    INSERT INTO dispatch_runners (name, host, host_key, platform, created_at, registered_at, version, hostname, last_seen_ms)
      VALUES ('mom-a', 'mom-a', 'mom-a', 'windows', '2026-12-01T09:00:00.000Z', '2026-12-01T09:01:00.000Z', '0.1.0', 'MOM-A', 1764579600000);
    INSERT INTO dispatch_tokens (hash, runner_name, created_at, expires_ms, used_at)
      VALUES ('tokenhash', 'mom-a', '2026-12-01T09:00:00.000Z', 1764583200000, '2026-12-01T09:01:00.000Z');
    INSERT INTO dispatch_credentials (hash, runner_name, issued_at) VALUES ('credhash', 'mom-a', '2026-12-01T09:01:00.000Z');
    INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, created_ms, expires_ms, attempts, result_json)
      VALUES ('CHG-1-preflight-mom-a', 'mom-a', 'mom-a', 'CHG-1', 'preflight', 'done', '{"job":1}', 1764579600000, 1764579630000, 1, '{"ok":true}');
    INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json)
      VALUES ('CHG-1-preflight-mom-a', 1, 1, 1764579601000, '{"step":1}');
    INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, created_ms, expires_ms, attempts, result_json)
      VALUES ('CHG-1-verify-mom-a', 'mom-a', 'mom-a', 'CHG-1', 'verify', 'done', '{"job":2}', 1764579600000, 1764579630000, 1, '{"ok":true}');
    INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json)
      VALUES ('CHG-1-verify-mom-a', 1, 1, 1764579601000, '{"step":1}'), ('CHG-1-verify-mom-a', 1, 2, 1764579602000, '{"step":2}');
    INSERT INTO inbox (request_key, kind, actor, payload_json, received_at, finished_at)
      VALUES ('k1', 'approve', 'U0BOB0001', '{}', 't', 't'), ('k2', 'approve', 'U0BOB0001', '{}', 't', NULL),
             ('k3', 'approve', 'U0BOB0001', '{}', 't', 't');
    DELETE FROM inbox WHERE request_key = 'k3';
    UPDATE inbox SET owner = 'a-dead-process', lease_until_ms = 1764579690000 WHERE request_key = 'k2';
    INSERT INTO notices (change_id, notice, sent_at) VALUES ('CHG-1', 'reminder', '2026-12-01T10:15:00.000Z');
    INSERT INTO message_renders (channel, message_ts, change_id, version, digest, shown_at)
      VALUES ('C0OPS', '1764579600.000100', 'CHG-1', 3, 'digest-of-CHG-1-v3', '2026-12-01T10:16:00.000Z');
  `);
  // A finished job's events as the queue keeps them: one compressed blob.
  foldEvents(db, "CHG-1-verify-mom-a");
  db.close();
}

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe.skipIf(bin === null)("momlink store copy", () => {
  let pg: PostgresServer;
  let dir: string;
  let sqlite: string;
  let databases = 0;
  const freshDatabase = () => pg.createDatabase(`copy_${++databases}`);
  const copy = (to: string, ...extra: string[]) =>
    runMomlink(["store", "copy", "--from", sqlite, ...extra], {
      cwd: dir,
      env: { MOMLINK_DATABASE_URL: to },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "momlink-store-copy-"));
    sqlite = join(dir, "momlink.db");
    await seedSqlite(sqlite);
    pg = await startPostgres();
  }, 90_000);
  afterAll(async () => {
    await pg?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("moves every table into an empty database, keeps ids and sequences, prints the counts it read back, and only reads the SQLite file", async () => {
    const url = await freshDatabase();
    const before = digest(sqlite);
    const run = await copy(url);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const counts: Record<string, [number, number]> = Object.fromEntries(
      String(run.stdout)
        .split("\n")
        .map((line) => line.trim().split(/\s{2,}/))
        .filter((cells) => /^[a-z_]+$/.test(cells[0] ?? "") && cells[0] !== "table")
        .map((cells) => [cells[0], [Number(cells[1]), Number(cells[2])]]),
    );
    const source = new DatabaseSync(sqlite, { readOnly: true });
    for (const [table, [read, inPostgres]] of Object.entries(counts)) {
      const n = Number(source.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n);
      expect([table, read, inPostgres]).toEqual([table, n, n]);
      expect(Number(await pg.query(`copy_${databases}`, `SELECT count(*) FROM ${table}`))).toBe(n);
    }
    expect(Object.keys(counts).sort()).toEqual([
      "approvals",
      "audit",
      "changes",
      "dispatch_credentials",
      "dispatch_event_logs",
      "dispatch_events",
      "dispatch_jobs",
      "dispatch_runners",
      "dispatch_tokens",
      "inbox",
      "message_renders",
      "notices",
      "plans",
    ]);
    expect(counts.audit?.[0]).toBeGreaterThan(2);
    // What the change message shows comes along: a replica on PostgreSQL compares its renders with it.
    expect(
      await pg.query(
        `copy_${databases}`,
        "SELECT version || ' ' || digest FROM message_renders WHERE change_id = 'CHG-1'",
      ),
    ).toBe("3 digest-of-CHG-1-v3");
    // Byte for byte: the plan the approvals bind to, and the audit in its order.
    const ofChange = "FROM plans WHERE hash = (SELECT plan_hash FROM changes WHERE id = 'CHG-1')";
    const planBytes = String(source.prepare(`SELECT lower(hex(plan_deflated)) AS h ${ofChange}`).get()?.h);
    expect(planBytes.length).toBeGreaterThan(100);
    expect(await pg.query(`copy_${databases}`, `SELECT encode(plan_deflated, 'hex') ${ofChange}`)).toBe(
      planBytes,
    );
    const logOf = "FROM dispatch_event_logs WHERE job_id = 'CHG-1-verify-mom-a'";
    const logBytes = String(source.prepare(`SELECT lower(hex(events_deflated)) AS h ${logOf}`).get()?.h);
    expect(logBytes.length).toBeGreaterThan(20);
    expect(await pg.query(`copy_${databases}`, `SELECT encode(events_deflated, 'hex') ${logOf}`)).toBe(
      logBytes,
    );
    const audit = source
      .prepare("SELECT seq || ' ' || event FROM audit ORDER BY seq")
      .all()
      .map((r) => Object.values(r)[0]);
    expect(
      (await pg.query(`copy_${databases}`, "SELECT seq || ' ' || event FROM audit ORDER BY seq")).split("\n"),
    ).toEqual(audit);
    source.close();
    // The next ids continue after the highest SQLite ever gave: CHG-3, and inbox 4 (3 was pruned).
    const next = await pg.query(
      `copy_${databases}`,
      `INSERT INTO inbox (request_key, kind, actor, payload_json, received_at) VALUES ('k4', 'approve', 'U1', '{}', 't') RETURNING seq`,
    );
    expect(next).toBe("4");
    // The unfinished request keeps its owner and lease: a replica takes it over once the lease ran out.
    expect(
      await pg.query(
        `copy_${databases}`,
        "SELECT owner || ' ' || lease_until_ms FROM inbox WHERE request_key = 'k2'",
      ),
    ).toBe("a-dead-process 1764579690000");
    expect(String(run.stdout)).toMatch(/changes\s+2\s+2\s+3/);
    expect(String(run.stdout)).toContain("momlink-signing-key.pem");
    expect(String(run.stdout)).not.toMatch(/password/i);
    expect(digest(sqlite)).toBe(before);
  });

  it("refuses a target that holds rows, naming the tables, and adds nothing", async () => {
    const url = await freshDatabase();
    expect((await copy(url)).exitCode).toBe(0);
    await pg.query(`copy_${databases}`, "DELETE FROM approvals");
    const again = await copy(url);
    expect(again.exitCode).toBe(1);
    expect(String(again.stderr)).toMatch(
      /is not empty: it holds plans \(\d+ rows?\), changes \(2 rows\), notices \(1 row\), message_renders \(1 row\), audit \(\d+ rows\)/,
    );
    expect(String(again.stderr)).not.toContain("approvals (");
    expect(await pg.query(`copy_${databases}`, "SELECT count(*) FROM approvals")).toBe("0");
  });

  it("commits nothing when the last table fails to go in", async () => {
    const url = await freshDatabase();
    const target = openPostgres(url, { max: 1 });
    try {
      await migratePostgres(target);
      // A constraint the copied step event breaks: the failure comes after every other table went in.
      await target.pool.query(
        "ALTER TABLE dispatch_events ADD CONSTRAINT no_events_here CHECK (attempt < 0)",
      );
    } finally {
      await target.close();
    }
    const run = await copy(url);
    expect(run.exitCode).toBe(1);
    expect(String(run.stderr)).toContain("the copy failed, nothing was committed");
    expect(String(run.stderr)).toContain("no_events_here");
    expect(
      await pg.query(
        `copy_${databases}`,
        "SELECT (SELECT count(*) FROM changes) + (SELECT count(*) FROM dispatch_jobs)",
      ),
    ).toBe("0");
  });

  it("refuses a SQLite file at an older schema level, saying how to bring it up", async () => {
    const old = join(dir, "old.db");
    const db = new DatabaseSync(old);
    migrate(db, { migrations: MIGRATIONS.slice(0, -1) });
    db.close();
    const url = await freshDatabase();
    const run = await runMomlink(["store", "copy", "--from", old], {
      cwd: dir,
      env: { MOMLINK_DATABASE_URL: url },
    });
    expect(run.exitCode).toBe(1);
    expect(String(run.stderr)).toMatch(
      /change store at schema version \d+, older than the \d+ this momlink copies: start this momlink's serve on it once/,
    );
    expect(await pg.query(`copy_${databases}`, "SELECT to_regclass('changes') IS NULL")).toBe("t");
  });

  it("refuses while a serve holds the SQLite file, and copies nothing", async () => {
    const url = await freshDatabase();
    const lock = holdServeLock(sqlite, "this test");
    try {
      const run = await copy(url);
      expect(run.exitCode).toBe(1);
      expect(String(run.stderr)).toContain(
        "another momlink serve (or store copy) is running on this database",
      );
    } finally {
      lock.release();
    }
    expect(await pg.query(`copy_${databases}`, "SELECT to_regclass('changes') IS NULL")).toBe("t");
  });

  it("names what is wrong with the target URL, never its password, and reads nothing", async () => {
    const run = await copy("postgres://momlink:Zq9wQz7@127.0.0.1/momlink?sslmod=verify-full");
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toContain('"sslmod"');
    expect(String(run.stderr)).not.toContain("Zq9wQz7");
    const down = await runMomlink(
      ["store", "copy", "--from", sqlite, "--to", "postgres://momlink:Zq9wQz7@127.0.0.1:1/momlink"],
      {
        cwd: dir,
      },
    );
    expect(down.exitCode).toBe(1);
    expect(String(down.stderr)).toContain("postgres://momlink:***@127.0.0.1:1/momlink: cannot connect");
    expect(String(down.stderr)).not.toContain("Zq9wQz7");
  });
});
