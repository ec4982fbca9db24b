import { describe, expect, it } from "vitest";
import { compileTicketPattern, exampleMatching, validateTicket } from "../../src/domain/ticket.ts";

const pattern = (source: string) => {
  const compiled = compileTicketPattern(source, "MOMLINK_TICKET_PATTERN");
  if (!compiled.ok) throw new Error(compiled.reason);
  return compiled.pattern;
};

describe("exampleMatching: a ticket the refusal can show", () => {
  it.each([
    ["^CHG[0-9]{7}$", "CHG0000000"],
    ["CHG\\d{7}", "CHG0000000"],
    ["(CHG|INC)-[1-9][0-9]*", "CHG-1"],
    ["(?:OPS/)?\\d{4}/\\d+", "0000/0"],
    ["[A-Z]{2,4}-\\d{1,6}", "AA-0"],
    ["JIRA-\\d+|CHG\\d{7}", "JIRA-0"],
  ])("%s → %s", (source, example) => {
    expect(exampleMatching(source)).toBe(example);
    expect(pattern(source).regex.test(example)).toBe(true);
  });

  it.each([
    ["a look-ahead", "(?=CHG)\\w+"],
    ["a back-reference", "(a)\\1"],
    ["a negated class", "[^ ]+"],
  ])("gives none for %s, and the refusal still names the pattern", (_, source) => {
    expect(pattern(source).example).toBeUndefined();
    const [problem] = validateTicket(undefined, pattern(source));
    expect(problem?.message).toContain(source);
    expect(problem?.example).toBe("ticket=<a ticket matching the pattern>");
  });
});

describe("validateTicket", () => {
  it("is optional without a pattern, and takes an id", () => {
    expect(validateTicket(undefined, undefined)).toEqual([]);
    expect(validateTicket("INC#3", undefined)).toEqual([]);
    expect(validateTicket("OPS/2025/7", undefined)).toEqual([]);
  });

  it.each([
    ["words", "fix the pair"],
    ["a leading dash", "-CHG1"],
    ["65 characters", "C".repeat(65)],
    ["a shell character", "CHG1;reboot"],
  ])("refuses %s as not a ticket id", (_, value) => {
    expect(validateTicket(value, undefined)).toMatchObject([{ field: "ticket", rule: "ticket-shape" }]);
  });

  it("is required with a pattern: the refusal names the pattern, its variable and a ticket that matches", () => {
    expect(validateTicket(undefined, pattern("^CHG[0-9]{7}$"))).toEqual([
      {
        field: "ticket",
        rule: "ticket-required",
        message:
          "ticket= is required: every change names its change ticket here. MOMLINK_TICKET_PATTERN asks for tickets matching ^CHG[0-9]{7}$.",
        example: "ticket=CHG0000000",
      },
    ]);
  });

  it("matches the whole ticket, not a part of it", () => {
    const chg = pattern("CHG[0-9]{7}");
    expect(validateTicket("CHG0012345", chg)).toEqual([]);
    expect(validateTicket("XCHG00123456", chg)).toMatchObject([
      { rule: "ticket-pattern", example: "ticket=CHG0000000" },
    ]);
  });

  it("refuses an expression that does not compile, saying why", () => {
    expect(compileTicketPattern("CHG[0-9", "MOMLINK_TICKET_PATTERN")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("is not a regular expression"),
    });
  });
});
