// The rule of each environment variable, as a zod schema that reports what is wrong in an
// operator's words and shows a line that would work: tokens (by their public prefix only, never
// echoing a secret), URLs, whole numbers and ports, lists, approvers, dirs, listen addresses,
// files, log levels, yes/no switches, the ticket pattern. config.ts puts them together; this is also the one parser of
// MOMLINK_APPROVERS (approversOf turns its checked entries into the policy's users and groups).
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_ALLOWED_DIRS } from "./domain/pair.ts";
import type { Approvers } from "./domain/policy.ts";
import { compileTicketPattern } from "./domain/ticket.ts";
import { DATABASE_URL_EXAMPLE, databaseUrlProblems } from "./store/postgres/url.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A Slack user ID (U… or W… for Enterprise Grid) as the API returns it. */
const USER_ID_RE = /^[UW][A-Z0-9]{8,}$/;
/** A user-group ID (S…), which survives a rename of the group's handle. */
const GROUP_ID_RE = /^S[A-Z0-9]{8,}$/;
/** A user-group handle as typed in Slack (`@ops-leads`); Slack keeps handles lower case. */
const GROUP_HANDLE_RE = /^@[a-z0-9][a-z0-9._-]*$/;
/** An EM_HOME sub-directory name: no separators, dots or cmd.exe metacharacters by construction. */
const DIR_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function report<T>(ctx: z.core.$RefinementCtx<T>, message: string): void {
  ctx.addIssue({ code: "custom", message });
}

/** `.env` files leave `NAME=` lines for optional values: a blank value means "not set". */
function blankToUndefined(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

/** Names the kind of token a mistaken value looks like, by its public prefix only. */
export function tokenKind(value: string): string | undefined {
  if (value.startsWith("xoxb-")) return "a bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN";
  if (value.startsWith("xapp-")) return "an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN";
  if (value.startsWith("xoxp-")) return "a user token (xoxp-…); momlink acts as its bot, not as a person";
  if (value.startsWith("xoxe")) return "a refresh or configuration token; momlink needs a long-lived token";
  return undefined;
}

export function token(name: string, prefix: string, what: string, example: string) {
  return z.string().superRefine((value, ctx) => {
    const line = `e.g. ${name}=${example}`;
    if (!value.startsWith(prefix)) {
      const kind = tokenKind(value);
      const looks = kind === undefined ? "" : `; the value given looks like ${kind}`;
      report(ctx, `must be ${what}, which starts with "${prefix}"${looks}. ${line}`);
    } else if (!/^[A-Za-z0-9-]+$/.test(value.slice(prefix.length))) {
      report(
        ctx,
        `must be ${what}: "${prefix}" followed by letters, digits and hyphens only (check for quotes or a line break pasted with it). ${line}`,
      );
    }
  });
}

export function signingSecret() {
  return z.string().superRefine((value, ctx) => {
    if (!/^[0-9a-f]{32}$/i.test(value)) {
      report(
        ctx,
        `must be the app's Signing Secret: 32 hexadecimal characters (the value given has ${value.length} characters); ` +
          "copy it from Basic Information → App Credentials → Signing Secret (the Verification Token is a different, " +
          "deprecated value). e.g. SLACK_SIGNING_SECRET=1b2c3d4e5f60718293a4b5c6d7e8f901",
      );
    }
  });
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Bolt's `clientOptions.slackApiUrl`; normalised to end with `/` since method names are appended. */
export function apiUrl() {
  const line = "e.g. SLACK_API_URL=https://slack-gov.com/api/ (or leave it unset for https://slack.com/api/)";
  return z.string().transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      report(ctx, `must be an absolute URL starting with https://. ${line}`);
      return z.NEVER;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      // The bot token travels in every request: plain HTTP is only acceptable to this machine (tests).
      report(ctx, `must use https:// (http:// is accepted only for localhost, as tests do). ${line}`);
      return z.NEVER;
    }
    if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
      report(ctx, `must be a plain base URL without user info, query or fragment. ${line}`);
      return z.NEVER;
    }
    return url.href.endsWith("/") ? url.href : `${url.href}/`;
  });
}

export function wholeNumber(name: string, min: number, max: number, example: number) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return z.string().transform((value, ctx) => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      report(ctx, `must be a whole number ${range} (got "${value}"). e.g. ${name}=${example}`);
      return z.NEVER;
    }
    return n;
  });
}

/** `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`: what operators write in .env files). */
export function yesNo(name: string) {
  return z.string().transform((value, ctx) => {
    const word = value.toLowerCase();
    if (["true", "yes", "on", "1"].includes(word)) return true;
    if (["false", "no", "off", "0"].includes(word)) return false;
    report(ctx, `must be true or false (got "${value}"). e.g. ${name}=true`);
    return z.NEVER;
  });
}

export function port(name: string, example: number) {
  return wholeNumber(name, 1, 65_535, example);
}

