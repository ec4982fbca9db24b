import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type LineEnding,
  type PropertyAssignment,
  parseProperties,
  readProperties,
  setProperties,
} from "../../src/domain/java-properties.ts";
import {
  assignments,
  fixture,
  latin1,
  physicalLines,
  propertiesFile,
  text,
  untouchedLines,
} from "./java-properties-support.ts";

const raw = String.raw;
/** A line ending in LF (for `raw` lines, where `\n` would stay two characters). */
const lf = (line: string) => `${line}\n`;
const P = "introscope.enterprisemanager.failover.";
const FAILOVER: PropertyAssignment[] = [
  { key: `${P}enable`, value: "true" },
  { key: `${P}primary`, value: "mom-a" },
  { key: `${P}secondary`, value: "mom-b" },
];

function set(bytes: Uint8Array, list: PropertyAssignment[], defaultEnding?: LineEnding) {
  const result = setProperties(bytes, list, defaultEnding ? { defaultEnding } : {});
  if (!result.ok) throw new Error(`refused: ${result.problem.rule} ${result.problem.message}`);
  return result.value;
}

/**
 * The lines of `after` that are not byte-identical lines of `before`, in order (an unterminated
 * last line of `before` that only gained a line ending does not count as new).
 */
function newLines(before: Uint8Array, after: Uint8Array): string[] {
  const lines = physicalLines(before);
  const last = lines.at(-1) ?? "";
  const old = new Set([...lines, ...["\n", "\r\n", "\r"].map((ending) => last + ending)]);
  return physicalLines(after).filter((line) => !old.has(line));
}

describe("setProperties over real-world-looking EM files", () => {
  // fixture, what to set, the exact lines that are new in the result (endings shown), actions.
  const table: [string, string, PropertyAssignment[], string[], string[]][] = [
    [
      "Linux install: a false flag, a primary continued over two lines, a secondary only commented out",
      "em-linux-lf.properties",
      FAILOVER,
      [`${P}enable=true\n`, `${P}primary=mom-a\n`, `${P}secondary=mom-b\n`],
      ["updated", "updated", "added"],
    ],
    [
      "Windows install (CRLF): the rewritten lines keep CRLF, a value already right is left alone",
      "em-windows-crlf.properties",
      FAILOVER,
      [`${P}primary=mom-a\r\n`, `${P}secondary=mom-b\r\n`],
      ["unchanged", "updated", "updated"],
    ],
    [
      "mixed endings: each line keeps its own, the added key takes the dominant CRLF, no final newline stays so",
      "mixed-endings.properties",
      FAILOVER,
      [`${P}enable=true\r\n`, `${P}primary=mom-a\n`, `${P}secondary=mom-b`],
      ["updated", "updated", "added"],
    ],
    [
      "ISO-8859-1 with escapes: raw Latin-1 comments untouched, new text escaped like Properties.store",
      "latin1-escapes.properties",
      [
        { key: `${P}primary`, value: "mom-b" },
        { key: "introscope.enterprisemanager.customer.name", value: "Crédit Agricole – APM" },
        { key: "my key:with=escapes", value: "x" },
      ],
      [
        lf(raw`introscope.enterprisemanager.customer.name=Cr\u00E9dit Agricole \u2013 APM`),
        lf(raw`my\ key\:with\=escapes = x`),
        `${P}primary=mom-b\n`,
      ],
      ["updated", "updated", "updated"],
    ],
    [
      "a duplicated key: every occurrence is set, so no stale copy is left to mislead",
      "duplicated-key.properties",
      [{ key: `${P}primary`, value: "mom-a" }],
      [`${P}primary=mom-a\n`, `${P}primary=mom-a\n`],
      ["updated"],
    ],
    [
      "whitespace and colon separators, indentation, a key with no value, a value continued on the next line",
      "separators.properties",
      [
        { key: `${P}enable`, value: "false" },
        { key: `${P}primary`, value: "mom-a" },
        { key: `${P}secondary`, value: "mom-b" },
        { key: `${P}interval`, value: "60" },
        { key: "introscope.enterprisemanager.port.channel1", value: "5002" },
      ],
      [
        `${P}enable false\n`,
        `${P}primary   :   mom-a\n`,
        `    ${P}secondary\tmom-b\n`,
        `${P}interval=60\n`,
        "introscope.enterprisemanager.port.channel1=5002\n",
      ],
      ["updated", "updated", "updated", "updated", "updated"],
    ],
  ];

  it.each(table)("%s", (_, name, list, expectedNew, actions) => {
    const before = fixture(name);
    const edit = set(before, list);
    expect(newLines(before, edit.bytes)).toEqual(expectedNew);
    expect(edit.changes.map((c) => c.action)).toEqual(actions);
    // Every line that is not a set key's is byte-identical, in the same order.
    const keys = new Set(list.map((a) => a.key));
    expect(untouchedLines(edit.bytes, keys).map(stripLastEnding)).toEqual(
      untouchedLines(before, keys).map(stripLastEnding),
    );
    // And the file reads back with exactly the values set.
    const reread = readProperties(
      edit.bytes,
      list.map((a) => a.key),
    );
    expect(reread.ok && reread.value.keys.map((k) => k.value)).toEqual(list.map((a) => a.value));
  });

  it("adds a missing key right after its commented-out example, keeping the comment", () => {
    const edit = set(fixture("em-linux-lf.properties"), [{ key: `${P}secondary`, value: "mom-b" }]);
    expect(text(edit.bytes)).toContain(`#${P}secondary=\n${P}secondary=mom-b\n\n# Seconds between`);
    expect(edit.changes[0]?.lines).toEqual([33]);
  });

  it("writes nothing new when every value is already right: the bytes are identical", () => {
    const before = fixture("em-windows-crlf.properties");
    const edit = set(before, [
      { key: `${P}enable`, value: "true" },
      { key: `${P}primary`, value: "mom-x" },
    ]);
    expect(Buffer.from(edit.bytes).equals(Buffer.from(before))).toBe(true);
    expect(edit.changes.map((c) => c.action)).toEqual(["unchanged", "unchanged"]);
  });

  it("is idempotent: setting the same values twice gives the same bytes as once", () => {
    const once = set(fixture("mixed-endings.properties"), FAILOVER).bytes;
    expect(text(set(once, FAILOVER).bytes)).toBe(text(once));
  });
});

