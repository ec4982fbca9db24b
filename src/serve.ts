// `momlink serve` (npm start) and `momlink console`: configuration -> store -> policy -> runner API
// -> Bolt app. The mode comes from the environment (config.ts); without Slack tokens this is the
// local console, which also runs a sandbox: two pretend Linux MOM hosts with real runners.
import { readFileSync } from "node:fs";
import type { ChangeNotify } from "./change/ports/runners.ts";
import { createOrchestrator, type Orchestrator } from "./change/runs/orchestrator.ts";
import type { Config } from "./config.ts";
import {
  CONSOLE_HELP,
  ConsoleReceiver,
  type ConsoleSession,
  consoleAppOptions,
  createConsoleSession,
  runConsole,
} from "./console/console.ts";
import { LocalSlackApi, SLACK_RATE_LIMITS } from "./console/local-slack/web-api.ts";
import {
  createDispatcher,
  type Dispatcher,
  generateSigningKeys,
  loadOrCreateSigningKeys,
  realScheduler,
  runnerJobsOf,
  signingKeyFileOf,
} from "./dispatch/index.ts";
import { PLAN_EXAMPLE } from "./domain/grammar.ts";
import type { ApprovalPolicy } from "./domain/policy.ts";
import { createLogger, type Logger } from "./log.ts";
import { prepareSandbox, type Sandbox, startSandboxRunners, stopSandboxEms } from "./sandbox/index.ts";
import { startSweeps, sweepTasks } from "./serve-sweeps.ts";
import { createSlackRuntime } from "./slack/boot.ts";
import { policyFrom, readConfig, StartError } from "./startup.ts";
import { DB_VARIABLE, onDatabaseGone } from "./store/db-file.ts";
import { openServedStore, type ServedStore } from "./store/served-store.ts";
import type { ChangeStore } from "./store/store.ts";

/** Where the console's sandbox lives, relative to where the console starts. */
const SANDBOX_ROOT = "./var/sandbox";

export interface ServeOptions {
  /** `momlink console`: refuse to start when Slack tokens are set. */
  forceConsole?: boolean;
  /** `momlink console --reset-sandbox`: wipe the sandbox and start it over. */
  resetSandbox?: boolean;
}

interface Running {
  stop(): Promise<void>;
  /** Resolves once no Slack request is in flight. */
  idle(): Promise<void>;
}

/** `serve` exits with this status when its database was deleted or replaced under it. */
export const EXIT_DATABASE_GONE = 1;
/** How long requests in flight may take to finish their answers before that exit. */
const GONE_GRACE_MS = 10_000;

/** The runner API and what drives changes through it; the orchestrator is built once Slack gives it a notifier. */
interface Runners {
  dispatcher: Dispatcher;
  url: string;
  hooks: (notify: ChangeNotify) => Orchestrator;
  orchestrator(): Orchestrator | undefined;
  close(): Promise<void>;
}

function readPem(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new StartError(`${variable}: cannot read ${path}: ${(err as Error).message}`);
  }
}

