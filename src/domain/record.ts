// The change record's state machine: the only place that decides which transition is legal.
// Pure: the store loads a record, calls transition() and persists what comes back (or nothing).
//
//   planned ──preflight-complete──► awaiting_approval ──approve (enough)──► approved ──start──► executing
//   awaiting_approval ──approve (not enough yet)──► awaiting_approval
//   awaiting_approval ──reject──► rejected          planned|awaiting_approval ──expire──► expired
//   planned|awaiting_approval|approved ──cancel (requester or approver)──► cancelled
//   executing ──succeed──► succeeded   executing ──fail──► failed
//   executing|rolling_back ──runner-lost──► needs_verification ──verified──► succeeded | failed
//   failed|needs_verification|succeeded ──rollback (enough approvers, four-eyes)──► rolling_back
//   failed|needs_verification|succeeded ──rollback (not enough yet)──► (same state)
//   rolling_back ──rolled-back──► rolled_back     rolling_back ──rollback-failed──► failed
//   failed ──cancel (approver only)──► cancelled
//
// A rollback is approval-gated like the change itself, by the same policy: it runs commands on
// both hosts. It needs `requiredApprovals` distinct approvers (never the requester under
// four-eyes), each bound to the plan hash they saw (the rollback steps are part of the plan). Its
// approvals are kept apart from the change's, numbered by attempt (`round`): a rollback that
// fails lands in `failed` again, and a retry needs approvals of its own. It starts from `failed`
// or `needs_verification` (links may be half-made either way) or `succeeded`; while it runs the
// hosts stay locked.
//
// `failed` is NOT terminal: links may be half-made, so the change keeps its hosts locked until it
// is rolled back, or an approver closes it with `cancel` (taking over by hand: the escape hatch
// when a rollback itself cannot run). `needs_verification` keeps the lock for the same reason.
// Every non-terminal state holds the host lock; only terminal states release it.
//
// `approved` does not expire: the TTL bounds how long a plan can collect approvals. Once approved,
// the dispatcher's own pre-flight before executing is what catches facts that moved.
import { sameMachine } from "./host.ts";
import type { Plan } from "./plan.ts";
import { type ApprovalPolicy, describeApprovers, formatUtc, isApprover, requiresFourEyes } from "./policy.ts";
import { checkReason } from "./reason.ts";

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
  | ({ type: "succeed" } & SystemActor)
  | ({ type: "fail"; reason: string } & SystemActor)
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
  | { ok: false; reason: string; code: DenialCode };

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
    details: { primary: input.hosts.primary, secondary: input.hosts.secondary, expiresAt: record.expiresAt },
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

/** Never throws for a refused transition: a denial says why in words an operator can act on. */
export function transition(
  record: ChangeRecord,
  event: ChangeEvent,
  ctx: TransitionContext,
): TransitionResult {
  switch (event.type) {
    case "preflight-complete":
      return preflightComplete(record, event, ctx);
    case "approve":
      return approve(record, event, ctx);
    case "reject":
      return reject(record, event, ctx);
    case "cancel":
      return cancel(record, event, ctx);
    case "expire":
      return expire(record, event, ctx);
    case "start-execution":
      if (record.state !== "approved") return wrongState(record, event, ctx);
      return accept(record, event, ctx, "executing", {}, {});
    case "succeed":
      if (record.state !== "executing") return wrongState(record, event, ctx);
      return accept(record, event, ctx, "succeeded", {}, {});
    case "fail": {
      if (record.state !== "executing") return wrongState(record, event, ctx);
      const failure = { at: ctx.now.toISOString(), reason: event.reason };
      return accept(record, event, ctx, "failed", { failure }, { reason: event.reason });
    }
    case "runner-lost":
      return runnerLost(record, event, ctx);
    case "rollback":
      return rollback(record, event, ctx);
    case "rolled-back":
      if (record.state !== "rolling_back") return wrongState(record, event, ctx);
      return accept(record, event, ctx, "rolled_back", {}, {});
    case "rollback-failed": {
      if (record.state !== "rolling_back") return wrongState(record, event, ctx);
      const reason = event.reason.trim() || "the rollback failed";
      const failure = { at: ctx.now.toISOString(), reason };
      return accept(record, event, ctx, "failed", { failure }, { reason });
    }
    case "verified":
      return verified(record, event, ctx);
    default:
      return assertNever(event);
  }
}

