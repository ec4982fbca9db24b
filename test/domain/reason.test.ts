import { describe, expect, it } from "vitest";
import { checkReason, MAX_REASON_CHARACTERS } from "../../src/domain/reason.ts";

describe("checkReason", () => {
  // text → the reason as kept
  const accepted: [string, string, string][] = [
    ["plain words", "wrong share", "wrong share"],
    ["surrounding spaces trimmed", "  wrong share \n", "wrong share"],
    ["invisible characters at the ends trimmed", "\u200bwrong share\ufeff", "wrong share"],
    ["inner invisible characters kept (they may join an emoji)", "no 👩\u200d💻", "no 👩\u200d💻"],
    ["one visible character", "x", "x"],
    ["markup kept as typed (the renderer escapes it)", "<test> & not prod", "<test> & not prod"],
    ["exactly the limit", "a".repeat(MAX_REASON_CHARACTERS), "a".repeat(MAX_REASON_CHARACTERS)],
    ["the limit in astral characters (1000 UTF-16 units)", "🚫".repeat(500), "🚫".repeat(500)],
  ];
  it.each(accepted)("accepts %s", (_name, text, kept) => {
    expect(checkReason(text)).toEqual({ ok: true, reason: kept });
  });

  // text → a fragment of the problem
  const refused: [string, string, string][] = [
    ["empty", "", "blank"],
    ["spaces and line breaks", "  \n\t ", "blank"],
    ["a lone zero-width space", "\u200b", "blank"],
    [
      "word joiner, BOM, soft hyphen, no-break and ideographic spaces",
      "\u2060\ufeff\u00ad\u00a0\u3000",
      "blank",
    ],
    [
      "one character over",
      "a".repeat(MAX_REASON_CHARACTERS + 1),
      "at most 500 characters (this one has 501)",
    ],
    ["200 kB", "x".repeat(200_000), "this one has 200000"],
  ];
  it.each(refused)("refuses %s", (_name, text, fragment) => {
    const result = checkReason(text);
    if (result.ok) expect.fail(`accepted ${JSON.stringify(result.reason.slice(0, 20))}`);
    expect(result.problem).toContain(fragment);
  });
});
