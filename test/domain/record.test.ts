import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainPhrase } from "../../src/domain/phrase.ts";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import {
  approvalCount,
  type ChangeEvent,
  type ChangeRecord,
  type ChangeState,
  type DenialCode,
  holdsHostLock,
  isTerminal,
  newChange,
  rollbackApprovers,
  STATES,
  transition,
} from "../../src/domain/record.ts";
import { mrkdwnPhrase } from "../../src/slack/mrkdwn.ts";
import { slackDate } from "../support/dates.ts";
import { fakePlan } from "../support/plan.ts";

// --- fixtures -------------------------------------------------------------------------------

const REQ = "UREQ"; // the requester; a member of @ops-leads, so only four-eyes stops them
const A1 = "UAPP1"; // an approver by user id
const A2 = "UAPP2"; // an approver through @ops-leads
const OUT = "UOUT"; // nobody in particular
const OPS = ["@ops-leads"];

const POLICY: ApprovalPolicy = {
  approvers: { users: [A1], groups: ["@ops-leads"] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
const OPEN: ApprovalPolicy = { ...POLICY, approvers: { users: [], groups: [] } };

const CREATED = new Date("2025-11-26T10:12:00.000Z");
const EXPIRES = "2025-11-26T10:42:00.000Z";
const BEFORE = new Date("2025-11-26T10:30:00.000Z");
const AFTER = new Date("2025-11-26T10:43:00.000Z");

const HASH = "abc1234567890def";
const NEW_HASH = "fed0987654321cba";

function recordIn(state: ChangeState, patch: Partial<ChangeRecord> = {}): ChangeRecord {
  const { record } = newChange({
    id: "CHG-4",
    requester: REQ,
    channel: "C1",
    plan: fakePlan("CHG-4", { hash: HASH }),
    hosts: { primary: "mom-a", secondary: "mom-b" },
    now: CREATED,
    ttlMinutes: 30,
  });
  return { ...record, state, version: 7, ...patch };
}

const approve = (actor: string, groups: string[] = [], hash = HASH): ChangeEvent => ({
  type: "approve",
  actor,
  actorGroups: groups,
  hash,
});
const approvedBy = (actor: string) => [{ actor, at: CREATED.toISOString(), hash: HASH }];

// --- the table ------------------------------------------------------------------------------

interface Case {
  name: string;
  from: ChangeState;
  event: ChangeEvent;
  expect: { to: ChangeState } | { denied: DenialCode };
  patch?: Partial<ChangeRecord>;
  policy?: ApprovalPolicy;
  now?: Date;
}

const CASES: Case[] = [
  // allowed, following the DESIGN diagram
  {
    name: "pre-flight results make a plan approvable",
    from: "planned",
    event: { type: "preflight-complete" },
    expect: { to: "awaiting_approval" },
  },
  {
    name: "one approver approves when one approval is needed",
    from: "awaiting_approval",
    event: approve(A1),
    expect: { to: "approved" },
  },
  {
    name: "a group member approves",
    from: "awaiting_approval",
    event: approve(A2, OPS),
    expect: { to: "approved" },
  },
  {
    name: "the first of two approvals keeps the change waiting",
    from: "awaiting_approval",
    event: approve(A1),
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { to: "awaiting_approval" },
  },
  {
    name: "the second distinct approval approves",
    from: "awaiting_approval",
    event: approve(A2, OPS),
    patch: { approvals: approvedBy(A1) },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { to: "approved" },
  },
  {
    name: "the requester approves their own change when four-eyes is off",
    from: "awaiting_approval",
    event: approve(REQ, OPS),
    policy: { ...POLICY, fourEyes: false },
    expect: { to: "approved" },
  },
  {
    name: "with no approvers configured anyone but the requester approves",
    from: "awaiting_approval",
    event: approve(OUT),
    policy: OPEN,
    expect: { to: "approved" },
  },
  {
    name: "an approver rejects",
    from: "awaiting_approval",
    event: { type: "reject", actor: A1, actorGroups: [], reason: "wrong share" },
    expect: { to: "rejected" },
  },
  {
    name: "the requester cancels a plan still in pre-flight",
    from: "planned",
    event: { type: "cancel", actor: REQ, actorGroups: [] },
    expect: { to: "cancelled" },
  },
  {
    name: "the requester cancels a plan awaiting approval",
    from: "awaiting_approval",
    event: { type: "cancel", actor: REQ, actorGroups: [] },
    expect: { to: "cancelled" },
  },
  {
    name: "an approver cancels an approved change before it runs",
    from: "approved",
    event: { type: "cancel", actor: A1, actorGroups: [] },
    expect: { to: "cancelled" },
  },
  {
    name: "an approver closes a failed change without rollback",
    from: "failed",
    event: { type: "cancel", actor: A2, actorGroups: OPS },
    expect: { to: "cancelled" },
  },
  {
    name: "a plan past its TTL expires",
    from: "awaiting_approval",
    event: { type: "expire" },
    now: AFTER,
    expect: { to: "expired" },
  },
  {
    name: "a plan stuck in pre-flight past its TTL expires",
    from: "planned",
    event: { type: "expire" },
    now: AFTER,
    expect: { to: "expired" },
  },
  {
    name: "an approved change starts executing",
    from: "approved",
    event: { type: "start-execution" },
    expect: { to: "executing" },
  },
  {
    name: "an execution succeeds",
    from: "executing",
    event: { type: "succeed" },
    expect: { to: "succeeded" },
  },
  {
    name: "an execution fails",
    from: "executing",
    event: { type: "fail", reason: "mklink: 1314" },
    expect: { to: "failed" },
  },
  {
    name: "a lost runner leaves the change needing verification",
    from: "executing",
    event: { type: "runner-lost", host: "MOM-A" },
    expect: { to: "needs_verification" },
  },
  {
    name: "an approver rolls back a failed change",
    from: "failed",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    expect: { to: "rolling_back" },
  },
  {
    name: "a group member rolls back a change whose runner was lost",
    from: "needs_verification",
    event: { type: "rollback", actor: A2, actorGroups: OPS, hash: HASH },
    expect: { to: "rolling_back" },
  },
  {
    name: "an approver undoes a change that succeeded",
    from: "succeeded",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    expect: { to: "rolling_back" },
  },
  {
    name: "the requester alone cannot undo their succeeded change (four-eyes)",
    from: "succeeded",
    event: { type: "rollback", actor: REQ, actorGroups: OPS, hash: HASH },
    expect: { denied: "four-eyes" },
  },
  {
    name: "the requester rolls back their own change when four-eyes is off",
    from: "failed",
    event: { type: "rollback", actor: REQ, actorGroups: OPS, hash: HASH },
    policy: { ...POLICY, fourEyes: false },
    expect: { to: "rolling_back" },
  },
  {
    name: "the first of two rollback approvals keeps the change failed",
    from: "failed",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { to: "failed" },
  },
  {
    name: "a second distinct rollback approval starts the rollback",
    from: "succeeded",
    patch: { rollbackApprovals: [{ actor: A1, at: CREATED.toISOString(), hash: HASH, round: 1 }] },
    event: { type: "rollback", actor: A2, actorGroups: OPS, hash: HASH },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { to: "rolling_back" },
  },
  {
    name: "the same approver's second rollback approval is refused",
    from: "needs_verification",
    patch: { rollbackApprovals: [{ actor: A1, at: CREATED.toISOString(), hash: HASH, round: 1 }] },
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { denied: "already-approved-by-you" },
  },
  {
    name: "a rollback approval of another plan hash is refused",
    from: "failed",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: NEW_HASH },
    expect: { denied: "hash-mismatch" },
  },
  {
    name: "a retry after a failed rollback needs approvals of its own",
    from: "failed",
    patch: {
      rollbacksStarted: 1,
      rollbackApprovals: [
        { actor: A1, at: CREATED.toISOString(), hash: HASH, round: 1 },
        { actor: A2, at: CREATED.toISOString(), hash: HASH, round: 1 },
      ],
    },
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { to: "failed" },
  },
  {
    name: "a rollback that ran on both hosts ends the change",
    from: "rolling_back",
    event: { type: "rolled-back" },
    expect: { to: "rolled_back" },
  },
  {
    name: "a rollback that failed leaves the change failed, to retry or close",
    from: "rolling_back",
    event: { type: "rollback-failed", reason: "rmdir: access denied" },
    expect: { to: "failed" },
  },
  {
    name: "a runner lost during the rollback leaves the change needing verification",
    from: "rolling_back",
    event: { type: "runner-lost", host: "mom-b" },
    expect: { to: "needs_verification" },
  },
  {
    name: "verification finds the links right",
    from: "needs_verification",
    event: { type: "verified", outcome: "succeeded" },
    expect: { to: "succeeded" },
  },
  {
    name: "verification finds the links incomplete",
    from: "needs_verification",
    event: { type: "verified", outcome: "failed" },
    expect: { to: "failed" },
  },

  // refused
  {
    name: "the requester cannot approve their own change (four-eyes)",
    from: "awaiting_approval",
    event: approve(REQ, OPS),
    expect: { denied: "four-eyes" },
  },
  {
    name: "with no approvers configured four-eyes holds even when off",
    from: "awaiting_approval",
    event: approve(REQ),
    policy: { ...OPEN, fourEyes: false },
    expect: { denied: "four-eyes" },
  },
  {
    name: "a non-approver cannot approve",
    from: "awaiting_approval",
    event: approve(OUT, ["@dba"]),
    expect: { denied: "not-approver" },
  },
  {
    name: "nobody approves past the expiry, swept or not",
    from: "awaiting_approval",
    event: approve(A1),
    now: AFTER,
    expect: { denied: "expired" },
  },
  {
    name: "nobody approves at the very minute of expiry",
    from: "awaiting_approval",
    event: approve(A1),
    now: new Date(EXPIRES),
    expect: { denied: "expired" },
  },
  {
    name: "an approval of a stale plan hash is refused",
    from: "awaiting_approval",
    event: approve(A1, [], NEW_HASH),
    expect: { denied: "hash-mismatch" },
  },
  {
    name: "the same approver cannot approve twice",
    from: "awaiting_approval",
    event: approve(A1),
    patch: { approvals: approvedBy(A1) },
    policy: { ...POLICY, requiredApprovals: 2 },
    expect: { denied: "already-approved-by-you" },
  },
  {
    name: "an approved change cannot be approved again",
    from: "approved",
    event: approve(A2, OPS),
    expect: { denied: "already-approved" },
  },
  {
    name: "a rejected change cannot be approved",
    from: "rejected",
    event: approve(A1),
    patch: { rejection: { actor: A2, at: CREATED.toISOString(), reason: "no" } },
    expect: { denied: "closed" },
  },
  {
    name: "a plan still in pre-flight cannot be approved",
    from: "planned",
    event: approve(A1),
    expect: { denied: "wrong-state" },
  },
  {
    name: "a plan blocked by pre-flight conflicts cannot be approved",
    from: "awaiting_approval",
    event: approve(A1),
    patch: { plan: fakePlan("CHG-4", { hash: HASH, blockers: ["config is a junction"] }) },
    expect: { denied: "plan-blocked" },
  },
  {
    name: "a non-approver cannot reject",
    from: "awaiting_approval",
    event: { type: "reject", actor: OUT, actorGroups: [], reason: "x" },
    expect: { denied: "not-approver" },
  },
  {
    name: "a reject reason made of invisible characters is refused",
    from: "awaiting_approval",
    event: { type: "reject", actor: A1, actorGroups: [], reason: " \u200b " },
    expect: { denied: "invalid-event" },
  },
  {
    name: "a reject reason over 500 characters is refused",
    from: "awaiting_approval",
    event: { type: "reject", actor: A1, actorGroups: [], reason: "x".repeat(501) },
    expect: { denied: "invalid-event" },
  },
  {
    name: "an approved change cannot be rejected (cancel it instead)",
    from: "approved",
    event: { type: "reject", actor: A1, actorGroups: [], reason: "x" },
    expect: { denied: "wrong-state" },
  },
  {
    name: "someone else cannot cancel a change",
    from: "awaiting_approval",
    event: { type: "cancel", actor: OUT, actorGroups: [] },
    expect: { denied: "not-allowed" },
  },
  {
    name: "the requester alone cannot close a failed change",
    from: "failed",
    event: { type: "cancel", actor: REQ, actorGroups: [] },
    expect: { denied: "not-approver" },
  },
  {
    name: "a running change cannot be cancelled",
    from: "executing",
    event: { type: "cancel", actor: A1, actorGroups: [] },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a change needing verification cannot be cancelled",
    from: "needs_verification",
    event: { type: "cancel", actor: A1, actorGroups: [] },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a plan does not expire before its TTL",
    from: "awaiting_approval",
    event: { type: "expire" },
    now: BEFORE,
    expect: { denied: "not-expired" },
  },
  {
    name: "an approved change does not expire",
    from: "approved",
    event: { type: "expire" },
    now: AFTER,
    expect: { denied: "wrong-state" },
  },
  {
    name: "a change cannot start before it is approved",
    from: "awaiting_approval",
    event: { type: "start-execution" },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a succeeded change cannot be rolled back by the state machine",
    from: "succeeded",
    event: { type: "rolled-back" },
    expect: { denied: "closed" },
  },
  {
    name: "a failed change is not marked rolled back without a rollback having run",
    from: "failed",
    event: { type: "rolled-back" },
    expect: { denied: "wrong-state" },
  },
  {
    name: "the requester alone cannot roll back their change (four-eyes)",
    from: "failed",
    event: { type: "rollback", actor: REQ, actorGroups: OPS, hash: HASH },
    expect: { denied: "four-eyes" },
  },
  {
    name: "a non-approver cannot roll back",
    from: "failed",
    event: { type: "rollback", actor: OUT, actorGroups: [], hash: HASH },
    expect: { denied: "not-approver" },
  },
  {
    name: "a running change cannot be rolled back until it stops",
    from: "executing",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a rollback cannot be started twice",
    from: "rolling_back",
    event: { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a change being rolled back cannot be cancelled",
    from: "rolling_back",
    event: { type: "cancel", actor: A1, actorGroups: [] },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a rollback failure is reported only while rolling back",
    from: "failed",
    event: { type: "rollback-failed", reason: "x" },
    expect: { denied: "wrong-state" },
  },
  {
    name: "a lost runner must be one of the change's hosts",
    from: "executing",
    event: { type: "runner-lost", host: "mom-z" },
    expect: { denied: "invalid-event" },
  },
  {
    name: "pre-flight results for another change are refused",
    from: "planned",
    event: { type: "preflight-complete", plan: fakePlan("CHG-9", { hash: NEW_HASH }) },
    expect: { denied: "invalid-event" },
  },
  {
    name: "pre-flight results arrive only once",
    from: "awaiting_approval",
    event: { type: "preflight-complete" },
    expect: { denied: "wrong-state" },
  },
];

describe("transition table", () => {
  it.each(CASES)("$name", (c) => {
    const before = recordIn(c.from, c.patch);
    const result = transition(before, c.event, { now: c.now ?? BEFORE, policy: c.policy ?? POLICY });
    if ("to" in c.expect) {
      if (!result.ok) expect.fail(`refused: ${result.code}: ${plainPhrase(result.reason)}`);
      expect(result.record.state).toBe(c.expect.to);
      expect(result.record.version).toBe(before.version + 1);
      expect(result.audit).toMatchObject({
        changeId: "CHG-4",
        fromState: c.from,
        toState: c.expect.to,
        event: c.event.type,
      });
    } else {
      expect(result).toMatchObject({ ok: false, code: c.expect.denied });
    }
  });
});

describe("what a denial says, as Slack shows it (people as mentions)", () => {
  const policy: ApprovalPolicy = { ...POLICY, approvers: { users: ["U123"], groups: ["@ops-leads"] } };
  const reason = (from: ChangeState, event: ChangeEvent, opts: Partial<Case> = {}) => {
    const r = transition(recordIn(from, opts.patch), event, {
      now: opts.now ?? BEFORE,
      policy: opts.policy ?? policy,
    });
    return r.ok ? `accepted: ${r.record.state}` : mrkdwnPhrase(r.reason);
  };

  const cases: [string, string, string][] = [
    [
      "four-eyes",
      reason("awaiting_approval", approve(REQ, OPS)),
      "you requested CHG-4: four-eyes policy — someone else must approve",
    ],
    [
      "not an approver",
      reason("awaiting_approval", approve(OUT)),
      "you are not an approver for momlink (approvers: @ops-leads, <@U123>)",
    ],
    [
      "expired",
      reason("awaiting_approval", approve("U123"), { now: AFTER }),
      `CHG-4 expired at ${slackDate(EXPIRES)}: plan it again`,
    ],
    ["already approved", reason("approved", approve("U123")), "CHG-4 is already approved"],
    [
      "hash changed",
      reason("awaiting_approval", approve("U123", [], NEW_HASH)),
      "the plan changed since this message was posted (hash fed09876…, now abc12345…): look at the updated message",
    ],
    [
      "approved twice",
      reason("awaiting_approval", approve("U123"), {
        patch: { approvals: approvedBy("U123") },
        policy: { ...policy, requiredApprovals: 2 },
      }),
      "you already approved CHG-4 (1 of 2 approvals)",
    ],
    [
      "approve after reject",
      reason("rejected", approve("U123"), {
        patch: { rejection: { actor: A2, at: "2025-11-26T10:20:00.000Z", reason: "wrong share" } },
      }),
      `CHG-4 was rejected by <@UAPP2> at ${slackDate("2025-11-26T10:20:00.000Z")}: "wrong share": it cannot be approved any more`,
    ],
    [
      "not expired yet",
      reason("awaiting_approval", { type: "expire" }),
      `CHG-4 does not expire until ${slackDate(EXPIRES)}`,
    ],
    [
      "blocked plan",
      reason("awaiting_approval", approve("U123"), {
        patch: { plan: fakePlan("CHG-4", { hash: HASH, blockers: ["config is a junction"] }) },
      }),
      "CHG-4 cannot be approved: pre-flight found mom-a: config is a junction",
    ],
    [
      "cancel by someone else",
      reason("approved", { type: "cancel", actor: OUT, actorGroups: [] }),
      "only the requester (<@UREQ>) or an approver can cancel CHG-4 (approvers: @ops-leads, <@U123>)",
    ],
    [
      "rollback by the requester",
      reason("failed", { type: "rollback", actor: REQ, actorGroups: OPS, hash: HASH }),
      "you requested CHG-4: four-eyes policy — someone else must approve its rollback",
    ],
    [
      "rollback by someone else",
      reason("needs_verification", { type: "rollback", actor: OUT, actorGroups: [], hash: HASH }),
      "only an approver can roll back CHG-4 (approvers: @ops-leads, <@U123>)",
    ],
    [
      "rollback twice",
      reason("rolling_back", { type: "rollback", actor: "U123", actorGroups: [], hash: HASH }),
      "CHG-4 is already being rolled back",
    ],
    [
      "expired on another day",
      reason("expired", approve("U123"), { now: new Date("2025-11-27T08:00:00Z") }),
      `CHG-4 expired at ${slackDate(EXPIRES)}: it cannot be approved any more`,
    ],
  ];
  it.each(cases)("%s", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("terminal states", () => {
  const terminal = STATES.filter(isTerminal);
  const events: ChangeEvent[] = [
    { type: "preflight-complete" },
    approve(A1),
    { type: "reject", actor: A1, actorGroups: [], reason: "x" },
    { type: "cancel", actor: A1, actorGroups: [] },
    { type: "expire" },
    { type: "start-execution" },
    { type: "succeed" },
    { type: "fail", reason: "x" },
    { type: "runner-lost", host: "mom-a" },
    { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
    { type: "rolled-back" },
    { type: "rollback-failed", reason: "x" },
    { type: "verified", outcome: "succeeded" },
  ];

  it("are exactly succeeded, rolled_back, rejected, expired and cancelled; failed keeps its lock", () => {
    expect(terminal).toEqual(["succeeded", "rolled_back", "rejected", "expired", "cancelled"]);
    expect(STATES.filter(holdsHostLock)).toEqual([
      "planned",
      "awaiting_approval",
      "approved",
      "executing",
      "rolling_back",
      "failed",
      "needs_verification",
    ]);
  });

  it.each(terminal)("%s accepts no event and says the change is closed", (state) => {
    for (const event of events) {
      // The one way back: an approver may still roll back a change that succeeded.
      if (state === "succeeded" && event.type === "rollback") continue;
      const result = transition(recordIn(state), event, { now: AFTER, policy: POLICY });
      expect(result).toMatchObject({ ok: false, code: "closed" });
      if (!result.ok) expect(plainPhrase(result.reason)).toMatch(/^CHG-4 .*: it cannot be .* any more$/);
    }
  });
});

describe("what a transition records", () => {
  it("pre-flight results replace the plan, its hash and the expiry", () => {
    const newPlan = fakePlan("CHG-4", { hash: NEW_HASH });
    const result = transition(
      recordIn("planned"),
      { type: "preflight-complete", plan: newPlan, expiresAt: "2025-11-26T11:00:00Z", actor: "runner:mom-a" },
      { now: BEFORE, policy: POLICY },
    );
    if (!result.ok) expect.fail(plainPhrase(result.reason));
    expect(result.record).toMatchObject({
      planHash: NEW_HASH,
      plan: newPlan,
      expiresAt: "2025-11-26T11:00:00.000Z",
    });
    expect(result.audit).toMatchObject({
      actor: "runner:mom-a",
      planHash: NEW_HASH,
      details: { planChanged: true, previousHash: HASH },
    });
  });

  it("an approval is kept with who, when and which hash, and counted", () => {
    const policy = { ...POLICY, requiredApprovals: 2 };
    const result = transition(recordIn("awaiting_approval"), approve(A2, OPS), { now: BEFORE, policy });
    if (!result.ok) expect.fail(plainPhrase(result.reason));
    expect(result.record.approvals).toEqual([{ actor: A2, at: BEFORE.toISOString(), hash: HASH }]);
    expect(result.audit).toMatchObject({
      actor: A2,
      event: "approve",
      details: { approvals: 1, required: 2 },
    });
  });

  it("a rollback approval is kept apart from the change's approvals, with its attempt, and counted", () => {
    const policy = { ...POLICY, requiredApprovals: 2 };
    const failed = recordIn("failed", { approvals: approvedBy(A2) });
    const result = transition(
      failed,
      { type: "rollback", actor: A1, actorGroups: [], hash: HASH },
      { now: BEFORE, policy },
    );
    if (!result.ok) expect.fail(plainPhrase(result.reason));
    expect(result.record.approvals).toEqual(approvedBy(A2));
    expect(result.record.rollbackApprovals).toEqual([
      { actor: A1, at: BEFORE.toISOString(), hash: HASH, round: 1 },
    ]);
    expect(rollbackApprovers(result.record, policy)).toEqual([A1]);
    expect(result.audit).toMatchObject({
      actor: A1,
      event: "rollback",
      fromState: "failed",
      toState: "failed",
      details: { from: "failed", approvals: 1, required: 2 },
    });
    const second = transition(
      result.record,
      { type: "rollback", actor: A2, actorGroups: OPS, hash: HASH },
      { now: BEFORE, policy },
    );
    if (!second.ok) expect.fail(plainPhrase(second.reason));
    expect(second.record).toMatchObject({ state: "rolling_back", rollbacksStarted: 1 });
    expect(rollbackApprovers(second.record, policy)).toEqual([A1, A2]);
  });

  it("a rejection keeps who and why", () => {
    const result = transition(
      recordIn("awaiting_approval"),
      { type: "reject", actor: A1, actorGroups: [], reason: "  wrong share  " },
      { now: BEFORE, policy: POLICY },
    );
    if (!result.ok) expect.fail(plainPhrase(result.reason));
    expect(result.record.rejection).toEqual({ actor: A1, at: BEFORE.toISOString(), reason: "wrong share" });
  });

  it("never changes the record it was given", () => {
    const before = recordIn("awaiting_approval");
    const copy = structuredClone(before);
    transition(before, approve(A1), { now: BEFORE, policy: POLICY });
    expect(before).toEqual(copy);
  });
});

// --- property: any event sequence stays on the diagram's edges --------------------------------

/**
 * DESIGN.md's diagram, plus the documented additions (partial approval, approver closes a failed
 * change, and the approval-gated rollback through rolling_back).
 */
const EDGES: Record<ChangeState, ChangeState[]> = {
  planned: ["awaiting_approval", "expired", "cancelled"],
  awaiting_approval: ["awaiting_approval", "approved", "rejected", "expired", "cancelled"],
  approved: ["executing", "cancelled"],
  executing: ["succeeded", "failed", "needs_verification"],
  rolling_back: ["rolled_back", "failed", "needs_verification"],
  // A rollback approval short of the required number leaves the state as it is.
  failed: ["failed", "rolling_back", "cancelled"],
  needs_verification: ["needs_verification", "succeeded", "failed", "rolling_back"],
  succeeded: ["succeeded", "rolling_back"],
  rolled_back: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

const actor = fc.constantFrom(REQ, A1, A2, OUT);
const groupsOf = (who: string) => (who === A2 || who === REQ ? OPS : []);
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
// Weighted towards progress: with uniform weights a cancel or reject ends almost every sequence
// before it reaches executing, and the later edges would go untested.
const eventArb: fc.Arbitrary<ChangeEvent> = fc.oneof(
  w(
    3,
    fc.constantFrom<ChangeEvent>(
      { type: "preflight-complete" },
      { type: "preflight-complete", plan: fakePlan("CHG-1", { hash: NEW_HASH }) },
    ),
  ),
  w(
    12,
    fc
      .tuple(actor, fc.constantFrom(HASH, HASH, HASH, NEW_HASH))
      .map(([who, hash]) => approve(who, groupsOf(who), hash)),
  ),
  w(
    1,
    actor.map(
      (who): ChangeEvent => ({ type: "reject", actor: who, actorGroups: groupsOf(who), reason: "no" }),
    ),
  ),
  w(
    1,
    actor.map((who): ChangeEvent => ({ type: "cancel", actor: who, actorGroups: groupsOf(who) })),
  ),
  w(1, fc.constant<ChangeEvent>({ type: "expire" })),
  w(3, fc.constant<ChangeEvent>({ type: "start-execution" })),
  w(2, fc.constant<ChangeEvent>({ type: "succeed" })),
  w(2, fc.constant<ChangeEvent>({ type: "fail", reason: "boom" })),
  w(
    2,
    fc.constantFrom<ChangeEvent>(
      { type: "runner-lost", host: "mom-a" },
      { type: "runner-lost", host: "mom-x" },
    ),
  ),
  w(
    2,
    actor.map(
      (who): ChangeEvent => ({ type: "rollback", actor: who, actorGroups: groupsOf(who), hash: HASH }),
    ),
  ),
  w(2, fc.constant<ChangeEvent>({ type: "rolled-back" })),
  w(1, fc.constant<ChangeEvent>({ type: "rollback-failed", reason: "rmdir failed" })),
  w(
    2,
    fc.constantFrom<ChangeEvent>(
      { type: "verified", outcome: "succeeded" },
      { type: "verified", outcome: "failed" },
    ),
  ),
);
/** Minutes between events: mostly none, sometimes enough to cross the 30-minute TTL. */
const pause = fc.oneof(w(9, fc.constant(0)), w(1, fc.integer({ min: 1, max: 20 })));
const policyArb: fc.Arbitrary<ApprovalPolicy> = fc.record({
  approvers: fc.constantFrom(POLICY.approvers, OPEN.approvers),
  requiredApprovals: fc.integer({ min: 1, max: 3 }),
  fourEyes: fc.boolean(),
  ttlMinutes: fc.constant(30),
});

describe("any sequence of events", () => {
  it("follows only the diagram's edges, bumps the version by one per accepted event, and approves only with enough approvals", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(eventArb, pause), { minLength: 5, maxLength: 60, size: "max" }),
        (policy, steps) => {
          let { record } = newChange({
            id: "CHG-1",
            requester: REQ,
            channel: null,
            plan: fakePlan("CHG-1", { hash: HASH }),
            hosts: { primary: "mom-a", secondary: "mom-b" },
            now: CREATED,
            ttlMinutes: 30,
          });
          let now = CREATED.getTime();
          for (const [event, minutes] of steps) {
            now += minutes * 60_000;
            const result = transition(record, event, { now: new Date(now), policy });
            if (!result.ok) {
              expect(result.reason.length).toBeGreaterThan(0);
              continue;
            }
            const next = result.record;
            expect(EDGES[record.state]).toContain(next.state);
            expect(next.version).toBe(record.version + 1);
            expect(result.audit).toMatchObject({
              fromState: record.state,
              toState: next.state,
              planHash: next.planHash,
            });
            if (next.state === "rolling_back" && record.state !== "rolling_back") {
              const approvers = rollbackApprovers(next, policy);
              expect(approvers.length).toBeGreaterThanOrEqual(policy.requiredApprovals);
              const fourEyes =
                policy.fourEyes || policy.approvers.users.length + policy.approvers.groups.length === 0;
              if (fourEyes) expect(approvers).not.toContain(REQ);
            }
            if (next.state === "approved" && record.state === "awaiting_approval") {
              expect(approvalCount(next, policy)).toBeGreaterThanOrEqual(policy.requiredApprovals);
              expect(now).toBeLessThan(Date.parse(next.expiresAt));
              const fourEyes =
                policy.fourEyes || policy.approvers.users.length + policy.approvers.groups.length === 0;
              if (fourEyes) expect(next.approvals.map((a) => a.actor)).not.toContain(REQ);
            }
            record = next;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
