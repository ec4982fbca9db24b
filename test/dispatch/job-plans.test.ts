// A job's plan is kept once (store/plans.ts) and its envelope rebuilt before it is sent
// (dispatch/job-plans.ts): the runner receives the bytes that were signed, through the real
// long-poll, and a database from before the change (plans inline in every job) is moved over.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DISPATCH_MIGRATIONS, migrateDispatch } from "../../src/dispatch/store.ts";
import { parsePlanText } from "../../src/domain/grammar.ts";
import type { Job } from "../../src/domain/job.ts";
import { buildPlan } from "../../src/domain/plan.ts";
import { signJob, verifySignedJob } from "../../src/protocol/signing.ts";
import { type Bot, jobInput, registerRunner, startBot, tempDir } from "./support.ts";

const PLAN = (() => {
  const spec = parsePlanText(
    "primary=mom-a secondary=mom-b em-home=D:\\Introscope\\EM share=\\\\san-server\\mom-failover",
  );
  if (!spec.ok) throw new Error("the test's plan does not parse");
  return buildPlan({ spec: spec.value, changeId: "CHG-12" });
})();

let tmp: ReturnType<typeof tempDir>;
let bot: Bot | undefined;
let credential: string;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await bot?.dispatcher.close();
  bot = undefined;
  tmp.cleanup();
});

async function started(): Promise<Bot> {
  bot = await startBot(join(tmp.dir, "momlink.db"));
  credential = await registerRunner(bot, "mom-a", "mom-a");
  return bot;
}

/** The long-poll's body as text, exactly as it arrived. */
async function nextJobText(b: Bot): Promise<string> {
  const res = await fetch(`${b.url}/v1/jobs/next?wait=0`, {
    headers: { authorization: `Bearer ${credential}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}

const raw = (b: Bot) => new DatabaseSync(b.dbPath);

describe("a job's plan, kept once", () => {
  it("reaches the runner byte for byte as signed, and verifies", async () => {
    const b = await started();
    const job = await b.dispatcher.enqueue(jobInput({ kind: "preflight", planHash: PLAN.hash, plan: PLAN }));
    const text = await nextJobText(b);
    expect(text).toBe(JSON.stringify(signJob(job, b.keys)));
    expect(
      verifySignedJob(JSON.parse(text), b.keys.publicKey, { now: b.time.clock(), runnerName: "mom-a" }),
    ).toEqual({
      ok: true,
      job,
    });
  });

  it("is stored once for all the jobs of a change, not in their rows", async () => {
    const b = await started();
    for (const kind of ["preflight", "execute", "verify"] as const) {
      await b.dispatcher.enqueue(jobInput({ kind, planHash: PLAN.hash, plan: PLAN }));
    }
    const db = raw(b);
    expect(db.prepare("SELECT hash FROM plans").all()).toEqual([{ hash: PLAN.hash }]);
    const rows = db.prepare("SELECT plan_hash, signed_json FROM dispatch_jobs ORDER BY seq").all();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.plan_hash).toBe(PLAN.hash);
      expect(JSON.parse(String(row.signed_json)).job.plan).toBeNull();
    }
    db.close();
    // Each is still rebuilt whole for the bot's own reads.
    for (const stored of await b.dispatcher.jobsFor("CHG-12")) expect(stored.job.plan).toEqual(PLAN);
  });

  it("stays in its job's row when another plan holds its hash, and is sent as it was signed", async () => {
    const b = await started();
    await b.dispatcher.enqueue(jobInput({ kind: "preflight", planHash: PLAN.hash, plan: PLAN }));
    const impostor = { ...PLAN, share: "\\\\elsewhere\\share" };
    const job = await b.dispatcher.enqueue(
      jobInput({ kind: "execute", planHash: PLAN.hash, plan: impostor }),
    );
    await nextJobText(b);
    expect(await nextJobText(b)).toBe(JSON.stringify(signJob(job, b.keys)));
    const db = raw(b);
    expect(db.prepare("SELECT plan_hash FROM dispatch_jobs WHERE id = ?").get(job.id)).toEqual({
      plan_hash: null,
    });
    db.close();
  });
});

describe("the migration of jobs that carry their plan", () => {
  /** A version-2 database (before plans) holding `jobs` as that version wrote them. */
  function versionTwo(jobs: { job: Job; text: string }[]): DatabaseSync {
    const db = new DatabaseSync(join(tmp.dir, "old.db"));
    migrateDispatch(db, DISPATCH_MIGRATIONS.slice(0, 2));
    const insert = db.prepare(
      `INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, created_ms, expires_ms)
       VALUES (?, 'mom-a', 'mom-a', ?, ?, 'done', ?, 0, 0)`,
    );
    for (const { job, text } of jobs) insert.run(job.id, job.changeId, job.kind, text);
    return db;
  }

  it("moves each plan into plans once and rebuilds every job's bytes as they were", async () => {
    const b = await started();
    const job = (id: string, kind: Job["kind"], plan: Job["plan"]): Job => ({
      id,
      kind,
      changeId: "CHG-12",
      runner: "mom-a",
      host: "mom-a",
      role: "primary",
      planHash: PLAN.hash,
      plan,
      issuedAt: "2025-11-26T10:00:00.000Z",
      expiresAt: "2025-11-26T10:15:00.000Z",
    });
    const jobs = [job("job-0", "preflight", { ...PLAN }), job("job-1", "execute", { ...PLAN })].map((j) => ({
      job: j,
      text: JSON.stringify(signJob(j, b.keys)),
    }));
    const noHash = job("job-nohash", "verify", { format: "momlink-plan/1" });
    const noHashText = JSON.stringify(signJob(noHash, b.keys));
    const db = versionTwo([...jobs, { job: noHash, text: noHashText }]);

    expect(migrateDispatch(db)).toEqual(DISPATCH_MIGRATIONS.slice(2).map((m) => m.version));
    expect(db.prepare("SELECT hash FROM plans").all()).toEqual([{ hash: PLAN.hash }]);
    const rows = db.prepare("SELECT id, plan_hash, signed_json FROM dispatch_jobs ORDER BY seq").all();
    expect(rows.map((r) => r.plan_hash)).toEqual([PLAN.hash, PLAN.hash, null]);
    expect(rows[2]?.signed_json).toBe(noHashText);
    db.close();

    await b.dispatcher.close();
    bot = await startBot(join(tmp.dir, "old.db"), { keys: b.keys });
    for (const { job, text } of jobs)
      expect(JSON.stringify((await bot.dispatcher.job(job.id))?.wire)).toBe(text);
  });
});
