// Ack latency of `/momlink plan` against a bare Bolt app whose listener only acks, in one run.
//
//   node bench/ack.ts [--requests 500] [--concurrency 20] [--rounds 10]
//
// Four processes, so that no server's work is timed as another's: the local Slack Web API (which
// momlink posts its plan messages to), momlink in HTTP mode over a temporary database, the bare
// Bolt app, and this one, which sends the same kind of signed request to both on 127.0.0.1 and
// times each until its response has arrived. Rounds alternate between the two apps; after each
// momlink round the bench waits until momlink has finished the work it does after its acks
// (store writes, chat.postMessage) so that work lands in momlink's own figures, not the bare app's.
// Every plan names its own pair of hosts (mom-a-<n>, mom-b-<n>), so none is refused by a host lock,
// and is made in its own channel: a plan is three channel writes (its message and two script
// parts), a channel's whole budget for 3 s (slack/update-scheduler.ts), so 500 plans in one channel
// would keep the work after the acks going for 25 minutes a round, timing Slack's limit, not acks.
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import type { AddressInfo } from "node:net";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { App, LogLevel } from "@slack/bolt";
import { pino } from "pino";
import { LOCAL_WORKSPACE, slashCommandPayload } from "../src/console/local-slack/payloads.ts";
import { LocalSlackApi } from "../src/console/local-slack/web-api.ts";
import { createLogger } from "../src/log.ts";
import { registerMomlink } from "../src/slack/app.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { signRequest, slashCommandBody } from "../test/harness/signing.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const BOT_TOKEN = "xoxb-0000000000-0000000000000-benchBotToken000000";
const SLACK_LIMIT_MS = 3000;

type Message =
  | { type: "ready"; url: string }
  | { type: "done"; completed: number }
  | { type: "wait"; count: number }
  | { type: "count" }
  | { type: "messages"; count: number };

// ---------------------------------------------------------------------------------------------
// Child processes

async function serveSlack(): Promise<void> {
  const api = new LocalSlackApi();
  const server = await api.listen(0, "127.0.0.1");
  process.on("message", (message: Message) => {
    if (message.type === "count")
      process.send?.({ type: "messages", count: api.messages.length } satisfies Message);
  });
  process.send?.({ type: "ready", url: server.url } satisfies Message);
}

