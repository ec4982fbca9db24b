// Domain text names people as data: a phrase renders as plain ids for the CLI and the logs, and
// each adapter writes the mentions its own way.
import { describe, expect, it } from "vitest";
import {
  groupMention,
  instant,
  joinPhrases,
  phrase,
  plainPhrase,
  renderPhrase,
  userMention,
  utcText,
} from "../../src/domain/phrase.ts";
import { type ApprovalPolicy, describeApprovers, describePolicy } from "../../src/domain/policy.ts";
import { describeState, newChange } from "../../src/domain/record.ts";
import { fakePlan } from "../support/plan.ts";

describe("phrases", () => {
  it("stay plain strings while they name nobody", () => {
    expect(phrase("CHG-1 ", "is open")).toBe("CHG-1 is open");
    expect(joinPhrases(["a", "b", "c"], ", ")).toBe("a, b, c");
  });

  it("keep instants as data: plain text shows the UTC date and time, an adapter its own form", () => {
    const p = phrase("expires ", [instant("2025-11-27T00:05:59.000Z")]);
    expect(plainPhrase(p)).toBe("expires 2025-11-27 00:05 UTC");
    expect(
      renderPhrase(
        p,
        () => "?",
        (iso) => `<${iso}>`,
      ),
    ).toBe("expires <2025-11-27T00:05:59.000Z>");
    expect(utcText(new Date("2025-11-26T10:42:00.000Z"))).toBe("2025-11-26 10:42 UTC");
  });

  it("keep mentions in order, and render them as the adapter asks", () => {
    const p = phrase("by ", [userMention("U0BOB0001")], " for ", [groupMention("S0OPS0001")]);
    expect(plainPhrase(p)).toBe("by U0BOB0001 for S0OPS0001");
    expect(renderPhrase(p, (m) => ("user" in m ? `[${m.user}]` : `{${m.group}}`))).toBe(
      "by [U0BOB0001] for {S0OPS0001}",
    );
  });
});

describe("domain text carries no chat markup", () => {
  const policy: ApprovalPolicy = {
    approvers: { users: ["U0123ABCD"], groups: ["@ops-leads", "S0123ABCD"] },
    requiredApprovals: 2,
    fourEyes: true,
    ttlMinutes: 30,
  };

  it("names the approvers by their ids and handles in plain text", () => {
    expect(plainPhrase(describeApprovers(policy.approvers))).toBe("@ops-leads, S0123ABCD, U0123ABCD");
    expect(plainPhrase(describePolicy(policy, "2025-11-26T10:42:00.000Z"))).toBe(
      "needs 2 approvals from @ops-leads, S0123ABCD, U0123ABCD; requester cannot approve; expires 2025-11-26 10:42 UTC",
    );
  });

  it("says who rejected a change by user id, not as a Slack mention", () => {
    const now = new Date("2025-11-26T10:12:00.000Z");
    const { record } = newChange({
      id: "CHG-4",
      requester: "UREQ",
      channel: null,
      plan: fakePlan("CHG-4", { hash: "abc" }),
      hosts: { primary: "mom-a", secondary: "mom-b" },
      now,
      ttlMinutes: 30,
    });
    const rejected = {
      ...record,
      state: "rejected" as const,
      rejection: { actor: "UAPP2", at: now.toISOString(), reason: "wrong share" },
    };
    const text = plainPhrase(describeState(rejected));
    expect(text).toBe('CHG-4 was rejected by UAPP2 at 2025-11-26 10:12 UTC: "wrong share"');
    expect(text).not.toMatch(/<[@!]/);
  });
});
