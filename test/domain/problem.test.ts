// The one rendering of problems stays bounded: a few per field, a few in all, every field named.
import { describe, expect, it } from "vitest";
import { PLAN_KEYS } from "../../src/domain/pair.ts";
import { describeProblems, type Field, type Problem, summarizeProblems } from "../../src/domain/problem.ts";

const problem = (field: Field, n: number, size = 20): Problem => ({
  field,
  rule: "some-rule",
  message: `problem ${n} ${"x".repeat(size)}`,
  example: `${field}=fixed`,
});
const many = (field: Field, count: number, size?: number) =>
  Array.from({ length: count }, (_, i) => problem(field, i + 1, size));

describe("summarizeProblems", () => {
  it("keeps the first three of each field and counts the rest", () => {
    expect(
      summarizeProblems([...many("share", 5), ...many("dirs", 2)]).map((g) => [
        g.field,
        g.shown.length,
        g.more,
      ]),
    ).toEqual([
      ["share", 3, 2],
      ["dirs", 2, 0],
    ]);
  });

  it("names every field even when the total budget is spent", () => {
    const fields: Field[] = ["command", ...PLAN_KEYS];
    const groups = summarizeProblems(fields.flatMap((f) => many(f, 4)));
    expect(groups.map((g) => g.field)).toEqual(fields);
    expect(groups.reduce((sum, g) => sum + g.shown.length, 0)).toBe(12);
    expect(groups.at(-1)).toMatchObject({ shown: [], more: 4 });
  });
});

describe("describeProblems", () => {
  it("gives the true count, a few problems and how many more, and cuts a runaway sentence", () => {
    const text = describeProblems([...many("share", 10_000), problem("dirs", 1, 50_000)]);
    expect(text.split("\n")[0]).toBe("momlink refused the plan (10001 problems):");
    expect(text).toContain("- share: …and 9997 more problems like these.");
    expect(text).toContain("… (shortened) [some-rule]");
    expect(text.length).toBeLessThan(2000);
  });
});
