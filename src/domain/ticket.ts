// The change ticket a plan names (`ticket=CHG0012345`), as a change advisory board wants it: the
// id of the change request in the team's ticketing system, recorded in the plan (and its hash),
// shown in the message and exported. Without a configured pattern a ticket is optional and only
// its shape is checked (an id, not prose: what a CSV cell, a Slack line and a runner's job can
// carry unchanged); with one (MOMLINK_TICKET_PATTERN, e.g. `^CHG[0-9]{7}$`) every plan needs a
// ticket matching it, and a refusal names the pattern and shows a ticket that matches. Pure.
//
// The runner re-validates a plan's ticket with the shape rule only: the pattern is the bot's
// policy, and the hash already binds the ticket the approvers saw.
import { type Problem, showText } from "./problem.ts";

export const MAX_TICKET_CHARACTERS = 64;
/** An id: letters and digits, and the separators ticket systems use (`CHG-12`, `OPS/2025/7`, `INC#3`). */
const TICKET_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._:/#-]*$/;

export interface TicketPattern {
  /** As configured, for messages. */
  source: string;
  /** The configured expression, matched against the whole ticket. */
  regex: RegExp;
  /** A ticket that matches, derived from the expression, when momlink could derive one. */
  example: string | undefined;
  /** Where the pattern is configured, for messages (the config layer passes its variable). */
  setting: string;
}

/** The configured pattern, compiled to match a whole ticket, or why it cannot be used. */
export function compileTicketPattern(
  source: string,
  setting: string,
): { ok: true; pattern: TicketPattern } | { ok: false; reason: string } {
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${source})$`, "u");
  } catch (err) {
    return { ok: false, reason: `is not a regular expression: ${(err as Error).message}` };
  }
  const example = exampleMatching(source);
  return {
    ok: true,
    pattern: {
      source,
      regex,
      setting,
      example: example !== undefined && regex.test(example) ? example : undefined,
    },
  };
}

const exampleToken = (pattern: TicketPattern | undefined): string =>
  `ticket=${pattern?.example ?? (pattern === undefined ? "CHG0012345" : "<a ticket matching the pattern>")}`;

/** `ticket=`: an id of at most 64 characters; required and matched when a pattern is configured. */
export function validateTicket(value: string | undefined, pattern: TicketPattern | undefined): Problem[] {
  const wanted =
    pattern === undefined ? "" : ` ${pattern.setting} asks for tickets matching ${pattern.source}.`;
  if (value === undefined) {
    if (pattern === undefined) return [];
    return [
      {
        field: "ticket",
        rule: "ticket-required",
        message: `ticket= is required: every change names its change ticket here.${wanted}`,
        example: exampleToken(pattern),
      },
    ];
  }
  const length = [...value].length;
  if (length > MAX_TICKET_CHARACTERS || !TICKET_SHAPE.test(value)) {
    return [
      {
        field: "ticket",
        rule: "ticket-shape",
        message:
          `${showText(value)} is not a ticket id: at most ${MAX_TICKET_CHARACTERS} letters, digits and \`. _ : / # -\`, ` +
          `starting with a letter or digit (put words in reason=).${wanted}`,
        example: exampleToken(pattern),
      },
    ];
  }
  if (pattern !== undefined && !pattern.regex.test(value)) {
    return [
      {
        field: "ticket",
        rule: "ticket-pattern",
        message: `${showText(value)} does not match ${pattern.source}, the ticket pattern ${pattern.setting} sets.`,
        example: exampleToken(pattern),
      },
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// A ticket matching a configured expression, for the refusal's example. Covers what ticket
// patterns use (literals, escapes, classes, groups, alternatives, quantifiers); undefined for
// anything else (look-arounds, back-references, negated classes), and the caller checks the
// result against the expression anyway.

interface Cursor {
  text: string;
  at: number;
}

const CLASS_ESCAPES: Readonly<Record<string, string>> = { d: "0", w: "a", s: " " };

/** The smallest repetition count of the quantifier at the cursor (consumed), or 1 when there is none. */
function repetitions(c: Cursor): number | undefined {
  const ch = c.text[c.at];
  let count = 1;
  if (ch === "?" || ch === "*") {
    c.at += 1;
    count = 0;
  } else if (ch === "+") {
    c.at += 1;
  } else if (ch === "{") {
    const match = /^\{(\d+)(?:,\d*)?\}/.exec(c.text.slice(c.at));
    if (match === null) return undefined;
    c.at += match[0].length;
    count = Number(match[1]);
  }
  if (c.text[c.at] === "?" && count !== 1) c.at += 1; // lazy
  return count;
}

function classExample(c: Cursor): string | undefined {
  c.at += 1; // [
  if (c.text[c.at] === "^") return undefined;
  const first =
    c.text[c.at] === "\\" ? (CLASS_ESCAPES[c.text[c.at + 1] ?? ""] ?? c.text[c.at + 1]) : c.text[c.at];
  const end = c.text.indexOf("]", c.at + 1);
  if (first === undefined || end === -1) return undefined;
  c.at = end + 1;
  return first;
}

function atomExample(c: Cursor): string | undefined {
  const ch = c.text[c.at];
  if (ch === undefined) return undefined;
  if (ch === "(") {
    c.at += 1;
    if (c.text.startsWith("?:", c.at)) c.at += 2;
    else if (c.text[c.at] === "?") return undefined;
    const inner = alternativesExample(c);
    if (inner === undefined || c.text[c.at] !== ")") return undefined;
    c.at += 1;
    return inner;
  }
  if (ch === "[") return classExample(c);
  if (ch === "\\") {
    const next = c.text[c.at + 1];
    c.at += 2;
    if (next === undefined || /[1-9bBk]/.test(next)) return undefined;
    return CLASS_ESCAPES[next] ?? (/[A-Za-z]/.test(next) ? undefined : next);
  }
  c.at += 1;
  return ch === "." ? "A" : ch;
}

function sequenceExample(c: Cursor): string | undefined {
  let out = "";
  while (c.at < c.text.length && c.text[c.at] !== "|" && c.text[c.at] !== ")") {
    if (c.text[c.at] === "^" || c.text[c.at] === "$") {
      c.at += 1;
      continue;
    }
    const atom = atomExample(c);
    const count = atom === undefined ? undefined : repetitions(c);
    if (atom === undefined || count === undefined) return undefined;
    out += atom.repeat(count);
  }
  return out;
}

function alternativesExample(c: Cursor): string | undefined {
  const first = sequenceExample(c);
  // The other alternatives are read past, not used: the first one is the example.
  while (first !== undefined && c.text[c.at] === "|") {
    c.at += 1;
    if (sequenceExample(c) === undefined) return undefined;
  }
  return first;
}

/** A string the expression `source` matches as a whole, or undefined when this cannot tell. */
export function exampleMatching(source: string): string | undefined {
  const c: Cursor = { text: source, at: 0 };
  const example = alternativesExample(c);
  return c.at === source.length && example !== "" ? example : undefined;
}