async function openRunners(
  config: Config,
  served: ServedStore,
  policy: ApprovalPolicy,
  logger: Logger,
  listen: { host: string; port: number },
): Promise<Runners> {
  const { store } = served;
  // MOMLINK_SIGNING_KEY, else beside the SQLite file so a backup takes both; an in-memory database
  // gets a key for this run only. Replicas on PostgreSQL must all name the same file (config.ts).
  const keys =
    config.db === ":memory:" && config.signingKey === undefined
      ? generateSigningKeys()
      : loadOrCreateSigningKeys(signingKeyFileOf(config));
  const dispatcher = createDispatcher({
    db: served.dispatcherDb,
    keys,
    leaseMs: config.jobLeaseSeconds * 1000,
    logger: logger.child({ component: "dispatcher" }),
  });
  let listening: Awaited<ReturnType<Dispatcher["listen"]>>;
  try {
    // PostgreSQL: the schema is migrated and the LISTEN connection up before a runner is served.
    await dispatcher.ready();
    const tls = config.runnerTls;
    listening = await dispatcher.listen({
      ...listen,
      limits: { maxConnections: config.runnerMaxConnections },
      ...(tls === undefined
        ? {}
        : {
            tls: {
              cert: readPem("MOMLINK_RUNNER_TLS_CERT", tls.certFile),
              key: readPem("MOMLINK_RUNNER_TLS_KEY", tls.keyFile),
            },
          }),
    });
  } catch (err) {
    await dispatcher.close();
    if (err instanceof StartError) throw err;
    throw new StartError(
      `the runner API cannot listen on ${listen.host}:${listen.port} (MOMLINK_RUNNER_HOST / MOMLINK_RUNNER_PORT): ${(err as Error).message}`,
    );
  }
  logger.info({ url: listening.url, keyId: keys.keyId }, "runner API listening");
  let orchestrator: Orchestrator | undefined;
  return {
    dispatcher,
    url: listening.url,
    hooks: (notify) => {
      orchestrator = createOrchestrator({
        jobs: runnerJobsOf(dispatcher),
        store,
        policy,
        now: () => new Date(),
        logger,
        preflightTimeoutMs: config.preflightTimeoutSeconds * 1000,
        notify,
        scheduler: realScheduler,
      });
      return orchestrator;
    },
    orchestrator: () => orchestrator,
    close: async () => {
      await orchestrator?.close();
      await dispatcher.close();
    },
  };
}

async function startBot(
  config: Config,
  policy: ApprovalPolicy,
  served: ServedStore,
  logger: Logger,
  options: ServeOptions,
): Promise<Running> {
  const { store } = served;
  const base = {
    store,
    policy,
    allowedDirs: config.allowedDirs,
    ticketPattern: config.ticketPattern,
    notices: config.notices,
    slackLimits: config.slackLimits,
    now: () => new Date(),
    logger,
    // Replicas: a start takes over only what a dead replica left, not what living ones are finishing.
    takeOverAtStart: config.databaseUrl === undefined ? ("any-other" as const) : ("lapsed" as const),
  };
  if (config.mode === "console") return runConsoleMode(config, served, logger, options, base);

  const runners =
    config.runnerPort === undefined
      ? undefined
      : await openRunners(config, served, policy, logger, {
          host: config.runnerHost,
          port: config.runnerPort,
        });
  const runtime = await createSlackRuntime(
    config,
    runners === undefined ? base : { ...base, runners: runners.hooks },
  );
  await runtime.start();
  // Clicks and forms an earlier process acked but did not finish: in the background (a plan's
  // pre-flight may take its time), logging what it finished.
  void runtime.momlink
    .finishReceived()
    .catch((error: unknown) => logger.error({ err: error }, "finishing earlier requests failed"));
  const expired = await runtime.momlink.sweepExpired();
  await runtime.momlink.sweepReminders();
  // Changes a previous process left approved, executing or rolling back continue from their rows.
  await runners?.orchestrator()?.resume();
  const sweeps = startSweeps(
    sweepTasks(runtime.momlink, runners?.orchestrator(), { replicas: config.databaseUrl !== undefined }),
    { intervalMs: config.sweepSeconds * 1000, logger },
  );
  logger.info(
    { mode: config.mode, db: served.shown, expiredAtStart: expired, runnerApi: runners?.url ?? null },
    "momlink is running",
  );
  return {
    stop: async () => {
      await sweeps.stop();
      await runtime.stop();
      await runners?.close();
    },
    idle: () => runtime.idle(),
  };
}

