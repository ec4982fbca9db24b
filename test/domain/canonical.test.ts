import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../src/domain/canonical.ts";

describe("canonicalJson", () => {
  it("sorts object keys at every depth, keeps array order and writes no whitespace", () => {
    const value = { b: 1, a: { d: [3, { z: true, y: "two words" }], c: null } };
    expect(canonicalJson(value)).toBe('{"a":{"c":null,"d":[3,{"y":"two words","z":true}]},"b":1}');
  });

  it("writes an absent optional field and one set to undefined the same way", () => {
    expect(canonicalJson({ a: 1, when: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: 1, when: undefined })).toBe('{"a":1}');
  });

  it("escapes strings as JSON does, so quotes and backslashes in paths survive", () => {
    expect(canonicalJson({ path: '\\\\srv\\share\\"x"\n' })).toBe(
      '{"path":"\\\\\\\\srv\\\\share\\\\\\"x\\"\\n"}',
    );
  });

  it("gives the same text whatever order the keys were inserted in, and parses back to the value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalJson(reverseKeys(value))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("accepts the same object referenced twice (not a cycle)", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it.each([
    ["NaN", { n: Number.NaN }, /non-finite number at \$\.n/],
    ["Infinity", { list: [1, Number.POSITIVE_INFINITY] }, /non-finite number at \$\.list\[1\]/],
    ["-Infinity", Number.NEGATIVE_INFINITY, /non-finite/],
    ["a bigint", { n: 1n }, /bigint/],
    ["a function", { f: () => 1 }, /function/],
    ["a symbol", { s: Symbol("s") }, /symbol/],
    ["undefined inside an array", [1, undefined], /undefined array item at \$\[1\]/],
    ["a Date (not a plain object)", { at: new Date(0) }, /not a plain object/],
    ["a Map", new Map(), /not a plain object/],
  ])("refuses %s instead of writing something lossy", (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it("refuses a cycle", () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/cycle at \$\.self/);
  });
});

describe("sha256Hex", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ])("hashes %j to the published SHA-256 test vector", (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
  });

  it("hashes the UTF-8 bytes of the text, so non-ASCII paths hash alike everywhere", () => {
    // sha256 of the bytes c3 a9 (UTF-8 "é"), as printed by sha256sum; Latin-1 e9 gives de2e33...
    expect(sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).reverse();
    return Object.fromEntries(entries.map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}
