// Java `.properties` files as bytes in, bytes out: read the current values of some keys, and set
// keys while every line momlink does not set stays byte-identical. Built for the one shared
// `config/IntroscopeEnterpriseManager.properties` of a MOM pair, which both EMs read with
// `java.util.Properties.load(InputStream)`: ISO-8859-1, `\uXXXX` escapes, `=`/`:`/whitespace
// separators, `\` continuations, `#`/`!` comments, last duplicate wins.
//
// What it must keep true:
// - It reads a file exactly as `Properties.load` does (checked against the real JVM in
//   test/domain/java-properties.java.test.ts): same keys, same values, same "last one wins".
// - A set touches only the logical lines of the keys it sets (all their occurrences: a stale
//   duplicate would mislead the next reader, and Java would take the last one anyway). Each
//   rewritten line keeps its indentation, key spelling, separator and its own line ending; a
//   continued value becomes one line. A missing key is added after its commented-out example
//   (`#key=...`) when the file has one, else at the end, with the file's dominant line ending.
// - What it writes is ASCII (everything outside printable ASCII as `\uXXXX`, like
//   `Properties.store`), so the file stays valid ISO-8859-1 whatever a value holds.
// - It refuses what it cannot edit without guessing, with a reason and a fix: a byte order mark,
//   bytes that are not ISO-8859-1 text (control bytes, C1 bytes from UTF-8 or Windows-1252),
//   a malformed `\uXXXX` (Java itself refuses to load such a file), an oversized file.
// - Pure: no I/O. The runner reads and writes the file (backup first); this only computes bytes.
//
// Use: `readProperties(bytes, keys)` for pre-flight (current values, duplicates, warnings) and
// `setProperties(bytes, [{ key, value }])` for the step (new bytes plus what changed per key).

import { byteProblem, latin1Decode, latin1Encode, utf8Warnings } from "./java-properties-bytes.ts";
import {
  dominant,
  escapeKey,
  escapeValue,
  type LineEnding,
  type Logical,
  loadConvert,
  logicalAt,
  type PhysicalLine,
  type PropertiesProblem,
  type PropertiesResult,
  physicalLines,
  splitKeyValue,
} from "./java-properties-syntax.ts";

export { MAX_PROPERTIES_BYTES } from "./java-properties-bytes.ts";
export {
  escapeKey,
  escapeValue,
  type LineEnding,
  type PropertiesProblem,
  type PropertiesResult,
} from "./java-properties-syntax.ts";

/** One key/value pair as `Properties.load` sees it, with where it sits in the file. */
export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based number of the entry's first physical line. */
  line: number;
  /** Physical lines the entry spans (more than 1 with `\` continuations). */
  lineCount: number;
}

export interface PropertiesDocument {
  /** Every entry in file order, duplicates included. */
  entries: PropertyEntry[];
  /** How many lines end in each way (a file may mix them; each line keeps its own). */
  endings: { lf: number; crlf: number; cr: number };
  /** The most common line ending, or null when no line has one. */
  dominantEnding: LineEnding | null;
  finalNewline: boolean;
  /** Things a preview should show but that do not stop an edit (bytes that look like UTF-8...). */
  warnings: string[];
}

export interface KeyReading {
  key: string;
  /** The value Java uses (the last occurrence), or null when the key is absent. */
  value: string | null;
  /** Every occurrence in file order; more than one means Java silently ignores the earlier ones. */
  occurrences: { line: number; value: string }[];
}

export interface PropertiesReading {
  keys: KeyReading[];
  warnings: string[];
}

export interface PropertyAssignment {
  key: string;
  value: string;
}

export interface PropertyChange {
  key: string;
  /** The value Java used before (last occurrence), or null when the key was absent. */
  before: string | null;
  after: string;
  /** unchanged: every occurrence already had the value, and the bytes were left alone. */
  action: "updated" | "added" | "unchanged";
  /** 1-based lines of the key in the new file. */
  lines: number[];
}

export interface PropertiesEdit {
  bytes: Uint8Array;
  changes: PropertyChange[];
}

export interface SetOptions {
  /** Ending for an added line when the file has none to copy (empty or one-line file). Default LF. */
  defaultEnding?: LineEnding;
}