async function runConsoleMode(
  config: Config,
  served: ServedStore,
  logger: Logger,
  options: ServeOptions,
  base: Parameters<typeof createSlackRuntime>[1],
): Promise<Running> {
  // The console always has a runner API: on loopback and any free port, unless one is configured.
  const { store } = served;
  const runners = await openRunners(
    config,
    served,
    base.policy,
    logger,
    config.runnerPort === undefined
      ? { host: "127.0.0.1", port: 0 }
      : { host: config.runnerHost, port: config.runnerPort },
  );
  const stopping = new AbortController();
  let sandbox: Sandbox | null = null;
  let sandboxRunners: { stop(): Promise<void>; standIns: boolean } | null = null;
  let sandboxProblem: string | null = null;
  try {
    // A reset wipes the sandbox: its stand-in EMs (detached daemons) stop first.
    if (options.resetSandbox === true) await stopSandboxEms(prepareSandbox(SANDBOX_ROOT));
    sandbox = prepareSandbox(SANDBOX_ROOT, { reset: options.resetSandbox === true });
    sandboxRunners = await startSandboxRunners({
      sandbox,
      dispatcher: runners.dispatcher,
      serverUrl: runners.url,
      logger,
      signal: stopping.signal,
    });
  } catch (err) {
    // The console still works without the sandbox: plans then show the worst case.
    sandboxProblem = (err as Error).message;
    sandbox = null;
  }

  // Slack's limits on writes, so what works in the console keeps to them in a workspace too.
  const api = new LocalSlackApi({ rateLimits: SLACK_RATE_LIMITS });
  const receiver = new ConsoleReceiver();
  const runtime = await createSlackRuntime(
    config,
    { ...base, runners: runners.hooks },
    { receiver, options: consoleAppOptions(api, receiver) },
  );
  await runtime.start();
  await runtime.momlink.finishReceived();
  await runtime.momlink.sweepExpired();
  await runners.orchestrator()?.resume();
  const session = createConsoleSession(api, receiver, (text) => process.stdout.write(`${text}\n`));
  const quiet = untilQuiet(store, runners.dispatcher, () => runners.orchestrator());
  // Each typed line finishes with the work it started (an approval runs on the sandbox's hosts),
  // so the prompt comes back after the links are made and a scripted session reads in order.
  const waiting: ConsoleSession = {
    get user() {
      return session.user;
    },
    close: () => session.close(),
    line: async (text) => {
      const more = await session.line(text);
      await quiet();
      return more;
    },
  };
  await runConsole(waiting, {
    input: process.stdin,
    output: process.stdout,
    welcome: welcomeText(config, sandbox, sandboxProblem, sandboxRunners?.standIns === true),
  });
  session.close();
  stopping.abort();
  await sandboxRunners?.stop();
  await runtime.stop();
  await runners.close();
  return { stop: async () => {}, idle: async () => {} };
}

/**
 * Resolves once no change is approved, executing or rolling back (or after `limitMs`), and every
 * message update has been sent. Re-checks on each job event, never on a timer.
 */
function untilQuiet(
  store: ChangeStore,
  dispatcher: Dispatcher,
  orchestrator: () => Orchestrator | undefined,
  limitMs = 120_000,
): () => Promise<void> {
  const busy = async () =>
    (await store.list({ states: ["approved", "executing", "rolling_back"], limit: 1 })).length > 0;
  return async () => {
    if (await busy()) {
      await new Promise<void>((resolve) => {
        const offs = (["result", "lost", "expired"] as const).map((event) =>
          dispatcher.on(event, () => setImmediate(check)),
        );
        const timer = setTimeout(done, limitMs);
        timer.unref();
        function done() {
          clearTimeout(timer);
          for (const off of offs) off();
          resolve();
        }
        function check() {
          busy().then(
            (still) => {
              if (!still) done();
            },
            (err: unknown) => {
              // The store failed under the console: stop waiting rather than hang the prompt.
              process.stderr.write(`momlink: could not read the store: ${String(err)}\n`);
              done();
            },
          );
        }
        check();
      });
    }
    await orchestrator()?.settled();
  };
}

