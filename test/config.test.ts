import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type Config, loadConfig, loadDotEnv, VARIABLES } from "../src/config.ts";

const BOT = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
const APP = "xapp-1-A0123ABCD-1234567890123-abcdef0123";
const SECRET = "1b2c3d4e5f60718293a4b5c6d7e8f901";
/** A file that exists, standing in for a PEM file (the config checks presence; the start reads it). */
const THIS_FILE = new URL(import.meta.url).pathname;

type Env = Record<string, string | undefined>;

function configOf(env: Env): Config {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join("\n")}`);
  return result.config;
}

function errorsOf(env: Env): string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error(`expected errors, got a ${result.config.mode} config`);
  return result.errors;
}

describe("loadConfig: which mode an environment starts", () => {
  const rows: Array<[string, Env, Partial<Config>]> = [
    ["nothing set starts the local console", {}, { mode: "console", slack: {} }],
    ["blank values count as unset", { SLACK_BOT_TOKEN: "", SLACK_APP_TOKEN: "  " }, { mode: "console" }],
    [
      "an app token starts Socket Mode",
      { SLACK_APP_TOKEN: APP, SLACK_BOT_TOKEN: BOT },
      { mode: "socket", slack: { botToken: BOT, appToken: APP, apiUrl: undefined } } as Partial<Config>,
    ],
    [
      "Socket Mode wins over a signing secret also set",
      { SLACK_APP_TOKEN: APP, SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SECRET },
      { mode: "socket" },
    ],
    [
      "a signing secret starts HTTP mode on port 3000",
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT },
      {
        mode: "http",
        slack: { botToken: BOT, signingSecret: SECRET, port: 3000, apiUrl: undefined },
      } as Partial<Config>,
    ],
    [
      "HTTP mode listens on PORT",
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT, PORT: "8080" },
      {
        mode: "http",
        slack: { botToken: BOT, signingSecret: SECRET, port: 8080, apiUrl: undefined },
      } as Partial<Config>,
    ],
    ["PORT alone still starts the console", { PORT: "8080" }, { mode: "console" }],
  ];
  it.each(rows)("%s", (_name, env, expected) => {
    expect(configOf(env)).toMatchObject(expected);
  });
});

describe("loadConfig: values and defaults", () => {
  const rows: Array<[string, Env, Partial<Config>]> = [
    [
      "defaults",
      {},
      {
        db: "./var/momlink.db",
        approvers: [],
        requiredApprovals: 1,
        planTtlMinutes: 30,
        allowedDirs: ["config", "data", "traces", "logs", "threaddumps"],
        runnerPort: undefined,
        runnerHost: "0.0.0.0",
        runnerTls: undefined,
        runnerMaxConnections: 1000,
        slackLimits: { messageIntervalMs: 1000, channelWrites: 3, channelWindowMs: 3000 },
        jobLeaseSeconds: 60,
        sweepSeconds: 30,
        preflightTimeoutSeconds: 30,
        logLevel: "info",
        notices: { reminder: { percent: 50, leadMinutes: 5 }, directMessages: false },
      },
    ],
    [
      "a later reminder with a longer lead, and direct messages on",
      { MOMLINK_REMINDER_PERCENT: "75", MOMLINK_REMINDER_LEAD_MINUTES: "10", MOMLINK_NOTIFY_DM: "yes" },
      { notices: { reminder: { percent: 75, leadMinutes: 10 }, directMessages: true } },
    ],
    [
      "reminders off",
      { MOMLINK_REMINDER_PERCENT: "0", MOMLINK_NOTIFY_DM: "false" },
      { notices: { reminder: null, directMessages: false } },
    ],
    [
      "approvers: user IDs, group IDs and handles, spaces trimmed",
      { MOMLINK_APPROVERS: "U0123ABCD, W0123ABCD ,S0123ABCD,@mom-approvers" },
      { approvers: ["U0123ABCD", "W0123ABCD", "S0123ABCD", "@mom-approvers"] },
    ],
    ["required approvals", { MOMLINK_REQUIRED_APPROVALS: "2" }, { requiredApprovals: 2 }],
    ["plan TTL at its upper bound (one day)", { MOMLINK_PLAN_TTL_MINUTES: "1440" }, { planTtlMinutes: 1440 }],
    [
      "allowed dirs in the order given",
      { MOMLINK_ALLOWED_DIRS: "data,config" },
      { allowedDirs: ["data", "config"] },
    ],
    [
      "a ticket pattern, with a ticket that matches it",
      { MOMLINK_TICKET_PATTERN: "^CHG[0-9]{7}$" },
      {
        ticketPattern: {
          source: "^CHG[0-9]{7}$",
          regex: /^(?:^CHG[0-9]{7}$)$/u,
          example: "CHG0000000",
          setting: "MOMLINK_TICKET_PATTERN",
        },
      },
    ],
    ["runner port", { MOMLINK_RUNNER_PORT: "8787" }, { runnerPort: 8787 }],
    ["runner API on loopback only", { MOMLINK_RUNNER_HOST: "127.0.0.1" }, { runnerHost: "127.0.0.1" }],
    ["runner API on every IPv6 interface", { MOMLINK_RUNNER_HOST: "::" }, { runnerHost: "::" }],
    [
      "runner API over TLS",
      { MOMLINK_RUNNER_TLS_CERT: THIS_FILE, MOMLINK_RUNNER_TLS_KEY: THIS_FILE },
      { runnerTls: { certFile: THIS_FILE, keyFile: THIS_FILE } },
    ],
    ["runner API connection cap", { MOMLINK_RUNNER_MAX_CONNECTIONS: "5000" }, { runnerMaxConnections: 5000 }],
    ["job lease", { MOMLINK_JOB_LEASE_SECONDS: "120" }, { jobLeaseSeconds: 120 }],
    ["sweep interval", { MOMLINK_SWEEP_SECONDS: "5" }, { sweepSeconds: 5 }],
    ["pre-flight wait", { MOMLINK_PREFLIGHT_TIMEOUT_SECONDS: "90" }, { preflightTimeoutSeconds: 90 }],
    [
      "Slack write limits, each on its own",
      { MOMLINK_SLACK_MESSAGE_INTERVAL_MS: "2000", MOMLINK_SLACK_CHANNEL_WRITES: "10" },
      { slackLimits: { messageIntervalMs: 2000, channelWrites: 10, channelWindowMs: 3000 } },
    ],
    [
      "Slack's channel window",
      { MOMLINK_SLACK_CHANNEL_WINDOW_MS: "10000" },
      { slackLimits: { messageIntervalMs: 1000, channelWrites: 3, channelWindowMs: 10000 } },
    ],
    ["database path", { MOMLINK_DB: "/srv/momlink/momlink.db" }, { db: "/srv/momlink/momlink.db" }],
    ["log level, any case", { LOG_LEVEL: "DEBUG" }, { logLevel: "debug" }],
  ];
  it.each(rows)("%s", (_name, env, expected) => {
    expect(configOf(env)).toMatchObject(expected);
  });

  const urls: Array<[string, string]> = [
    ["https://slack-gov.com/api/", "https://slack-gov.com/api/"],
    ["https://slack-gov.com/api", "https://slack-gov.com/api/"],
    ["http://127.0.0.1:4000/api", "http://127.0.0.1:4000/api/"],
    ["http://localhost:4000/api/", "http://localhost:4000/api/"],
  ];
  it.each(urls)("SLACK_API_URL %s is passed to Bolt as %s", (given, expected) => {
    const config = configOf({ SLACK_APP_TOKEN: APP, SLACK_BOT_TOKEN: BOT, SLACK_API_URL: given });
    expect(config.mode === "socket" && config.slack.apiUrl).toBe(expected);
  });
});

describe("loadConfig: a bad environment stops the start and names the variable", () => {
  // [what is wrong, env, the variable the error starts with, a fragment of the explanation]
  const rows: Array<[string, Env, string, string]> = [
    [
      "a bot token in the app token's place",
      { SLACK_APP_TOKEN: BOT, SLACK_BOT_TOKEN: BOT },
      "SLACK_APP_TOKEN",
      "looks like a bot token",
    ],
    [
      "a user token instead of the bot token",
      { SLACK_APP_TOKEN: APP, SLACK_BOT_TOKEN: "xoxp-1-2-3" },
      "SLACK_BOT_TOKEN",
      "user token",
    ],
    [
      "a token pasted with a quote",
      { SLACK_APP_TOKEN: APP, SLACK_BOT_TOKEN: `${BOT}"` },
      "SLACK_BOT_TOKEN",
      "letters, digits and hyphens",
    ],
    [
      "Socket Mode without a bot token",
      { SLACK_APP_TOKEN: APP },
      "SLACK_BOT_TOKEN",
      "required in Socket Mode",
    ],
    [
      "HTTP mode without a bot token",
      { SLACK_SIGNING_SECRET: SECRET },
      "SLACK_BOT_TOKEN",
      "required in HTTP mode",
    ],
    [
      "a bot token with no way to reach Slack",
      { SLACK_BOT_TOKEN: BOT },
      "SLACK_BOT_TOKEN",
      "neither SLACK_APP_TOKEN",
    ],
    [
      "the verification token instead of the signing secret",
      { SLACK_SIGNING_SECRET: "AbCdEfGhIjKlMnOpQrStUvWx", SLACK_BOT_TOKEN: BOT },
      "SLACK_SIGNING_SECRET",
      "32 hexadecimal",
    ],
    ["an API URL without a scheme", { SLACK_API_URL: "slack-gov.com/api/" }, "SLACK_API_URL", "absolute URL"],
    [
      "an API URL over plain http to another host",
      { SLACK_API_URL: "http://slack-gov.com/api/" },
      "SLACK_API_URL",
      "must use https://",
    ],
    [
      "an API URL with a query",
      { SLACK_API_URL: "https://slack-gov.com/api/?x=1" },
      "SLACK_API_URL",
      "without user info, query",
    ],
    ["port 0", { PORT: "0" }, "PORT", "from 1 to 65535"],
    ["port 65536", { PORT: "65536" }, "PORT", "from 1 to 65535"],
    ["a port with a unit", { PORT: "3000tcp" }, "PORT", 'got "3000tcp"'],
    [
      "a lower-case user ID",
      { MOMLINK_APPROVERS: "u0123abcd" },
      "MOMLINK_APPROVERS",
      "upper case (U0123ABCD)",
    ],
    [
      "a group handle without @",
      { MOMLINK_APPROVERS: "U0123ABCD,mom-approvers" },
      "MOMLINK_APPROVERS",
      "starts with @ (@mom-approvers)",
    ],
    [
      "a mention instead of an ID",
      { MOMLINK_APPROVERS: "<@U0123ABCD>" },
      "MOMLINK_APPROVERS",
      "without <@ and >",
    ],
    ["a display name", { MOMLINK_APPROVERS: "Alice Smith" }, "MOMLINK_APPROVERS", '"Alice Smith" is neither'],
    ["a trailing comma", { MOMLINK_APPROVERS: "U0123ABCD," }, "MOMLINK_APPROVERS", "empty entry"],
    [
      "zero required approvals",
      { MOMLINK_REQUIRED_APPROVALS: "0" },
      "MOMLINK_REQUIRED_APPROVALS",
      "1 or more",
    ],
    ["a fractional TTL", { MOMLINK_PLAN_TTL_MINUTES: "2.5" }, "MOMLINK_PLAN_TTL_MINUTES", "whole number"],
    ["a TTL over a day", { MOMLINK_PLAN_TTL_MINUTES: "1441" }, "MOMLINK_PLAN_TTL_MINUTES", "from 1 to 1440"],
    [
      "allowed dirs without config",
      { MOMLINK_ALLOWED_DIRS: "data,traces" },
      "MOMLINK_ALLOWED_DIRS",
      "must include config",
    ],
    [
      "an allowed dir that is a path",
      { MOMLINK_ALLOWED_DIRS: "config,..\\data" },
      "MOMLINK_ALLOWED_DIRS",
      "not a simple directory name",
    ],
    [
      "an allowed dir listed twice",
      { MOMLINK_ALLOWED_DIRS: "config,data,data" },
      "MOMLINK_ALLOWED_DIRS",
      "more than once",
    ],
    [
      "a runner port clashing with the HTTP port",
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT, MOMLINK_RUNNER_PORT: "3000" },
      "MOMLINK_RUNNER_PORT",
      "must differ",
    ],
    [
      "a runner API address with a port in it",
      { MOMLINK_RUNNER_HOST: "0.0.0.0:8787" },
      "MOMLINK_RUNNER_HOST",
      "an IP address or a host name",
    ],
    [
      "a TLS certificate without its key",
      { MOMLINK_RUNNER_TLS_CERT: THIS_FILE },
      "MOMLINK_RUNNER_TLS_KEY",
      "HTTPS needs both",
    ],
    [
      "a TLS key file that is not there",
      { MOMLINK_RUNNER_TLS_CERT: THIS_FILE, MOMLINK_RUNNER_TLS_KEY: "/nonexistent/momlink.key" },
      "MOMLINK_RUNNER_TLS_KEY",
      "/nonexistent/momlink.key does not exist",
    ],
    [
      "a runner API connection cap too small for even a pair",
      { MOMLINK_RUNNER_MAX_CONNECTIONS: "2" },
      "MOMLINK_RUNNER_MAX_CONNECTIONS",
      "from 10 to 100000",
    ],
    [
      "a job lease shorter than three heartbeats",
      { MOMLINK_JOB_LEASE_SECONDS: "2" },
      "MOMLINK_JOB_LEASE_SECONDS",
      "from 3 to 3600",
    ],
    [
      "a sweep that never runs",
      { MOMLINK_SWEEP_SECONDS: "0" },
      "MOMLINK_SWEEP_SECONDS",
      'a whole number from 1 to 3600 (got "0")',
    ],
    [
      "a channel that may never write",
      { MOMLINK_SLACK_CHANNEL_WRITES: "0" },
      "MOMLINK_SLACK_CHANNEL_WRITES",
      'must be a whole number from 1 to 1000 (got "0"). e.g. MOMLINK_SLACK_CHANNEL_WRITES=3',
    ],
    [
      "a message interval in seconds",
      { MOMLINK_SLACK_MESSAGE_INTERVAL_MS: "1s" },
      "MOMLINK_SLACK_MESSAGE_INTERVAL_MS",
      'a whole number from 0 to 60000 (got "1s"). e.g. MOMLINK_SLACK_MESSAGE_INTERVAL_MS=1000',
    ],
    [
      "a channel window too short to mean anything",
      { MOMLINK_SLACK_CHANNEL_WINDOW_MS: "10" },
      "MOMLINK_SLACK_CHANNEL_WINDOW_MS",
      "from 100 to 600000",
    ],
    [
      "a job lease in minutes",
      { MOMLINK_JOB_LEASE_SECONDS: "2m" },
      "MOMLINK_JOB_LEASE_SECONDS",
      'a whole number from 3 to 3600 (got "2m")',
    ],
    [
      "a pre-flight wait of ten minutes and more",
      { MOMLINK_PREFLIGHT_TIMEOUT_SECONDS: "601" },
      "MOMLINK_PREFLIGHT_TIMEOUT_SECONDS",
      "from 1 to 600",
    ],
    ["an unknown log level", { LOG_LEVEL: "verbose" }, "LOG_LEVEL", "one of fatal, error"],
    [
      "a reminder at the end of the TTL",
      { MOMLINK_REMINDER_PERCENT: "100" },
      "MOMLINK_REMINDER_PERCENT",
      "from 0 to 99",
    ],
    [
      "a direct-message switch that is not one",
      { MOMLINK_NOTIFY_DM: "maybe" },
      "MOMLINK_NOTIFY_DM",
      'must be true or false (got "maybe")',
    ],
    [
      "a ticket pattern that is not a regular expression",
      { MOMLINK_TICKET_PATTERN: "CHG[0-9" },
      "MOMLINK_TICKET_PATTERN",
      "is not a regular expression",
    ],
    [
      "a database URL of another engine",
      { MOMLINK_DATABASE_URL: "mysql://momlink:pw@db/momlink" },
      "MOMLINK_DATABASE_URL",
      "must start with postgres:// or postgresql://",
    ],
    [
      "a database URL that names no database",
      { MOMLINK_DATABASE_URL: "postgres://momlink:pw@db.example.net:5432" },
      "MOMLINK_DATABASE_URL",
      "names no database",
    ],
    [
      "a database URL that names no server",
      { MOMLINK_DATABASE_URL: "postgresql:///momlink" },
      "MOMLINK_DATABASE_URL",
      "names no server",
    ],
    [
      "a misspelt TLS parameter pg would ignore",
      { MOMLINK_DATABASE_URL: "postgres://momlink@db/momlink?sslmod=verify-full" },
      "MOMLINK_DATABASE_URL",
      'the parameter "sslmod", which node-postgres does not read',
    ],
    [
      "an unknown sslmode",
      { MOMLINK_DATABASE_URL: "postgres://momlink@db/momlink?sslmode=verify" },
      "MOMLINK_DATABASE_URL",
      "sslmode is one of disable, prefer, require, verify-ca, verify-full",
    ],
    [
      "a CA file that is not there",
      {
        MOMLINK_DATABASE_URL:
          "postgres://momlink@db/momlink?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
      },
      "MOMLINK_DATABASE_URL",
      "sslrootcert=/nonexistent/ca.pem, but that CA certificate file does not exist",
    ],
    [
      "a database URL that is no URL",
      { MOMLINK_DATABASE_URL: "db.example.net" },
      "MOMLINK_DATABASE_URL",
      "is not a URL",
    ],
    [
      "a misspelt momlink variable",
      { MOMLINK_APPROVER: "U0123ABCD" },
      "MOMLINK_APPROVER",
      "Did you mean MOMLINK_APPROVERS?",
    ],
  ];
  it.each(rows)("%s", (_name, env, variable, fragment) => {
    const errors = errorsOf(env);
    const error = errors.find((e) => e.startsWith(`${variable}: `));
    expect(error, errors.join("\n")).toBeDefined();
    expect(error).toContain(fragment);
    expect(error).toMatch(/e\.g\. [A-Z_]+=|Known: /); // every error shows what would work
  });

  it("reports every problem at once, not the first", () => {
    const errors = errorsOf({
      SLACK_APP_TOKEN: "nope",
      PORT: "x",
      LOG_LEVEL: "loud",
      MOMLINK_ALLOWED_DIRS: "data",
    });
    expect(errors.map((e) => e.split(":")[0]).sort()).toEqual(
      ["LOG_LEVEL", "MOMLINK_ALLOWED_DIRS", "PORT", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"].sort(),
    );
  });

  it("never echoes a token or signing secret it refuses", () => {
    // Characters that occur in no example or explanation, so a hit can only be an echo.
    const secretish = fc.string({ unit: fc.constantFrom(..."qwzQWZ!#%'"), minLength: 6, maxLength: 40 });
    fc.assert(
      fc.property(secretish, fc.constantFrom("xoxb-", "xapp-", "xoxp-", "S3cr3t"), (tail, head) => {
        const value = `${head}${tail}`;
        const errors = errorsOf({
          SLACK_BOT_TOKEN: value,
          SLACK_APP_TOKEN: value,
          SLACK_SIGNING_SECRET: value,
          PORT: "x",
        });
        for (const error of errors) expect(error).not.toContain(value);
      }),
    );
  });
});

