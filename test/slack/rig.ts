// The whole bot with real runners, in-process and on loopback: the real Bolt app (HTTP mode,
// signed requests, the fake Slack API), the dispatcher on the same SQLite file, the orchestrator,
// and one real runner per MOM host (registered over HTTP, long-polling, running the real Linux
// executor on temporary EM_HOMEs and a temporary share). One driven clock for everything, so a
// test moves time (leases, expiry) instead of waiting for it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOrchestrator, type Orchestrator } from "../../src/change/runs/orchestrator.ts";
import { createDispatcher, type Dispatcher } from "../../src/dispatch/dispatcher.ts";
import { generateSigningKeys } from "../../src/dispatch/keys.ts";
import { runnerJobsOf } from "../../src/dispatch/runner-jobs.ts";
import { createLogger } from "../../src/log.ts";
import type { SigningKeys } from "../../src/protocol/signing.ts";
import { type JobExecutor, type RunnerStop, register, startRunner } from "../../src/runner/client.ts";
import { createExecutor } from "../../src/runner/executor.ts";
import { createLinuxPlatform } from "../../src/runner/platform/linux.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import { manualScheduler } from "../dispatch/support.ts";
import {
  createSandbox,
  type FakeUnitState,
  PRIMARY,
  type Sandbox,
  SECONDARY,
  starterWithService,
} from "../runner/fixtures.ts";
import {
  type Clock,
  GROUP_POLICY,
  type Momlink,
  type StartOptions,
  startMomlink,
  T0,
  testClock,
} from "./support.ts";

export { PRIMARY, SECONDARY };

export interface RunnerHandle {
  host: string;
  configPath: string;
  /** Resolves when the runner's loop ended. */
  done: Promise<RunnerStop>;
  stop(): Promise<RunnerStop>;
}

export interface Bot {
  m: Momlink;
  dispatcher: Dispatcher;
  orchestrator: Orchestrator;
  url: string;
  /** Timers of the dispatcher (long-poll time-outs) and of the orchestrator (pre-flight waits): fired by hand. */
  dispatchTimers: ReturnType<typeof manualScheduler>;
  orchestratorTimers: ReturnType<typeof manualScheduler>;
}

export interface Rig {
  sandbox: Sandbox;
  clock: Clock;
  bot: Bot;
  /** The EM service state each host's runner reports. */
  service: Record<string, FakeUnitState>;
  runners: Map<string, RunnerHandle>;
  /** Starts (or restarts) the runner of `host`, registering it first when it never was. */
  startRunner(host: string, wrap?: (executor: JobExecutor) => JobExecutor): Promise<RunnerHandle>;
  /** Stops the app, the orchestrator and the dispatcher (keeping Slack, the DB and the port), then starts new ones. */
  restartBot(): Promise<Bot>;
  /** `/momlink plan` for the sandbox pair. */
  planText(dirs?: string[]): string;
  /** Resolves once `check` holds; re-checked on every job event and every Slack call. */
  /** Resolves once `check` holds, re-checked on every Slack call and dispatcher event (it may read the store). */
  until(check: () => boolean | Promise<boolean>, what: string): Promise<void>;
  stop(): Promise<void>;
}

