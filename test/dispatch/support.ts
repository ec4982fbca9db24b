// Shared set-up for the dispatcher and runner-client tests: a driven clock, a hand-fired scheduler,
// a dispatcher on 127.0.0.1 port 0 over a temporary SQLite file, and small HTTP helpers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherEvent,
  type DispatcherEvents,
  type DispatcherOptions,
  type EnqueueInput,
  type Listening,
  type ListenOptions,
  type Scheduler,
} from "../../src/dispatch/dispatcher.ts";
import { generateSigningKeys } from "../../src/dispatch/keys.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import type { SigningKeys } from "../../src/protocol/signing.ts";
import { drivenClock as sharedClock } from "../support/clock.ts";
import { fakePlan } from "../support/plan.ts";

export const T0 = new Date("2025-11-26T10:00:00.000Z");
export const PLAN_HASH = "a".repeat(64);

/** The shared driven clock (test/support/clock.ts), under the names the dispatcher's tests use. */
export function drivenClock(start: Date = T0) {
  const time = sharedClock(start);
  return { clock: time.now, advance: time.advanceMs };
}

/** Timers that run only when the test says so. `every` is ignored: tests call tick(). */
export function manualScheduler() {
  const pending = new Set<() => void>();
  let fired = 0;
  const scheduler: Scheduler = {
    every: () => () => {},
    after: (_ms, fn) => {
      pending.add(fn);
      return () => pending.delete(fn);
    },
  };
  return {
    scheduler,
    /** Long-poll time-outs not yet fired nor cancelled. */
    pending: () => pending.size,
    fired: () => fired,
    fireAll: () => {
      for (const fn of [...pending]) {
        pending.delete(fn);
        fired++;
        fn();
      }
    },
  };
}

export function captureLogger(level: "info" | "debug" = "info"): { logger: Logger; lines: () => string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines: () => lines.map((l) => JSON.parse(l).msg as string) };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "momlink-dispatch-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves with the arguments of the next `event` the dispatcher emits. */
export function next<K extends DispatcherEvent>(
  dispatcher: Dispatcher,
  event: K,
): Promise<DispatcherEvents[K]> {
  return new Promise((resolve) => {
    const off = dispatcher.on(event, (...args) => {
      off();
      resolve(args);
    });
  });
}

export interface Bot {
  dispatcher: Dispatcher;
  /** What listen() returned: the URL, the port and the HTTP server itself. */
  listening: Listening;
  url: string;
  port: number;
  dbPath: string;
  keys: SigningKeys;
  time: ReturnType<typeof drivenClock>;
  timers: ReturnType<typeof manualScheduler>;
}

export async function startBot(
  dbPath: string,
  options: Partial<DispatcherOptions> & {
    port?: number;
    keys?: SigningKeys;
    time?: ReturnType<typeof drivenClock>;
    tls?: { cert: string; key: string };
    limits?: ListenOptions["limits"];
  } = {},
): Promise<Bot> {
  const time = options.time ?? drivenClock();
  const timers = manualScheduler();
  const keys = options.keys ?? generateSigningKeys();
  const dispatcher = createDispatcher({
    db: dbPath,
    keys,
    clock: time.clock,
    scheduler: timers.scheduler,
    leaseMs: 60_000,
    ...options,
  });
  const listening = await dispatcher.listen({
    host: "127.0.0.1",
    port: options.port ?? 0,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return { dispatcher, listening, url: listening.url, port: listening.port, dbPath, keys, time, timers };
}

/** Adds a runner and registers it over HTTP; returns its credential. */
export async function registerRunner(
  bot: Bot,
  name: string,
  host: string,
  platform: "linux" | "windows" = "linux",
): Promise<string> {
  const { token } = await bot.dispatcher.addRunner({ name, host, platform });
  const res = await post(bot.url, "/v1/register", { token, version: "0.1.0", platform, hostname: host });
  if (res.status !== 200) throw new Error(`registration failed: ${JSON.stringify(res.body)}`);
  return (res.body as { credential: string }).credential;
}

export interface JsonReply {
  status: number;
  body: unknown;
  headers: Headers;
}

async function asReply(res: Response): Promise<JsonReply> {
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? null : (JSON.parse(text) as unknown),
    headers: res.headers,
  };
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  credential?: string,
): Promise<JsonReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  return asReply(await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) }));
}

export async function get(
  base: string,
  path: string,
  credential?: string,
  signal?: AbortSignal,
): Promise<JsonReply> {
  const headers: Record<string, string> = {};
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  return asReply(await fetch(base + path, { headers, ...(signal === undefined ? {} : { signal }) }));
}

export function jobInput(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return {
    kind: "execute",
    changeId: "CHG-12",
    host: "mom-a",
    role: "primary",
    planHash: PLAN_HASH,
    plan: fakePlan("CHG-12", { hash: PLAN_HASH }),
    ...overrides,
  };
}

export function stepEvent(
  jobId: string,
  index: number,
  status: "started" | "succeeded" | "failed" = "started",
) {
  return { jobId, index, kind: "mklink", dir: "config", status, output: "", at: T0.toISOString() };
}