describe("setProperties on the edges of a file", () => {
  const table: [string, string, PropertyAssignment[], string, LineEnding?][] = [
    ["an empty file gets the key and a newline", "", [{ key: "a", value: "1" }], "a=1\n"],
    ["an empty file for a Windows host gets CRLF", "", [{ key: "a", value: "1" }], "a=1\r\n", "\r\n"],
    ["a one-line file with no newline keeps having none", "a=1", [{ key: "b", value: "2" }], "a=1\nb=2"],
    ["the value of a lone unterminated line is replaced in place", "a=1", [{ key: "a", value: "5" }], "a=5"],
    [
      "a file of comments only gets the key at the end",
      "# only\r\n# comments\r\n",
      [{ key: "k", value: "v" }],
      "# only\r\n# comments\r\nk=v\r\n",
    ],
    [
      "a continued value at the end of the file becomes one line",
      "a=1,\\\n  2,\\\n  3",
      [{ key: "a", value: "9" }],
      "a=9",
    ],
    [
      "a key with a trailing backslash at end of file (Java drops it)",
      "a=x\\",
      [{ key: "a", value: "y" }],
      "a=y",
    ],
    [
      "a key added to a file ending in a dangling `\\` goes before that value",
      "z=1\na=x\\\n",
      [{ key: "k", value: "v" }],
      "z=1\nk=v\na=x\\\n",
    ],
    [
      "values are escaped the way Properties.store writes them",
      "k=old\n",
      [{ key: "k", value: " lead, tab\t, =:#! \\ é€😀" }],
      lf(raw`k=\ lead, tab\t, \=\:\#\! \\ \u00E9\u20AC\uD83D\uDE00`),
    ],
    [
      "a key with spaces and separators is written escaped",
      "",
      [{ key: "my key=x:y", value: "v" }],
      lf(raw`my\ key\=x\:y=v`),
    ],
    [
      "a CR-ended line added before an empty LF line does not merge with it into one CRLF line",
      "x=1\ry=2\r#k=example\r\n\nz=3\r",
      [{ key: "k", value: "v" }],
      "x=1\ry=2\r#k=example\r\nk=v\r\n\nz=3\r",
    ],
    [
      "a commented example with `!` is an anchor too",
      "! k=example\r\nz=1\r\n",
      [{ key: "k", value: "v" }],
      "! k=example\r\nk=v\r\nz=1\r\n",
    ],
  ];

  it.each(table)("%s", (_, before, list, after, ending) => {
    expect(text(set(latin1(before), list, ending).bytes)).toBe(after);
  });
});

