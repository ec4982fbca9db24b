import { describe, expect, it } from "vitest";
import {
  type ApprovalPolicy,
  checkPolicy,
  describePolicy,
  formatUtc,
  isApprover,
  parseApprovers,
} from "../../src/domain/policy.ts";
import { mrkdwnPhrase } from "../../src/slack/mrkdwn.ts";

describe("parseApprovers", () => {
  // text → users, groups
  const accepted: [string, string[], string[]][] = [
    ["", [], []],
    ["   ", [], []],
    ["U0123ABC", ["U0123ABC"], []],
    ["W0123ABC", ["W0123ABC"], []],
    ["<@U0123ABC>", ["U0123ABC"], []],
    ["<@U0123ABC|alice>", ["U0123ABC"], []],
    ["@ops-leads", [], ["@ops-leads"]],
    ["@Ops-Leads", [], ["@ops-leads"]],
    ["<!subteam^S0123ABC|@ops-leads>", [], ["S0123ABC"]],
    ["<!subteam^S0123ABC>", [], ["S0123ABC"]],
    ["S0123ABC", [], ["S0123ABC"]],
    ["U1A, @ops-leads, <@W2B>", ["U1A", "W2B"], ["@ops-leads"]],
    ["U1A,,U2B,", ["U1A", "U2B"], []],
    ["U1A, <@U1A>, @ops, @OPS", ["U1A"], ["@ops"]],
  ];
  it.each(accepted)("accepts %j", (text, users, groups) => {
    expect(parseApprovers(text)).toEqual({ ok: true, value: { users, groups } });
  });

  // text → a fragment every error list must contain
  const refused: [string, string][] = [
    ["alice", '"alice" is neither a Slack user id'],
    ["u0123abc", '"u0123abc" is neither a Slack user id'],
    ["U1A U2B", "separate approvers with commas"],
    ["@", 'use letters, digits, ".", "_" or "-" after "@"'],
    ["@ops leads", '"@ops leads" is not a user-group handle'],
    ["<@alice>", '"<@alice>" is not a user mention'],
    ["<!subteam^ops>", '"<!subteam^ops>" is not a user-group mention'],
  ];
  it.each(refused)("refuses %j and says why", (text, fragment) => {
    const result = parseApprovers(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toContain(fragment);
  });

  it("reports every bad entry, not only the first", () => {
    const result = parseApprovers("alice, U1A, bob");
    expect(result).toEqual({
      ok: false,
      errors: [expect.stringContaining('"alice"'), expect.stringContaining('"bob"')],
    });
  });
});

const policy = (approvers: string, extra: Partial<ApprovalPolicy> = {}): ApprovalPolicy => {
  const parsed = parseApprovers(approvers);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return { approvers: parsed.value, requiredApprovals: 1, fourEyes: true, ttlMinutes: 30, ...extra };
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
    ["<!subteam^S0123ABC|@ops-leads>", "U2B", ["S0123ABC", "@whatever"], true],
    ["<!subteam^S0123ABC|@ops-leads>", "U2B", ["S999"], false],
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
      "needs 1 approval from @ops-leads; requester cannot approve; expires 10:42 UTC",
    ],
    [
      "two approvals from users and a group id",
      policy("<!subteam^S0123ABC>, U1A", { requiredApprovals: 2 }),
      "needs 2 approvals from <!subteam^S0123ABC>, <@U1A>; requester cannot approve; expires 10:42 UTC",
    ],
    [
      "four-eyes off",
      policy("U1A", { fourEyes: false }),
      "needs 1 approval from <@U1A>; requester may approve their own change; expires 10:42 UTC",
    ],
    [
      "no approvers configured: says so loudly, and four-eyes holds even when off",
      policy("", { fourEyes: false }),
      "NO APPROVERS CONFIGURED (set MOMLINK_APPROVERS): needs 1 approval from anyone in the workspace except the requester; expires 10:42 UTC",
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

describe("formatUtc", () => {
  it("shows only the time on the same UTC day, and the date otherwise", () => {
    const now = new Date("2025-11-26T09:00:00Z");
    expect(formatUtc("2025-11-26T10:42:59.000Z", now)).toBe("10:42 UTC");
    expect(formatUtc("2025-11-27T00:05:00.000Z", now)).toBe("2025-11-27 00:05 UTC");
  });
});
