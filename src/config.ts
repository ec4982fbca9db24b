// Environment -> validated configuration. This is the one module that reads process.env; everything
// else receives a Config. A bad value stops the start with every problem at once, each naming the
// variable, saying what is wrong and showing a line that would work. A secret's value is never
// echoed back: an error message may end up in a terminal log or a CI transcript.
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import { DEFAULT_ALLOWED_DIRS } from "./domain/pair.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULTS = {
  port: 3000,
  db: "./var/momlink.db",
  requiredApprovals: 1,
  planTtlMinutes: 30,
  allowedDirs: [...DEFAULT_ALLOWED_DIRS] as string[],
  logLevel: "info" as LogLevel,
  /** Runners connect from the MOM hosts, so the runner API listens on every interface by default. */
  runnerHost: "0.0.0.0",
  preflightTimeoutSeconds: 30,
  /** A runner that stays silent this long during a job is declared lost (the runner heartbeats at a third of it). */
  jobLeaseSeconds: 60,
  /** About two connections per runner (a long-poll and a report); room for some 400 hosts. */
  runnerMaxConnections: 1000,
} as const;

/** Every variable momlink reads, in the order `.env.example` documents them. */
export const VARIABLES = [
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "SLACK_API_URL",
  "PORT",
  "MOMLINK_DB",
  "MOMLINK_APPROVERS",
  "MOMLINK_REQUIRED_APPROVALS",
  "MOMLINK_PLAN_TTL_MINUTES",
  "MOMLINK_ALLOWED_DIRS",
  "MOMLINK_RUNNER_PORT",
  "MOMLINK_RUNNER_HOST",
  "MOMLINK_RUNNER_TLS_CERT",
  "MOMLINK_RUNNER_TLS_KEY",
  "MOMLINK_RUNNER_MAX_CONNECTIONS",
  "MOMLINK_JOB_LEASE_SECONDS",
  "MOMLINK_PREFLIGHT_TIMEOUT_SECONDS",
  "LOG_LEVEL",
] as const;

/** A Slack user ID (U… or W… for Enterprise Grid) as the API returns it. */
export const USER_ID_RE = /^[UW][A-Z0-9]{8,}$/;
/** A user-group ID (S…), which survives a rename of the group's handle. */
export const GROUP_ID_RE = /^S[A-Z0-9]{8,}$/;
/** A user-group handle as typed in Slack (`@ops-leads`); Slack keeps handles lower case. */
export const GROUP_HANDLE_RE = /^@[a-z0-9][a-z0-9._-]*$/;
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

function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

/** Names the kind of token a mistaken value looks like, by its public prefix only. */
function tokenKind(value: string): string | undefined {
  if (value.startsWith("xoxb-")) return "a bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN";
  if (value.startsWith("xapp-")) return "an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN";
  if (value.startsWith("xoxp-")) return "a user token (xoxp-…); momlink acts as its bot, not as a person";
  if (value.startsWith("xoxe")) return "a refresh or configuration token; momlink needs a long-lived token";
  return undefined;
}