describe("readProperties", () => {
  it("reads the values Java uses and reports every occurrence of a duplicated key", () => {
    const reading = readProperties(fixture("duplicated-key.properties"), [
      `${P}primary`,
      `${P}secondary`,
      `${P}interval`,
    ]);
    expect(reading.ok && reading.value.keys).toEqual([
      {
        key: `${P}primary`,
        value: "mom-z",
        occurrences: [
          { line: 3, value: "mom-x" },
          { line: 10, value: "mom-z" },
        ],
      },
      { key: `${P}secondary`, value: "mom-y", occurrences: [{ line: 4, value: "mom-y" }] },
      { key: `${P}interval`, value: null, occurrences: [] },
    ]);
  });

  // Text → the (key, value) pairs in file order, as Java's Properties.load reads them.
  const table: [string, string, [string, string][]][] = [
    [
      "the three separators",
      "a=1\nb:2\nc 3\n",
      [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ],
    ],
    [
      "whitespace around separators, and a second separator kept in the value",
      "a  =  =1\nb : :2",
      [
        ["a", "=1"],
        ["b", ":2"],
      ],
    ],
    ["trailing whitespace belongs to the value", "a=1   \n", [["a", "1   "]]],
    ["escapes in keys and values", lf(raw`my\ key\:x\=y = \u00e9\t\\\q`), [["my key:x=y", "é\t\\q"]]],
    ["a continuation skips the next line's indentation", "a=1,\\\n     2\n", [["a", "1,2"]]],
    ["a continued line starting with # is not a comment", "a=1,\\\n#2\n", [["a", "1,#2"]]],
    ["a comment ending in a backslash does not continue", "# c \\\nk=v\n", [["k", "v"]]],
    [
      "an even number of backslashes does not continue",
      "a=x\\\\\nb=y\n",
      [
        ["a", "x\\"],
        ["b", "y"],
      ],
    ],
    [
      "an empty line ends a continuation",
      "a=x\\\n\nb=y\n",
      [
        ["a", "x"],
        ["b", "y"],
      ],
    ],
    [
      "CR alone ends a line, and CRLF inside a continuation",
      "a=1\rb=2,\\\r\n 3\r\n",
      [
        ["a", "1"],
        ["b", "2,3"],
      ],
    ],
    ["a key alone has an empty value", "flag\n", [["flag", ""]]],
    ["! and # comments, indented or not", "!x=1\n  #y=2\n\tz=3\n", [["z", "3"]]],
    ["Latin-1 bytes are characters", "k=caf\u00e9\n", [["k", "café"]]],
  ];

  it.each(table)("%s", (_, input, pairs) => {
    const parsed = parseProperties(latin1(input));
    expect(parsed.ok && parsed.value.entries.map((e) => [e.key, e.value])).toEqual(pairs);
  });

  it("counts line endings and finds the dominant one", () => {
    const parsed = parseProperties(fixture("mixed-endings.properties"));
    expect(
      parsed.ok && [parsed.value.endings, parsed.value.dominantEnding, parsed.value.finalNewline],
    ).toEqual([{ lf: 2, crlf: 3, cr: 0 }, "\r\n", false]);
  });

  it("warns, without refusing, when the non-ASCII bytes look like a UTF-8 editor wrote them", () => {
    const parsed = parseProperties(new Uint8Array(Buffer.from("# ok\nk=caf\u00e9\n", "utf8")));
    expect(parsed.ok && parsed.value.warnings).toEqual([
      "line 2: the bytes C3 A9 read as `Ã©` in ISO-8859-1 (what Java reads) but as `é` in UTF-8: the file may have been saved by a UTF-8 editor",
    ]);
    expect(parseProperties(fixture("latin1-escapes.properties"))).toMatchObject({
      ok: true,
      value: { warnings: [] },
    });
  });
});

