// Environment -> validated configuration. This is the one module that reads process.env; everything
// else receives a Config. A bad value stops the start with every problem at once, each naming the
// variable, saying what is wrong and showing a line that would work (each variable's rule is in
// config-rules.ts). A secret's value is never echoed back: an error message may end up in a
// terminal log or a CI transcript.
import { existsSync } from "node:fs";
import { z } from "zod";
import {
  allowedDirs,
  apiUrl,
  approverProblem,
  databaseUrl,
  existingFile,
  type LogLevel,
  list,
  listenHost,
  logLevel,
  optional,
  port,
  signingSecret,
  ticketPattern,
  token,
  wholeNumber,
  yesNo,
} from "./config-rules.ts";
import { DEFAULT_ALLOWED_DIRS } from "./domain/pair.ts";
import { editDistance } from "./domain/problem.ts";
import { DEFAULT_SLACK_LIMITS, type SlackLimits } from "./slack/update-scheduler.ts";

export { LOG_LEVELS, type LogLevel } from "./config-rules.ts";

export const DEFAULTS = {
  port: 3000,
  db: "./var/momlink.db",
  requiredApprovals: 1,
  planTtlMinutes: 30,
  /** The approvers are reminded half-way through a plan's TTL, and at the latest 5 minutes before it expires. */
  reminderPercent: 50,
  reminderLeadMinutes: 5,
  allowedDirs: [...DEFAULT_ALLOWED_DIRS] as string[],
  logLevel: "info" as LogLevel,
  /** Runners connect from the MOM hosts, so the runner API listens on every interface by default. */
  runnerHost: "0.0.0.0",
  preflightTimeoutSeconds: 30,
  /** A runner that stays silent this long during a job is declared lost (the runner heartbeats at a third of it). */
  jobLeaseSeconds: 60,
  /** How often each bot process sweeps: expiry, reminders, changes and requests a dead replica left (serve-sweeps.ts). */
  sweepSeconds: 30,
  /** About two connections per runner (a long-poll and a report); room for some 400 hosts. */
  runnerMaxConnections: 1000,
  /** Slack's documented limits (slack/update-scheduler.ts): a message updated once a second, a channel 3 writes in 3 s. */
  slackMessageIntervalMs: DEFAULT_SLACK_LIMITS.messageIntervalMs,
  slackChannelWrites: DEFAULT_SLACK_LIMITS.channelWrites,
  slackChannelWindowMs: DEFAULT_SLACK_LIMITS.channelWindowMs,
} as const;

