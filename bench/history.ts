// Does momlink stay as fast with years of history? Plan → channel preview, `/momlink show` → its
// reply and App Home → its publish, p50/p99, and the serving process's event-loop delay max, on an
// empty store (the baseline, same run) and on stores seeded with 1k and 100k changes.
//
//   node bench/history.ts [--sizes 1000,100000] [--samples 200] [--size-only] [--stores <dir>]
//
// 200 samples, so that a p99 is not simply the slowest request (with 40 it was: one stall of the
// machine's decided the ratio).
//
// --stores keeps each size's seeded store in <dir> (<size>.db, with the signing key beside it) and
// starts the next run from a copy of it instead of seeding again: a re-run after a fix then takes
// minutes, not the 100k seed's ten or more. Each run measures a fresh copy (its plans add changes),
// and a kept store is only as current as the seed and migrations it was made with: delete <dir>
// after changing either.
//
// --size-only seeds the sizes and prints the bytes per change on disk, by table (SQLite's dbstat),
// without starting a serve: the size figure in seconds rather than the 100k run's ten minutes.
//
// Two processes: this one (the local Slack Web API, the seeding, the signed requests, the clock)
// and a real `momlink serve` in HTTP mode with its runner API on, over the seeded file, which also
// watches its own event loop (perf_hooks.monitorEventLoopDelay) and reports it over IPC, beside
// an idle process watching its own over the same window (the machine's share of the delay: on 2
// cores shared with other work, the OS alone holds a process back tens of ms), and with the loop
// delay's p99 and the longest GC pause (one stall, or many; a collection's or not). Requests
// go one at a time: this measures how long a person waits, not throughput. The seeded history is
// bench/history-seed.ts (through the store API, batched in transactions; its time is printed).
import { type ChildProcess, fork } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import {
  eventCallbackPayload,
  LOCAL_WORKSPACE,
  slashCommandPayload,
} from "../src/console/local-slack/payloads.ts";
import { LocalSlackApi, type RecordedCall } from "../src/console/local-slack/web-api.ts";
import { signingKeyPathFor } from "../src/dispatch/keys.ts";
import { eventBody, signRequest, slashCommandBody } from "../test/harness/signing.ts";
import { APPROVER, pairText, REQUESTER, type SeedStats, seedHistory } from "./history-seed.ts";
import { freePort } from "./ports.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const BOT_TOKEN = "xoxb-0000000000-0000000000000-benchBotToken000000";
const START = new Date("2024-01-01T00:00:00.000Z");

type Message =
  | { type: "ready" }
  | { type: "reset" }
  | { type: "stats" }
  | { type: "delay"; maxMs: number; p99Ms: number; gcMaxMs: number; busyCpuMaxMs: number };

// ---------------------------------------------------------------------------------------------
// The serving child: a real `momlink serve`, watching its own event loop.

/**
 * The loop delay's max and p99, and the longest garbage collection pause over the same window: a
 * max far above the p99 is one stall, and the GC column says whether it was a collection's. And
 * the loop's longest busy stretch in the main thread's own CPU time (between two ticks of a 5 ms
 * timer): what the delay would be if the machine gave this process a core whenever it asked, so
 * on shared cores it tells this process's blocking from the OS's scheduling.
 */
function watchOwnLoop(): void {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let gcMaxMs = 0;
  let busyCpuMaxMs = 0;
  let lastCpu = process.threadCpuUsage();
  setInterval(() => {
    const cpu = process.threadCpuUsage();
    busyCpuMaxMs = Math.max(busyCpuMaxMs, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
    lastCpu = cpu;
  }, 5).unref();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, entry.duration);
  }).observe({ entryTypes: ["gc"] });
  process.on("message", (m: Message) => {
    if (m.type === "reset") {
      delay.reset();
      gcMaxMs = 0;
      busyCpuMaxMs = 0;
    }
    if (m.type === "reset" || m.type === "stats")
      process.send?.({
        type: "delay",
        maxMs: delay.max / 1e6,
        p99Ms: delay.percentile(99) / 1e6,
        gcMaxMs,
        busyCpuMaxMs,
      } satisfies Message);
  });
}

async function serveChild(): Promise<void> {
  watchOwnLoop();
  const { serve } = await import("../src/serve.ts");
  await serve();
  process.send?.({ type: "ready" } satisfies Message);
}

