// A job's row keeps its signed envelope without the plan, which lives once in plans
// (store/plans.ts) under the plan's hash; the envelope is rebuilt before it is read or sent. What it
// keeps true: the rebuilt text is byte for byte the text that was signed and queued (the plan goes
// back under the key it came from, so JSON.stringify writes the same keys in the same order), and
// the runner, which verifies it, sees no difference. A job whose plan cannot be referenced (no
// hash, another text under it) keeps its copy inline.
import type { DatabaseSync } from "node:sqlite";
import { keepPlanScript, storedPlanScript } from "../store/plans.ts";
import { runSqlite, type Script } from "../store/script.ts";

export interface StoredForm {
  /** What dispatch_jobs.signed_json holds: the envelope, its job's plan null when referenced. */
  signedJson: string;
  /** The plan's hash in plans, or null when the envelope carries the plan itself. */
  planHash: string | null;
}

/** storedFormScript on an open SQLite database (its migration 3 rewrites rows with it). */
export function storedForm(db: DatabaseSync, signedJson: string): StoredForm {
  return runSqlite(db, storedFormScript(signedJson));
}

/** The row form of a signed envelope's JSON text; stores its plan in plans when it can. */
export function* storedFormScript(signedJson: string): Script<StoredForm> {
  const inline = { signedJson, planHash: null };
  let envelope: unknown;
  try {
    envelope = JSON.parse(signedJson);
  } catch {
    return inline;
  }
  const job = objectAt(envelope, "job");
  const plan = objectAt(job, "plan");
  if (job === null || plan === null || typeof plan.hash !== "string") return inline;
  if (!(yield* keepPlanScript(plan.hash, JSON.stringify(plan)))) return inline;
  job.plan = null;
  return { signedJson: JSON.stringify(envelope), planHash: plan.hash };
}

/**
 * The envelope as it was queued: the row's text with its plan put back. Null when the text does
 * not parse; a plan missing from plans (a database altered by hand) stays null, and the runner
 * refuses the job as malformed.
 */
export function* envelopeOf(row: { signed_json: string; plan_hash: string | null }): Script<unknown> {
  let envelope: unknown;
  try {
    envelope = JSON.parse(row.signed_json);
  } catch {
    return null;
  }
  if (row.plan_hash === null) return envelope;
  const job = objectAt(envelope, "job");
  const planJson = yield* storedPlanScript(row.plan_hash);
  if (job !== null && planJson !== null) job.plan = JSON.parse(planJson);
  return envelope;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, key: string): Record<string, unknown> | null {
  const inner = isObject(value) ? value[key] : undefined;
  return isObject(inner) ? inner : null;
}
