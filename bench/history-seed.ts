// Seeds a bot database with changes as momlink writes them, through the project's own store API
// (the change store and the dispatcher's queue, on one connection so a batch of changes commits
// in one transaction): for bench/history.ts. Most changes run to the end (pre-flight on both
// hosts, approval, the two execute jobs with a started and a finished event per step); the rest
// are rejected after their pre-flight. Each change uses one of a pool of host pairs, closed before
// the pair's next change, so a host's history grows as a busy pair's would.
import { randomUUID } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { loadOrCreateSigningKeys, signingKeyPathFor } from "../src/dispatch/keys.ts";
import {
  finishScript,
  insertJobScript,
  type JobViews,
  recordEventScript,
  takeScript,
} from "../src/dispatch/queue.ts";
import { DISPATCH_SCHEMA } from "../src/dispatch/store.ts";
import { parsePlanText } from "../src/domain/grammar.ts";
import type { JobKind, StepEvent } from "../src/domain/job.ts";
import { buildPlan, type Plan } from "../src/domain/plan.ts";
import type { ApprovalPolicy } from "../src/domain/policy.ts";
import type { ChangeEvent } from "../src/domain/record.ts";
import { type SignedJob, type SigningKeys, signJob } from "../src/protocol/signing.ts";
import type { JobResult } from "../src/protocol/wire.ts";
import { openDatabase } from "../src/store/database.ts";
import { assertSameFile } from "../src/store/db-file.ts";
import { CHANGE_SCHEMA } from "../src/store/migrations.ts";
import { runSqlite } from "../src/store/script.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { ChangeStore } from "../src/store/store.ts";
import { readyHostFacts } from "../test/support/facts.ts";