/**
 * The loop delay's baseline: a process that does nothing but watch its own event loop, over the
 * same window. Its delay is the machine's (the OS not scheduling it, on 2 shared cores), not momlink's.
 */
function idleChild(): void {
  watchOwnLoop();
  setInterval(() => {}, 60_000);
  process.send?.({ type: "ready" } satisfies Message);
}

/** The idle baseline process; stopped with stopServe. */
async function startIdle(): Promise<Serving> {
  const child = fork(import.meta.filename, ["--role", "idle"], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  const ask = (m: Message) =>
    new Promise<Message>((resolve) => {
      child.once("message", resolve);
      child.send(m);
    });
  return { child, url: "", ask };
}

// ---------------------------------------------------------------------------------------------
// The driver

interface Serving {
  child: ChildProcess;
  url: string;
  ask(m: Message): Promise<Message>;
}

async function startServe(dbPath: string, slackUrl: string): Promise<Serving> {
  const port = await freePort();
  const runnerPort = await freePort();
  const child = fork(import.meta.filename, ["--role", "serve"], {
    stdio: ["ignore", process.env.BENCH_DEBUG ? "inherit" : "ignore", "inherit", "ipc"],
    env: {
      ...process.env,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slackUrl,
      PORT: String(port),
      MOMLINK_DB: dbPath,
      MOMLINK_APPROVERS: APPROVER,
      MOMLINK_RUNNER_PORT: String(runnerPort),
      MOMLINK_RUNNER_HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    },
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`momlink serve exited with ${code} before it was ready`)));
    child.on("message", (m: Message) => {
      if (m.type === "ready") resolve();
    });
  });
  const ask = (m: Message) =>
    new Promise<Message>((resolve) => {
      child.once("message", resolve);
      child.send(m);
    });
  return { child, url: `http://127.0.0.1:${port}/slack/events`, ask };
}

async function stopServe(s: Serving): Promise<void> {
  s.child.removeAllListeners("exit");
  const exited = new Promise((resolve) => s.child.once("exit", resolve));
  s.child.kill("SIGTERM");
  await exited;
}

/** Resolves with the first call `match` accepts from now on. */
function nextCall(api: LocalSlackApi, match: (c: RecordedCall) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = api.onCall((call) => {
      if (!match(call)) return;
      off();
      resolve();
    });
  });
}

async function timed(url: string, body: string, type: string, until: Promise<void>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": type, ...signRequest(SECRET, body) },
    body,
  });
  if (res.status !== 200) throw new Error(`unexpected ack ${res.status}: ${await res.text()}`);
  await until;
  return performance.now() - t0;
}

const FORM = "application/x-www-form-urlencoded";
let sequence = 0;

/**
 * The channels plans are made in, one after another: a plan is three writes (its message and two
 * script parts), a channel's whole budget for 3 s (slack/update-scheduler.ts), so in one channel
 * each preview would wait for the one before it and the figure would be the gate's, not the store's.
 */
const PLAN_CHANNELS = Array.from({ length: 50 }, (_, i) => `C0HIST${String(i).padStart(3, "0")}`);

function command(api: LocalSlackApi, text: string, channel = "C0LOCAL01"): string {
  sequence += 1;
  return slashCommandBody(
    slashCommandPayload(LOCAL_WORKSPACE, {
      text,
      userId: REQUESTER,
      channelId: channel,
      triggerId: `${sequence}.${Date.now()}.bench`,
      responseUrl: api.issueResponseUrl({ channel, user: REQUESTER }),
    }),
  );
}

interface Measured {
  plan: number[];
  show: number[];
  home: number[];
  loopMaxMs: number;
  loopP99Ms: number;
  /** The serving process's longest GC pause over the same window. */
  gcMaxMs: number;
  /** The serving process's longest busy stretch of its loop, in its main thread's CPU time. */
  busyCpuMaxMs: number;
  /** The idle baseline process's loop delay max over the same window. */
  idleLoopMaxMs: number;
}

