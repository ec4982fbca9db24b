// The one parser for `plan` command text, shared by the CLI (argv, already split by a shell)
// and Slack (raw text, where clients turn " into “ ”). Backslashes are always literal: the values
// are Windows paths, so there is no escape character at all.
import { DEFAULT_ALLOWED_DIRS, type PairSpec, PLAN_KEYS, type PlanKey } from "./pair.ts";
import {
  closest,
  describeChar,
  exampleToken,
  type Field,
  fail,
  type Problem,
  quotedValue,
  type Result,
  showText,
} from "./problem.ts";
import type { TicketPattern } from "./ticket.ts";
import { genericExample, orderProblems, type RawPairInput, validatePair } from "./validate.ts";

/** DESIGN.md's grammar line, without the `/momlink ` or `momlink ` prefix each front end adds. */
export const PLAN_GRAMMAR =
  "plan primary=<host> secondary=<host> em-home=<path> share=<UNC> [dirs=config,data,traces] " +
  "[secondary-em-home=<path>] [platform=windows|linux] [share-data=reseed|keep] [share-access=checked-by-hand] " +
  "[services=manage|require-stopped] [failover-properties=set|check] " +
  '[ticket=<id>] [reason="<why>"]';

export const PLAN_EXAMPLE =
  "plan primary=mom-a.corp.example secondary=mom-b.corp.example " +
  "em-home='D:\\Program Files\\CA APM\\Introscope' share='\\\\san-server\\mom-failover' dirs=config,data,traces";

/**
 * Help text for `plan`: the grammar, a full example, and the quoting rules; one paragraph a line,
 * never a line break inside a sentence (terminals and Slack wrap lines themselves).
 */
export const PLAN_USAGE = [
  PLAN_GRAMMAR,
  `Example: ${PLAN_EXAMPLE}`,
  "Keys in any order, any case. Put values with spaces in quotes: '...' or \"...\" (Slack's “...”, « » and `...` work too); backslashes are literal. config is always linked. In a POSIX shell, single-quote values with backslashes.",
  "Only when pre-flight asks for them: share-data=reseed (copy what the share lacks from the primary, delete nothing) or share-data=keep (use the share as it is), share-access=checked-by-hand (the EM's own account was checked on the share).",
  "The whole failover procedure: services=manage (stop both EM services first, start the primary then the secondary after, with proof of which one holds the primary lock) and failover-properties=set (edit the shared properties file, backup first).",
  'For the change record: ticket=<id> (required when MOMLINK_TICKET_PATTERN is set) and reason="<why>".',
].join("\n");

export interface PlanParseOptions {
  /** The configured allow-list for `dirs=` (default: DEFAULT_ALLOWED_DIRS). */
  allowedDirs: readonly string[];
  /** The configured ticket pattern: a plan then needs a matching `ticket=` (ticket.ts). */
  ticketPattern?: TicketPattern | undefined;
}

const DEFAULT_OPTIONS: PlanParseOptions = { allowedDirs: DEFAULT_ALLOWED_DIRS };

// Which characters close a quote opened by each opening character. Curly quotes are matched
// loosely because clients and keyboards disagree about which of “ ” „ comes first, and a curly
// opening quote may be closed by the straight one (an autocorrect that changed only the first).
// Guillemets quote in French and German text (« » and » «), and backticks are Slack's code
// formatting: each groups a value like a quote. No valid value contains a quote of its own.
const QUOTES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  "“": '”“"',
  "”": '”“"',
  "„": '“”"',
  "‘": "’‘'",
  "’": "’‘'",
  "‚": "‘’'",
  "«": "»",
  "»": "«",
  "‹": "›",
  "›": "‹",
  "`": "`",
};
const CURLY = new Set(["“", "”", "„", "‘", "’", "‚", "«", "»", "‹", "›"]);
/** Between two letters, a single quote is an apostrophe (`customer’s`), not the start of a quoted part. */
const APOSTROPHES = new Set(["'", "’"]);
const isLetter = (ch: string | undefined): boolean => ch !== undefined && /^\p{L}$/u.test(ch);

