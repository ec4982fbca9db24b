import { describe, expect, it } from "vitest";
import { allowedActions, type ButtonAction } from "../../src/domain/actions.ts";
import { type ChangeRecord, type ChangeState, newChange, STATES } from "../../src/domain/record.ts";
import { fakePlan } from "../support/plan.ts";

const CREATED = new Date("2025-11-26T10:12:00.000Z");
const BEFORE_EXPIRY = new Date("2025-11-26T10:30:00.000Z");
const AFTER_EXPIRY = new Date("2025-11-26T10:43:00.000Z");

function recordIn(state: ChangeState, blockers: string[] = []): ChangeRecord {
  const { record } = newChange({
    id: "CHG-4",
    requester: "UREQ",
    channel: "C1",
    plan: fakePlan("CHG-4", { hash: "abc1234567890def", blockers }),
    hosts: { primary: "mom-a", secondary: "mom-b" },
    now: CREATED,
    ttlMinutes: 30,
  });
  return { ...record, state };
}

describe("allowedActions: the buttons a change's message offers, as the state machine decides", () => {
  const expected: Record<ChangeState, ButtonAction[]> = {
    planned: [],
    awaiting_approval: ["approve", "reject"],
    approved: [],
    executing: [],
    rolling_back: [],
    // Links may be half-made, or the change may be unwanted after all: approvers may undo it.
    failed: ["rollback"],
    needs_verification: ["rollback"],
    succeeded: ["rollback"],
    rolled_back: [],
    rejected: [],
    expired: [],
    cancelled: [],
  };
  it.each(STATES)("%s", (state) => {
    expect(allowedActions(recordIn(state), BEFORE_EXPIRY)).toEqual(expected[state]);
  });

  it("offers only Reject on a plan whose pre-flight found a blocker", () => {
    expect(allowedActions(recordIn("awaiting_approval", ["a junction at data"]), BEFORE_EXPIRY)).toEqual([
      "reject",
    ]);
  });

  it("offers no Approve once the plan's TTL ran out, before the sweeper closes it", () => {
    expect(allowedActions(recordIn("awaiting_approval"), AFTER_EXPIRY)).not.toContain("approve");
  });
});
