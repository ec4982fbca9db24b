// The change record as data: its states, its fields, the events that move it, the audit entry each
// accepted event writes, and the counts every reader agrees on (approvals that count, the rollback
// round). Pure. The state machine that decides which event is legal is record.ts, which re-exports
// this module: importers name record.ts only.

import type { Phrase } from "./phrase.ts";
import type { Plan } from "./plan.ts";
import { type ApprovalPolicy, requiresFourEyes } from "./policy.ts";

export const STATES = [
  "planned",
  "awaiting_approval",
  "approved",
  "executing",
  "rolling_back",
  "succeeded",
  "failed",
  "rolled_back",
  "rejected",
  "expired",
  "cancelled",
  "needs_verification",
] as const;
export type ChangeState = (typeof STATES)[number];

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Approval {
  actor: string;
  at: string;
  /** The plan hash the approver saw. */
  hash: string;
}

/** An approval of a rollback: of the plan hash shown, for one attempt (1 for the first rollback). */
export interface RollbackApproval extends Approval {
  round: number;
}

export interface Rejection {
  actor: string;
  at: string;
  reason: string;
}

export interface Cancellation {
  actor: string;
  at: string;
  reason: string | null;
}

export interface Failure {
  at: string;
  reason: string;
}

export interface ChangeHosts {
  primary: string;
  secondary: string;
}

export interface ChangeRecord {
  /** `CHG-<n>`. */
  id: string;
  state: ChangeState;
  /** Slack user id of whoever asked for the plan. */
  requester: string;
  /** Where the plan message lives, once posted. */
  channel: string | null;
  messageTs: string | null;
  hosts: ChangeHosts;
  planHash: string;
  plan: Plan;
  /** ISO-8601 UTC. */
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  approvals: Approval[];
  /** Approvals of rolling the change back, every attempt's; kept apart from the change's own. */
  rollbackApprovals: RollbackApproval[];
  /** How many rollbacks have started: the next one collects approvals for round `rollbacksStarted + 1`. */
  rollbacksStarted: number;
  rejection: Rejection | null;
  cancellation: Cancellation | null;
  /** Why the change failed (kept after a rollback, for the history). */
  failure: Failure | null;
  /** The runner that stopped reporting while executing. */
  lostRunner: { host: string; at: string } | null;
  /** Bumped by exactly one on every accepted transition; the store's optimistic check. */
  version: number;
}

/** Who can be named as the actor of a system event: "system", "runner:<name>" or a user id. */
type SystemActor = { actor?: string };

export type ChangeEvent =
  /** Pre-flight facts arrived: the plan may be rebuilt with them, and the TTL restarted. */
  | ({ type: "preflight-complete"; plan?: Plan; expiresAt?: string } & SystemActor)
  | { type: "approve"; actor: string; actorGroups: string[]; hash: string }
  | { type: "reject"; actor: string; actorGroups: string[]; reason: string }
  | { type: "cancel"; actor: string; actorGroups: string[]; reason?: string }
  | ({ type: "expire" } & SystemActor)
  | ({ type: "start-execution" } & SystemActor)
  /** `failover`: services=manage runs, the proof of failover the record keeps (failover-record.ts). */
  | ({ type: "succeed"; failover?: JsonObject } & SystemActor)
  | ({ type: "fail"; reason: string; failover?: JsonObject } & SystemActor)
  | ({ type: "runner-lost"; host: string } & SystemActor)
  /** An approver approves undoing the change, against the plan hash they saw; enough of them start it. */
  | { type: "rollback"; actor: string; actorGroups: string[]; hash: string }
  | ({ type: "rolled-back" } & SystemActor)
  | ({ type: "rollback-failed"; reason: string } & SystemActor)
  /** Someone (or a runner's fresh pre-flight) checked the hosts after a lost runner. */
  | ({ type: "verified"; outcome: "succeeded" | "failed"; reason?: string } & SystemActor);

export type EventType = ChangeEvent["type"];

export interface AuditEntry {
  changeId: string;
  at: string;
  /** A Slack user id, "system" or "runner:<name>". */
  actor: string;
  /** An event type, or "create". */
  event: string;
  fromState: ChangeState | null;
  toState: ChangeState;
  planHash: string;
  details: JsonObject;
}

