// One logger for the bot, the runner and the CLI: JSON lines by default, human-readable on a
// terminal. Secrets never reach the output, by two independent nets:
//  1. pino `redact` paths for the places we know tokens live (fast, but fixed depth);
//  2. a scrubber over every log call that censors sensitive keys at any depth and token-shaped
//     values anywhere (a token inside an error message or a URL has no key to match).
// The runner and the CLI load this file too: pino-pretty is loaded only when a terminal asks for
// it (a runner service and a pipe get JSON lines), and Bolt is named by its types only.
import { createRequire } from "node:module";
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from "@slack/bolt";
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export const CENSOR = "[redacted]";

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable output (pino-pretty). Default: when writing to stdout and stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go. Default: stdout, written synchronously so a crash loses nothing. */
  destination?: DestinationStream;
  /** Exact values to censor wherever they appear, e.g. the signing secret, which has no telltale shape. */
  secrets?: readonly string[];
}

const SECRET_KEYS = [
  "token",
  "botToken",
  "appToken",
  "bot_token",
  "app_token",
  "access_token",
  "refresh_token",
  "secret",
  "signingSecret",
  "signing_secret",
  "client_secret",
  "password",
  "authorization",
  "Authorization",
  "cookie",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "SLACK_CLIENT_SECRET",
];

/** pino `redact` paths: each secret key at the top level and one level down, plus HTTP headers. */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  "headers.authorization",
  "headers.Authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.headers.cookie",
  "req.headers.authorization",
  "request.headers.authorization",
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

/** Keys whose values are censored at any depth. */
const SENSITIVE_KEY =
  /(^|[_-])(token|secret|password|passwd)$|Token$|Secret$|Password$|^(authorization|proxy-authorization|cookie|set-cookie|x-slack-signature)$/i;
const SLACK_ENV_KEY = /^SLACK_/;

/** Slack tokens (bot, user, app-level, refresh...) and HTTP credentials, wherever they are embedded. */
const TOKEN_VALUE = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+/g;
const AUTH_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** The password in a URL's user info (MOMLINK_DATABASE_URL in a pg error or a logged config). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi;

const MAX_DEPTH = 8;

function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) || SLACK_ENV_KEY.test(key);
}

export function createScrubber(secrets: readonly string[] = []) {
  // Short "secrets" would censor ordinary words; real ones are long.
  const exact = secrets.filter((s) => s.length >= 8);

  function scrubString(text: string): string {
    let out = text
      .replace(TOKEN_VALUE, CENSOR)
      .replace(AUTH_VALUE, `$1 ${CENSOR}`)
      .replace(URL_PASSWORD, `$1${CENSOR}@`);
    for (const secret of exact) out = out.split(secret).join(CENSOR);
    return out;
  }

  function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value === "string") return scrubString(value);
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value)) return "[circular]";
    if (depth > MAX_DEPTH) return "[too deep]";
    if (value instanceof Date || ArrayBuffer.isView(value)) return value;
    seen.add(value);
    try {
      if (value instanceof Error) return scrub(pino.stdSerializers.err(value), depth, seen);
      if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
      if (value instanceof Map) return scrub(Object.fromEntries(value), depth, seen);
      if (value instanceof Set) return scrub([...value], depth, seen);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return scrub(toJSON.call(value), depth + 1, seen);
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        out[key] = isSensitiveKey(key) && inner !== undefined ? CENSOR : scrub(inner, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }

  return {
    string: scrubString,
    value: (value: unknown): unknown => scrub(value, 0, new WeakSet()),
    object: (value: Record<string, unknown>): Record<string, unknown> =>
      scrub(value, 0, new WeakSet()) as Record<string, unknown>,
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const scrubber = createScrubber(options.secrets);
  const toStdout = options.destination === undefined;
  const usePretty = options.pretty ?? (toStdout && process.stdout.isTTY === true);
  const stream: DestinationStream = usePretty
    ? loadPretty()({
        destination: options.destination ?? 1,
        colorize: toStdout && process.stdout.isTTY === true,
        sync: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: true }));

  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      // The scrubber has already turned errors into plain objects; pino's own serializer would
      // re-read those as errors of type "Object".
      serializers: { err: (value: unknown) => (value instanceof Error ? scrubber.value(value) : value) },
      formatters: {
        bindings: (bindings) => scrubber.object(bindings),
        log: (object) => scrubber.object(object),
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // `log.error(err)` takes its message from the error: censor it before pino copies it.
          if (first instanceof Error && typeof rest[0] !== "string") {
            return method.call(this, { err: first }, scrubber.string(first.message));
          }
          const scrubbed = [first, ...rest].map((arg) =>
            typeof arg === "string" ? scrubber.string(arg) : arg,
          );
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
}

/** pino-pretty, loaded (synchronously, it is CommonJS) the first time a logger writes for a person. */
function loadPretty(): typeof import("pino-pretty") {
  const pretty: typeof import("pino-pretty") = createRequire(import.meta.url)("pino-pretty");
  return pretty;
}

const TO_BOLT: Record<string, string> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "error",
  silent: "error",
};

/** Bolt's LogLevel for a pino level. Pass it as the App's `logLevel`: Bolt resets its logger's level to it. */
export function boltLogLevel(level: LogLevel): BoltLogLevel {
  return (TO_BOLT[level] ?? "info") as BoltLogLevel;
}

/** Bolt's Logger interface over a pino logger, so Bolt, its WebClient and Socket Mode log through redaction. */
export function toBoltLogger(logger: Logger, name = "bolt"): BoltLogger {
  let child = logger.child({ component: name });
  const write = (level: "debug" | "info" | "warn" | "error", parts: unknown[]) => {
    const err = parts.find((part) => part instanceof Error);
    const text = parts
      .filter((part) => part !== err)
      .map((part) => (typeof part === "string" ? part : safeJson(part)))
      .join(" ");
    if (err === undefined) child[level](text);
    else child[level]({ err }, text || (err as Error).message);
  };
  return {
    debug: (...parts: unknown[]) => write("debug", parts),
    info: (...parts: unknown[]) => write("info", parts),
    warn: (...parts: unknown[]) => write("warn", parts),
    error: (...parts: unknown[]) => write("error", parts),
    setLevel: (level: BoltLogLevel) => {
      child.level = level;
    },
    getLevel: () => boltLogLevel(child.level as LogLevel),
    setName: (newName: string) => {
      const level = child.level;
      child = logger.child({ component: newName });
      child.level = level;
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