async function measure(
  api: LocalSlackApi,
  s: Serving,
  idle: Serving,
  changes: number,
  samples: number,
): Promise<Measured> {
  const out: Measured = {
    plan: [],
    show: [],
    home: [],
    loopMaxMs: 0,
    loopP99Ms: 0,
    gcMaxMs: 0,
    busyCpuMaxMs: 0,
    idleLoopMaxMs: 0,
  };
  // A warm-up of each, then the figures.
  for (let i = -3; i < samples; i++) {
    if (i === 0) await Promise.all([s.ask({ type: "reset" }), idle.ask({ type: "reset" })]);
    sequence += 1;
    const plan = timed(
      s.url,
      command(api, `plan ${pairText(`new-${sequence}`)}`, PLAN_CHANNELS[sequence % PLAN_CHANNELS.length]),
      FORM,
      nextCall(api, (c) => c.method === "chat.postMessage"),
    );
    const planMs = await plan;
    const id = `CHG-${1 + Math.floor(Math.random() * Math.max(1, changes))}`;
    const showMs = await timed(
      s.url,
      command(api, `show ${id}`),
      FORM,
      nextCall(api, (c) => c.method === "response_url"),
    );
    const event = eventCallbackPayload(
      LOCAL_WORKSPACE,
      {
        type: "app_home_opened",
        user: REQUESTER,
        channel: "D0LOCAL01",
        tab: "home",
        event_ts: `${Date.now() / 1000}`,
      },
      `Ev${sequence}`,
      Math.floor(Date.now() / 1000),
    );
    const homeMs = await timed(
      s.url,
      eventBody(event),
      "application/json",
      nextCall(api, (c) => c.method === "views.publish"),
    );
    if (i >= 0) {
      out.plan.push(planMs);
      out.show.push(showMs);
      out.home.push(homeMs);
    }
  }
  const [stats, idleStats] = await Promise.all([s.ask({ type: "stats" }), idle.ask({ type: "stats" })]);
  out.loopMaxMs = stats.type === "delay" ? stats.maxMs : Number.NaN;
  out.loopP99Ms = stats.type === "delay" ? stats.p99Ms : Number.NaN;
  out.gcMaxMs = stats.type === "delay" ? stats.gcMaxMs : Number.NaN;
  out.busyCpuMaxMs = stats.type === "delay" ? stats.busyCpuMaxMs : Number.NaN;
  out.idleLoopMaxMs = idleStats.type === "delay" ? idleStats.maxMs : Number.NaN;
  return out;
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN;
}

type Row = {
  label: string;
  m: Measured;
  seed?: { stats: SeedStats; ms: number; bytes: number } | { kept: string; bytes: number };
};

/** A store and its signing key, copied whole (its WAL checkpointed first, by sizeOf): --stores. */
function copyStore(from: string, to: string): void {
  sizeOf(from);
  mkdirSync(dirname(to), { recursive: true });
  for (const suffix of ["-wal", "-shm"]) rmSync(`${to}${suffix}`, { force: true });
  copyFileSync(from, to);
  copyFileSync(signingKeyPathFor(from), signingKeyPathFor(to));
}

function sizeOf(path: string): number {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return statSync(path).size;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "1000,100000" },
      samples: { type: "string", default: "200" },
      role: { type: "string" },
      "size-only": { type: "boolean", default: false },
      stores: { type: "string" },
    },
  });
  if (values.role === "serve") return serveChild();
  if (values.role === "idle") return idleChild();
  const sizes = values.sizes.split(",").map(Number);
  if (values["size-only"]) return sizesOnDisk(sizes);
  const samples = Number(values.samples);
  const dir = mkdtempSync(join(tmpdir(), "momlink-history-"));
  const dbPath = join(dir, "momlink.db");
  const api = new LocalSlackApi();
  for (const [i, id] of PLAN_CHANNELS.entries()) api.addChannel({ id, name: `mom-history-${i}` });
  const slack = await api.listen(0, "127.0.0.1");
  if (process.env.BENCH_DEBUG)
    api.onCall((c) =>
      process.stderr.write(`call ${c.method} ${c.status} ${JSON.stringify(c.response).slice(0, 200)}\n`),
    );
  const rows: Row[] = [];
  try {
    let seeded = 0;
    for (const size of [0, ...sizes]) {
      let seed: Row["seed"];
      const kept = values.stores === undefined || size === 0 ? null : join(values.stores, `${size}.db`);
      if (kept !== null && existsSync(kept)) {
        copyStore(kept, dbPath);
        seed = { kept, bytes: sizeOf(dbPath) };
        seeded = size;
        process.stderr.write(`${size} changes: a copy of ${kept}\n`);
      } else if (size > 0) {
        const t0 = performance.now();
        const stats = await seedHistory(dbPath, size - seeded, START);
        const ms = performance.now() - t0;
        seed = { stats, ms, bytes: sizeOf(dbPath) };
        seeded = size;
        process.stderr.write(`seeded ${size} changes (+${stats.changes} in ${(ms / 1000).toFixed(0)} s)\n`);
        if (kept !== null) copyStore(dbPath, kept);
      }
      const s = await startServe(dbPath, slack.url);
      const idle = await startIdle();
      try {
        rows.push({
          label: size === 0 ? "empty store" : `${size} changes`,
          m: await measure(api, s, idle, size, samples),
          ...(seed ? { seed } : {}),
        });
      } finally {
        await stopServe(s);
        await stopServe(idle);
      }
    }
  } finally {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rows, samples);
}

