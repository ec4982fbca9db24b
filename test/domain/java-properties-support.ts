// Shared by the properties editor's tests: fixture loading, bytes <-> ISO-8859-1 text, the
// physical lines of a file, and a fast-check generator of messy but valid .properties files
// (every separator, escapes, continuations, comments, duplicates, mixed line endings, Latin-1).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseProperties } from "../../src/domain/java-properties.ts";

export const FIXTURES = new URL("../fixtures/properties/", import.meta.url);

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

export const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** Every physical line with its own ending, exactly as in the file. */
export function physicalLines(bytes: Uint8Array): string[] {
  return text(bytes).match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/**
 * The physical lines outside the entries of `keys`, each with its 1-based number removed: what
 * must be byte-identical before and after setting `keys`. The last line is compared without its
 * ending, since appending after a file's unterminated last line must give that line an ending.
 */
export function untouchedLines(bytes: Uint8Array, keys: ReadonlySet<string>): string[] {
  const parsed = parseProperties(bytes);
  if (!parsed.ok) throw new Error(parsed.problem.message);
  const covered = new Set<number>();
  for (const entry of parsed.value.entries) {
    if (!keys.has(entry.key)) continue;
    for (let i = 0; i < entry.lineCount; i += 1) covered.add(entry.line + i);
  }
  return physicalLines(bytes).filter((_, i) => !covered.has(i + 1));
}

const KEYS = [
  "a",
  "b.c",
  "introscope.enterprisemanager.failover.primary",
  String.raw`my\ key`,
  String.raw`x\:y`,
];
const ENDINGS = ["\n", "\r\n", "\r"] as const;

const valueChar = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(..."abcXYZ019-_.,/ ") },
  { weight: 2, arbitrary: fc.constantFrom("=", ":", "#", "!", "\t", "\u00e9", "\u00fc", "\u00df", "\u00a0") },
  {
    weight: 2,
    arbitrary: fc.constantFrom("\\t", "\\n", "\\u00e9", "\\u20AC", "\\\\", "\\=", "\\:", "\\ ", "\\#"),
  },
);
const rawValue = fc.array(valueChar, { maxLength: 12 }).map((cs) => cs.join(""));
const separator = fc.constantFrom("=", ":", " = ", "  :  ", " ", "\t", "=  ", "");
const indentation = fc.constantFrom("", "", "", "  ", "\t", " \f ");

const propertyLines = fc
  .record({
    indent: indentation,
    key: fc.constantFrom(...KEYS),
    sep: separator,
    value: rawValue,
    continuation: fc.option(fc.tuple(indentation, rawValue), { freq: 4 }),
  })
  .map(({ indent, key, sep, value, continuation }) => {
    // A value must not end in a lone backslash by accident (that would continue the line).
    const first = `${indent}${key}${sep === "" && value !== "" ? "=" : sep}${value}`;
    return continuation === null ? [first] : [`${first}\\`, `${continuation[0]}${continuation[1]}`];
  });

const otherLines = fc.oneof(
  fc.constantFrom([""], ["   "], ["\t"]),
  fc.tuple(fc.constantFrom("#", "!", "  #", "#!"), rawValue).map(([d, v]) => [`${d}${v}`]),
  fc.constant(["# a comment line ending in a backslash does not continue \\"]),
  fc.constantFrom(...KEYS).map((k) => [`#${k}=commented example`]),
);

/** A whole file: lines, each with a random ending, and sometimes no newline at the end. */
export const propertiesFile = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: propertyLines }, { weight: 2, arbitrary: otherLines }), {
      maxLength: 14,
    }),
    fc.array(fc.constantFrom(...ENDINGS), { minLength: 40, maxLength: 40 }),
    fc.boolean(),
  )
  .map(([groups, endings, finalNewline]) => {
    const lines = groups.flat();
    const body = lines
      .map((line, i) => line + (i < lines.length - 1 || finalNewline ? (endings[i % 40] ?? "\n") : ""))
      .join("");
    return latin1(body);
  });

/** Keys a test may set: the generator's keys unescaped, and one that is never present. */
export const SETTABLE_KEYS = [
  "a",
  "b.c",
  "introscope.enterprisemanager.failover.primary",
  "my key",
  "x:y",
  "new.key",
];

export const assignments = fc.uniqueArray(
  fc.record({
    key: fc.constantFrom(...SETTABLE_KEYS),
    value: fc.oneof(
      fc.constantFrom("mom-a", "true", "", " leading space", "tab\there", "é€😀", "a=b:c#d!e", "back\\slash"),
      fc.string({ maxLength: 8 }),
    ),
  }),
  { selector: (a) => a.key, maxLength: 4 },
);