export type DenialCode =
  /** The record is in a terminal state: nothing more can happen to it. */
  | "closed"
  /** The event does not apply to the record's current (non-terminal) state. */
  | "wrong-state"
  | "already-approved"
  | "already-approved-by-you"
  | "expired"
  | "not-expired"
  | "hash-mismatch"
  | "four-eyes"
  | "not-approver"
  /** Neither the requester nor an approver. */
  | "not-allowed"
  /** Pre-flight found conflicts; the plan must change before anyone can approve it. */
  | "plan-blocked"
  /** The transition would re-lock hosts that another open change holds (the store decides). */
  | "host-locked"
  /** The event's own payload is wrong (a bug in the caller, reported rather than thrown). */
  | "invalid-event";

export type TransitionResult =
  | { ok: true; record: ChangeRecord; audit: AuditEntry }
  /** `reason` names people as mentions (domain/phrase.ts): each adapter renders them its own way. */
  | { ok: false; reason: Phrase; code: DenialCode };

export interface TransitionContext {
  now: Date;
  policy: ApprovalPolicy;
}

export function isTerminal(state: ChangeState): boolean {
  switch (state) {
    case "succeeded":
    case "rolled_back":
    case "rejected":
    case "expired":
    case "cancelled":
      return true;
    case "planned":
    case "awaiting_approval":
    case "approved":
    case "executing":
    case "rolling_back":
    case "failed":
    case "needs_verification":
      return false;
    default:
      return assertNever(state);
  }
}

/** One open change per MOM host: every state that is not terminal keeps its hosts locked. */
export function holdsHostLock(state: ChangeState): boolean {
  return !isTerminal(state);
}

export interface NewChange {
  id: string;
  requester: string;
  channel: string | null;
  plan: Plan;
  hosts: ChangeHosts;
  now: Date;
  ttlMinutes: number;
}

/** The record (state `planned`, version 1) and its "create" audit entry. */
export function newChange(input: NewChange): { record: ChangeRecord; audit: AuditEntry } {
  const at = input.now.toISOString();
  const record: ChangeRecord = {
    id: input.id,
    state: "planned",
    requester: input.requester,
    channel: input.channel,
    messageTs: null,
    hosts: { ...input.hosts },
    planHash: input.plan.hash,
    plan: input.plan,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(input.now.getTime() + input.ttlMinutes * 60_000).toISOString(),
    approvals: [],
    rollbackApprovals: [],
    rollbacksStarted: 0,
    rejection: null,
    cancellation: null,
    failure: null,
    lostRunner: null,
    version: 1,
  };
  const audit: AuditEntry = {
    changeId: record.id,
    at,
    actor: input.requester,
    event: "create",
    fromState: null,
    toState: "planned",
    planHash: record.planHash,
    details: {
      primary: input.hosts.primary,
      secondary: input.hosts.secondary,
      expiresAt: record.expiresAt,
      // The change ticket and reason, for an audit export read without the plans.
      ...(input.plan.ticket === undefined ? {} : { ticket: input.plan.ticket }),
      ...(input.plan.reason === undefined ? {} : { reason: input.plan.reason }),
    },
  };
  return { record, audit };
}

/** Distinct approvals that count under the policy as it is now (the requester's never do under four-eyes). */
export function approvalCount(record: ChangeRecord, policy: ApprovalPolicy): number {
  const fourEyes = requiresFourEyes(policy);
  const actors = new Set(
    record.approvals
      .filter((a) => a.hash === record.planHash && !(fourEyes && a.actor === record.requester))
      .map((a) => a.actor),
  );
  return actors.size;
}

/** The rollback attempt whose approvals count now: the running (or finished) one, else the next. */
export function rollbackRound(record: ChangeRecord): number {
  return record.state === "rolling_back" || record.state === "rolled_back"
    ? record.rollbacksStarted
    : record.rollbacksStarted + 1;
}

/** The approvers of the rollback attempt that counts now, by the same rules as approvalCount. */
export function rollbackApprovers(record: ChangeRecord, policy: ApprovalPolicy): string[] {
  const fourEyes = requiresFourEyes(policy);
  const round = rollbackRound(record);
  const actors = record.rollbackApprovals
    .filter((a) => a.round === round && a.hash === record.planHash)
    .filter((a) => !(fourEyes && a.actor === record.requester))
    .map((a) => a.actor);
  return [...new Set(actors)];
}

export function isExpired(record: ChangeRecord, now: Date): boolean {
  return now.getTime() >= Date.parse(record.expiresAt);
}

function assertNever(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
