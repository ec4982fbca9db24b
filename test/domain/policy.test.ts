import { describe, expect, it } from "vitest";
import { type ApprovalPolicy, checkPolicy, describePolicy, isApprover } from "../../src/domain/policy.ts";
import { mrkdwnPhrase } from "../../src/slack/mrkdwn.ts";
import { slackDate } from "../support/dates.ts";

/** A policy from a comma list of user ids (U…, W…) and groups (S… ids, @handles), as configured. */
const policy = (approvers: string, extra: Partial<ApprovalPolicy> = {}): ApprovalPolicy => {
  const entries = approvers
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const users = entries.filter((entry) => /^[UW]/.test(entry));
  const groups = entries.filter((entry) => !/^[UW]/.test(entry));
  return { approvers: { users, groups }, requiredApprovals: 1, fourEyes: true, ttlMinutes: 30, ...extra };
};

describe("isApprover", () => {
  // approvers config, actor, actor's groups, expected
  const cases: [string, string, string[], boolean][] = [
    ["U1A", "U1A", [], true],
    ["U1A", "U2B", [], false],
    ["@ops-leads", "U2B", ["@ops-leads"], true],
    ["@ops-leads", "U2B", ["ops-leads"], true],
    ["@ops-leads", "U2B", ["@OPS-LEADS"], true],
    ["@ops-leads", "U2B", ["@dba"], false],
    ["@ops-leads", "U2B", [], false],
    ["S0123ABC", "U2B", ["S0123ABC", "@whatever"], true],
    ["S0123ABC", "U2B", ["S999"], false],
    ["U1A, @dba", "U3C", ["@dba"], true],
    ["", "U9Z", [], true],
  ];
  it.each(cases)("approvers %j: %s in %j → %s", (approvers, actor, groups, expected) => {
    expect(isApprover(policy(approvers), actor, groups)).toBe(expected);
  });
});

describe("describePolicy, as Slack shows it (people as mentions)", () => {
  const at = "2025-11-26T10:42:00.000Z";
  const cases: [string, ApprovalPolicy, string][] = [
    [
      "one approval from a group, four-eyes",
      policy("@ops-leads"),
      `needs 1 approval from @ops-leads; requester cannot approve; expires ${slackDate(at)}`,
    ],
    [
      "two approvals from users and a group id",
      policy("S0123ABC, U1A", { requiredApprovals: 2 }),
      `needs 2 approvals from <!subteam^S0123ABC>, <@U1A>; requester cannot approve; expires ${slackDate(at)}`,
    ],
    [
      "four-eyes off",
      policy("U1A", { fourEyes: false }),
      `needs 1 approval from <@U1A>; requester may approve their own change; expires ${slackDate(at)}`,
    ],
    [
      "no approvers configured: says so loudly, and four-eyes holds even when off",
      policy("", { fourEyes: false }),
      `NO APPROVERS CONFIGURED (set MOMLINK_APPROVERS): needs 1 approval from anyone in the workspace except the requester; expires ${slackDate(at)}`,
    ],
  ];
  it.each(cases)("%s", (_name, p, expected) => {
    expect(mrkdwnPhrase(describePolicy(p, at))).toBe(expected);
  });
});

describe("checkPolicy", () => {
  it("accepts the defaults", () => {
    expect(checkPolicy(policy("@ops-leads"))).toEqual([]);
  });
  it("refuses more required approvals than named approvers", () => {
    expect(checkPolicy(policy("U1A", { requiredApprovals: 2 }))).toEqual([
      "required approvals asks for 2 distinct approvals, but the approver list names only 1 approver: name at least 2 (or a user group), or ask for at most 1, e.g. required approvals=1",
    ]);
  });
  it("names each setting a problem involves as the caller calls them", () => {
    const names = { approvers: "APPROVERS", requiredApprovals: "REQUIRED", ttlMinutes: "TTL" };
    expect(checkPolicy(policy("U1A,U2B", { requiredApprovals: 5, ttlMinutes: 0 }), names)).toEqual([
      "TTL must be a whole number of minutes of at least 1, not 0",
      "REQUIRED asks for 5 distinct approvals, but APPROVERS names only 2 approvers: name at least 5 (or a user group), or ask for at most 2, e.g. REQUIRED=2",
    ]);
  });
  it("cannot count a group's members, so approvers that include a group pass", () => {
    expect(checkPolicy(policy("U1A,@ops-leads", { requiredApprovals: 3 }))).toEqual([]);
  });
  it("refuses zero approvals and a non-positive TTL", () => {
    expect(checkPolicy(policy("U1A", { requiredApprovals: 0, ttlMinutes: 0 }))).toEqual([
      "required approvals must be a whole number of at least 1, not 0",
      "the plan TTL must be a whole number of minutes of at least 1, not 0",
    ]);
  });
});
