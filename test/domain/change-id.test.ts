// The one change-id parser: every accepted and refused spelling is a row.
import { describe, expect, it } from "vitest";
import { CHANGE_ID_PATTERN, parseChangeId } from "../../src/domain/change-id.ts";
import { jobSchema } from "../../src/domain/job.ts";

describe("parseChangeId", () => {
  it.each([
    ["CHG-12", "CHG-12"],
    ["chg-12", "CHG-12"],
    ["  CHG-7 ", "CHG-7"],
    ["CHG-007", "CHG-7"],
    ["CHG-999999999", "CHG-999999999"],
  ])("reads %j as %s", (typed, id) => {
    expect(parseChangeId(typed)).toEqual({ ok: true, id });
  });

  it.each([
    ["CHG-99999999999999999999999", "its number has 23 digits, and momlink's have at most 9"],
    ["CHG-1000000000", "its number has 10 digits"],
    ["CHG-", "a number must follow CHG-"],
    ["CHG-0", "change numbers start at CHG-1"],
    ["CHG-1e3", "only digits follow CHG-"],
    ["CHG-١٢", "only digits follow CHG-"],
    ["CHG-12abc", "only digits follow CHG-"],
    ["12", "ids look like CHG-12"],
    ["", "ids look like CHG-12"],
  ])("refuses %j: %s", (typed, why) => {
    const parsed = parseChangeId(typed);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(why);
  });

  it("accepts exactly what the job contract accepts", () => {
    for (const typed of ["CHG-1", "CHG-999999999", "CHG-1000000000", "CHG-0", "CHG-01"]) {
      const parsed = parseChangeId(typed);
      const canonical = parsed.ok && parsed.id === typed;
      expect(CHANGE_ID_PATTERN.test(typed)).toBe(canonical);
      expect(jobSchema.shape.changeId.safeParse(typed).success).toBe(canonical);
    }
  });
});