/** Seeds each size in turn and prints its bytes per change, in all and by table. */
async function sizesOnDisk(sizes: number[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "momlink-history-"));
  const dbPath = join(dir, "momlink.db");
  try {
    let seeded = 0;
    for (const size of sizes) {
      await seedHistory(dbPath, size - seeded, START);
      seeded = size;
      const bytes = sizeOf(dbPath);
      console.log(
        `${size} changes: ${(bytes / size / 1024).toFixed(1)} KB per change on disk (target < 10 KB)`,
      );
      const db = new DatabaseSync(dbPath, { readOnly: true });
      const tables = db
        .prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8")
        .all();
      db.close();
      for (const t of tables) console.log(`  ${String(t.name)}: ${(Number(t.bytes) / size).toFixed(0)} B`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(rows: Row[], samples: number): void {
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
  console.log(`momlink serve, one request at a time, ${samples} samples each (ms)\n`);
  const header = [
    "store",
    "plan→preview p50",
    "p99",
    "show p50",
    "p99",
    "App Home p50",
    "p99",
    "loop delay max",
    "idle process's",
    "loop p99",
    "longest GC",
    "longest busy (CPU)",
  ];
  console.log(header.join(" | "));
  for (const { label, m } of rows) {
    const cells = [m.plan, m.show, m.home].flatMap((v) => [percentile(v, 0.5), percentile(v, 0.99)]);
    console.log(
      [
        label,
        ...cells.map(fmt),
        ...[m.loopMaxMs, m.idleLoopMaxMs, m.loopP99Ms, m.gcMaxMs, m.busyCpuMaxMs].map(fmt),
      ].join(" | "),
    );
  }
  const small = rows[1];
  const large = rows.at(-1);
  if (small !== undefined && large !== undefined && large !== small) {
    const ratio = (a: number[], b: number[], p: number) => percentile(b, p) / percentile(a, p);
    const cells = (["plan", "show", "home"] as const).flatMap((k) => [
      ratio(small.m[k], large.m[k], 0.5),
      ratio(small.m[k], large.m[k], 0.99),
    ]);
    console.log(
      [
        `${large.label} / ${small.label}`,
        ...cells.map((c) => c.toFixed(2)),
        (large.m.loopMaxMs / small.m.loopMaxMs).toFixed(2),
      ].join(" | "),
    );
    console.log("goal: every ratio ≤ 1.5; loop delay max < 50 ms at the largest size");
    console.log(
      "(on shared cores read the loop delay beside the idle process's, over the same window, and the longest busy stretch in CPU time, which the kernel counts coarsely, to a few ms)",
    );
  }
  console.log("\nseeded history");
  for (const { label, seed } of rows) {
    if (seed === undefined) continue;
    if ("kept" in seed) {
      console.log(`${label}: a copy of ${seed.kept}; database ${(seed.bytes / 1024 / 1024).toFixed(1)} MB`);
      continue;
    }
    const per = (n: number) => (n / seed.stats.changes).toFixed(1);
    console.log(
      `${label}: +${seed.stats.changes} in ${(seed.ms / 1000).toFixed(0)} s; per change ${per(seed.stats.audit)} audit rows, ${per(seed.stats.jobs)} jobs, ${per(seed.stats.events)} step events; database ${(seed.bytes / 1024 / 1024).toFixed(1)} MB`,
    );
  }
  const last = rows.at(-1)?.seed;
  if (last !== undefined) {
    const total = Number(rows.at(-1)?.label.split(" ")[0]);
    console.log(`on disk: ${(last.bytes / total / 1024).toFixed(1)} KB per change (target < 10 KB)`);
  }
}

await main();