interface Parsed {
  text: string;
  lines: PhysicalLine[];
  logicals: Logical[];
  document: PropertiesDocument;
}

export function parseProperties(bytes: Uint8Array): PropertiesResult<PropertiesDocument> {
  const parsed = parse(bytes);
  return parsed.ok ? { ok: true, value: parsed.value.document } : parsed;
}

export function readProperties(
  bytes: Uint8Array,
  keys: readonly string[],
): PropertiesResult<PropertiesReading> {
  const parsed = parseProperties(bytes);
  if (!parsed.ok) return parsed;
  const { entries, warnings } = parsed.value;
  return {
    ok: true,
    value: {
      keys: keys.map((key) => {
        const occurrences = entries
          .filter((e) => e.key === key)
          .map((e) => ({ line: e.line, value: e.value }));
        return { key, value: occurrences.at(-1)?.value ?? null, occurrences };
      }),
      warnings,
    },
  };
}

export function setProperties(
  bytes: Uint8Array,
  assignments: readonly PropertyAssignment[],
  options: SetOptions = {},
): PropertiesResult<PropertiesEdit> {
  const invalid = assignmentProblem(assignments);
  if (invalid) return { ok: false, problem: invalid };
  const result = parse(bytes);
  if (!result.ok) return result;
  const parsed = result.value;
  const wanted = new Map(assignments.map((a) => [a.key, a.value]));
  const ending = parsed.document.dominantEnding ?? options.defaultEnding ?? "\n";

  // Replacement text per physical line index ("" drops a continuation line), and lines to insert
  // before a physical line index (lines.length: at the end of the file).
  const replaced = new Map<number, string>();
  const inserted = new Map<number, string[]>();
  for (const logical of parsed.logicals) {
    if (logical.kind !== "property") continue;
    const value = wanted.get(logical.key);
    if (value === undefined || logical.value === value) continue;
    const prefix = logical.rawPrefix ?? `${escapeKey(logical.key)}=`;
    const lastLine = parsed.lines[logical.last];
    replaced.set(logical.first, `${prefix}${escapeValue(value)}${lastLine?.ending ?? ""}`);
    for (let i = logical.first + 1; i <= logical.last; i += 1) replaced.set(i, "");
  }
  // At the end means before a last value whose final `\` has nothing left to continue into:
  // a line added after it would become part of that value.
  const last = parsed.logicals.at(-1);
  const end =
    last?.kind === "property" && last.dangling && !replaced.has(last.first)
      ? last.first
      : parsed.lines.length;
  for (const { key, value } of assignments) {
    if (parsed.document.entries.some((e) => e.key === key)) continue;
    const example = commentedExample(parsed, key);
    const at = example === null ? end : example + 1;
    const list = inserted.get(at) ?? [];
    list.push(`${escapeKey(key)}=${escapeValue(value)}`);
    inserted.set(at, list);
  }

  const text = assemble(parsed, replaced, inserted, ending);
  const output = latin1Encode(text);
  return verify(parsed, output, assignments);
}

// ---------------------------------------------------------------------------------------------
// Reading

function parse(bytes: Uint8Array): PropertiesResult<Parsed> {
  const refused = byteProblem(bytes);
  if (refused) return { ok: false, problem: refused };
  const text = latin1Decode(bytes);
  const lines = physicalLines(text);
  const logicals: Logical[] = [];
  for (let i = 0; i < lines.length; ) {
    const logical = logicalAt(text, lines, i);
    if ("problem" in logical) return { ok: false, problem: logical.problem };
    logicals.push(logical);
    i = logical.last + 1;
  }
  const endings = { lf: 0, crlf: 0, cr: 0 };
  for (const line of lines) {
    if (line.ending === "\n") endings.lf += 1;
    else if (line.ending === "\r\n") endings.crlf += 1;
    else if (line.ending === "\r") endings.cr += 1;
  }
  const entries: PropertyEntry[] = [];
  for (const l of logicals) {
    if (l.kind === "property") {
      entries.push({ key: l.key, value: l.value, line: l.first + 1, lineCount: l.last - l.first + 1 });
    }
  }
  const document: PropertiesDocument = {
    entries,
    endings,
    dominantEnding: dominant(lines),
    finalNewline: lines.length > 0 && lines[lines.length - 1]?.ending !== "",
    warnings: utf8Warnings(bytes, lines),
  };
  return { ok: true, value: { text, lines, logicals, document } };
}

