// The column decoders every table reader shares: a column of the wrong type or an unknown value
// is an altered database, named by column and by what it held, never cast.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { int, intOrNull, json, jsonObject, oneOf, text, textOrNull } from "../../src/store/rows.ts";

const STATES = ["queued", "leased"] as const;
const shape = z.object({ ok: z.boolean() }).strict();

describe("row decoders", () => {
  it.each([
    ["text", () => text({ c: "x" }, "c"), "x"],
    ["text or null", () => textOrNull({ c: null }, "c"), null],
    ["integer", () => int({ c: 3 }, "c"), 3],
    ["integer or null", () => intOrNull({ c: null }, "c"), null],
    ["one of a closed set", () => oneOf({ c: "leased" }, "c", STATES), "leased"],
    ["JSON of a shape", () => json({ c: '{"ok":true}' }, "c", (v) => shape.safeParse(v)), { ok: true }],
    ["a JSON object", () => jsonObject({ c: '{"a":[1]}' }, "c"), { a: [1] }],
  ])("reads %s", (_what, read, expected) => {
    expect(read()).toEqual(expected);
  });

  it.each([
    ["text holding a number", () => text({ state: 7 }, "state"), "column state holds number, expected text"],
    ["a missing column", () => text({}, "state"), "column state holds undefined, expected text"],
    [
      "an integer holding text",
      () => int({ seq: "1" }, "seq"),
      'column seq holds the text "1", expected an integer',
    ],
    [
      "an integer holding a fraction",
      () => int({ seq: 1.5 }, "seq"),
      "column seq holds number, expected an integer",
    ],
    [
      "an unknown state",
      () => oneOf({ state: "running" }, "state", STATES),
      'column state holds the text "running", expected one of queued, leased',
    ],
    [
      "text that is not JSON",
      () => json({ r: "{" }, "r", (v) => shape.safeParse(v)),
      'column r holds the text "{", expected JSON',
    ],
    [
      "JSON of the wrong shape",
      () => json({ r: '{"ok":"yes"}' }, "r", (v) => shape.safeParse(v)),
      "column r holds JSON of the wrong shape",
    ],
    ["an array for an object", () => jsonObject({ p: "[]" }, "p"), "column p holds JSON of the wrong shape"],
  ])("refuses %s and names the column", (_what, read, message) => {
    expect(read).toThrow(`database ${message}`);
  });
});