function token(name: string, prefix: string, what: string, example: string) {
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

function signingSecret() {
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
function apiUrl() {
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

function wholeNumber(name: string, min: number, max: number, example: number) {
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

function port(name: string, example: number) {
  return wholeNumber(name, 1, 65_535, example);
}

/** Comma-separated list; an empty entry (`a,,b` or a trailing comma) is reported, not skipped. */
function list(name: string, example: string, check: (item: string) => string | undefined) {
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

function approverProblem(item: string): string | undefined {
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

function allowedDirs() {
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
function listenHost() {
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
function existingFile(name: string, what: string) {
  return z.string().superRefine((value, ctx) => {
    if (!existsSync(value)) {
      report(ctx, `${what} ${value} does not exist. e.g. ${name}=/etc/momlink/runner-api.pem`);
    }
  });
}

function logLevel() {
  return z.string().transform((value, ctx) => {
    const level = value.toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      report(ctx, `must be one of ${LOG_LEVELS.join(", ")} (got "${value}"). e.g. LOG_LEVEL=info`);
      return z.NEVER;
    }
    return level as LogLevel;
  });
}

const fields = z.object({
  SLACK_BOT_TOKEN: optional(
    token(
      "SLACK_BOT_TOKEN",
      "xoxb-",
      "the Bot User OAuth Token",
      "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
  ),
  SLACK_APP_TOKEN: optional(
    token(
      "SLACK_APP_TOKEN",
      "xapp-",
      "an app-level token with connections:write",
      "xapp-1-A0123ABCD-1234567890123-abcdef0123",
    ),
  ),
  SLACK_SIGNING_SECRET: optional(signingSecret()),
  SLACK_API_URL: optional(apiUrl()),
  PORT: optional(port("PORT", DEFAULTS.port)),
  MOMLINK_DB: optional(z.string()),
  MOMLINK_APPROVERS: optional(list("MOMLINK_APPROVERS", "U0123ABCD,@mom-approvers", approverProblem)),
  MOMLINK_REQUIRED_APPROVALS: optional(
    wholeNumber("MOMLINK_REQUIRED_APPROVALS", 1, Number.MAX_SAFE_INTEGER, DEFAULTS.requiredApprovals),
  ),
  MOMLINK_PLAN_TTL_MINUTES: optional(
    wholeNumber("MOMLINK_PLAN_TTL_MINUTES", 1, 1440, DEFAULTS.planTtlMinutes),
  ),
  MOMLINK_ALLOWED_DIRS: optional(allowedDirs()),
  MOMLINK_RUNNER_PORT: optional(port("MOMLINK_RUNNER_PORT", 8787)),
  MOMLINK_RUNNER_HOST: optional(listenHost()),
  MOMLINK_RUNNER_TLS_CERT: optional(existingFile("MOMLINK_RUNNER_TLS_CERT", "the PEM certificate file")),
  MOMLINK_RUNNER_TLS_KEY: optional(existingFile("MOMLINK_RUNNER_TLS_KEY", "the PEM private key file")),
  MOMLINK_RUNNER_MAX_CONNECTIONS: optional(
    wholeNumber("MOMLINK_RUNNER_MAX_CONNECTIONS", 10, 100_000, DEFAULTS.runnerMaxConnections),
  ),
  // From 3 s: the runner heartbeats every third of the lease, and at most once a second.
  MOMLINK_JOB_LEASE_SECONDS: optional(
    wholeNumber("MOMLINK_JOB_LEASE_SECONDS", 3, 3600, DEFAULTS.jobLeaseSeconds),
  ),
  MOMLINK_PREFLIGHT_TIMEOUT_SECONDS: optional(
    wholeNumber("MOMLINK_PREFLIGHT_TIMEOUT_SECONDS", 1, 600, DEFAULTS.preflightTimeoutSeconds),
  ),
  LOG_LEVEL: optional(logLevel()),
});

type Fields = z.output<typeof fields>;

const BOT_TOKEN_LINE = "e.g. SLACK_BOT_TOKEN=xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";

/** Rules across variables. Runs even when a field failed, so one start reports every problem. */
function crossCheck(env: Fields, ctx: z.core.$RefinementCtx<Fields>): void {
  const set = (name: keyof Fields) => env[name] !== undefined;
  const issue = (path: keyof Fields, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  if (set("SLACK_APP_TOKEN") && !set("SLACK_BOT_TOKEN")) {
    issue(
      "SLACK_BOT_TOKEN",
      `is required in Socket Mode (SLACK_APP_TOKEN is set): the Bot User OAuth Token. ${BOT_TOKEN_LINE}`,
    );
  } else if (!set("SLACK_APP_TOKEN") && set("SLACK_SIGNING_SECRET") && !set("SLACK_BOT_TOKEN")) {
    issue(
      "SLACK_BOT_TOKEN",
      `is required in HTTP mode (SLACK_SIGNING_SECRET is set): the Bot User OAuth Token. ${BOT_TOKEN_LINE}`,
    );
  } else if (set("SLACK_BOT_TOKEN") && !set("SLACK_APP_TOKEN") && !set("SLACK_SIGNING_SECRET")) {
    // Without this, a forgotten second variable would silently start the local console.
    issue(
      "SLACK_BOT_TOKEN",
      "is set, but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is: add one of them, " +
        "or unset SLACK_BOT_TOKEN to use the local console. e.g. SLACK_APP_TOKEN=xapp-1-A0123ABCD-1234567890123-abcdef0123",
    );
  }
  if (set("MOMLINK_RUNNER_TLS_CERT") !== set("MOMLINK_RUNNER_TLS_KEY")) {
    const missing = set("MOMLINK_RUNNER_TLS_CERT") ? "MOMLINK_RUNNER_TLS_KEY" : "MOMLINK_RUNNER_TLS_CERT";
    issue(
      missing,
      "is required when the other of MOMLINK_RUNNER_TLS_CERT / MOMLINK_RUNNER_TLS_KEY is set: HTTPS needs both the certificate and its key. e.g. MOMLINK_RUNNER_TLS_KEY=/etc/momlink/runner-api.key",
    );
  }
  const httpMode = !set("SLACK_APP_TOKEN") && set("SLACK_SIGNING_SECRET");
  const slackPort = typeof env.PORT === "number" ? env.PORT : DEFAULTS.port;
  if (httpMode && env.MOMLINK_RUNNER_PORT === slackPort) {
    issue(
      "MOMLINK_RUNNER_PORT",
      `must differ from the Slack HTTP port (${slackPort}): both servers listen on this machine. e.g. MOMLINK_RUNNER_PORT=8787`,
    );
  }
}

function toConfig(env: Fields) {
  const common = {
    db: env.MOMLINK_DB ?? DEFAULTS.db,
    approvers: env.MOMLINK_APPROVERS ?? [],
    requiredApprovals: env.MOMLINK_REQUIRED_APPROVALS ?? DEFAULTS.requiredApprovals,
    planTtlMinutes: env.MOMLINK_PLAN_TTL_MINUTES ?? DEFAULTS.planTtlMinutes,
    allowedDirs: env.MOMLINK_ALLOWED_DIRS ?? [...DEFAULTS.allowedDirs],
    runnerPort: env.MOMLINK_RUNNER_PORT,
    runnerHost: env.MOMLINK_RUNNER_HOST ?? DEFAULTS.runnerHost,
    /** PEM file paths: the runner API serves HTTPS with them. */
    runnerTls:
      env.MOMLINK_RUNNER_TLS_CERT !== undefined && env.MOMLINK_RUNNER_TLS_KEY !== undefined
        ? { certFile: env.MOMLINK_RUNNER_TLS_CERT, keyFile: env.MOMLINK_RUNNER_TLS_KEY }
        : undefined,
    runnerMaxConnections: env.MOMLINK_RUNNER_MAX_CONNECTIONS ?? DEFAULTS.runnerMaxConnections,
    jobLeaseSeconds: env.MOMLINK_JOB_LEASE_SECONDS ?? DEFAULTS.jobLeaseSeconds,
    preflightTimeoutSeconds: env.MOMLINK_PREFLIGHT_TIMEOUT_SECONDS ?? DEFAULTS.preflightTimeoutSeconds,
    logLevel: env.LOG_LEVEL ?? DEFAULTS.logLevel,
  };
  // crossCheck guarantees the bot token wherever a mode needs it; the fallback never runs.
  const botToken = env.SLACK_BOT_TOKEN ?? "";
  if (env.SLACK_APP_TOKEN !== undefined) {
    const slack = { botToken, appToken: env.SLACK_APP_TOKEN, apiUrl: env.SLACK_API_URL };
    return { mode: "socket" as const, slack, ...common };
  }
  if (env.SLACK_SIGNING_SECRET !== undefined) {
    const slack = {
      botToken,
      signingSecret: env.SLACK_SIGNING_SECRET,
      port: env.PORT ?? DEFAULTS.port,
      apiUrl: env.SLACK_API_URL,
    };
    return { mode: "http" as const, slack, ...common };
  }
  return { mode: "console" as const, slack: {}, ...common };
}

/** The whole environment contract: field rules, cross-variable rules, then the shaped Config. */
export const configSchema = fields.superRefine(crossCheck, { when: () => true }).transform(toConfig);

export type Config = z.infer<typeof configSchema>;
export type Mode = Config["mode"];

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const KNOWN = new Set<string>(VARIABLES);

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A misspelt MOMLINK_ variable would otherwise fall back to a default without a word. */
function unknownVariables(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("MOMLINK_") && !KNOWN.has(name))
    .sort()
    .map((name) => {
      const nearest = VARIABLES.map((known) => ({ known, d: editDistance(name, known) })).sort(
        (x, y) => x.d - y.d,
      )[0];
      const hint = nearest !== undefined && nearest.d <= 3 ? ` Did you mean ${nearest.known}?` : "";
      return `${name}: is not a momlink variable.${hint} Known: ${VARIABLES.filter((v) => v.startsWith("MOMLINK_")).join(", ")}`;
    });
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const unknown = unknownVariables(env);
  const parsed = configSchema.safeParse(env);
  const errors = [...unknown];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.map(String).join(".") || "environment";
      errors.push(`${name}: ${issue.message}`);
    }
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data };
}

/**
 * Loads `path` into process.env if it exists. Variables already set in the environment win, so a
 * deployment can override a checked-out `.env`. Returns whether a file was read.
 */
export function loadDotEnv(path = ".env"): boolean {
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}