describe("MOMLINK_DATABASE_URL", () => {
  it("takes a PostgreSQL URL with TLS options as node-postgres reads them", () => {
    const url = `postgresql://momlink:pw@db.example.net:5432/momlink?sslmode=verify-full&sslrootcert=${THIS_FILE}`;
    expect(configOf({ MOMLINK_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(configOf({}).databaseUrl).toBeUndefined();
  });

  it("reads MOMLINK_SIGNING_KEY, the key file every replica names (serve requires it on PostgreSQL)", () => {
    const config = configOf({ MOMLINK_SIGNING_KEY: "/etc/momlink/key.pem" });
    expect(config.signingKey).toBe("/etc/momlink/key.pem");
    expect(configOf({}).signingKey).toBeUndefined();
  });

  it("never echoes the password of a URL it refuses, wherever the URL holds it", () => {
    const secretish = fc.string({ unit: fc.constantFrom(..."qwzQWZ"), minLength: 6, maxLength: 30 });
    fc.assert(
      fc.property(
        secretish,
        fc.constantFrom("mysql://u:P@db/x", "postgres://u:P@db", "postgres://u@db/x?password=P&sslmode=bad"),
        (password, shape) => {
          const errors = errorsOf({ MOMLINK_DATABASE_URL: shape.replace("P", password) });
          expect(errors.length).toBeGreaterThan(0);
          for (const error of errors) expect(error).not.toContain(password);
        },
      ),
    );
  });
});

describe(".env.example", () => {
  const example = parseEnv(readFileSync(new URL("../.env.example", import.meta.url), "utf8"));

  it("documents every variable momlink reads", () => {
    expect(Object.keys(example).sort()).toEqual([...VARIABLES].sort());
  });

  it("is a valid configuration as shipped: the local console with the defaults", () => {
    expect(configOf(example)).toMatchObject({ mode: "console", requiredApprovals: 1, planTtlMinutes: 30 });
  });
});

describe("loadDotEnv", () => {
  const names = ["MOMLINK_DOTENV_PROBE_A", "MOMLINK_DOTENV_PROBE_B"];
  afterEach(() => {
    for (const name of names) delete process.env[name];
  });

  it("loads a .env file, and a variable already in the environment wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "momlink-env-"));
    const file = join(dir, ".env");
    writeFileSync(file, "MOMLINK_DOTENV_PROBE_A=from-file\nMOMLINK_DOTENV_PROBE_B=from-file\n");
    process.env.MOMLINK_DOTENV_PROBE_A = "from-environment";

    expect(loadDotEnv(file)).toBe(true);
    expect(process.env.MOMLINK_DOTENV_PROBE_A).toBe("from-environment");
    expect(process.env.MOMLINK_DOTENV_PROBE_B).toBe("from-file");
  });

  it("does nothing when there is no .env file", () => {
    expect(loadDotEnv(join(tmpdir(), "momlink-no-such-dir", ".env"))).toBe(false);
  });
});