function boltOptions(slackUrl: string) {
  return {
    token: BOT_TOKEN,
    signingSecret: SECRET,
    botId: LOCAL_WORKSPACE.botId,
    botUserId: LOCAL_WORKSPACE.botUserId,
    clientOptions: { slackApiUrl: slackUrl, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  };
}

/** Counts requests whose whole handling (the work after the ack included) has finished. */
function completionCounter(app: App): void {
  let completed = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  app.use(async ({ next }) => {
    try {
      await next();
    } finally {
      completed += 1;
      for (const w of waiters.filter((x) => completed >= x.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  process.on("message", (message: Message) => {
    if (message.type !== "wait") return;
    const reply = () => process.send?.({ type: "done", completed } satisfies Message);
    if (completed >= message.count) reply();
    else waiters.push({ count: message.count, resolve: reply });
  });
}

async function listen(app: App): Promise<void> {
  const server = (await app.start({ port: 0, host: "127.0.0.1" })) as import("node:http").Server;
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: "ready", url: `http://127.0.0.1:${port}/slack/events` } satisfies Message);
}

async function serveMomlink(slackUrl: string, dir: string): Promise<void> {
  const app = new App(boltOptions(slackUrl));
  completionCounter(app);
  // As in production: info level, synchronous JSON lines (to a file here rather than a terminal).
  const logger = createLogger({
    level: "info",
    destination: pino.destination({ dest: join(dir, "momlink.log"), sync: true }),
  });
  await registerMomlink(app, {
    store: openSqliteStore(join(dir, "momlink.db")),
    policy: {
      approvers: { users: ["U0BOB0001"], groups: [] },
      requiredApprovals: 1,
      fourEyes: true,
      ttlMinutes: 30,
    },
    allowedDirs: ["config", "data", "traces", "logs", "threaddumps"],
    now: () => new Date(),
    logger,
  });
  await listen(app);
}

async function serveBare(slackUrl: string): Promise<void> {
  const app = new App(boltOptions(slackUrl));
  completionCounter(app);
  app.command("/momlink", async ({ ack }) => {
    await ack();
  });
  await listen(app);
}

// ---------------------------------------------------------------------------------------------
// The driver

function start(role: string, ...args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(import.meta.filename, ["--role", role, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code} before it was ready`)));
    child.on("message", (m: Message) => {
      if (m.type === "ready") resolve({ child, url: m.url });
    });
  });
}

function settled(child: ChildProcess, count: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: Message) => {
      if (m.type !== "done") return;
      child.off("message", onMessage);
      resolve();
    };
    child.on("message", onMessage);
    child.send({ type: "wait", count } satisfies Message);
  });
}

function messagesPosted(slack: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: Message) => {
      if (m.type !== "messages") return;
      slack.off("message", onMessage);
      resolve(m.count);
    };
    slack.on("message", onMessage);
    slack.send({ type: "count" } satisfies Message);
  });
}

let sequence = 0;

/** One signed `/momlink plan` for a pair no other request uses. */
function planRequest(slackUrl: string): string {
  sequence += 1;
  const n = sequence;
  const base = slackUrl.replace(/api\/$/, "");
  return slashCommandBody(
    slashCommandPayload(LOCAL_WORKSPACE, {
      text: `plan primary=mom-a-${n} secondary=mom-b-${n} em-home="D:\\Introscope\\EM" share=\\\\san-server\\mom-failover-${n}`,
      userId: "U0LOCAL01",
      channelId: `C0ACK${String(n).padStart(5, "0")}`,
      triggerId: `${n}.${Date.now()}.bench`,
      responseUrl: `${base}response/bench/${n}`,
    }),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string, body: string): Promise<{ ms: number; status: number; text: string }> {
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "content-length": Buffer.byteLength(body),
    ...signRequest(SECRET, body),
  };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** `count` requests to `url`, `concurrency` at a time; returns each latency in ms. */
async function round(
  url: string,
  slackUrl: string,
  count: number,
  concurrency: number,
  expect: RegExp,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const r = await post(url, planRequest(slackUrl));
      if (r.status !== 200 || !expect.test(r.text)) throw new Error(`unexpected ack ${r.status}: ${r.text}`);
      latencies.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

function summary(latencies: number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 0.5), p99: percentile(s, 0.99), max: s.at(-1) ?? Number.NaN };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "500" },
      concurrency: { type: "string", default: "20" },
      rounds: { type: "string", default: "10" },
    },
  });
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const perRound = Math.ceil(total / rounds);
  const dir = mkdtempSync(join(tmpdir(), "momlink-bench-"));
  const children: ChildProcess[] = [];
  try {
    const slack = await start("slack");
    children.push(slack.child);
    // The fake stands in for Slack, which is remote: at the lowest CPU priority its work (momlink's
    // chat.postMessage calls) does not take CPU from the processes being timed on this machine.
    if (slack.child.pid !== undefined) setPriority(slack.child.pid, 19);
    const momlink = await start("momlink", slack.url, dir);
    const bare = await start("bare", slack.url);
    children.push(momlink.child, bare.child);

    const MOMLINK_ACK = /"response_type":"ephemeral".*Planning mom-a-\d+/;
    const BARE_ACK = /^$/;
    let momlinkSent = 0;
    let bareSent = 0;
    // Warm-up (not timed): JIT, connection pool, SQLite's first pages.
    await round(momlink.url, slack.url, 50, concurrency, MOMLINK_ACK);
    momlinkSent += 50;
    await settled(momlink.child, momlinkSent);
    await round(bare.url, slack.url, 50, concurrency, BARE_ACK);
    bareSent += 50;
    await settled(bare.child, bareSent);

    const timed = { momlink: [] as number[], bare: [] as number[] };
    for (let r = 0; r < rounds; r += 1) {
      // Alternate which app goes first, so neither always runs on a just-warmed machine.
      const order = r % 2 === 0 ? (["momlink", "bare"] as const) : (["bare", "momlink"] as const);
      for (const which of order) {
        if (which === "momlink") {
          timed.momlink.push(...(await round(momlink.url, slack.url, perRound, concurrency, MOMLINK_ACK)));
          momlinkSent += perRound;
          await settled(momlink.child, momlinkSent);
        } else {
          timed.bare.push(...(await round(bare.url, slack.url, perRound, concurrency, BARE_ACK)));
          bareSent += perRound;
          await settled(bare.child, bareSent);
        }
      }
    }

    // Every acked plan must also have become a channel message: the work after the ack was done.
    const posted = await messagesPosted(slack.child);
    if (posted !== momlinkSent)
      throw new Error(`momlink posted ${posted} plan messages for ${momlinkSent} plans`);

    const m = summary(timed.momlink);
    const b = summary(timed.bare);
    const ms = (x: number) => `${x.toFixed(2)} ms`.padStart(10);
    const ratio = m.p99 / b.p99;
    const slowest = Math.max(m.max, b.max);
    console.log(
      [
        `ack latency: ${m.n} signed /momlink plan requests to each app, ${concurrency} concurrent, 127.0.0.1, node ${process.version}`,
        "",
        `${"".padEnd(22)}${"median".padStart(10)}${"p99".padStart(10)}${"max".padStart(10)}`,
        `${"bare Bolt (ack only)".padEnd(22)}${ms(b.median)}${ms(b.p99)}${ms(b.max)}`,
        `${"momlink plan".padEnd(22)}${ms(m.median)}${ms(m.p99)}${ms(m.max)}`,
        "",
        `p99 ratio momlink / bare: ${ratio.toFixed(2)} (target <= 1.5) ${ratio <= 1.5 ? "ok" : "MISSED"}`,
        `slowest ack: ${slowest.toFixed(2)} ms (Slack gives up at ${SLACK_LIMIT_MS} ms) ${slowest < SLACK_LIMIT_MS / 10 ? "ok" : "MISSED"}`,
        `momlink recorded and posted all ${posted} plans (warm-up included) in the same run`,
      ].join("\n"),
    );
  } finally {
    for (const child of children) child.kill();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Children are this same file started with `--role <name> ...`.
const [flag, role, ...args] = process.argv.slice(2);
if (flag !== "--role") await main();
else if (role === "slack") await serveSlack();
else if (role === "momlink") await serveMomlink(args[0] ?? "", args[1] ?? "");
else if (role === "bare") await serveBare(args[0] ?? "");
