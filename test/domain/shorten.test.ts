// One way to cut text and to show a hash short, for every message.
import { describe, expect, it } from "vitest";
import { clip, shortHash } from "../../src/domain/shorten.ts";

describe("clip", () => {
  const rows: [string, number, string][] = [
    ["short", 10, "short"],
    ["exactly10!", 10, "exactly10!"],
    ["eleven char", 10, "eleven ch…"],
    ["  kept as given  ", 5, "  ke…"],
  ];
  it.each(rows)("%j within %i is %j", (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(max);
  });
});

describe("shortHash", () => {
  it("shows 12 characters in messages, fewer when asked", () => {
    const hash = "0123456789abcdef".repeat(4);
    expect(shortHash(hash)).toBe("0123456789ab");
    expect(shortHash(hash, 8)).toBe("01234567");
  });
});