/** Back-off sleeps wait here while the bot is down, instead of spinning on a closed port. */
function gate() {
  let open = true;
  const waiters: Array<() => void> = [];
  return {
    sleep: async () => {
      if (open) return;
      await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => {
      open = false;
    },
    open: () => {
      open = true;
      for (const w of waiters.splice(0)) w();
    },
  };
}

export async function startRig(
  options: { policy?: typeof GROUP_POLICY } & Pick<StartOptions, "slackRateLimits" | "slackLimits"> = {},
): Promise<Rig> {
  const sandbox = await createSandbox();
  const dir = mkdtempSync(join(tmpdir(), "momlink-rig-"));
  const dbPath = join(dir, "momlink.db");
  const keys: SigningKeys = generateSigningKeys();
  const clock = testClock(T0);
  const service: Record<string, FakeUnitState> = { [PRIMARY]: "inactive", [SECONDARY]: "inactive" };
  const runners = new Map<string, RunnerHandle>();
  const backoff = gate();
  const silent = createLogger({ level: "silent" });

  async function startBot(fake?: Momlink["fake"], port = 0): Promise<Bot> {
    const dispatchTimers = manualScheduler();
    const orchestratorTimers = manualScheduler();
    const dispatcher = createDispatcher({
      db: dbPath,
      keys,
      clock: clock.now,
      scheduler: dispatchTimers.scheduler,
      leaseMs: 60_000,
    });
    const listening = await dispatcher.listen({ host: "127.0.0.1", port });
    let orchestrator: Orchestrator | undefined;
    const store = openSqliteStore(dbPath);
    const m = await startMomlink({
      dbPath,
      store,
      clock,
      policy: options.policy ?? GROUP_POLICY,
      ...(fake === undefined ? {} : { fake }),
      ...(options.slackRateLimits === undefined ? {} : { slackRateLimits: options.slackRateLimits }),
      ...(options.slackLimits === undefined ? {} : { slackLimits: options.slackLimits }),
      runners: (notify) => {
        orchestrator = createOrchestrator({
          jobs: runnerJobsOf(dispatcher),
          store,
          policy: options.policy ?? GROUP_POLICY,
          now: clock.now,
          logger: silent,
          notify,
          preflightTimeoutMs: 30_000,
          scheduler: orchestratorTimers.scheduler,
        });
        return orchestrator;
      },
    });
    if (orchestrator === undefined) throw new Error("registerMomlink did not build the runner hooks");
    return { m, dispatcher, orchestrator, url: listening.url, dispatchTimers, orchestratorTimers };
  }

  let bot = await startBot();
  let firstFake: Momlink | undefined = bot.m;

  const until = (check: () => boolean | Promise<boolean>, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const offs: Array<() => void> = [];
      let finished = false;
      const finish = (error?: Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        for (const off of offs) off();
        if (error) reject(error);
        else resolve();
      };
      /** Never rejects: a failing check ends the wait with its error. */
      const test = async (): Promise<void> => {
        if (finished) return;
        try {
          if (await check()) finish();
        } catch (error) {
          finish(error as Error);
        }
      };
      // A safety net only: every wait is woken by the events below, never by this timer.
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), 15_000);
      const later = () => setImmediate(() => void test());
      offs.push(bot.m.fake.api.onCall(later));
      for (const event of ["result", "step", "lost", "expired", "handed-over", "waiting"] as const) {
        offs.push(bot.dispatcher.on(event, later));
      }
      void test();
    });

  async function startRunnerFor(host: string, wrap?: (executor: JobExecutor) => JobExecutor) {
    const configPath = join(dir, "runners", `${host}.json`);
    if ((await bot.dispatcher.getRunner(host)) === null) {
      const added = await bot.dispatcher.addRunner({ name: host, host, platform: "linux" });
      await register({ server: bot.url, token: added.token, configPath, platform: "linux", hostname: host });
    }
    const executor = createExecutor({
      platform: createLinuxPlatform({ start: starterWithService(() => service[host] ?? "inactive") }),
      allowEmHome: [sandbox.hosts],
      allowShare: [sandbox.share],
      runnerHost: host,
      now: clock.now,
    });
    const controller = new AbortController();
    const waiting = new Promise<void>((resolve) => {
      const off = bot.dispatcher.on("waiting", (name) => {
        if (name !== host) return;
        off();
        resolve();
      });
    });
    const done = startRunner({
      configPath,
      executor: wrap === undefined ? executor : wrap(executor),
      signal: controller.signal,
      clock: clock.now,
      backoff: { sleep: backoff.sleep, random: () => 0 },
      // No heartbeat during a test: a lease runs out only when the test moves the clock.
      heartbeatMs: 3_600_000,
      logger: silent,
    });
    const handle: RunnerHandle = {
      host,
      configPath,
      done,
      stop: async () => {
        controller.abort();
        return done;
      },
    };
    runners.set(host, handle);
    await waiting;
    return handle;
  }

  return {
    sandbox,
    clock,
    get bot() {
      return bot;
    },
    service,
    runners,
    startRunner: startRunnerFor,
    async restartBot() {
      const { port } = new URL(bot.url);
      backoff.close();
      await bot.orchestrator.close();
      await bot.m.stop({ keepFake: true });
      await bot.dispatcher.close();
      bot = await startBot(bot.m.fake, Number(port));
      backoff.open();
      return bot;
    },
    planText: (dirs = ["config", "data"]) =>
      `plan platform=linux primary=${PRIMARY} secondary=${SECONDARY} em-home="${sandbox.primaryEmHome}" ` +
      `secondary-em-home="${sandbox.secondaryEmHome}" share=${sandbox.share} dirs=${dirs.join(",")}`,
    until,
    async stop() {
      backoff.open();
      for (const runner of runners.values()) await runner.stop();
      await bot.orchestrator.close();
      await bot.m.stop({ keepFake: true });
      await bot.dispatcher.close();
      if (firstFake !== undefined) await firstFake.fake.close();
      firstFake = undefined;
      rmSync(dir, { recursive: true, force: true });
      await sandbox.cleanup();
    },
  };
}