function preflightComplete(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "preflight-complete" }>,
  ctx: TransitionContext,
): TransitionResult {
  if (record.state !== "planned") return wrongState(record, event, ctx);
  const plan = event.plan ?? record.plan;
  if (plan.changeId !== null && plan.changeId !== record.id) {
    return deny("invalid-event", `the pre-flight plan is for ${plan.changeId}, not ${record.id}`);
  }
  const expiresAt = event.expiresAt ?? record.expiresAt;
  if (Number.isNaN(Date.parse(expiresAt))) {
    return deny("invalid-event", `the new expiry of ${record.id} is not a time: ${expiresAt}`);
  }
  const patch = { plan, planHash: plan.hash, expiresAt: new Date(expiresAt).toISOString() };
  const details: JsonObject = { planChanged: plan.hash !== record.planHash, expiresAt: patch.expiresAt };
  if (plan.hash !== record.planHash) details.previousHash = record.planHash;
  return accept(record, event, ctx, "awaiting_approval", patch, details);
}

function approve(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "approve" }>,
  ctx: TransitionContext,
): TransitionResult {
  const { policy, now } = ctx;
  if (record.state === "approved") return deny("already-approved", `${record.id} is already approved`);
  if (record.state !== "awaiting_approval") return wrongState(record, event, ctx);
  if (isExpired(record, now)) {
    return deny("expired", `${record.id} expired at ${formatUtc(record.expiresAt, now)}: plan it again`);
  }
  if (event.hash !== record.planHash) {
    return deny(
      "hash-mismatch",
      `the plan changed since this message was posted (hash ${short(event.hash)}, now ${short(record.planHash)}): look at the updated message`,
    );
  }
  const blockers = record.plan.hosts.flatMap((h) => h.blockers.map((b) => `${h.host}: ${b}`));
  if (blockers.length > 0) {
    return deny("plan-blocked", `${record.id} cannot be approved: pre-flight found ${blockers.join("; ")}`);
  }
  if (!isApprover(policy, event.actor, event.actorGroups)) return notApprover(policy);
  if (event.actor === record.requester && requiresFourEyes(policy)) {
    return deny("four-eyes", `you requested ${record.id}: four-eyes policy — someone else must approve`);
  }
  const required = policy.requiredApprovals;
  if (record.approvals.some((a) => a.actor === event.actor && a.hash === record.planHash)) {
    const n = approvalCount(record, policy);
    return deny(
      "already-approved-by-you",
      `you already approved ${record.id} (${n} of ${required} approval${required === 1 ? "" : "s"})`,
    );
  }
  const approvals = [...record.approvals, { actor: event.actor, at: now.toISOString(), hash: event.hash }];
  const count = approvalCount({ ...record, approvals }, policy);
  const to = count >= required ? "approved" : "awaiting_approval";
  return accept(record, event, ctx, to, { approvals }, { approvals: count, required });
}

function reject(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "reject" }>,
  ctx: TransitionContext,
): TransitionResult {
  if (record.state !== "awaiting_approval") return wrongState(record, event, ctx);
  if (!isApprover(ctx.policy, event.actor, event.actorGroups)) return notApprover(ctx.policy);
  const checked = checkReason(event.reason);
  if (!checked.ok) return deny("invalid-event", checked.problem);
  const { reason } = checked;
  const rejection = { actor: event.actor, at: ctx.now.toISOString(), reason };
  return accept(record, event, ctx, "rejected", { rejection }, { reason });
}