// ---------------------------------------------------------------------------------------------
// Writing

function assignmentProblem(assignments: readonly PropertyAssignment[]): PropertiesProblem | null {
  const seen = new Set<string>();
  for (const { key } of assignments) {
    if (key === "") {
      return { rule: "empty-key", message: "an assignment has an empty key", fix: "name the key to set" };
    }
    if (seen.has(key)) {
      return {
        rule: "repeated-assignment",
        message: `${key} is assigned twice in one edit`,
        fix: "assign each key once",
      };
    }
    seen.add(key);
  }
  return null;
}

/** The last comment line that is a commented-out `key=...` for `key`: the natural place to add it after. */
function commentedExample(parsed: Parsed, key: string): number | null {
  let found: number | null = null;
  for (const logical of parsed.logicals) {
    if (logical.kind !== "comment") continue;
    const line = parsed.lines[logical.first] as PhysicalLine;
    const body = parsed.text.slice(line.start, line.end).replace(/^[ \t\f]*[#!]+[ \t\f]*/, "");
    const { keyEnd } = splitKeyValue(body);
    if (keyEnd > 0 && loadConvert(body.slice(0, keyEnd), 0) === key) found = logical.first;
  }
  return found;
}

function assemble(
  parsed: Parsed,
  replaced: Map<number, string>,
  inserted: Map<number, string[]>,
  ending: LineEnding,
): string {
  let out = "";
  // Added lines go where they were placed. At the end of a file whose last line has no newline,
  // that line gets one and the added lines go without one: the file keeps ending as it did. A CR
  // ending right before a line that starts with LF (an empty LF line) would merge with it into
  // one CRLF ending and swallow that line: the last added line then ends with CRLF.
  const add = (lines: string[] | undefined, before: string) => {
    if (lines === undefined) return;
    const last = ending === "\r" && before.startsWith("\n") ? "\r\n" : ending;
    if (out === "" || /[\r\n]$/.test(out)) {
      out += lines.map((line, i) => line + (i === lines.length - 1 ? last : ending)).join("");
    } else out += ending + lines.join(ending);
  };
  parsed.lines.forEach((line, i) => {
    const text = replaced.get(i) ?? parsed.text.slice(line.start, line.end) + line.ending;
    add(inserted.get(i), text);
    out += text;
  });
  add(inserted.get(parsed.lines.length), "");
  return out;
}

/** Re-reads the new bytes: the set keys hold their values, every other entry is as it was. */
function verify(
  parsed: Parsed,
  output: Uint8Array,
  assignments: readonly PropertyAssignment[],
): PropertiesResult<PropertiesEdit> {
  const reread = parseProperties(output);
  const wanted = new Map(assignments.map((a) => [a.key, a.value]));
  const others = (entries: PropertyEntry[]) =>
    entries
      .filter((e) => !wanted.has(e.key))
      .map((e) => `${e.key}\u0000${e.value}`)
      .join("\u0001");
  const failed = (message: string): PropertiesResult<PropertiesEdit> => ({
    ok: false,
    problem: {
      rule: "verification-failed",
      message: `momlink's edit did not read back as intended (${message}); nothing was written`,
      fix: "report this as a momlink bug with the file attached, and set the properties by hand",
    },
  });
  if (!reread.ok) return failed(reread.problem.message);
  if (others(reread.value.entries) !== others(parsed.document.entries)) return failed("other keys changed");
  const changes: PropertyChange[] = [];
  for (const { key, value } of assignments) {
    const before = parsed.document.entries.filter((e) => e.key === key);
    const after = reread.value.entries.filter((e) => e.key === key);
    if (after.length === 0 || after.some((e) => e.value !== value))
      return failed(`${key} does not read ${value}`);
    changes.push({
      key,
      before: before.at(-1)?.value ?? null,
      after: value,
      action:
        before.length === 0 ? "added" : before.every((e) => e.value === value) ? "unchanged" : "updated",
      lines: after.map((e) => e.line),
    });
  }
  return { ok: true, value: { bytes: output, changes } };
}