describe("refusals, each with the line and a fix", () => {
  const table: [string, Uint8Array, string, number | undefined, RegExp][] = [
    [
      "a UTF-8 byte order mark",
      new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3d, 0x31]),
      "byte-order-mark",
      1,
      /UTF-8 byte order mark/,
    ],
    [
      "UTF-16 with a byte order mark",
      new Uint8Array(Buffer.from("\ufeffa=1", "utf16le")),
      "byte-order-mark",
      1,
      /UTF-16/,
    ],
    [
      "UTF-16 without one (NUL bytes)",
      new Uint8Array(Buffer.from("a=1\n", "utf16le")),
      "control-byte",
      1,
      /NUL/,
    ],
    ["a control byte on line 3", latin1("a=1\nb=2\nc=\u0007\n"), "control-byte", 3, /0x07/],
    [
      "UTF-8 text with a C1 byte (€)",
      new Uint8Array(Buffer.from("a=1\r\n# 5 €\r\n", "utf8")),
      "not-latin1-text",
      2,
      /UTF-8 encoded \(bytes E2 82 AC are `€` in UTF-8\)/,
    ],
    [
      "a Windows-1252 curly quote",
      new Uint8Array([0x23, 0x20, 0x93, 0x71, 0x94, 0x0a]),
      "not-latin1-text",
      1,
      /Windows-1252/,
    ],
    [
      "a malformed \\u escape (Java refuses to load the file)",
      latin1("a=1\nb=\\u12G4\n"),
      "malformed-unicode-escape",
      2,
      /four hex digits/,
    ],
    [
      "a \\u escape cut short at the end of a value",
      latin1("k=\\u12\n"),
      "malformed-unicode-escape",
      1,
      /Malformed/,
    ],
  ];

  it.each(table)("%s", (_, bytes, rule, line, message) => {
    for (const result of [readProperties(bytes, ["a"]), setProperties(bytes, [{ key: "a", value: "2" }])]) {
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect([result.problem.rule, result.problem.line]).toEqual([rule, line]);
      expect(result.problem.message).toMatch(message);
      expect(result.problem.fix).not.toBe("");
    }
  });

  it("refuses an edit that assigns a key twice or an empty key", () => {
    const bytes = latin1("a=1\n");
    const twice = setProperties(bytes, [
      { key: "a", value: "1" },
      { key: "a", value: "2" },
    ]);
    expect(!twice.ok && twice.problem.rule).toBe("repeated-assignment");
    const empty = setProperties(bytes, [{ key: "", value: "2" }]);
    expect(!empty.ok && empty.problem.rule).toBe("empty-key");
  });
});

describe("for any valid file and any assignment", () => {
  it("the set keys read back with their values, every other entry and line stays as it was", () => {
    fc.assert(
      fc.property(propertiesFile, assignments, (before, list) => {
        const original = parseProperties(before);
        if (!original.ok) throw new Error(original.problem.message);
        const edit = set(before, list);
        const after = parseProperties(edit.bytes);
        if (!after.ok) throw new Error(after.problem.message);
        const keys = new Set(list.map((a) => a.key));
        for (const { key, value } of list) {
          const values = after.value.entries.filter((e) => e.key === key).map((e) => e.value);
          expect(values.length).toBeGreaterThan(0);
          expect(values.every((v) => v === value)).toBe(true);
        }
        const others = (entries: { key: string; value: string }[]) =>
          entries.filter((e) => !keys.has(e.key)).map((e) => [e.key, e.value]);
        expect(others(after.value.entries)).toEqual(others(original.value.entries));
        expect(untouchedLines(edit.bytes, keys).map(stripLastEnding)).toEqual(
          untouchedLines(before, keys).map(stripLastEnding),
        );
        // What momlink adds is ASCII (an indentation it keeps may hold a form feed): the file
        // stays ISO-8859-1 text whatever the values hold.
        expect(newLines(before, edit.bytes).every((line) => /^[\t\n\f\r\x20-\x7e]*$/.test(line))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

function stripLastEnding(line: string, index: number, lines: string[]): string {
  return index === lines.length - 1 ? line.replace(/(?:\r\n|\r|\n)$/, "") : line;
}
