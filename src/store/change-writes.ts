// What the change store writes, decided once for every engine: the rows a new change writes, the
// rows an accepted transition writes, the denials the store itself adds (no such change, a host
// taken again by a rollback), and the column lists those rows fill. The SQLite store (sqlite.ts)
// and the PostgreSQL one (postgres/change-store.ts) differ only in SQL text, placeholders and
// locking; what a create or a transition writes comes from here, so the engines cannot diverge.
// Pure: no I/O, no engine types.
import { randomUUID } from "node:crypto";
import { hostKey } from "../domain/host.ts";
import type { Plan } from "../domain/plan.ts";
import {
  type Approval,
  type AuditEntry,
  type ChangeEvent,
  type ChangeHosts,
  type ChangeRecord,
  type ChangeState,
  holdsHostLock,
  type JsonObject,
  newChange,
  STATES,
  type TransitionContext,
  type TransitionResult,
  transition,
} from "../domain/record.ts";
import type { SqlValue } from "./script.ts";
import type { ApplyResult, CreateChangeInput, ListQuery, NewRequest } from "./store.ts";

/** States whose change holds its two machines: a new plan touching one of them is refused. */
export const OPEN_STATES: readonly ChangeState[] = STATES.filter(holdsHostLock);
export const EXPIRABLE_STATES: readonly ChangeState[] = ["planned", "awaiting_approval"];
const DEFAULT_LIST_LIMIT = 20;

/** The outcome a transition or a creation writes into the inbox request it decides. */
export const DECIDED_OK: JsonObject = { ok: true };

export const CHANGE_COLUMNS = [
  "seq",
  "id",
  "state",
  "requester",
  "channel",
  "message_ts",
  "primary_host",
  "secondary_host",
  "primary_key",
  "secondary_key",
  "plan_hash",
  "created_at",
  "updated_at",
  "expires_at",
  "rejection_json",
  "cancellation_json",
  "failure_json",
  "lost_runner_json",
  "version",
  "rollbacks_started",
] as const;

/** What a transition may change of a row (never its id, requester, hosts or creation time). */
export const CHANGE_UPDATE_COLUMNS = [
  "state",
  "channel",
  "message_ts",
  "plan_hash",
  "updated_at",
  "expires_at",
  "rejection_json",
  "cancellation_json",
  "failure_json",
  "lost_runner_json",
  "version",
  "rollbacks_started",
] as const;

export const APPROVAL_COLUMNS = ["change_id", "kind", "round", "actor", "at", "hash"] as const;
export const AUDIT_COLUMNS = [
  "change_id",
  "at",
  "actor",
  "event",
  "from_state",
  "to_state",
  "plan_hash",
  "details_json",
] as const;
export const INBOX_RECEIVE_COLUMNS = [
  "request_key",
  "kind",
  "change_id",
  "actor",
  "channel",
  "payload_json",
  "received_at",
  "owner",
  "lease_until_ms",
] as const;

/** The inbox's lease statements (RequestInbox renewLeases, takeOver) in an engine's placeholders. */
export function inboxLeaseSql(mark: Placeholder) {
  const lapsed = (n: number) => `(lease_until_ms IS NULL OR lease_until_ms < ${mark(n)})`;
  const claim = `UPDATE inbox SET owner = ${mark(1)}, lease_until_ms = ${mark(2)}
      WHERE finished_at IS NULL AND (owner IS NULL OR owner <> ${mark(3)})`;
  return {
    /** [lease until, owner] */
    renewOwn: `UPDATE inbox SET lease_until_ms = ${mark(1)} WHERE owner = ${mark(2)} AND finished_at IS NULL`,
    /** [lease until, lease until] */
    renewAll: `UPDATE inbox SET lease_until_ms = ${mark(1)} WHERE finished_at IS NULL AND ${lapsed(2)}`,
    /** [owner, lease until, owner, now] */
    takeLapsed: `${claim} AND ${lapsed(4)} RETURNING *`,
    /** [owner, lease until, owner] */
    takeAnyOther: `${claim} RETURNING *`,
  };
}

/** What a store's inbox stamps on each request it receives and claims: who owns it, for how long. */
export interface InboxOwner {
  /** This store's id, one per opened store (a process). */
  id: string;
  leaseMs: number;
}

