// What starting momlink costs, beside what starting Node itself costs, in one run:
//  - `momlink plan ...` (the CLI binary, a whole plan rendered) against `node -e 0`: wall time and
//    peak RSS, median of --runs, the two interleaved so that a busy machine slows both alike;
//  - `momlink runner start` against a bare `node -e` client that long-polls the same endpoint with
//    the same credential: time from spawn to the bot parking its first long-poll, and RSS once idle.
//
//   node bench/startup.ts [--runs 7] [--idle-ms 2000]
//
// Goals (issue 10): `momlink plan` <= 4x `node -e 0`; runner idle RSS <= 70 MB. Node compiles each
// TypeScript file on first load and keeps the result in its compile cache (bin/momlink.js turns it
// on): the first run after an install or an upgrade pays for that once, so the bench prints that
// run apart ("cold") from the median of the others ("warm"). Linux only (RSS is read from /proc).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execa, type ResultPromise } from "execa";
import { createDispatcher, type Dispatcher } from "../src/dispatch/dispatcher.ts";
import { generateSigningKeys } from "../src/dispatch/keys.ts";
import { register } from "../src/runner/client.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "7" }, "idle-ms": { type: "string", default: "2000" } },
});
const RUNS = Math.max(2, Number(values.runs));
const IDLE_MS = Number(values["idle-ms"]);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin/momlink.js");
const PLAN_ARGS = [
  "plan",
  "primary=mom-a",
  "secondary=mom-b",
  "em-home=D:\\Introscope\\EM",
  "share=\\\\san-server\\mom-failover",
];
const PLAN_GOAL = 4;
const RSS_GOAL_MB = 70;

const work = mkdtempSync(join(tmpdir(), "momlink-bench-startup-"));
/** A compile cache of the bench's own, emptied before the first run: the cold run is really cold. */
const CACHE = join(work, "compile-cache");
const childEnv = { ...process.env, NODE_COMPILE_CACHE: CACHE, MOMLINK_DB: join(work, "unused.db") };

// Peak RSS as the kernel counts it, printed by the child itself at exit (Node has no wait4 rusage).
const PEAK_RSS = `data:text/javascript,${encodeURIComponent(
  'import{writeSync}from"node:fs";process.on("exit",()=>writeSync(2,"\\nmaxrss="+process.resourceUsage().maxRSS+"\\n"))',
)}`;

interface Sample {
  ms: number;
  mb: number;
}

/** The same child with Node's compile cache switched off: every TypeScript file stripped at each start. */
const uncachedEnv = { ...childEnv, NODE_DISABLE_COMPILE_CACHE: "1" };

async function timed(args: string[], env: NodeJS.ProcessEnv = childEnv): Promise<Sample> {
  const t0 = performance.now();
  const out = await execa(process.execPath, ["--import", PEAK_RSS, ...args], { env, reject: false });
  const ms = performance.now() - t0;
  if (out.exitCode !== 0) throw new Error(`${args.join(" ")} exited ${out.exitCode}: ${out.stderr}`);
  const kb = Number(/maxrss=(\d+)/.exec(out.stderr)?.[1]);
  return { ms, mb: kb / 1024 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function cliRows() {
  const node: Sample[] = [];
  const plan: Sample[] = [];
  const uncached: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await timed(["-e", "0"]));
    plan.push(await timed([BIN, ...PLAN_ARGS]));
    uncached.push(await timed([BIN, ...PLAN_ARGS], uncachedEnv));
  }
  return { node, cold: plan[0]!, warm: plan.slice(1), uncached };
}

// --- the runner -------------------------------------------------------------------------------

/** The smallest client that does what an idle runner does: long-poll the bot, again and again. */
const BARE_CLIENT = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true });
const poll = () => http.get(process.env.BENCH_URL + "/v1/jobs/next?wait=25",
  { agent, headers: { authorization: "Bearer " + process.env.BENCH_CREDENTIAL } },
  (res) => { res.resume(); res.on("end", poll); });