function welcomeText(
  config: Config,
  sandbox: Sandbox | null,
  problem: string | null,
  standIns: boolean,
): string {
  const intro =
    "momlink local console: no Slack tokens are set, so this terminal plays Slack (see README to connect a workspace).";
  if (sandbox === null) {
    return [
      intro,
      `Changes are kept in ${config.db}.${problem === null ? "" : ` No sandbox: ${problem}`} Try:`,
      `  /momlink ${PLAN_EXAMPLE}`,
      "then /as @bob and click approve CHG-<n> (the requester cannot approve their own change).",
      "",
      CONSOLE_HELP,
    ].join("\n");
  }
  const hosts = sandbox.hosts.map((h) => h.host).join(" and ");
  const run = standIns
    ? [
        `  3. the runners stop both EMs (mom-b, then mom-a), make real symbolic links under ${SANDBOX_ROOT}, set the failover`,
        '     properties in the one shared file, start mom-a and wait until it is "primary active", then start mom-b and wait',
        '     until it is "standing by"; the message shows each phase live;',
      ]
    : [
        `  3. the runners make real symbolic links under ${SANDBOX_ROOT} (primary first, then secondary), and the message shows each step;`,
        "     (no stand-in EMs here: they need python3, so services=manage is left out);",
      ];
  return [
    intro,
    `Changes are kept in ${config.db}. A sandbox under ${SANDBOX_ROOT} plays the MOM hosts ${hosts}, each with a real runner in this process${standIns ? " and a stand-in Enterprise Manager running" : ""}, and their share. Try:`,
    `  ${standIns ? sandbox.planCommand : sandbox.linksPlanCommand}`,
    "  1. the plan message shows what each runner found (pre-flight facts) and the exact steps they imply;",
    "  2. /as @bob, then click approve CHG-<n> (the requester cannot approve their own change);",
    ...run,
    "  4. /momlink show CHG-<n> shows the record; /momlink verify CHG-<n> re-reads the links.",
    "momlink console --reset-sandbox starts the sandbox over.",
    "",
    CONSOLE_HELP,
  ].join("\n");
}

export async function serve(options: ServeOptions = {}): Promise<void> {
  const config = readConfig();
  if (options.forceConsole && config.mode !== "console") {
    throw new StartError(
      "momlink console runs only without Slack tokens: unset SLACK_APP_TOKEN / SLACK_SIGNING_SECRET",
    );
  }
  // In the console the terminal is the chat: logs go to stderr and only from warnings up.
  const logger = createLogger(
    config.mode === "console"
      ? { level: config.logLevel === "info" ? "warn" : config.logLevel, destination: process.stderr }
      : { level: config.logLevel },
  );
  // Before the store: a refused policy leaves nothing behind, not even a new database file.
  const policy = policyFrom(config);
  // Before the store, too: on PostgreSQL a replica that would sign with a key of its own must not start.
  signingKeyFileOf(config);
  const served = await openServedStore(config, logger);
  const closeStore = () => served.close();
  let running: Running | undefined;
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await running?.stop();
    } catch (err) {
      logger.error({ err }, "momlink did not stop cleanly");
    }
    // Closing lets SQLite fold its WAL into the file it has open and remove the -wal beside it,
    // so a restart never pairs a stale WAL with whatever file is at the path now.
    await closeStore().catch((err: unknown) => logger.error({ err }, "the store did not close cleanly"));
    process.exit(exitCode);
  };
  if (config.mode !== "console") {
    onDatabaseGone((error) => {
      logger.fatal({ variable: DB_VARIABLE, path: error.path }, error.message);
      // The request that hit it gets its "not recorded, try again" answer first (bounded), then
      // momlink exits non-zero and a supervisor starts it again on the file now at the path.
      void Promise.race([running?.idle(), delay(GONE_GRACE_MS)]).then(() => stop(EXIT_DATABASE_GONE));
    });
  }
  running = await startBot(config, policy, served, logger, options);
  if (config.mode === "console") {
    await closeStore();
    return;
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, "momlink is stopping");
    void stop(0);
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
