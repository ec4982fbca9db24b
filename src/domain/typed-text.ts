// What keyboards and chat clients do to a value a person types, found before the value is judged:
// macOS and iOS turn `--` into a dash, a Japanese input mode types the yen sign where a path needs
// a backslash, web pages and Slack write `&` as `&amp;`, and a form value arrives still wrapped in
// the backticks or quotes the person put around it. Each is either undone silently (an HTML
// entity is the character it stands for) or refused with what to type instead; the value with
// every artefact undone is what the field's own validator then judges. Pure.
//
// Must stay true: an artefact is refused, never guessed into a value that runs (a dash may be a
// real `-` or `--`, only the person knows); the undone value is only used to find a corrected
// example and the other problems.
import type { Issue } from "./host.ts";
import { atPositions, describeChar, findChars, showText } from "./problem.ts";

/** What a field holds, for the artefacts that matter there: a Windows path, another value, or free text (a reason). */
export type ValueKind = "windows-path" | "value" | "text";

const SMART_DASHES: Readonly<Record<string, string>> = { "\u2014": "--", "\u2013": "--" };
const BACKSLASH_SIGNS: Readonly<Record<string, string>> = {
  "\u00A5": "Japanese", // ¥: the backslash key of Japanese keyboards and code page 932
  "\u20A9": "Korean", // ₩: the backslash of Korean keyboards and code page 949
};
const ENTITIES: Readonly<Record<string, string>> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
  "&apos;": "'",
};
/** Quote pairs a form value may arrive wrapped in (the grammar's tokenizer removes them from command text). */
const WRAPPERS: readonly [string, string, string][] = [
  ["`", "`", "backticks"],
  ['"', '"', "quotes"],
  ["'", "'", "quotes"],
  ["“", "”", "quotes"],
  ["‘", "’", "quotes"],
  ["«", "»", "quotes"],
];

export interface UndoneText {
  /** The value with every artefact undone: what the field's validator judges next. */
  value: string;
  /** What was refused: the caller ties each to its field and a corrected example. */
  problems: Issue[];
}

/** The artefacts in `value`, and the value without them. */
export function undoTypedText(value: string, kind: ValueKind): UndoneText {
  const problems: Issue[] = [];
  // Free text (a reason) is kept as typed: dashes and quotes are words there.
  if (kind === "text") return { value, problems };
  // An entity is the character it stands for: the validator then says whether that character may be there.
  let text = value.replace(/&(?:amp|lt|gt|quot|#39|apos);/g, (entity) => ENTITIES[entity] ?? entity);

  const wrapper = WRAPPERS.find(
    ([open, close]) => text.length > 2 && text.startsWith(open) && text.endsWith(close),
  );
  if (wrapper !== undefined) {
    const [open, close, name] = wrapper;
    problems.push({
      rule: "wrapped-value",
      message: `${showText(text)} is wrapped in ${name}: remove the ${name} (quotes group a value in command text; a form field needs none).`,
    });
    text = text.slice(open.length, -close.length);
  }

  for (const { ch, positions } of findChars(text, (c) => c in SMART_DASHES)) {
    problems.push({
      rule: "smart-dash",
      message: `${describeChar(ch)} ${atPositions(positions)} is a typographic dash, which macOS and iOS type in place of \`--\`: did you mean \`--\`? (Turn off smart dashes, or paste the value.)`,
    });
  }
  text = [...text].map((c) => SMART_DASHES[c] ?? c).join("");

  if (kind === "windows-path") {
    for (const { ch, positions } of findChars(text, (c) => c in BACKSLASH_SIGNS)) {
      const keyboard = BACKSLASH_SIGNS[ch];
      problems.push({
        rule: "backslash-sign",
        message:
          `${describeChar(ch)} ${atPositions(positions)} is the ${ch === "¥" ? "yen" : "won"} sign, not a backslash: ` +
          `${keyboard} keyboards and fonts show the backslash key as ${ch}, but an input mode (full-width, or a pasted text) ` +
          `sent the currency sign itself. Type \`\\\` (U+005C) with direct (half-width) input.`,
      });
    }
    text = [...text].map((c) => (c in BACKSLASH_SIGNS ? "\\" : c)).join("");
  }
  return { value: text, problems };
}