function cancel(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "cancel" }>,
  ctx: TransitionContext,
): TransitionResult {
  const { policy } = ctx;
  const approver = isApprover(policy, event.actor, event.actorGroups);
  switch (record.state) {
    case "planned":
    case "awaiting_approval":
    case "approved":
      if (!approver && event.actor !== record.requester) {
        return deny(
          "not-allowed",
          `only the requester (<@${record.requester}>) or an approver can cancel ${record.id} (approvers: ${describeApprovers(policy.approvers)})`,
        );
      }
      break;
    case "failed":
      if (!approver) {
        return deny(
          "not-approver",
          `${record.id} failed and its hosts may be half-linked: only an approver can close it without a rollback (approvers: ${describeApprovers(policy.approvers)})`,
        );
      }
      break;
    case "executing":
    case "rolling_back":
    case "needs_verification":
    case "succeeded":
    case "rolled_back":
    case "rejected":
    case "expired":
    case "cancelled":
      return wrongState(record, event, ctx);
    default:
      return assertNever(record.state);
  }
  const reason = event.reason?.trim() || null;
  const cancellation = { actor: event.actor, at: ctx.now.toISOString(), reason };
  return accept(record, event, ctx, "cancelled", { cancellation }, { reason });
}

function expire(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "expire" }>,
  ctx: TransitionContext,
): TransitionResult {
  if (record.state !== "planned" && record.state !== "awaiting_approval")
    return wrongState(record, event, ctx);
  if (!isExpired(record, ctx.now)) {
    return deny("not-expired", `${record.id} does not expire until ${formatUtc(record.expiresAt, ctx.now)}`);
  }
  return accept(record, event, ctx, "expired", {}, { expiresAt: record.expiresAt });
}

function rollback(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "rollback" }>,
  ctx: TransitionContext,
): TransitionResult {
  const { policy, now } = ctx;
  // A succeeded change may be undone too (the EM will not start, the share was the wrong one):
  // re-taking its hosts' lock is checked by the store, which sees the other changes.
  if (record.state !== "failed" && record.state !== "needs_verification" && record.state !== "succeeded") {
    if (record.state === "rolling_back") {
      return deny("wrong-state", `${record.id} is already being rolled back`);
    }
    return wrongState(record, event, ctx);
  }
  if (event.hash !== record.planHash) {
    return deny(
      "hash-mismatch",
      `the Roll back button you used shows another plan (hash ${short(event.hash)}, ${record.id}'s is ${short(record.planHash)}): use the button on ${record.id}'s message, or \`/momlink rollback ${record.id}\``,
    );
  }
  if (!isApprover(policy, event.actor, event.actorGroups)) {
    return deny(
      "not-approver",
      `only an approver can roll back ${record.id} (approvers: ${describeApprovers(policy.approvers)})`,
    );
  }
  if (event.actor === record.requester && requiresFourEyes(policy)) {
    return deny(
      "four-eyes",
      `you requested ${record.id}: four-eyes policy — someone else must approve its rollback`,
    );
  }
  const required = policy.requiredApprovals;
  const round = record.rollbacksStarted + 1;
  if (rollbackApprovers(record, policy).includes(event.actor)) {
    const n = rollbackApprovers(record, policy).length;
    return deny(
      "already-approved-by-you",
      `you already approved the rollback of ${record.id} (${n} of ${required} approval${required === 1 ? "" : "s"})`,
    );
  }
  const approval = { actor: event.actor, at: now.toISOString(), hash: event.hash, round };
  const rollbackApprovals = [...record.rollbackApprovals, approval];
  const count = rollbackApprovers({ ...record, rollbackApprovals }, policy).length;
  const details: JsonObject = { from: record.state, approvals: count, required };
  if (count < required) return accept(record, event, ctx, record.state, { rollbackApprovals }, details);
  return accept(record, event, ctx, "rolling_back", { rollbackApprovals, rollbacksStarted: round }, details);
}

function runnerLost(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "runner-lost" }>,
  ctx: TransitionContext,
): TransitionResult {
  if (record.state !== "executing" && record.state !== "rolling_back") return wrongState(record, event, ctx);
  const host = [record.hosts.primary, record.hosts.secondary].find((h) => sameMachine(h, event.host));
  if (host === undefined) {
    return deny(
      "invalid-event",
      `${event.host} is not a host of ${record.id} (${record.hosts.primary}, ${record.hosts.secondary})`,
    );
  }
  const lostRunner = { host, at: ctx.now.toISOString() };
  return accept(record, event, ctx, "needs_verification", { lostRunner }, { host, during: record.state });
}

