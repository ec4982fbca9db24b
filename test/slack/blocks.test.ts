// The layout rules Slack enforces, checked over the space of scripts: split, never cut.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeBlocks } from "../../src/slack/blocks.ts";
import { escapeMrkdwn } from "../../src/slack/mrkdwn.ts";
import { decisionBlockId, hashFromDecisionBlockId } from "../../src/slack/plan-buttons.ts";

type Section = { type: "section"; text: { text: string } };
type Rich = { type: "rich_text"; elements: Array<{ type: string; elements: Array<{ text: string }> }> };

/** What a reader copies out of the blocks, in order. */
function copied(blocks: ReturnType<typeof codeBlocks>, title: string | undefined): string {
  return blocks
    .map((b, i) => {
      if (b.type === "rich_text") {
        const pre = (b as Rich).elements.find((e) => e.type === "rich_text_preformatted");
        return pre?.elements[0]?.text ?? "";
      }
      let text = (b as Section).text.text;
      if (i === 0 && title !== undefined) text = text.slice(title.length + 1);
      const code = /^```\n([\s\S]*)\n```$/.exec(text)?.[1] ?? "<not a code block>";
      return code.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
    })
    .join("\n");
}

// Lines up to what escaping can make of 580 characters (2900, under a section's 3000); a
// backtick is rare: a run of three is a code fence, shown as rich text instead.
const line = fc.string({
  unit: fc.oneof(
    { arbitrary: fc.constantFrom("a", "b", " ", "\\", "&", "<", ">", '"', "é"), weight: 200 },
    { arbitrary: fc.constant("`"), weight: 1 },
  ),
  maxLength: 580,
  size: "max",
});
const script = fc.array(line, { minLength: 1, maxLength: 60, size: "max" }).map((lines) => lines.join("\n"));

describe("codeBlocks", () => {
  it("keeps every section within 3000 characters and loses nothing, for any script", () => {
    fc.assert(
      fc.property(
        script,
        fc.option(fc.constantFrom("*Apply on mom-a* (primary)"), { nil: undefined }),
        (text, title) => {
          const blocks = codeBlocks(text, title);
          for (const b of blocks)
            if (b.type === "section") expect((b as Section).text.text.length).toBeLessThanOrEqual(3000);
          expect(copied(blocks, title)).toBe(text);
        },
      ),
    );
  });

  it("splits only between lines when every line fits", () => {
    const lines = Array.from({ length: 200 }, (_, i) => `mklink /D "dir${i}" "\\\\san\\share\\dir${i}"`);
    const blocks = codeBlocks(lines.join("\n"));
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks) {
      const code = /^```\n([\s\S]*)\n```$/.exec((b as Section).text.text)?.[1] ?? "";
      for (const l of code.split("\n")) expect(lines).toContain(l);
    }
  });

  it("wraps a line too long for any section rather than cut it (never the case for a validated plan)", () => {
    const long = `robocopy ${"&".repeat(1000)}`;
    const blocks = codeBlocks(long);
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks) expect((b as Section).text.text.length).toBeLessThanOrEqual(3000);
    expect(copied(blocks, undefined).replaceAll("\n", "")).toBe(long);
  });

  it("escapes what Slack's mrkdwn would read as markup", () => {
    const [block] = codeBlocks("REM verify config -> \\\\san\\share & <x>");
    expect((block as Section).text.text).toBe(
      `\`\`\`\n${escapeMrkdwn("REM verify config -> \\\\san\\share & <x>")}\n\`\`\``,
    );
  });
});

describe("the decision block id", () => {
  it.each([
    ["momlink_decide:abc123", "abc123"],
    ["momlink_decide:", undefined],
    ["other_block", undefined],
    [undefined, undefined],
  ])("%s carries the hash %s", (blockId, hash) => {
    expect(hashFromDecisionBlockId(blockId)).toBe(hash);
  });

  it("round-trips a sha256 within Slack's 255-character block id", () => {
    const id = decisionBlockId("f".repeat(64));
    expect(id.length).toBeLessThanOrEqual(255);
    expect(hashFromDecisionBlockId(id)).toBe("f".repeat(64));
  });
});