/** Every variable momlink reads, in the order `.env.example` documents them. */
export const VARIABLES = [
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "SLACK_API_URL",
  "PORT",
  "MOMLINK_DB",
  "MOMLINK_DATABASE_URL",
  "MOMLINK_SIGNING_KEY",
  "MOMLINK_APPROVERS",
  "MOMLINK_REQUIRED_APPROVALS",
  "MOMLINK_PLAN_TTL_MINUTES",
  "MOMLINK_ALLOWED_DIRS",
  "MOMLINK_TICKET_PATTERN",
  "MOMLINK_REMINDER_PERCENT",
  "MOMLINK_REMINDER_LEAD_MINUTES",
  "MOMLINK_NOTIFY_DM",
  "MOMLINK_RUNNER_PORT",
  "MOMLINK_RUNNER_HOST",
  "MOMLINK_RUNNER_TLS_CERT",
  "MOMLINK_RUNNER_TLS_KEY",
  "MOMLINK_RUNNER_MAX_CONNECTIONS",
  "MOMLINK_JOB_LEASE_SECONDS",
  "MOMLINK_SWEEP_SECONDS",
  "MOMLINK_PREFLIGHT_TIMEOUT_SECONDS",
  "MOMLINK_SLACK_MESSAGE_INTERVAL_MS",
  "MOMLINK_SLACK_CHANNEL_WRITES",
  "MOMLINK_SLACK_CHANNEL_WINDOW_MS",
  "LOG_LEVEL",
] as const;

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
  MOMLINK_DATABASE_URL: optional(databaseUrl()),
  MOMLINK_SIGNING_KEY: optional(z.string().min(1)),
  MOMLINK_APPROVERS: optional(list("MOMLINK_APPROVERS", "U0123ABCD,@mom-approvers", approverProblem)),
  MOMLINK_REQUIRED_APPROVALS: optional(
    wholeNumber("MOMLINK_REQUIRED_APPROVALS", 1, Number.MAX_SAFE_INTEGER, DEFAULTS.requiredApprovals),
  ),
  MOMLINK_PLAN_TTL_MINUTES: optional(
    wholeNumber("MOMLINK_PLAN_TTL_MINUTES", 1, 1440, DEFAULTS.planTtlMinutes),
  ),
  MOMLINK_ALLOWED_DIRS: optional(allowedDirs()),
  MOMLINK_TICKET_PATTERN: optional(ticketPattern()),
  // 0 turns reminders off: a reminder as the plan is posted would only repeat it.
  MOMLINK_REMINDER_PERCENT: optional(
    wholeNumber("MOMLINK_REMINDER_PERCENT", 0, 99, DEFAULTS.reminderPercent),
  ),
  MOMLINK_REMINDER_LEAD_MINUTES: optional(
    wholeNumber("MOMLINK_REMINDER_LEAD_MINUTES", 0, 1440, DEFAULTS.reminderLeadMinutes),
  ),
  MOMLINK_NOTIFY_DM: optional(yesNo("MOMLINK_NOTIFY_DM")),
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
  MOMLINK_SWEEP_SECONDS: optional(wholeNumber("MOMLINK_SWEEP_SECONDS", 1, 3600, DEFAULTS.sweepSeconds)),
  MOMLINK_PREFLIGHT_TIMEOUT_SECONDS: optional(
    wholeNumber("MOMLINK_PREFLIGHT_TIMEOUT_SECONDS", 1, 600, DEFAULTS.preflightTimeoutSeconds),
  ),
  MOMLINK_SLACK_MESSAGE_INTERVAL_MS: optional(
    wholeNumber("MOMLINK_SLACK_MESSAGE_INTERVAL_MS", 0, 60_000, DEFAULTS.slackMessageIntervalMs),
  ),
  MOMLINK_SLACK_CHANNEL_WRITES: optional(
    wholeNumber("MOMLINK_SLACK_CHANNEL_WRITES", 1, 1000, DEFAULTS.slackChannelWrites),
  ),
  MOMLINK_SLACK_CHANNEL_WINDOW_MS: optional(
    wholeNumber("MOMLINK_SLACK_CHANNEL_WINDOW_MS", 100, 600_000, DEFAULTS.slackChannelWindowMs),
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
    /** PostgreSQL for several replicas (store/postgres/); holds a password: log redactDatabaseUrl(databaseUrl). */
    databaseUrl: env.MOMLINK_DATABASE_URL,
    /** The bot's job-signing key file; unset: beside MOMLINK_DB (dispatch/keys.ts signingKeyFileOf). */
    signingKey: env.MOMLINK_SIGNING_KEY,
    approvers: env.MOMLINK_APPROVERS ?? [],
    requiredApprovals: env.MOMLINK_REQUIRED_APPROVALS ?? DEFAULTS.requiredApprovals,
    planTtlMinutes: env.MOMLINK_PLAN_TTL_MINUTES ?? DEFAULTS.planTtlMinutes,
    allowedDirs: env.MOMLINK_ALLOWED_DIRS ?? [...DEFAULTS.allowedDirs],
    /** Unset: a ticket is optional. */
    ticketPattern: env.MOMLINK_TICKET_PATTERN,
    /** Reminders (null: off) and direct messages to the requester (change/notices.ts). */
    notices: {
      reminder:
        env.MOMLINK_REMINDER_PERCENT === 0
          ? null
          : {
              percent: env.MOMLINK_REMINDER_PERCENT ?? DEFAULTS.reminderPercent,
              leadMinutes: env.MOMLINK_REMINDER_LEAD_MINUTES ?? DEFAULTS.reminderLeadMinutes,
            },
      directMessages: env.MOMLINK_NOTIFY_DM ?? false,
    },
    runnerPort: env.MOMLINK_RUNNER_PORT,
    runnerHost: env.MOMLINK_RUNNER_HOST ?? DEFAULTS.runnerHost,
    /** PEM file paths: the runner API serves HTTPS with them. */
    runnerTls:
      env.MOMLINK_RUNNER_TLS_CERT !== undefined && env.MOMLINK_RUNNER_TLS_KEY !== undefined
        ? { certFile: env.MOMLINK_RUNNER_TLS_CERT, keyFile: env.MOMLINK_RUNNER_TLS_KEY }
        : undefined,
    runnerMaxConnections: env.MOMLINK_RUNNER_MAX_CONNECTIONS ?? DEFAULTS.runnerMaxConnections,
    jobLeaseSeconds: env.MOMLINK_JOB_LEASE_SECONDS ?? DEFAULTS.jobLeaseSeconds,
    sweepSeconds: env.MOMLINK_SWEEP_SECONDS ?? DEFAULTS.sweepSeconds,
    preflightTimeoutSeconds: env.MOMLINK_PREFLIGHT_TIMEOUT_SECONDS ?? DEFAULTS.preflightTimeoutSeconds,
    slackLimits: {
      messageIntervalMs: env.MOMLINK_SLACK_MESSAGE_INTERVAL_MS ?? DEFAULTS.slackMessageIntervalMs,
      channelWrites: env.MOMLINK_SLACK_CHANNEL_WRITES ?? DEFAULTS.slackChannelWrites,
      channelWindowMs: env.MOMLINK_SLACK_CHANNEL_WINDOW_MS ?? DEFAULTS.slackChannelWindowMs,
    } satisfies SlackLimits,
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
