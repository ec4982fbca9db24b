// Who may approve a change, how many must, and for how long a plan stays approvable.
// Pure: the config layer reads and checks MOMLINK_APPROVERS & co. (config-rules.ts, the one parser of
// the approver list) and names the variable in its errors.
//
// An empty approver list is the "open" policy of the local console (startup.ts refuses it in Socket
// and HTTP mode, where a real workspace is on the other side). It is not
// "no approval needed": anyone in the workspace EXCEPT the requester may approve, and four-eyes is
// enforced even when configured off, because an open list without four-eyes would let anyone run
// a change on their own say-so. describePolicy says so loudly. To approve your own plans (a solo
// console session), name yourself in MOMLINK_APPROVERS and turn four-eyes off: a deliberate act.

import { groupMention, instant, joinPhrases, type Phrase, phrase, userMention } from "./phrase.ts";

export interface Approvers {
  /** Slack user ids (`U…`, `W…`). */
  users: string[];
  /** User groups, each a lower-case `@handle` or a group id (`S…`). */
  groups: string[];
}

export interface ApprovalPolicy {
  approvers: Approvers;
  /** Distinct approvers needed; at least 1. */
  requiredApprovals: number;
  /** The requester cannot approve their own change. */
  fourEyes: boolean;
  /** Minutes a posted plan stays approvable. */
  ttlMinutes: number;
}

const GROUP_ID = /^S[A-Z0-9]{2,}$/;

/** True when no approver is configured: see the file comment for what that allows. */
export function isOpenPolicy(policy: ApprovalPolicy): boolean {
  return policy.approvers.users.length === 0 && policy.approvers.groups.length === 0;
}

/** Four-eyes as it applies: always on under the open policy. */
export function requiresFourEyes(policy: ApprovalPolicy): boolean {
  return policy.fourEyes || isOpenPolicy(policy);
}

/**
 * Whether `actor` counts as an approver. `actorGroups` lists the user's groups as the Slack layer
 * knows them: ids (`S…`) and/or handles (with or without `@`, any case); pass both when known.
 * Four-eyes is not checked here: the state machine knows who requested what.
 */
export function isApprover(policy: ApprovalPolicy, actor: string, actorGroups: readonly string[]): boolean {
  if (isOpenPolicy(policy)) return true;
  if (policy.approvers.users.includes(actor)) return true;
  const mine = new Set(actorGroups.map(normaliseGroup));
  return policy.approvers.groups.some((g) => mine.has(g));
}

function normaliseGroup(group: string): string {
  const g = group.trim();
  if (GROUP_ID.test(g)) return g;
  return `@${g.replace(/^@/, "").toLowerCase()}`;
}

/** The approvers, groups first, each a mention (phrase.ts): Slack shows names, the CLI ids. */
export function describeApprovers(approvers: Approvers): Phrase {
  if (approvers.users.length === 0 && approvers.groups.length === 0) return "anyone in the workspace";
  const groups = approvers.groups.map((g) => [groupMention(g)]);
  const users = approvers.users.map((u) => [userMention(u)]);
  return joinPhrases([...groups, ...users], ", ");
}

/** One line for the plan message, e.g. "needs 1 approval from @ops-leads; requester cannot approve; expires 10:42 UTC". */
export function describePolicy(policy: ApprovalPolicy, expiresAt: string | Date): Phrase {
  const n = policy.requiredApprovals;
  const count = `${n} approval${n === 1 ? "" : "s"}`;
  const expiry = phrase("expires ", [instant(expiresAt)]);
  if (isOpenPolicy(policy)) {
    return phrase(
      `NO APPROVERS CONFIGURED (set MOMLINK_APPROVERS): needs ${count} from anyone in the workspace except the requester; `,
      expiry,
    );
  }
  const eyes = policy.fourEyes ? "requester cannot approve" : "requester may approve their own change";
  return phrase(`needs ${count} from `, describeApprovers(policy.approvers), `; ${eyes}; `, expiry);
}

/** What each policy setting is called where it is configured (the config layer passes its variables). */
export interface PolicySettingNames {
  approvers: string;
  requiredApprovals: string;
  ttlMinutes: string;
}

const PLAIN_NAMES: PolicySettingNames = {
  approvers: "the approver list",
  requiredApprovals: "required approvals",
  ttlMinutes: "the plan TTL",
};

/**
 * Settings that make approval impossible or meaningless, in an operator's words. Each problem names
 * every setting it involves by `names` (the config layer passes its variable names), so the one to
 * change is never a guess.
 */
export function checkPolicy(policy: ApprovalPolicy, names: PolicySettingNames = PLAIN_NAMES): string[] {
  const errors: string[] = [];
  const n = policy.requiredApprovals;
  if (!Number.isInteger(n) || n < 1)
    errors.push(`${names.requiredApprovals} must be a whole number of at least 1, not ${n}`);
  const ttl = policy.ttlMinutes;
  if (!Number.isInteger(ttl) || ttl < 1)
    errors.push(`${names.ttlMinutes} must be a whole number of minutes of at least 1, not ${ttl}`);
  const { users, groups } = policy.approvers;
  // With groups we cannot count members here; with users only, the arithmetic is certain.
  const m = users.length;
  if (groups.length === 0 && m > 0 && Number.isInteger(n) && m < n) {
    errors.push(
      `${names.requiredApprovals} asks for ${n} distinct approvals, but ${names.approvers} names only ${m} approver${m === 1 ? "" : "s"}: ` +
        `name at least ${n} (or a user group), or ask for at most ${m}, e.g. ${names.requiredApprovals}=${m}`,
    );
  }
  return errors;
}
