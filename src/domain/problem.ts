// Errors are values a user can act on: which field, which rule, what to type instead.
// Domain validation collects every problem instead of throwing at the first one.

import type { PlanKey } from "./pair.ts";

/** A field of the plan grammar (pair.ts PLAN_KEYS), or `command` for problems with the text as a whole. */
export type Field = "command" | PlanKey;

export interface Problem {
  /** The grammar key the problem is about, as the user typed it (`share`, `em-home`, ...). */
  field: Field;
  /** A stable, kebab-case rule id (`unc-drive-letter`, `cmd-metacharacter`, ...). Tests key on it. */
  rule: string;
  /** One sentence for a human: what is wrong, naming the offending character or part, and why. */
  message: string;
  /** A corrected `key=value` token the user could type instead. */
  example: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(problems: Problem[]): Result<T> {
  return { ok: false, problems };
}

/** At most this many problems of one field are listed; the rest are counted ("…and N more"). */
export const PROBLEMS_SHOWN_PER_FIELD = 3;
/** At most this many problems are listed in all; every field with problems is still named. */
export const PROBLEMS_SHOWN = 12;
/** One problem's sentence and example are cut here (a safety net: validators keep them short). */
const MESSAGE_CHARS = 600;
const EXAMPLE_CHARS = 300;

export interface FieldProblems {
  field: Field;
  /** The first problems of the field, in the order found. */
  shown: Problem[];
  /** How many more the field has. */
  more: number;
}

/**
 * Problems grouped by field (in order of first appearance), each group cut to a few, so that a
 * reply stays a few thousand characters whatever the input (20,000 backslashes give 19,999
 * problems; Slack caps a message at 40,000 characters, a modal field's error far lower).
 */
export function summarizeProblems(
  problems: readonly Problem[],
  limits: { perField?: number; total?: number } = {},
): FieldProblems[] {
  const perField = limits.perField ?? PROBLEMS_SHOWN_PER_FIELD;
  let budget = limits.total ?? PROBLEMS_SHOWN;
  const groups = new Map<Field, Problem[]>();
  for (const problem of problems) {
    const group = groups.get(problem.field);
    if (group === undefined) groups.set(problem.field, [problem]);
    else group.push(problem);
  }
  return [...groups].map(([field, all]) => {
    const shown = all.slice(0, Math.max(0, Math.min(perField, budget)));
    budget -= shown.length;
    return { field, shown, more: all.length - shown.length };
  });
}

/** "…and 19996 more problems like these." */
export function moreProblems(count: number): string {
  return `…and ${count} more ${count === 1 ? "problem" : "problems"} like these.`;
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 12).join("")}… (shortened)`;
}

/** A problem's sentence and example, cut to a bounded length (for every surface that shows one). */
export function boundedProblem(problem: Problem): Problem {
  return {
    ...problem,
    message: clip(problem.message, MESSAGE_CHARS),
    example: clip(problem.example, EXAMPLE_CHARS),
  };
}

/**
 * The one plain-text rendering of problems, shared by the CLI (stderr), the Slack ephemeral reply
 * and the console, so every surface explains a refusal in the same words. The count is the true
 * one; the list holds a few problems per field (summarizeProblems).
 */
export function describeProblems(problems: readonly Problem[], subject = "the plan"): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = [`momlink refused ${subject} (${count}):`];
  for (const { field, shown, more } of summarizeProblems(problems)) {
    for (const problem of shown.map(boundedProblem)) {
      lines.push(`- ${problem.field}: ${problem.message} [${problem.rule}]`);
      lines.push(`    try: ${problem.example}`);
    }
    if (more > 0) lines.push(`- ${field}: ${moreProblems(more)}`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Helpers for writing problems a user can act on. Validators quote user text and characters only
// through these, so an invisible or control character never reaches a message raw.

const CHAR_NAMES: Readonly<Record<string, string>> = {
  "U+0000": "NUL",
  "U+0009": "tab",
  "U+000A": "line feed",
  "U+000D": "carriage return",
  "U+001B": "escape",
  "U+0020": "space",
  "U+007F": "delete",
  "U+0085": "next line",
  "U+00A0": "no-break space",
  "U+00AD": "soft hyphen",
  "U+200B": "zero width space",
  "U+200C": "zero width non-joiner",
  "U+200D": "zero width joiner",
  "U+200E": "left-to-right mark",
  "U+200F": "right-to-left mark",
  "U+202E": "right-to-left override",
  "U+2028": "line separator",
  "U+2029": "paragraph separator",
  "U+FEFF": "zero width no-break space",
};

/** The `U+XXXX` notation of a single character. */
export function codePointOf(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** C0 and C1 control characters, DEL included. */
export function isControlChar(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

/**
 * Characters a reader cannot see or cannot tell apart from a plain space: format characters
 * (zero-width, bidi overrides), separators other than U+0020, unassigned and private-use code
 * points, lone surrogates. A path shown for approval must look like what runs.
 */
export function isInvisibleChar(ch: string): boolean {
  return ch !== " " && /^[\p{Cf}\p{Z}\p{Co}\p{Cn}\p{Cs}]$/u.test(ch);
}

/** Typographic quotes: a value that still holds one was pasted or typed with quotes gone astray. */
export function isTypographicQuote(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return (cp >= 0x2018 && cp <= 0x201f) || cp === 0xab || cp === 0xbb || cp === 0x2039 || cp === 0x203a;
}

/** A character for a message: visible ones in backticks, the others by code point and name. */
export function describeChar(ch: string): string {
  if (isControlChar(ch) || isInvisibleChar(ch) || ch === " ") {
    const name = CHAR_NAMES[codePointOf(ch)];
    return name === undefined ? codePointOf(ch) : `${codePointOf(ch)} (${name})`;
  }
  return `\`${ch}\` (${codePointOf(ch)})`;
}

