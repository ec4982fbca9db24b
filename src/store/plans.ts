// Each plan once, by its hash. A change's rows (changes.plan_hash) and its jobs
// (dispatch_jobs.plan_hash) reference the plan here instead of carrying a copy each: a plan is
// ~6 KB and a change used to store it five times. The table is created by whichever schema needs it
// first (the change store's and the dispatcher's migrations both run PLANS_TABLE, IF NOT EXISTS),
// so either store works alone on its own file and both share one table on the bot's file.
//
// The plan's JSON text is kept DEFLATE-compressed (raw, node:zlib): a plan's command lines repeat
// the same paths, so 5.6 KB become ~0.9 KB, which fits in the b-tree page instead of spilling onto
// two overflow pages (12 KB per change for its two plans before). Inflating costs ~0.05 ms a read.
//
// What it keeps true: the text stored under a hash is never replaced (ON CONFLICT DO NOTHING), and a
// writer learns whether the text there is its own (keepPlan), so a plan whose `hash` field does not
// name its content (an altered or hand-made plan) is never silently swapped for another's.
import type { DatabaseSync } from "node:sqlite";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { one, run, runSqlite, type Script } from "./script.ts";
import { SERVED } from "./served-queries.ts";

/** The table's definition; every schema that references plans runs it in one of its migrations. */
export const PLANS_TABLE = `
  CREATE TABLE IF NOT EXISTS plans (
    hash          TEXT PRIMARY KEY,
    plan_deflated BLOB NOT NULL
  )`;

/** The stored form of a plan's JSON text. */
export function deflatePlan(planJson: string): Uint8Array {
  return deflateRawSync(planJson);
}

/**
 * Stores `planJson` under `hash` unless a plan is already there. True when the text stored under
 * `hash` is `planJson` (now or already), false when another text holds the hash. Two writers of one
 * hash at once (two replicas) both end true: the second's insert does nothing and it reads the first's.
 */
export function* keepPlanScript(hash: string, planJson: string): Script<boolean> {
  const existing = yield* storedPlanScript(hash);
  if (existing !== null) return existing === planJson;
  const added = yield* run(
    "INSERT INTO plans (hash, plan_deflated) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
    [hash, deflatePlan(planJson)],
  );
  return added === 1 || (yield* storedPlanScript(hash)) === planJson;
}

/** The plan text stored under `hash`, or null when there is none (a database altered by hand). */
export function* storedPlanScript(hash: string): Script<string | null> {
  const row = yield* one(SERVED.planByHash.sql, [hash]);
  return inflatePlan(row?.plan_deflated);
}

/**
 * A stored plan's JSON text from its column value (a BLOB from SQLite, a BYTEA Buffer from
 * PostgreSQL), or null when there is none or it is not DEFLATE data (written by hand).
 */
export function inflatePlan(blob: unknown): string | null {
  if (!(blob instanceof Uint8Array)) return null;
  try {
    return inflateRawSync(blob).toString("utf8");
  } catch {
    // Not DEFLATE data: written by hand, which makes it as good as missing.
    return null;
  }
}

/** keepPlanScript on an open SQLite database (inside the caller's transaction). */
export function keepPlan(db: DatabaseSync, hash: string, planJson: string): boolean {
  return runSqlite(db, keepPlanScript(hash, planJson));
}

/** storedPlanScript on an open SQLite database. */
export function storedPlan(db: DatabaseSync, hash: string): string | null {
  return runSqlite(db, storedPlanScript(hash));
}