/** Comma-separated list; an empty entry (`a,,b` or a trailing comma) is reported, not skipped. */
export function list(name: string, example: string, check: (item: string) => string | undefined) {
  return z.string().transform((value, ctx) => {
    const items = value.split(",").map((item) => item.trim());
    let bad = false;
    if (items.some((item) => item === "")) {
      report(ctx, `has an empty entry (two commas in a row or a comma at an end). e.g. ${name}=${example}`);
      bad = true;
    }
    for (const item of items.filter((i) => i !== "")) {
      const problem = check(item);
      if (problem !== undefined) {
        report(ctx, `${problem}. e.g. ${name}=${example}`);
        bad = true;
      }
    }
    return bad ? z.NEVER : items;
  });
}

export function approverProblem(item: string): string | undefined {
  if (USER_ID_RE.test(item) || GROUP_ID_RE.test(item) || GROUP_HANDLE_RE.test(item)) return undefined;
  const what = `"${item}" is neither a Slack user ID (U… or W…, like U0123ABCD) nor a user group (an ID like S0123ABCD or a handle like @mom-approvers)`;
  if (/^<@[UW][A-Z0-9]+(\|[^>]*)?>$/.test(item)) return `${what}: write the bare ID without <@ and >`;
  if (USER_ID_RE.test(item.toUpperCase()))
    return `${what}: Slack user IDs are upper case (${item.toUpperCase()})`;
  if (/^@/.test(item) && GROUP_HANDLE_RE.test(item.toLowerCase())) {
    return `${what}: Slack user-group handles are lower case (${item.toLowerCase()})`;
  }
  if (GROUP_HANDLE_RE.test(`@${item}`)) return `${what}: a user-group handle starts with @ (@${item})`;
  return what;
}

export function allowedDirs() {
  const name = "MOMLINK_ALLOWED_DIRS";
  const example = DEFAULT_ALLOWED_DIRS.join(",");
  return list(name, example, (item) =>
    DIR_NAME_RE.test(item)
      ? undefined
      : `"${item}" is not a simple directory name (lower-case letters, digits, - and _; at most 64)`,
  ).transform((dirs, ctx) => {
    const line = `e.g. ${name}=${example}`;
    const duplicates = dirs.filter((dir, i) => dirs.indexOf(dir) !== i);
    if (duplicates.length > 0) {
      report(ctx, `lists ${[...new Set(duplicates)].join(", ")} more than once. ${line}`);
      return z.NEVER;
    }
    if (!dirs.includes("config")) {
      // The failover lock files live in config/: a pair that does not share it cannot fail over.
      report(ctx, `must include config: the failover lock files live in EM_HOME\\config. ${line}`);
      return z.NEVER;
    }
    return dirs;
  });
}

/** An address to listen on: an IPv4 or IPv6 literal, or a host name (localhost). */
export function listenHost() {
  const line =
    "e.g. MOMLINK_RUNNER_HOST=0.0.0.0 (every interface; runners connect from the MOM hosts) or 127.0.0.1 behind a reverse proxy";
  return z.string().superRefine((value, ctx) => {
    const ip = isIP(value) !== 0;
    const name = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value);
    if (!ip && !name) {
      report(
        ctx,
        `must be an IP address or a host name of this machine to listen on (got "${value}"). ${line}`,
      );
    }
  });
}

/** A file path that must exist when the start reads it. */
export function existingFile(name: string, what: string) {
  return z.string().superRefine((value, ctx) => {
    if (!existsSync(value)) {
      report(ctx, `${what} ${value} does not exist. e.g. ${name}=/etc/momlink/runner-api.pem`);
    }
  });
}

/** MOMLINK_DATABASE_URL: each problem on its own line, never the value itself (it holds a password). */
export function databaseUrl() {
  return z.string().superRefine((value, ctx) => {
    for (const problem of databaseUrlProblems(value)) {
      report(ctx, `${problem}. e.g. MOMLINK_DATABASE_URL=${DATABASE_URL_EXAMPLE}`);
    }
  });
}

export function logLevel() {
  return z.string().transform((value, ctx) => {
    const level = value.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      report(ctx, `must be one of ${LOG_LEVELS.join(", ")} (got "${value}"). e.g. LOG_LEVEL=info`);
      return z.NEVER;
    }
    return level as LogLevel;
  });
}

/** MOMLINK_TICKET_PATTERN: a regular expression every plan's ticket= must match (domain/ticket.ts). */
export function ticketPattern() {
  return z.string().transform((value, ctx) => {
    const compiled = compileTicketPattern(value, "MOMLINK_TICKET_PATTERN");
    if (!compiled.ok) {
      report(ctx, `${compiled.reason}. e.g. MOMLINK_TICKET_PATTERN=^CHG[0-9]{7}$`);
      return z.NEVER;
    }
    return compiled.pattern;
  });
}

/** MOMLINK_APPROVERS' entries, checked by approverProblem, as the policy's distinct users and groups. */
export function approversOf(entries: readonly string[]): Approvers {
  const distinct = [...new Set(entries)];
  return {
    users: distinct.filter((entry) => USER_ID_RE.test(entry)),
    groups: distinct.filter((entry) => !USER_ID_RE.test(entry)),
  };
}
