// The dispatcher's rows decoded and checked, with the column decoders every table reader shares
// (store/rows.ts): jobs, their step events, runners, registration tokens. A state, kind or platform
// the code does not know, or a result that does not match its schema, is an altered database and
// is said so, naming the column; nothing is cast.
import { JOB_KINDS, type JobKind, type StepEvent, stepEventSchema } from "../domain/job.ts";
import { JOB_STATES, type JobLife, type JobState } from "../domain/job-lifecycle.ts";
import { PLATFORMS, type Platform } from "../domain/pair.ts";
import { type JobResult, jobResultSchema } from "../protocol/wire.ts";
import { int, intOrNull, json, jsonOrNull, oneOf, type Row, text, textOrNull } from "../store/rows.ts";

/** A dispatch_jobs row. */
export interface JobRow {
  seq: number;
  id: string;
  runner_name: string;
  host: string;
  change_id: string;
  kind: JobKind;
  state: JobState;
  /** The signed job as sent, its plan null when plan_hash names it in plans (job-plans.ts). */
  signed_json: string;
  plan_hash: string | null;
  created_ms: number;
  expires_ms: number;
  attempts: number;
  leased_ms: number | null;
  lease_until_ms: number | null;
  finished_ms: number | null;
  last_event_seq: number;
  result_json: string | null;
}

export function toJobRow(row: Row): JobRow {
  return {
    seq: int(row, "seq"),
    id: text(row, "id"),
    runner_name: text(row, "runner_name"),
    host: text(row, "host"),
    change_id: text(row, "change_id"),
    kind: oneOf(row, "kind", JOB_KINDS),
    state: oneOf(row, "state", JOB_STATES),
    signed_json: text(row, "signed_json"),
    plan_hash: textOrNull(row, "plan_hash"),
    created_ms: int(row, "created_ms"),
    expires_ms: int(row, "expires_ms"),
    attempts: int(row, "attempts"),
    leased_ms: intOrNull(row, "leased_ms"),
    lease_until_ms: intOrNull(row, "lease_until_ms"),
    finished_ms: intOrNull(row, "finished_ms"),
    last_event_seq: int(row, "last_event_seq"),
    result_json: textOrNull(row, "result_json"),
  };
}

/** The lifecycle columns of a job, as domain/job-lifecycle.ts reads them. */
export function lifeOf(row: JobRow): JobLife {
  return {
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    lastEventSeq: row.last_event_seq,
    expiresAtMs: row.expires_ms,
    leasedAtMs: row.leased_ms,
    leaseUntilMs: row.lease_until_ms,
    finishedAtMs: row.finished_ms,
    report: row.result_json,
  };
}

/** The result a runner reported, checked against the wire schema it was accepted with. */
export function resultOf(row: Row): JobResult | null {
  return jsonOrNull(row, "result_json", (value) => jobResultSchema.safeParse(value));
}

/** A dispatch_events row's event. */
export function toStepEvent(row: Row): StepEvent {
  return json(row, "event_json", (value) => stepEventSchema.safeParse(value));
}

/** A dispatch_runners row. */
export interface RunnerRow {
  name: string;
  host: string;
  host_key: string;
  platform: Platform;
  created_at: string;
  registered_at: string | null;
  version: string | null;
  hostname: string | null;
  last_seen_ms: number | null;
  revoked_at: string | null;
}

export function toRunnerRow(row: Row): RunnerRow {
  return {
    name: text(row, "name"),
    host: text(row, "host"),
    host_key: text(row, "host_key"),
    platform: oneOf(row, "platform", PLATFORMS),
    created_at: text(row, "created_at"),
    registered_at: textOrNull(row, "registered_at"),
    version: textOrNull(row, "version"),
    hostname: textOrNull(row, "hostname"),
    last_seen_ms: intOrNull(row, "last_seen_ms"),
    revoked_at: textOrNull(row, "revoked_at"),
  };
}

/** A dispatch_tokens row: a registration token's hash, never the token. */
export interface TokenRow {
  hash: string;
  runner_name: string;
  created_at: string;
  expires_ms: number;
  /** When it was used, or `revoked <time>` when its runner was revoked before it was used. */
  used_at: string | null;
}

export function toTokenRow(row: Row): TokenRow {
  return {
    hash: text(row, "hash"),
    runner_name: text(row, "runner_name"),
    created_at: text(row, "created_at"),
    expires_ms: int(row, "expires_ms"),
    used_at: textOrNull(row, "used_at"),
  };
}