function unterminated(rawToken: string, quote: string, position: number): Problem {
  const closer = (QUOTES[quote] ?? quote)[0] ?? quote;
  return {
    field: "command",
    rule: "unterminated-quote",
    message: `the quote ${describeChar(quote)} at position ${position} is never closed.`,
    example: `${rawToken}${closer}`,
  };
}

/**
 * Splits command text into tokens at whitespace outside quotes. Quoted segments may sit anywhere
 * in a token (`em-home="D:\Program Files\EM"` is one token, `em-home=D:\Program Files\EM`);
 * the quote characters themselves are dropped.
 */
export function tokenize(text: string): Result<string[]> {
  const tokens: string[] = [];
  const chars = [...text];
  let current = "";
  let raw = "";
  let inToken = false;
  let open: { quote: string; closers: string; position: number } | undefined;
  for (const [index, ch] of chars.entries()) {
    const position = index + 1;
    if (open !== undefined) {
      raw += ch;
      if (open.closers.includes(ch)) open = undefined;
      else current += ch;
      continue;
    }
    if (/\s/u.test(ch)) {
      if (inToken) tokens.push(current);
      current = "";
      raw = "";
      inToken = false;
      continue;
    }
    inToken = true;
    raw += ch;
    const closers = QUOTES[ch];
    const apostrophe = APOSTROPHES.has(ch) && isLetter(chars[index - 1]) && isLetter(chars[index + 1]);
    if (closers === undefined || apostrophe) current += ch;
    else open = { quote: ch, closers, position };
  }
  if (open !== undefined) return fail([unterminated(raw, open.quote, open.position)]);
  if (inToken) tokens.push(current);
  return { ok: true, value: tokens };
}

/** Removes one pair of quotes wrapping the whole text, if there is one. */
function unwrap(text: string): string {
  const chars = [...text];
  const first = chars[0];
  const last = chars[chars.length - 1];
  if (chars.length < 2 || first === undefined || last === undefined) return text;
  return QUOTES[first]?.includes(last) ? chars.slice(1, -1).join("") : text;
}

/**
 * The curly quote left open at the end of `token`, if any (straight quotes in argv are literal).
 * Only a quote that opens the token or its value counts: one inside a value (a reason's ”) is text.
 */
function openCurlyQuote(token: string): string | undefined {
  const chars = [...token];
  const valueAt = chars.indexOf("=") + 1;
  let open: string | undefined;
  for (const [index, ch] of chars.entries()) {
    if (open !== undefined) {
      if (QUOTES[open]?.includes(ch)) open = undefined;
    } else if (CURLY.has(ch) && (index === 0 || index === valueAt)) {
      open = ch;
    }
  }
  return open;
}

const asPlanKey = (text: string): PlanKey | undefined =>
  PLAN_KEYS.find((candidate) => candidate === text.toLowerCase());

/**
 * `primary = mom-a`, `primary =mom-a` and `primary= mom-a` (spaces around `=`) are joined into one
 * token and reported once, so the value is still checked and the user sees one precise problem.
 */
function joinSpacedEquals(tokens: readonly string[], problems: Problem[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] ?? "";
    const next = tokens[i + 1];
    const after = tokens[i + 2];
    const bareKey = asPlanKey(token);
    const keyWithEquals = token.endsWith("=") ? asPlanKey(token.slice(0, -1)) : undefined;
    let spaced: { key: PlanKey; value: string; used: number } | undefined;
    if (
      bareKey !== undefined &&
      next === "=" &&
      after !== undefined &&
      after !== "" &&
      !after.includes("=")
    ) {
      spaced = { key: bareKey, value: after, used: 2 };
    } else if (bareKey !== undefined && next?.startsWith("=") && next.length > 1) {
      spaced = { key: bareKey, value: next.slice(1), used: 1 };
    } else if (keyWithEquals !== undefined && next !== undefined && next !== "" && !next.includes("=")) {
      spaced = { key: keyWithEquals, value: next, used: 1 };
    }
    if (spaced === undefined) {
      joined.push(token);
      continue;
    }
    problems.push({
      field: spaced.key,
      rule: "spaces-around-equals",
      message: `${spaced.key} has spaces around \`=\`; a space ends a token, so write ${spaced.key}=<value> as one word.`,
      example: exampleToken(spaced.key, spaced.value),
    });
    joined.push(`${spaced.key}=${spaced.value}`);
    i += spaced.used;
  }
  return joined;
}

