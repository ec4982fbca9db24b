// `momlink serve` (npm start) and `momlink console`: configuration -> store -> policy -> Bolt app.
// The mode comes from the environment (config.ts); without Slack tokens this is the local console.
import type { Config } from "./config.ts";
import { PLAN_EXAMPLE } from "./domain/grammar.ts";
import { createLogger, type Logger } from "./log.ts";
import { createSlackRuntime } from "./slack/boot.ts";
import {
  CONSOLE_HELP,
  ConsoleReceiver,
  consoleAppOptions,
  createConsoleSession,
  runConsole,
} from "./slack/console.ts";
import { LocalSlackApi } from "./slack/local/web-api.ts";
import { policyFrom, readConfig, StartError } from "./startup.ts";
import { openSqliteStore } from "./store/sqlite.ts";
import type { ChangeStore } from "./store/store.ts";

/** Expiry is also checked on every approval; the sweeper only tidies messages, so a minute is plenty. */
const SWEEP_INTERVAL_MS = 30_000;

interface Running {
  stop(): Promise<void>;
}

async function startBot(config: Config, store: ChangeStore, logger: Logger): Promise<Running> {
  const deps = {
    store,
    policy: policyFrom(config),
    allowedDirs: config.allowedDirs,
    now: () => new Date(),
    logger,
  };
  if (config.mode === "console") {
    const api = new LocalSlackApi();
    const receiver = new ConsoleReceiver();
    const runtime = await createSlackRuntime(config, deps, {
      receiver,
      options: consoleAppOptions(api, receiver),
    });
    await runtime.start();
    await runtime.momlink.sweepExpired();
    const session = createConsoleSession(api, receiver, (text) => process.stdout.write(`${text}\n`));
    const welcome = [
      "momlink local console: no Slack tokens are set, so this terminal plays Slack (see README to connect a workspace).",
      `Changes are kept in ${config.db}. Try:`,
      `  /momlink ${PLAN_EXAMPLE}`,
      "then /as @bob and click approve CHG-<n> (the requester cannot approve their own change).",
      "",
      CONSOLE_HELP,
    ].join("\n");
    await runConsole(session, { input: process.stdin, output: process.stdout, welcome });
    session.close();
    await runtime.stop();
    return { stop: async () => {} };
  }
  const runtime = await createSlackRuntime(config, deps);
  await runtime.start();
  const expired = await runtime.momlink.sweepExpired();
  const sweeper = setInterval(() => {
    runtime.momlink
      .sweepExpired()
      .catch((error: unknown) => logger.error({ err: error }, "expiry sweep failed"));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  logger.info({ mode: config.mode, db: config.db, expiredAtStart: expired }, "momlink is running");
  return {
    stop: async () => {
      clearInterval(sweeper);
      await runtime.stop();
    },
  };
}

export async function serve(options: { forceConsole?: boolean } = {}): Promise<void> {
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
  const store = openSqliteStore(config.db);
  const running = await startBot(config, store, logger);
  if (config.mode === "console") {
    store.close();
    return;
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, "momlink is stopping");
    await running.stop();
    store.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}