/** User text for a message: in backticks, invisible characters spelled out, long text shortened. */
export function showText(text: string): string {
  let shown = "";
  for (const ch of text) {
    shown += isControlChar(ch) || isInvisibleChar(ch) ? `[${codePointOf(ch)}]` : ch;
  }
  const chars = Array.from(shown);
  if (chars.length > 100) shown = `${chars.slice(0, 60).join("")}…${chars.slice(-30).join("")}`;
  return `\`${shown}\``;
}

/** "at position 3", "at positions 3 and 9", "at positions 3, 9 and 12" (1-based, in characters). */
export function atPositions(positions: readonly number[]): string {
  if (positions.length === 1) return `at position ${positions[0]}`;
  const shown = positions.slice(0, 5);
  const more = positions.length > 5 ? ` and ${positions.length - 5} more` : "";
  if (more !== "") return `at positions ${shown.join(", ")}${more}`;
  return `at positions ${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/**
 * The distinct characters of `text` that match `test`, each with its 1-based positions (counted
 * in characters, not UTF-16 units), in order of first appearance.
 */
export function findChars(
  text: string,
  test: (ch: string) => boolean,
  offset = 0,
): { ch: string; positions: number[] }[] {
  const found = new Map<string, number[]>();
  let pos = offset;
  for (const ch of text) {
    pos += 1;
    if (!test(ch)) continue;
    const list = found.get(ch);
    if (list === undefined) found.set(ch, [pos]);
    else list.push(pos);
  }
  return [...found].map(([ch, positions]) => ({ ch, positions }));
}

/**
 * A `key=value` token the user can type as is: quoted when the value holds whitespace. Single
 * quotes, because they keep backslashes literal in a POSIX shell too (and Slack's curly ‘ ’ are
 * understood by the grammar).
 */
export function exampleToken(key: string, value: string): string {
  return /[\s'"]/u.test(value) ? `${key}=${quotedValue(value)}` : `${key}=${value}`;
}

/**
 * `value` in single quotes, which keep backslashes and every other quote character literal (in
 * the grammar and in a POSIX shell); a value holding a single quote of its own (a reason's
 * apostrophe) puts that part in double quotes: quoted parts of one token are read as one value.
 */
export function quotedValue(value: string): string {
  let out = "";
  let rest = value;
  while (rest !== "") {
    const quote = rest.startsWith("'") ? '"' : "'";
    const end = rest.indexOf(quote);
    const part = end === -1 ? rest : rest.slice(0, end);
    out += `${quote}${part}${quote}`;
    rest = rest.slice(part.length);
  }
  return out === "" ? "''" : out;
}

/** Levenshtein distance: the edits that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate a typo most likely meant (case, `_` for `-` and a leading `--` forgiven), or
 * undefined when none is close enough to be worth suggesting.
 */
export function closest<T extends string>(word: string, candidates: readonly T[]): T | undefined {
  const typed = word.toLowerCase().replace(/^-+/, "").replaceAll("_", "-");
  if (typed === "") return undefined;
  let best: { candidate: T; distance: number } | undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(typed, lower);
    const limit = lower.length >= 7 ? 3 : lower.length >= 4 ? 2 : 1;
    const prefix = typed.length >= 3 && lower.startsWith(typed);
    if ((distance <= limit || prefix) && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}
