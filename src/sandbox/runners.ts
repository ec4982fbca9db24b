// The sandbox's two runners, in the console's own process but through the real protocol: each is
// registered with the dispatcher over HTTP, pins the bot's key, long-polls, and runs jobs with
// the real Linux executor. Registrations survive restarts (the config files under runners/).
import { join } from "node:path";
import type { Dispatcher } from "../dispatch/index.ts";
import { sameMachine } from "../domain/host.ts";
import type { Logger } from "../log.ts";
import { register, startRunner } from "../runner/client.ts";
import { readRunnerConfig, writeRunnerConfig } from "../runner/credentials.ts";
import { createExecutor } from "../runner/executor.ts";
import { createStepJournal, journalPathFor } from "../runner/journal.ts";
import { createLinuxPlatform } from "../runner/platform/linux.ts";
import { runnersDir, type Sandbox, type SandboxHost } from "./layout.ts";

export interface SandboxRunnersOptions {
  sandbox: Sandbox;
  dispatcher: Dispatcher;
  /** The dispatcher's runner API, as `listen()` returned it. */
  serverUrl: string;
  logger: Logger;
  /** Aborting stops the runners, like stop(). */
  signal: AbortSignal;
}

/** Registers (or re-uses) a runner per sandbox host and starts each; resolves once all are registered. */
export async function startSandboxRunners(
  options: SandboxRunnersOptions,
): Promise<{ stop(): Promise<void> }> {
  const { sandbox, dispatcher, serverUrl, signal } = options;
  const logger = options.logger.child({ component: "sandbox" });
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener("abort", onAbort, { once: true });

  const loops: Promise<void>[] = [];
  try {
    for (const host of sandbox.hosts) {
      const configPath = join(runnersDir(sandbox), `${host.runner}.json`);
      await ensureRegistered({ host, configPath, dispatcher, serverUrl, logger });
      loops.push(runLoop({ host, configPath, sandbox, logger, signal: controller.signal }));
    }
  } catch (error) {
    controller.abort();
    await Promise.all(loops);
    signal.removeEventListener("abort", onAbort);
    throw error;
  }
  return {
    async stop() {
      controller.abort();
      await Promise.all(loops);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

async function ensureRegistered(input: {
  host: SandboxHost;
  configPath: string;
  dispatcher: Dispatcher;
  serverUrl: string;
  logger: Logger;
}): Promise<void> {
  const { host, configPath, dispatcher, serverUrl, logger } = input;
  const stored = readRunnerConfig(configPath);
  const known = dispatcher.getRunner(host.runner);
  const reusable =
    stored.ok &&
    known !== null &&
    known.status === "active" &&
    known.platform === "linux" &&
    sameMachine(known.host, host.host) &&
    stored.config.name === host.runner &&
    // A new bot key (a new database directory) means every runner must pin it again.
    stored.config.keyId === dispatcher.keyId;
  if (reusable) {
    // The runner API may listen on another port this time; the credential stays the same.
    if (stored.config.server !== serverUrl)
      writeRunnerConfig(configPath, { ...stored.config, server: serverUrl });
    logger.debug({ runner: host.runner }, "sandbox runner re-uses its registration");
    return;
  }
  // Same name, host and platform: the registry issues a new token and registration replaces the
  // old credential. A real runner already holding this name or host makes addRunner refuse.
  const added = dispatcher.addRunner({ name: host.runner, host: host.host, platform: "linux" });
  await register({
    server: serverUrl,
    token: added.token,
    configPath,
    name: host.runner,
    expectKeyId: added.keyId,
    platform: "linux",
    hostname: host.host,
  });
  logger.info({ runner: host.runner, host: host.host }, "sandbox runner registered");
}

async function runLoop(input: {
  host: SandboxHost;
  configPath: string;
  sandbox: Sandbox;
  logger: Logger;
  signal: AbortSignal;
}): Promise<void> {
  const { host, configPath, sandbox, logger, signal } = input;
  const journal = createStepJournal(journalPathFor(configPath));
  const executor = createExecutor({
    journal,
    platform: createLinuxPlatform(),
    // Only the sandbox: whatever a plan typed in the console says, these runners touch nothing else.
    allowEmHome: [sandbox.root],
    allowShare: [sandbox.share],
    runnerHost: host.host,
    // There is no Enterprise Manager service in a sandbox (and often no systemd): a service the
    // runner cannot query counts as stopped here, never on a real host unless its admin says so.
    unknownServiceIsStopped: true,
  });
  try {
    const stop = await startRunner({ configPath, executor, journal, signal, logger });
    if (stop.reason !== "stopped") {
      logger.error(
        { runner: host.runner, reason: stop.reason },
        `sandbox runner ${host.runner} stopped: ${stop.message} (momlink console --reset-sandbox starts the sandbox over)`,
      );
    }
  } catch (error) {
    logger.error({ err: error, runner: host.runner }, `sandbox runner ${host.runner} could not start`);
  }
}