function verified(
  record: ChangeRecord,
  event: Extract<ChangeEvent, { type: "verified" }>,
  ctx: TransitionContext,
): TransitionResult {
  if (record.state !== "needs_verification") return wrongState(record, event, ctx);
  const details: JsonObject = { outcome: event.outcome };
  if (event.outcome === "succeeded") return accept(record, event, ctx, "succeeded", {}, details);
  const reason = event.reason?.trim() || "verification found the links incomplete";
  details.reason = reason;
  return accept(record, event, ctx, "failed", { failure: { at: ctx.now.toISOString(), reason } }, details);
}

type Patch = Partial<Omit<ChangeRecord, "id" | "state" | "version" | "updatedAt">>;

function accept(
  record: ChangeRecord,
  event: ChangeEvent,
  ctx: TransitionContext,
  to: ChangeState,
  patch: Patch,
  details: JsonObject,
): TransitionResult {
  const at = ctx.now.toISOString();
  const next: ChangeRecord = { ...record, ...patch, state: to, updatedAt: at, version: record.version + 1 };
  const audit: AuditEntry = {
    changeId: record.id,
    at,
    actor: event.actor ?? "system",
    event: event.type,
    fromState: record.state,
    toState: to,
    planHash: next.planHash,
    details,
  };
  return { ok: true, record: next, audit };
}

function deny(code: DenialCode, reason: string): TransitionResult {
  return { ok: false, code, reason };
}

function notApprover(policy: ApprovalPolicy): TransitionResult {
  return deny(
    "not-approver",
    `you are not an approver for momlink (approvers: ${describeApprovers(policy.approvers)})`,
  );
}

const PARTICIPLE: Record<EventType, string> = {
  "preflight-complete": "given pre-flight results",
  approve: "approved",
  reject: "rejected",
  cancel: "cancelled",
  expire: "expired",
  "start-execution": "started",
  succeed: "marked succeeded",
  fail: "marked failed",
  "runner-lost": "marked as having lost its runner",
  rollback: "rolled back",
  "rolled-back": "marked rolled back",
  "rollback-failed": "marked as a failed rollback",
  verified: "marked verified",
};

function wrongState(record: ChangeRecord, event: ChangeEvent, ctx: TransitionContext): TransitionResult {
  const closed = isTerminal(record.state);
  const tail = closed ? "any more" : "now";
  return deny(
    closed ? "closed" : "wrong-state",
    `${describeState(record, ctx.now)}: it cannot be ${PARTICIPLE[event.type]} ${tail}`,
  );
}

/** Where a change stands, in one clause: "CHG-4 expired at 10:42 UTC". */
export function describeState(record: ChangeRecord, now: Date): string {
  const id = record.id;
  switch (record.state) {
    case "planned":
      return `${id} is waiting for pre-flight facts from the runners`;
    case "awaiting_approval":
      return `${id} is waiting for approval until ${formatUtc(record.expiresAt, now)}`;
    case "approved":
      return `${id} is already approved`;
    case "executing":
      return `${id} is running on ${record.hosts.primary} and ${record.hosts.secondary}`;
    case "rolling_back":
      return `${id} is being rolled back on ${record.hosts.secondary} and ${record.hosts.primary}`;
    case "succeeded":
      return `${id} already succeeded`;
    case "failed":
      return `${id} failed${record.failure ? ` (${record.failure.reason})` : ""} and still holds its hosts`;
    case "rolled_back":
      return `${id} was rolled back`;
    case "rejected": {
      const r = record.rejection;
      if (r === null) return `${id} was rejected`;
      return `${id} was rejected by <@${r.actor}> at ${formatUtc(r.at, now)}${r.reason ? `: "${r.reason}"` : ""}`;
    }
    case "expired":
      return `${id} expired at ${formatUtc(record.expiresAt, now)}`;
    case "cancelled": {
      const c = record.cancellation;
      return c === null
        ? `${id} was cancelled`
        : `${id} was cancelled by <@${c.actor}> at ${formatUtc(c.at, now)}`;
    }
    case "needs_verification": {
      const where = record.lostRunner ? ` on ${record.lostRunner.host}` : "";
      return `${id} lost its runner${where} mid-change and needs verification`;
    }
    default:
      return assertNever(record.state);
  }
}

function short(hash: string): string {
  return hash.length > 8 ? `${hash.slice(0, 8)}…` : hash;
}

function assertNever(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
