// The plan form asks for exactly the grammar's keys (pair.ts PLAN_KEYS), in the same order: a key
// added to the grammar without a field, or a field the grammar does not know, fails here.
import { describe, expect, it } from "vitest";
import { PLAN_KEYS } from "../../../src/domain/pair.ts";
import { planModalView } from "../../../src/slack/views/plan-modal.ts";

describe("the plan form", () => {
  it("has one input per plan key, in the grammar's order", () => {
    const view = planModalView("C0LOCAL01", ["config", "data", "traces"]);
    const fields = view.blocks.filter((b) => b.type === "input").map((b) => b.block_id);
    expect(fields).toEqual([...PLAN_KEYS]);
  });
});
