// A busy day: K changes at once, each on its own Linux pair, planned and approved together, run by
// in-process runners, against a real `momlink serve` and the local Slack enforcing Slack's write
// limits (429 with Retry-After). Prints plan and approve-click ack p50/p99/max beside a bare Bolt
// app's ack at the same concurrency (same run), chat.update per change, the busiest second of one
// message and of the channel, and how many writes Slack refused.
//
//   node bench/load.ts [--k 1,10,50,200] [--channels 10]
//
// In one channel Slack's one message a second bounds a busy day (about ten writes per change:
// the plan, its scripts, the updates, the thread replies: K=50 in one channel takes minutes, its
// approvals waiting behind the channel's writes); --channels spreads the changes over several ops
// channels (default 10, as the figures in docs/ were taken). The serve's side is printed too:
// arrival→ack (from the request's headers, so time spent before the serve read it is not in it),
// its event-loop delay, and its SQLite commits (store/transaction.ts's diagnostics channel).
// BENCH_SERVE_LOG=<file> keeps the children's logs.
//
// Processes: this one (the local Slack, the runners with a fake executor that reports every step
// of its host's plan, the signed requests) and, per K, a `momlink serve` child over a fresh file
// whose runners were added beforehand through the dispatcher API; a bare Bolt child for the
// baseline. Goals (issue 10): ack p99 ≤ 1.5× bare Bolt and max < 500 ms at K=50; no message
// updated more than once per second; K=200 completes.
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { LOCAL_CHANNEL, LOCAL_WORKSPACE, slashCommandPayload } from "../src/console/local-slack/payloads.ts";
import { LocalSlackApi, type RecordedCall, SLACK_RATE_LIMITS } from "../src/console/local-slack/web-api.ts";
import { createDispatcher } from "../src/dispatch/dispatcher.ts";
import { loadOrCreateSigningKeys, signingKeyPathFor } from "../src/dispatch/keys.ts";
import type { Job } from "../src/domain/job.ts";
import { type JobExecutor, register, startRunner } from "../src/runner/client.ts";
import { interactiveBody, signRequest, slashCommandBody } from "../test/harness/signing.ts";
import { readyHostFacts } from "../test/support/facts.ts";
import { freePort } from "./ports.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const BOT_TOKEN = "xoxb-0000000000-0000000000000-benchBotToken000000";
const REQUESTER = "U0LOCAL01";
const APPROVER = "U0BOB0001";
/** How long a fake step takes on a runner: a real one takes longer, which only spreads the load. */
const STEP_MS = 20;

/** The serve's SQLite write transactions in a window: how many, and their time on the event loop. */
interface WriteStats {
  count: number;
  windowMs: number;
  /** Summed over the window: inside write transactions, and inside their COMMITs (the fsyncs). */
  totalMs: number;
  commitMs: number;
  commitP99Ms: number;
  commitMaxMs: number;
}

interface ServeStats {
  acks: number[];
  loopMaxMs: number;
  loopP99Ms: number;
  writes: WriteStats;
}

type Message = { type: "ready" } | { type: "stats" } | ({ type: "stats" } & ServeStats);

// ---------------------------------------------------------------------------------------------
// Children

/**
 * The serve child also times each Slack request from the moment its server saw it to its answer
 * (node:http's diagnostics channels), and watches its event loop: asked for them ("stats"), it
 * sends those since it was last asked. The driver's own timing includes its runners and local Slack.
 */