export const REQUESTER = "U0LOCAL01";
export const APPROVER = "U0BOB0001";
export const POLICY: ApprovalPolicy = {
  approvers: { users: [APPROVER], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
export const CHANNEL = "C0LOCAL01";
/** Host pairs the seeded history is spread over. */
const PAIRS = 200;
/** One change in this many is rejected after its pre-flight. */
const REJECTED_EVERY = 7;
const BATCH = 250;

export interface SeedStats {
  changes: number;
  audit: number;
  jobs: number;
  events: number;
}

export function pairText(pair: string): string {
  return `primary=mom-a-${pair} secondary=mom-b-${pair} em-home="D:\\Introscope\\EM" share=\\\\san-server\\mom-failover-${pair}`;
}

/** What a runner says when a step succeeds: robocopy's summary, mklink's line, nothing for checks. */
function outputOf(kind: string, line: string): string {
  if (kind === "seed-share") {
    return `-------------------------------------------------------------------------------
   ROBOCOPY     ::     Robust File Copy for Windows
-------------------------------------------------------------------------------
               Total    Copied   Skipped  Mismatch    FAILED    Extras
    Dirs :        14        14         0         0         0         0
   Files :       212       212         0         0         0         0
   Bytes :    3.41 m    3.41 m         0         0         0         0`;
  }
  if (kind === "mklink") return `symbolic link created for ${line.split('"')[1] ?? line}`;
  return "";
}

/**
 * Adds `count` changes to the database at `path`; returns what it wrote. BATCH changes are one
 * transaction (one fsync, not thousands). The store's calls are awaited inside it: safe here only
 * because this connection is the seeder's alone (nothing else can run between BEGIN and COMMIT)
 * and the SQLite store's writes join the open transaction.
 */
export async function seedHistory(path: string, count: number, start: Date): Promise<SeedStats> {
  const { db } = openDatabase(path, { schemas: [CHANGE_SCHEMA, DISPATCH_SCHEMA] });
  const store = openSqliteStore(db);
  const keys = loadOrCreateSigningKeys(signingKeyPathFor(path));
  const stats: SeedStats = { changes: 0, audit: 0, jobs: 0, events: 0 };
  const base = Number(db.prepare("SELECT COUNT(*) AS n FROM changes").get()?.n ?? 0);
  let clock = start.getTime() + base * 60_000;
  const queue = seedingQueue(db, () => clock);
  try {
    for (let done = 0; done < count; done += BATCH) {
      assertSameFile(db);
      db.exec("BEGIN IMMEDIATE");
      try {
        for (let i = done; i < Math.min(count, done + BATCH); i++) {
          clock += 60_000;
          await seedChange({ store, queue, keys, db, now: () => new Date(clock) }, base + i, stats);
        }
        db.exec("COMMIT");
      } catch (err) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw err;
      }
    }
  } finally {
    db.close();
  }
  return stats;
}

interface Seeding {
  store: ChangeStore;
  queue: ReturnType<typeof seedingQueue>;
  keys: SigningKeys;
  db: DatabaseSync;
  now: () => Date;
}

async function seedChange(s: Seeding, n: number, stats: SeedStats): Promise<void> {
  const pair = String(n % PAIRS);
  const spec = parsePlanText(pairText(pair));
  if (!spec.ok) throw new Error(`the seed's plan does not parse: ${JSON.stringify(spec.problems)}`);
  const created = await s.store.createChange({
    requester: REQUESTER,
    channel: CHANNEL,
    plan: (id) => buildPlan({ spec: spec.value, changeId: id }),
    hosts: { primary: spec.value.primary, secondary: spec.value.secondary },
    now: s.now(),
    ttlMinutes: POLICY.ttlMinutes,
  });
  if (!created.ok) throw new Error(`seeding ${n}: ${created.conflict.id} holds the pair`);
  const id = created.record.id;
  stats.changes += 1;
  const apply = async (event: ChangeEvent) => {
    const result = await s.store.apply(id, event, { now: s.now(), policy: POLICY });
    if (!result.ok) throw new Error(`seeding ${id}: ${event.type} refused: ${result.reason}`);
    stats.audit += 1;
    return result.record;
  };
  stats.audit += 1;
  const hostFacts = {
    primary: readyHostFacts(spec.value.primary, spec.value.dirs),
    secondary: readyHostFacts(spec.value.secondary, spec.value.dirs),
  };
  for (const role of ["primary", "secondary"] as const) {
    runJob(s, stats, `job-${randomUUID()}`, "preflight", role, created.record.plan, {
      ok: true,
      facts: hostFacts[role],
    });
  }
  const plan = buildPlan({ spec: spec.value, changeId: id, facts: hostFacts });
  const ready = await apply({ type: "preflight-complete", plan });
  if (n % REJECTED_EVERY === REJECTED_EVERY - 1) {
    await apply({ type: "reject", actor: APPROVER, actorGroups: [], reason: "not this week" });
    return;
  }
  await apply({ type: "approve", actor: APPROVER, actorGroups: [], hash: ready.planHash });
  const running = await apply({ type: "start-execution" });
  for (const role of ["primary", "secondary"] as const) {
    runJob(s, stats, `${id}-v${running.version}-execute-${role}`, "execute", role, plan, { ok: true });
  }
  await apply({ type: "succeed" });
}

/**
 * The queue's own scripts (dispatch/queue.ts) run synchronously inside the seed's batch
 * transaction: the dispatcher's async store would commit each job alone.
 */
function seedingQueue(db: DatabaseSync, now: () => number) {
  const views: JobViews = new Map();
  const leaseMs = 60_000;
  return {
    insert: (signed: SignedJob) => runSqlite(db, insertJobScript(signed, now())),
    take: (runner: string, serves: (host: string) => boolean) =>
      runSqlite(db, takeScript({ runner, serves, nowMs: now(), leaseMs })),
    recordEvent: (runner: string, jobId: string, seq: number, event: StepEvent) =>
      runSqlite(db, recordEventScript(views, { runner, jobId, seq, event }, now(), leaseMs)),
    finish: (runner: string, jobId: string, result: JobResult) =>
      runSqlite(db, finishScript(views, { runner, jobId, result }, now())),
  };
}

/** Queues, leases and finishes one job, with a started and a succeeded event per step it runs. */
function runJob(
  s: Seeding,
  stats: SeedStats,
  jobId: string,
  kind: JobKind,
  role: "primary" | "secondary",
  plan: Plan,
  result: JobResult,
): void {
  const hostPlan = plan.hosts.find((h) => h.role === role);
  if (hostPlan === undefined) throw new Error(`the plan has no ${role}`);
  const now = s.now();
  const job = signJob(
    {
      id: jobId,
      kind,
      changeId: plan.changeId ?? "CHG-0",
      runner: `runner-${hostPlan.host}`,
      host: hostPlan.host,
      role,
      planHash: plan.hash,
      plan: { ...plan },
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 15 * 60_000).toISOString(),
    },
    s.keys,
  );
  s.queue.insert(job);
  stats.jobs += 1;
  if (s.queue.take(job.job.runner, () => true) === null) throw new Error(`${jobId} was not leased`);
  if (kind === "execute") {
    let seq = 0;
    hostPlan.steps.forEach((step, index) => {
      for (const status of ["started", "succeeded"] as const) {
        const output = status === "started" ? "" : outputOf(step.kind, step.line);
        const event = {
          jobId,
          index,
          kind: step.kind,
          dir: step.dir,
          status,
          output,
          at: s.now().toISOString(),
        };
        const recorded = s.queue.recordEvent(job.job.runner, jobId, ++seq, event);
        if (!recorded.ok) throw new Error(`${jobId}: event ${seq} refused: ${recorded.error}`);
        stats.events += 1;
      }
    });
  }
  const finished = s.queue.finish(job.job.runner, jobId, result);
  if (!finished.ok) throw new Error(`${jobId}: result refused: ${finished.error}`);
}