/** How long a request stays its receiver's without a renewal, unless the store is told otherwise (3 sweeps of 30 s). */
export const DEFAULT_INBOX_LEASE_MS = 90_000;

/** A new owner for a store being opened: a random id, so a restarted process is a new owner. */
export function newInboxOwner(leaseMs: number | undefined): InboxOwner {
  return { id: randomUUID(), leaseMs: leaseMs ?? DEFAULT_INBOX_LEASE_MS };
}

/** An engine's placeholder for the n-th bound value (1-based): `?` for SQLite, `$n` for PostgreSQL. */
export type Placeholder = (n: number) => string;

export function insertSql(table: string, columns: readonly string[], mark: Placeholder): string {
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((_, i) => mark(i + 1)).join(", ")})`;
}

/** The compare-and-set of a transition: bind `changeUpdateValues(next)`, then the id and the version read. */
export function updateChangeSql(mark: Placeholder): string {
  const n = CHANGE_UPDATE_COLUMNS.length;
  const set = CHANGE_UPDATE_COLUMNS.map((c, i) => `${c} = ${mark(i + 1)}`).join(", ");
  return `UPDATE changes SET ${set} WHERE id = ${mark(n + 1)} AND version = ${mark(n + 2)}`;
}

/** A plan as plans (store/plans.ts) keeps it: its hash and its JSON text. */
export interface PlanToKeep {
  hash: string;
  json: string;
  /** Whose plan it is, for the error when another plan holds the hash. */
  changeId: string;
}

/** Everything one accepted write puts in the database, apart from the change row itself. */
export interface ChangeWrites {
  /** The plan to keep, when the write brings a plan the change did not have. */
  plan: PlanToKeep | null;
  approvals: SqlValue[][];
  audit: SqlValue[];
  /** Which inbox request the write decides, and the change it names (a creation names its new change). */
  decides: { key: string; changeId: string | null; at: Date } | null;
}

export interface NewChangeWrites extends ChangeWrites {
  record: ChangeRecord;
  change: SqlValue[];
}

/**
 * The rows of change number `seq`: its plan built for `CHG-<seq>` (a plan built for another id is
 * a bug and throws, so the caller's transaction writes nothing), the record, its audit entry.
 */
export function newChangeWrites(input: CreateChangeInput, seq: number, decides?: string): NewChangeWrites {
  const id = `CHG-${seq}`;
  const plan: Plan = typeof input.plan === "function" ? input.plan(id) : input.plan;
  if (plan.changeId !== null && plan.changeId !== id) {
    throw new Error(`the plan was built for ${plan.changeId} but the new change is ${id}`);
  }
  const { record, audit } = newChange({
    id,
    requester: input.requester,
    channel: input.channel,
    plan,
    hosts: input.hosts,
    now: input.now,
    ttlMinutes: input.ttlMinutes,
  });
  return {
    record,
    change: changeInsertValues(seq, record),
    plan: planOf(record),
    approvals: [
      ...record.approvals.map((a) => approvalValues(id, "change", 0, a)),
      ...record.rollbackApprovals.map((a) => approvalValues(id, "rollback", a.round, a)),
    ],
    audit: auditValues(audit),
    decides: decides === undefined ? null : { key: decides, changeId: id, at: input.now },
  };
}

export interface AcceptedTransition extends ChangeWrites {
  result: Extract<TransitionResult, { ok: true }>;
  /** The bound values of updateChangeSql: the new row's, then the id and the version it was read at. */
  update: SqlValue[];
  /**
   * The transition re-opens a closed change (a rollback of a succeeded one): it must take its
   * hosts again, so the caller checks, in the same transaction, that no other change holds them.
   */
  retakesHosts: boolean;
}

export type TransitionWrites = { ok: false; denial: ApplyResult } | ({ ok: true } & AcceptedTransition);

/** The domain transition on `current` (as read inside the write), and what accepting it writes. */
export function transitionWrites(
  current: ChangeRecord,
  event: ChangeEvent,
  ctx: TransitionContext,
  decides?: string,
): TransitionWrites {
  const result = transition(current, event, ctx);
  if (!result.ok) return { ok: false, denial: result };
  const next = result.record;
  return {
    ok: true,
    result,
    update: [...changeUpdateValues(next), current.id, current.version],
    retakesHosts: !holdsHostLock(current.state) && holdsHostLock(next.state),
    plan: next.planHash === current.planHash ? null : planOf(next),
    approvals: [
      ...next.approvals.slice(current.approvals.length).map((a) => approvalValues(next.id, "change", 0, a)),
      ...next.rollbackApprovals
        .slice(current.rollbackApprovals.length)
        .map((a) => approvalValues(next.id, "rollback", a.round, a)),
    ],
    audit: auditValues(result.audit),
    decides: decides === undefined ? null : { key: decides, changeId: null, at: ctx.now },
  };
}

export function notFound(id: string): ApplyResult {
  return { ok: false, code: "not-found", reason: `there is no change ${id}` };
}

/** The denial of a rollback whose hosts another change took meanwhile. */
export function hostsTakenDenial(id: string, holder: ChangeRecord): ApplyResult {
  return {
    ok: false,
    code: "host-locked",
    reason: `${holder.id} (${holder.state}) is open on ${holder.hosts.primary}/${holder.hosts.secondary}: close it before rolling back ${id}`,
  };
}

/** A plan already stored under the hash is another plan: the write is refused (and rolled back). */
export function planHashTaken(plan: PlanToKeep): Error {
  return new Error(`${plan.changeId}: another plan is already stored under its plan hash ${plan.hash}`);
}

/** The lock keys of a change's two machines (any spelling of a name gives one key). */
export function hostKeys(hosts: ChangeHosts): [string, string] {
  return [hostKey(hosts.primary), hostKey(hosts.secondary)];
}

/** A list's row limit: default 20, never negative; refuses a shape no served query answers. */
export function listLimit(query: ListQuery): number {
  if (query.requester !== undefined && (query.host !== undefined || query.states !== undefined)) {
    throw new Error("a list of a person's changes takes no host or states (store/served-queries.ts)");
  }
  return Math.max(0, Math.trunc(query.limit ?? DEFAULT_LIST_LIMIT));
}

export function inboxReceiveValues(request: NewRequest, owner: InboxOwner): SqlValue[] {
  return [
    request.key,
    request.kind,
    request.changeId,
    request.actor,
    request.channel,
    JSON.stringify(request.payload),
    request.receivedAt.toISOString(),
    owner.id,
    request.receivedAt.getTime() + owner.leaseMs,
  ];
}

function planOf(r: ChangeRecord): PlanToKeep {
  return { hash: r.planHash, json: JSON.stringify(r.plan), changeId: r.id };
}

function changeInsertValues(seq: number, r: ChangeRecord): SqlValue[] {
  return [
    seq,
    r.id,
    r.state,
    r.requester,
    r.channel,
    r.messageTs,
    r.hosts.primary,
    r.hosts.secondary,
    ...hostKeys(r.hosts),
    r.planHash,
    r.createdAt,
    r.updatedAt,
    r.expiresAt,
    jsonOrNull(r.rejection),
    jsonOrNull(r.cancellation),
    jsonOrNull(r.failure),
    jsonOrNull(r.lostRunner),
    r.version,
    r.rollbacksStarted,
  ];
}

function changeUpdateValues(r: ChangeRecord): SqlValue[] {
  return [
    r.state,
    r.channel,
    r.messageTs,
    r.planHash,
    r.updatedAt,
    r.expiresAt,
    jsonOrNull(r.rejection),
    jsonOrNull(r.cancellation),
    jsonOrNull(r.failure),
    jsonOrNull(r.lostRunner),
    r.version,
    r.rollbacksStarted,
  ];
}

function approvalValues(
  changeId: string,
  kind: "change" | "rollback",
  round: number,
  a: Approval,
): SqlValue[] {
  return [changeId, kind, round, a.actor, a.at, a.hash];
}

function auditValues(e: AuditEntry): SqlValue[] {
  return [e.changeId, e.at, e.actor, e.event, e.fromState, e.toState, e.planHash, JSON.stringify(e.details)];
}

function jsonOrNull(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}