async function serveChild(): Promise<void> {
  const { subscribe } = await import("node:diagnostics_channel");
  const started = new WeakMap<object, number>();
  let acks: number[] = [];
  type HttpMessage = { request: { url?: string }; response: object };
  subscribe("http.server.request.start", (m) => {
    const { request, response } = m as HttpMessage;
    if (request.url?.startsWith("/slack/") === true) started.set(response, performance.now());
  });
  subscribe("http.server.response.finish", (m) => {
    const at = started.get((m as HttpMessage).response);
    if (at !== undefined) acks.push(performance.now() - at);
  });
  // Every SQLite write transaction's time (store/transaction.ts publishes it while someone listens).
  const { SQLITE_WRITE_CHANNEL } = await import("../src/store/transaction.ts");
  let commits: { totalMs: number; commitMs: number }[] = [];
  let windowStart = performance.now();
  subscribe(SQLITE_WRITE_CHANNEL, (m) => {
    commits.push(m as { totalMs: number; commitMs: number });
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on("message", (m: Message) => {
    if (m.type !== "stats" || "acks" in m) return;
    const commitTimes = stats(commits.map((c) => c.commitMs));
    const reply = {
      type: "stats" as const,
      acks,
      loopMaxMs: loop.max / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      writes: {
        count: commits.length,
        windowMs: performance.now() - windowStart,
        totalMs: commits.reduce((sum, c) => sum + c.totalMs, 0),
        commitMs: commits.reduce((sum, c) => sum + c.commitMs, 0),
        commitP99Ms: commitTimes.p99,
        commitMaxMs: commitTimes.max,
      },
    };
    process.send?.(reply satisfies Message);
    acks = [];
    commits = [];
    windowStart = performance.now();
    loop.reset();
  });
  const { serve } = await import("../src/serve.ts");
  await serve();
  process.send?.({ type: "ready" } satisfies Message);
}

/** The serve child's own figures since it was last asked. */
function serveStats(c: ChildProcess): Promise<ServeStats> {
  return new Promise((resolve) => {
    const on = (m: Message) => {
      if (m.type !== "stats" || !("acks" in m)) return;
      c.off("message", on);
      resolve(m);
    };
    c.on("message", on);
    c.send({ type: "stats" } satisfies Message);
  });
}

async function bareChild(port: number, slackUrl: string): Promise<void> {
  const { App, LogLevel } = await import("@slack/bolt");
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SECRET,
    botId: LOCAL_WORKSPACE.botId,
    botUserId: LOCAL_WORKSPACE.botUserId,
    clientOptions: { slackApiUrl: slackUrl, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  });
  app.command("/momlink", async ({ ack }) => {
    await ack();
  });
  await app.start({ port, host: "127.0.0.1" });
  process.send?.({ type: "ready" } satisfies Message);
}

/** BENCH_SERVE_LOG=<file>: the children's logs (stdout) are appended there, to see what a slow run did. */
function child(args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const log = process.env.BENCH_SERVE_LOG;
  const c = fork(import.meta.filename, args, {
    stdio: ["ignore", log === undefined ? "ignore" : openSync(log, "a"), "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    c.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code} before it was ready`)));
    c.on("message", (m: Message) => {
      if (m.type === "ready") resolve(c);
    });
  });
}

async function stop(c: ChildProcess): Promise<void> {
  c.removeAllListeners("exit");
  const exited = new Promise((resolve) => c.once("exit", resolve));
  c.kill("SIGTERM");
  await exited;
}

// ---------------------------------------------------------------------------------------------
// The runners: a fake executor that answers pre-flight with ready facts and runs every step

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The steps of the job's host in its plan (the fake executor reports each). */
function stepsOf(job: Job): { kind: string; dir: string }[] {
  const hosts: unknown[] = Array.isArray(job.plan.hosts) ? job.plan.hosts : [];
  const mine = hosts.find((h) => isObject(h) && h.role === job.role);
  const steps: unknown[] = isObject(mine) && Array.isArray(mine.steps) ? mine.steps : [];
  return steps.map((s) => ({
    kind: isObject(s) ? String(s.kind) : "step",
    dir: isObject(s) ? String(s.dir) : "",
  }));
}

const executor: JobExecutor = {
  preflight: async (job) =>
    readyHostFacts(job.host, Array.isArray(job.plan.dirs) ? job.plan.dirs.map(String) : ["config"]),
  run: async (job, onEvent) => {
    for (const [index, step] of stepsOf(job).entries()) {
      onEvent({ index, ...step, status: "started", output: "" });
      await sleep(STEP_MS);
      onEvent({ index, ...step, status: "succeeded", output: "" });
    }
    return { ok: true };
  },
};

// ---------------------------------------------------------------------------------------------
// The driver

const pairText = (n: number) =>
  `plan platform=linux primary=mom-a-${n} secondary=mom-b-${n} em-home=/opt/introscope share=/mnt/mom-share-${n} dirs=config,data`;

async function post(url: string, body: string, type: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": type, ...signRequest(SECRET, body) },
    body,
  });
  await res.text();
  if (res.status !== 200) throw new Error(`ack ${res.status}`);
  return performance.now() - t0;
}