function parseKeyValues(
  given: readonly string[],
  options: PlanParseOptions,
  earlier: Problem[],
  explainedEarlier: Field[],
): Result<PairSpec> {
  const read: TokensRead = { problems: [...earlier], values: new Map(), explained: [...explainedEarlier] };
  const { problems, values, explained } = read;
  joinSpacedEquals(given, problems).forEach((token, index) => {
    readToken(token, index, read);
  });
  const raw: RawPairInput = {};
  for (const [key, given] of values) {
    raw[key] = given[0];
    if (given.length > 1) {
      problems.push({
        field: key,
        rule: "repeated-key",
        message: `${key} is given ${given.length} times (${given.slice(0, 3).map(showText).join(", ")}${given.length > 3 ? ", …" : ""}); give it once.`,
        example: exampleToken(key, given[0] ?? ""),
      });
    }
  }
  const pair = validatePair(raw, {
    allowedDirs: options.allowedDirs,
    ticketPattern: options.ticketPattern,
    explained,
  });
  if (problems.length === 0) return pair;
  return fail(orderProblems([...problems, ...(pair.ok ? [] : pair.problems)]));
}

/** What the tokens said so far: the problems, each key's values in order, the fields a problem explained. */
interface TokensRead {
  problems: Problem[];
  values: Map<PlanKey, string[]>;
  explained: Field[];
}

/** One `key=value` token: its value kept under its key, or the problem it has, with a corrected example. */
function readToken(token: string, index: number, read: TokensRead): void {
  const { problems, values, explained } = read;
  const where = `token ${index + 1} ${showText(token)}`;
  const equals = token.indexOf("=");
  if (equals === -1) {
    const colon = /^([A-Za-z-]+):(.+)$/s.exec(token);
    const key = closest(colon?.[1] ?? token, PLAN_KEYS);
    const asKey = key !== undefined && colon === null && key === token.toLowerCase();
    problems.push({
      field: "command",
      rule: "not-key-value",
      message: asKey
        ? `${where} is a key without a value: write ${key}=<value>.`
        : `${where} is not a key=value pair${key !== undefined && colon !== null ? ` (did you mean ${key}=?)` : ""}; valid keys: ${PLAN_KEYS.join(", ")}.`,
      example:
        key !== undefined && colon !== null && colon[2] !== undefined
          ? exampleToken(key, colon[2])
          : genericExample(asKey ? key : "command"),
    });
    if (asKey) explained.push(key);
    return;
  }
  const typedKey = token.slice(0, equals);
  const value = unwrap(token.slice(equals + 1));
  if (typedKey === "") {
    problems.push({
      field: "command",
      rule: "empty-key",
      message: `${where} has no key before \`=\`; write key=value with no spaces around \`=\`.`,
      example: genericExample("command"),
    });
    return;
  }
  const key = asPlanKey(typedKey);
  if (key === undefined) {
    const guess = closest(typedKey, PLAN_KEYS);
    problems.push({
      field: "command",
      rule: "unknown-key",
      message:
        `${showText(typedKey)} is not a plan key${guess === undefined ? "" : ` (did you mean ${guess}?)`}; ` +
        `valid keys: ${PLAN_KEYS.join(", ")}.`,
      example:
        guess !== undefined && value !== "" ? exampleToken(guess, value) : genericExample(guess ?? "command"),
    });
    if (guess !== undefined) explained.push(guess);
    return;
  }
  if (value === "") {
    problems.push({
      field: key,
      rule: "empty-value",
      message: `${key}= has no value.`,
      example: genericExample(key),
    });
    explained.push(key);
    return;
  }
  values.set(key, [...(values.get(key) ?? []), value]);
}

