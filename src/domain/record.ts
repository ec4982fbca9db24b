// The change record's state machine: the only place that decides which transition is legal.
// Pure: the store loads a record, calls transition() and persists what comes back (or nothing).
// The record's data and counts are record-model.ts, re-exported here so importers name this file
// only; what a denial says is record-words.ts (people as mentions, no chat markup).
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
import { instant, type Phrase, phrase, userMention } from "./phrase.ts";
import { type ApprovalPolicy, describeApprovers, isApprover, requiresFourEyes } from "./policy.ts";
import { checkReason } from "./reason.ts";
import {
  type AuditEntry,
  approvalCount,
  type ChangeEvent,
  type ChangeRecord,
  type ChangeState,
  type DenialCode,
  isExpired,
  type JsonObject,
  rollbackApprovers,
  type TransitionContext,
  type TransitionResult,
} from "./record-model.ts";
import { denialHash, notInThisState } from "./record-words.ts";

export * from "./record-model.ts";
export { describeState } from "./record-words.ts";

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
      if (record.state !== "approved") return wrongState(record, event);
      return accept(record, event, ctx, "executing", {}, {});
    case "succeed": {
      if (record.state !== "executing") return wrongState(record, event);
      const details: JsonObject = event.failover === undefined ? {} : { failover: event.failover };
      return accept(record, event, ctx, "succeeded", {}, details);
    }
    case "fail": {
      if (record.state !== "executing") return wrongState(record, event);
      const failure = { at: ctx.now.toISOString(), reason: event.reason };
      const details: JsonObject = { reason: event.reason };
      if (event.failover !== undefined) details.failover = event.failover;
      return accept(record, event, ctx, "failed", { failure }, details);
    }
    case "runner-lost":
      return runnerLost(record, event, ctx);
    case "rollback":
      return rollback(record, event, ctx);
    case "rolled-back":
      if (record.state !== "rolling_back") return wrongState(record, event);
      return accept(record, event, ctx, "rolled_back", {}, {});
    case "rollback-failed": {
      if (record.state !== "rolling_back") return wrongState(record, event);
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
  if (record.state !== "planned") return wrongState(record, event);
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
  if (record.state !== "awaiting_approval") return wrongState(record, event);
  if (isExpired(record, now)) {
    return deny(
      "expired",
      phrase(`${record.id} expired at `, [instant(record.expiresAt)], ": plan it again"),
    );
  }
  if (event.hash !== record.planHash) {
    return deny(
      "hash-mismatch",
      `the plan changed since this message was posted (hash ${denialHash(event.hash)}, now ${denialHash(record.planHash)}): look at the updated message`,
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
  if (record.state !== "awaiting_approval") return wrongState(record, event);
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
          phrase(
            ["only the requester (", userMention(record.requester), ")"],
            ` or an approver can cancel ${record.id} (approvers: `,
            describeApprovers(policy.approvers),
            ")",
          ),
        );
      }
      break;
    case "failed":
      if (!approver) {
        return deny(
          "not-approver",
          phrase(
            `${record.id} failed and its hosts may be half-linked: only an approver can close it without a rollback (approvers: `,
            describeApprovers(policy.approvers),
            ")",
          ),
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
      return wrongState(record, event);
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
  if (record.state !== "planned" && record.state !== "awaiting_approval") return wrongState(record, event);
  if (!isExpired(record, ctx.now)) {
    return deny("not-expired", phrase(`${record.id} does not expire until `, [instant(record.expiresAt)]));
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
    return wrongState(record, event);
  }
  if (event.hash !== record.planHash) {
    return deny(
      "hash-mismatch",
      `the Roll back button you used shows another plan (hash ${denialHash(event.hash)}, ${record.id}'s is ${denialHash(record.planHash)}): use the button on ${record.id}'s message, or \`/momlink rollback ${record.id}\``,
    );
  }
  if (!isApprover(policy, event.actor, event.actorGroups)) {
    return deny(
      "not-approver",
      phrase(
        `only an approver can roll back ${record.id} (approvers: `,
        describeApprovers(policy.approvers),
        ")",
      ),
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
  if (record.state !== "executing" && record.state !== "rolling_back") return wrongState(record, event);
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
  if (record.state !== "needs_verification") return wrongState(record, event);
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

function deny(code: DenialCode, reason: Phrase): TransitionResult {
  return { ok: false, code, reason };
}

function notApprover(policy: ApprovalPolicy): TransitionResult {
  return deny(
    "not-approver",
    phrase("you are not an approver for momlink (approvers: ", describeApprovers(policy.approvers), ")"),
  );
}

function wrongState(record: ChangeRecord, event: ChangeEvent): TransitionResult {
  const { code, reason } = notInThisState(record, event.type);
  return deny(code, reason);
}

function assertNever(value: never): never {
  throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