/** The ops channels the changes are planned in: change n in channel n mod their number. */
let CHANNELS: string[] = [LOCAL_CHANNEL.id];
const channelOf = (n: number) => CHANNELS[n % CHANNELS.length] ?? LOCAL_CHANNEL.id;

function command(api: LocalSlackApi, text: string, user: string, channel: string): string {
  return slashCommandBody(
    slashCommandPayload(LOCAL_WORKSPACE, {
      text,
      userId: user,
      channelId: channel,
      triggerId: `${Math.random()}.bench`,
      responseUrl: api.issueResponseUrl({ channel, user }),
    }),
  );
}

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? Number.NaN };
}

/** The most calls of `calls` (with their arrival time) within any one second. */
function busiestSecond(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while ((s[i] ?? 0) - (s[j] ?? 0) >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

interface KRow {
  k: number;
  bare: ReturnType<typeof stats>;
  plan: ReturnType<typeof stats>;
  click: ReturnType<typeof stats>;
  /** The serve's own time from a request's arrival to its answer (the plan burst, then the clicks'). */
  servePlan: ReturnType<typeof stats>;
  serveClick: ReturnType<typeof stats>;
  /** The serve's event-loop delay max while the plans and the clicks were answered. */
  loopMaxMs: number;
  /** This process's event-loop delay max while the plans were acked. */
  driverLoopMaxMs: number;
  /** The serve's SQLite writes: the plan burst (to the last preview), the clicks, the runs to the end. */
  writes: { plan: WriteStats; click: WriteStats; run: WriteStats };
  updatesPerChange: number;
  busiestMessage: number;
  busiestChannel: number;
  refused: number;
  completeS: number;
}

async function runK(
  k: number,
  api: LocalSlackApi,
  slackUrl: string,
  arrivals: Map<number, number>,
): Promise<KRow> {
  const dir = mkdtempSync(join(tmpdir(), "momlink-load-"));
  const db = join(dir, "momlink.db");
  const runnerPort = await freePort();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/slack/events`;
  const stopRunners = new AbortController();
  let serve: ChildProcess | undefined;
  try {
    // Runners added through the dispatcher API before the bot starts; they register over HTTP.
    const dispatcher = createDispatcher({ db, keys: loadOrCreateSigningKeys(signingKeyPathFor(db)) });
    const tokens: { name: string; token: string }[] = [];
    for (let n = 0; n < k; n++) {
      for (const side of ["a", "b"] as const) {
        const name = `mom-${side}-${n}`;
        tokens.push({
          name,
          token: (await dispatcher.addRunner({ name, host: name, platform: "linux" })).token,
        });
      }
    }
    await dispatcher.close();
    serve = await child(["--role", "serve"], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slackUrl,
      PORT: String(port),
      MOMLINK_DB: db,
      MOMLINK_APPROVERS: APPROVER,
      MOMLINK_RUNNER_PORT: String(runnerPort),
      MOMLINK_RUNNER_HOST: "127.0.0.1",
      MOMLINK_RUNNER_MAX_CONNECTIONS: String(Math.max(100, 4 * k)),
      LOG_LEVEL: "info",
    });
    const server = `http://127.0.0.1:${runnerPort}`;
    const loops: Promise<unknown>[] = [];
    for (const { name, token } of tokens) {
      const configPath = join(dir, `${name}.json`);
      await register({ server, token, configPath, platform: "linux", hostname: name });
      loops.push(startRunner({ configPath, executor, signal: stopRunners.signal }).catch(() => {}));
    }
    // The bare app, at the same concurrency, on the same machine, now.
    const barePort = await freePort();
    const bare = await child(["--role", "bare", "--port", String(barePort), "--slack", slackUrl], {});
    const bareAcks = await Promise.all(
      Array.from({ length: k }, (_, n) =>
        post(
          `http://127.0.0.1:${barePort}/slack/events`,
          command(api, pairText(n), REQUESTER, channelOf(n)),
          "application/x-www-form-urlencoded",
        ),
      ),
    );
    await stop(bare);

    await serveStats(serve);
    const since = api.mark();
    const ephemeralsBefore = api.ephemerals.length;
    const t0 = performance.now();
    const posted = new Map<string, string>();
    const allPosted = new Promise<void>((resolve) => {
      const off = api.onCall((c) => {
        const blocks = JSON.stringify(c.params.blocks ?? "");
        const id = /CHG-\d+/.exec(blocks);
        const ts = c.method === "chat.postMessage" ? c.response.ts : c.params.ts;
        const main = c.params.thread_ts === undefined && c.response.ok === true;
        if (
          /^chat\.(postMessage|update)$/.test(c.method) &&
          main &&
          id !== null &&
          /momlink_approve/.test(blocks)
        ) {
          posted.set(id[0], `${String(c.params.channel)} ${String(ts)}`);
        }
        if (posted.size >= k) {
          off();
          resolve();
        }
      });
    });
    // This process's own loop (its runners, the local Slack, the requests): a driver too busy to
    // read an answer adds to the acks it times, for ours and not for the bare app's.
    const driverLoop = monitorEventLoopDelay({ resolution: 5 });
    driverLoop.enable();
    const planAcks = await Promise.all(
      Array.from({ length: k }, (_, n) =>
        post(url, command(api, pairText(n), REQUESTER, channelOf(n)), "application/x-www-form-urlencoded"),
      ),
    );
    const driverLoopMaxMs = driverLoop.max / 1e6;
    driverLoop.disable();
    await allPosted;
    const planServed = await serveStats(serve);
    if (process.env.BENCH_DEBUG) process.stderr.write(`posted ${posted.size}\n`);
    const clickAcks = await Promise.all(
      [...posted.values()].map((where) => {
        const ts = where.split(" ")[1] ?? "";
        const payload = api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: APPROVER });
        return post(url, interactiveBody(payload), "application/x-www-form-urlencoded");
      }),
    );
    const clickServed = await serveStats(serve);
    // Done when every message shows the change succeeded (the final state delivered).
    const succeeded = () =>
      [...posted.values()].every((where) => {
        const [channel = "", ts = ""] = where.split(" ");
        return /Succeeded/.test(JSON.stringify(api.message(channel, ts)?.blocks ?? ""));
      });
    // A click that raced a re-render carried the hash of the message before it and was refused
    // ("the plan changed"), as it would be for a person: click once more on what the message shows now.
    let reclicks = 0;
    for (let waited = 0; !succeeded(); waited++) {
      await sleep(1000);
      if (waited % 5 !== 4) continue;
      for (const where of posted.values()) {
        const [channel = "", ts = ""] = where.split(" ");
        const blocks = JSON.stringify(api.message(channel, ts)?.blocks ?? "");
        if (!/momlink_approve/.test(blocks)) continue;
        reclicks += 1;
        await post(
          url,
          interactiveBody(api.blockActions({ messageTs: ts, actionId: "momlink_approve", userId: APPROVER })),
          "application/x-www-form-urlencoded",
        );
      }
    }
    if (reclicks > 0)
      process.stderr.write(`K=${k}: ${reclicks} approvals clicked again on the re-rendered message\n`);
    // What the clicks that did not approve were told (the refusal's reason, up to its first colon's clause).
    const told = new Map<string, number>();
    for (const e of api.ephemerals.slice(ephemeralsBefore)) {
      const reason = e.text
        .replace(/CHG-\d+/g, "CHG-n")
        .replace(/\(hash .*$/, "(hash …)")
        .slice(0, 90);
      told.set(reason, (told.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of told) process.stderr.write(`K=${k}: ${n} × ${reason}\n`);
    const completeS = (performance.now() - t0) / 1000;
    const runServed = await serveStats(serve);
    const calls = api.calls.slice(since);
    const updates = calls.filter((c) => c.method === "chat.update" && c.status === 200);
    const byMessage = new Map<string, number[]>();
    for (const c of updates)
      byMessage.set(String(c.params.ts), [
        ...(byMessage.get(String(c.params.ts)) ?? []),
        arrivals.get(c.seq) ?? 0,
      ]);
    const writes = calls.filter(
      (c: RecordedCall) =>
        (c.method === "chat.update" || c.method === "chat.postMessage") && c.status === 200,
    );
    return {
      k,
      bare: stats(bareAcks),
      plan: stats(planAcks),
      click: stats(clickAcks),
      servePlan: stats(planServed.acks),
      serveClick: stats(clickServed.acks),
      loopMaxMs: Math.max(planServed.loopMaxMs, clickServed.loopMaxMs),
      driverLoopMaxMs,
      writes: { plan: planServed.writes, click: clickServed.writes, run: runServed.writes },
      updatesPerChange: updates.length / k,
      busiestMessage: Math.max(...[...byMessage.values()].map(busiestSecond)),
      busiestChannel: Math.max(
        ...CHANNELS.map((ch) =>
          busiestSecond(writes.filter((c) => c.params.channel === ch).map((c) => arrivals.get(c.seq) ?? 0)),
        ),
      ),
      refused: calls.filter((c) => c.status === 429).length,
      completeS,
    };
  } finally {
    stopRunners.abort();
    if (serve !== undefined) await stop(serve);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      k: { type: "string", default: "1,10,50,200" },
      channels: { type: "string", default: "10" },
      role: { type: "string" },
      port: { type: "string" },
      slack: { type: "string" },
    },
  });
  if (values.role === "serve") return serveChild();
  if (values.role === "bare") return bareChild(Number(values.port), String(values.slack));
  const api = new LocalSlackApi({ rateLimits: SLACK_RATE_LIMITS });
  api.addUser({ id: APPROVER, name: "bob" });
  const extra = Array.from(
    { length: Math.max(0, Number(values.channels) - 1) },
    (_, i) => `C0LOAD${String(i).padStart(3, "0")}`,
  );
  for (const [i, id] of extra.entries()) api.addChannel({ id, name: `mom-ops-${i}` });
  CHANNELS = [LOCAL_CHANNEL.id, ...extra];
  const arrivals = new Map<number, number>();
  api.onCall((c) => arrivals.set(c.seq, performance.now()));
  const slack = await api.listen(0, "127.0.0.1");
  const rows: KRow[] = [];
  try {
    for (const k of values.k.split(",").map(Number)) {
      rows.push(await runK(k, api, slack.url, arrivals));
      process.stderr.write(`K=${k} done\n`);
    }
  } finally {
    await slack.close();
  }
  const f = (n: number) => n.toFixed(0);
  console.log(
    "K | bare Bolt ack p50/p99/max | plan ack p50/p99/max | approve ack p50/p99/max | chat.update per change | busiest second: message / channel | 429s | all succeeded after",
  );
  const serveSide: string[] = [];
  for (const r of rows) {
    const s = (x: ReturnType<typeof stats>) => `${f(x.p50)}/${f(x.p99)}/${f(x.max)} ms`;
    console.log(
      `${r.k} | ${s(r.bare)} | ${s(r.plan)} | ${s(r.click)} | ${r.updatesPerChange.toFixed(1)} | ${r.busiestMessage} / ${r.busiestChannel} | ${r.refused} | ${r.completeS.toFixed(1)} s`,
    );
    serveSide.push(
      `${r.k} | ${s(r.servePlan)} | ${s(r.serveClick)} | ${f(r.loopMaxMs)} ms | ${f(r.driverLoopMaxMs)} ms`,
    );
  }
  console.log(
    "\nin the serve: K | plan arrival→ack p50/p99/max | approve arrival→ack p50/p99/max | loop delay max | the driver's loop delay max while the plans were acked",
  );
  for (const line of serveSide) console.log(line);
  console.log(
    "\nSQLite writes in the serve (plans to the last preview | the clicks | the runs to the end): commits, per s, ms in write transactions / in COMMIT, COMMIT p99/max ms",
  );
  const w = (x: WriteStats) =>
    `${x.count}, ${f((x.count * 1000) / Math.max(1, x.windowMs))}/s, ${f(x.totalMs)}/${f(x.commitMs)} ms, ${x.commitP99Ms.toFixed(1)}/${x.commitMaxMs.toFixed(1)}`;
  for (const r of rows)
    console.log(`${r.k} | ${w(r.writes.plan)} | ${w(r.writes.click)} | ${w(r.writes.run)}`);
  console.log(
    "goals: at K=50 ack p99 ≤ 1.5× bare Bolt and max < 500 ms; busiest second per message ≤ 1; K=200 completes",
  );
}

await main();