/**
 * Parses argv tokens (`momlink plan primary=mom-a ...`). Quotes that survived the shell around a
 * token or a value are removed; a curly-quoted value a shell split at its spaces is joined again.
 */
export function parsePlanTokens(
  tokens: readonly string[],
  options: PlanParseOptions = DEFAULT_OPTIONS,
): Result<PairSpec> {
  const problems: Problem[] = [];
  const explained: Field[] = [];
  const joined: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    let token = tokens[i] ?? "";
    let open = openCurlyQuote(token);
    while (open !== undefined && i + 1 < tokens.length) {
      i += 1;
      token = `${token} ${tokens[i] ?? ""}`;
      open = openCurlyQuote(token);
    }
    if (open !== undefined) {
      problems.push(unterminated(token, open, [...token].indexOf(open) + 1));
      const key = asPlanKey(token.split("=")[0] ?? "");
      if (key !== undefined) explained.push(key);
      continue;
    }
    joined.push(unwrap(token));
  }
  return parseKeyValues(joined, options, problems, explained);
}

/** Parses the text after `plan` as typed in Slack or the console. */
export function parsePlanText(text: string, options: PlanParseOptions = DEFAULT_OPTIONS): Result<PairSpec> {
  const tokens = tokenize(text);
  if (!tokens.ok) return tokens;
  return parseKeyValues(tokens.value, options, [], []);
}

/** `/momlink <sub> <args>`: the first word lowercased (empty text means help), the rest as typed. */
export function parseSlashCommand(text: string): { subcommand: string; args: string } {
  const match = /^\s*(\S+)\s*([\s\S]*)$/u.exec(text);
  if (match === null) return { subcommand: "help", args: "" };
  return { subcommand: (match[1] ?? "").toLowerCase(), args: match[2] ?? "" };
}

/** The argv tokens that parse back to `spec` (unquoted: for execa or `momlink plan` argv). */
export function renderPairTokens(spec: PairSpec): string[] {
  const dirs = spec.configAdded ? spec.dirs.filter((dir) => dir !== "config") : spec.dirs;
  const tokens = [
    `primary=${spec.primary}`,
    `secondary=${spec.secondary}`,
    `em-home=${spec.emHome}`,
    `share=${spec.share}`,
    `dirs=${dirs.join(",")}`,
  ];
  if (spec.secondaryEmHome !== spec.emHome) tokens.push(`secondary-em-home=${spec.secondaryEmHome}`);
  if (spec.platform !== "windows") tokens.push(`platform=${spec.platform}`);
  if (spec.shareData !== undefined) tokens.push(`share-data=${spec.shareData}`);
  if (spec.shareAccess !== undefined) tokens.push(`share-access=${spec.shareAccess}`);
  if (spec.manageServices) tokens.push("services=manage");
  if (spec.setFailoverProperties) tokens.push("failover-properties=set");
  if (spec.ticket !== undefined) tokens.push(`ticket=${spec.ticket}`);
  if (spec.reason !== undefined) tokens.push(`reason=${spec.reason}`);
  return tokens;
}

/**
 * The command text that parses back to `spec`, safe to paste into Slack or a POSIX shell: values
 * with whitespace, backslashes or quote characters are quoted (problem.ts quotedValue).
 */
export function renderPairText(spec: PairSpec): string {
  return renderPairTokens(spec)
    .map((token) => {
      const equals = token.indexOf("=");
      const value = token.slice(equals + 1);
      return /[\s\\'"“”„‘’‚«»‹›`]/u.test(value) ? `${token.slice(0, equals)}=${quotedValue(value)}` : token;
    })
    .join(" ");
}