poll();`;

function rssMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return kb / 1024;
}

interface RunnerSample {
  firstPollMs: number;
  idleMb: number;
  peakMb: number;
}

function untilPolling(dispatcher: Dispatcher, name: string, child: ResultPromise): Promise<void> {
  return new Promise<void>((resolveWaiting, rejectWaiting) => {
    const off = dispatcher.on("waiting", (runner) => {
      if (runner !== name) return;
      off();
      resolveWaiting();
    });
    child.then(
      (out) => rejectWaiting(new Error(`the process exited before its first long-poll: ${out.stderr}`)),
      rejectWaiting,
    );
  });
}

async function runnerSample(
  dispatcher: Dispatcher,
  name: string,
  start: () => ResultPromise,
): Promise<RunnerSample> {
  const t0 = performance.now();
  const child = start();
  await untilPolling(dispatcher, name, child);
  const firstPollMs = performance.now() - t0;
  await sleep(IDLE_MS); // idle: the long-poll is parked, nothing else to do
  const pid = child.pid ?? -1;
  const sample = { firstPollMs, idleMb: rssMb(pid, "VmRSS"), peakMb: rssMb(pid, "VmHWM") };
  child.kill("SIGTERM");
  await child.catch(() => undefined);
  return sample;
}

async function runnerRows() {
  const dispatcher = createDispatcher({ db: join(work, "bot.db"), keys: generateSigningKeys() });
  try {
    const { url } = await dispatcher.listen({ host: "127.0.0.1", port: 0 });
    const { token } = await dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    const configPath = join(work, "runner.json");
    const config = await register({ server: url, token, configPath, platform: "linux", hostname: "mom-a" });
    const bare: RunnerSample[] = [];
    const runner: RunnerSample[] = [];
    const uncached: RunnerSample[] = [];
    const startRunner = (env: NodeJS.ProcessEnv) => () =>
      execa(
        process.execPath,
        [
          BIN,
          "runner",
          "start",
          "--config",
          configPath,
          "--allow-em-home",
          work,
          "--allow-share",
          work,
          "--unknown-service-is-stopped",
          "--log-level",
          "warn",
        ],
        { env, reject: false },
      );
    const startBare = () =>
      execa(process.execPath, ["-e", BARE_CLIENT], {
        env: { ...childEnv, BENCH_URL: url, BENCH_CREDENTIAL: config.credential },
        reject: false,
      });
    for (let i = 0; i < RUNS; i++) {
      bare.push(await runnerSample(dispatcher, "mom-a", startBare));
      runner.push(await runnerSample(dispatcher, "mom-a", startRunner(childEnv)));
      uncached.push(await runnerSample(dispatcher, "mom-a", startRunner(uncachedEnv)));
    }
    return { bare, cold: runner[0]!, warm: runner.slice(1), uncached };
  } finally {
    await dispatcher.close();
  }
}

// --- the report -------------------------------------------------------------------------------

const LABEL = 52;
const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(9);
const mb = (x: number) => `${x.toFixed(1)} MB`.padStart(9);

try {
  const cli = await cliRows();
  const runner = await runnerRows();
  const nodeMs = median(cli.node.map((s) => s.ms));
  const planMs = median(cli.warm.map((s) => s.ms));
  const bareRss = median(runner.bare.map((s) => s.idleMb));
  const runnerRss = median(runner.warm.map((s) => s.idleMb));
  console.log(
    `\nmomlink start-up, ${RUNS} runs each, interleaved (Node ${process.version}, ${process.platform})\n`,
  );
  console.log(`${"".padEnd(LABEL)}${"wall".padStart(9)}${"peak RSS".padStart(11)}`);
  console.log(`${"node -e 0 (median)".padEnd(LABEL)}${ms(nodeMs)}  ${mb(median(cli.node.map((s) => s.mb)))}`);
  console.log(
    `${"momlink plan, cold compile cache (run 1)".padEnd(LABEL)}${ms(cli.cold.ms)}  ${mb(cli.cold.mb)}`,
  );
  console.log(
    `${"momlink plan, warm (median of the rest)".padEnd(LABEL)}${ms(planMs)}  ${mb(median(cli.warm.map((s) => s.mb)))}`,
  );
  console.log(
    `${"momlink plan, compile cache off (median)".padEnd(LABEL)}${ms(median(cli.uncached.map((s) => s.ms)))}  ${mb(
      median(cli.uncached.map((s) => s.mb)),
    )}`,
  );
  console.log(
    `\n${"".padEnd(LABEL)}${"to poll".padStart(9)}${"idle RSS".padStart(11)}${"peak RSS".padStart(11)}`,
  );
  const row = (label: string, s: RunnerSample[]) =>
    console.log(
      `${label.padEnd(LABEL)}${ms(median(s.map((x) => x.firstPollMs)))}  ${mb(median(s.map((x) => x.idleMb)))}  ${mb(
        median(s.map((x) => x.peakMb)),
      )}`,
    );
  row("bare node -e long-poll client (median)", runner.bare);
  row("momlink runner start, cold (run 1)", [runner.cold]);
  row("momlink runner start, warm (median of the rest)", runner.warm);
  row("momlink runner start, compile cache off (median)", runner.uncached);
  const ratio = planMs / nodeMs;
  console.log(
    `\ngoal: momlink plan <= ${PLAN_GOAL}x node -e 0 -> ${ratio <= PLAN_GOAL ? "met" : "MISSED"} (${ratio.toFixed(1)}x warm, ${(cli.cold.ms / nodeMs).toFixed(1)}x cold)`,
  );
  console.log(
    `goal: runner idle RSS <= ${RSS_GOAL_MB} MB -> ${runnerRss <= RSS_GOAL_MB ? "met" : "MISSED"} (${runnerRss.toFixed(1)} MB warm, ${runner.cold.idleMb.toFixed(1)} MB cold; the bare client idles at ${bareRss.toFixed(1)} MB)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
