// The sandbox's two runners, in the console's own process but through the real protocol: each is
// registered with the dispatcher over HTTP, pins the bot's key, long-polls, and runs jobs with
// the real Linux executor. Registrations survive restarts (the config files under runners/).
// Each host runs a stand-in Enterprise Manager (stand-in-em/, Python 3): started with the runners,
// stopped with them, and the runners' service control is its emctl, so a services=manage plan
// stops, starts and proves the pair's failover for real. Without Python the sandbox runs without
// them, and counts the EM service as stopped, as before.
import { join } from "node:path";
import type { Dispatcher } from "../dispatch/index.ts";
import { sameMachine } from "../domain/host.ts";
import type { Logger } from "../log.ts";
import { register, startRunner } from "../runner/client.ts";
import { readRunnerConfig, writeRunnerConfig } from "../runner/credentials.ts";
import { createExecutor } from "../runner/executor.ts";
import { createStepJournal, journalPathFor } from "../runner/journal.ts";
import { createLinuxPlatform } from "../runner/platform/linux.ts";
import { runnersDir, type Sandbox, type SandboxHost, standInRunDir } from "./layout.ts";
import {
  type StandInOptions,
  standInServiceCommands,
  startStandIn,
  stopStandIn,
} from "./stand-in-em/index.ts";

export interface SandboxRunnersOptions {
  sandbox: Sandbox;
  dispatcher: Dispatcher;
  /** The dispatcher's runner API, as `listen()` returned it. */
  serverUrl: string;
  logger: Logger;
  /** Aborting stops the runners, like stop(). */
  signal: AbortSignal;
}

/** The stand-in EM of a sandbox host: it reads failover.enable and the host lists at start, like a real EM. */
export function sandboxStandIn(sandbox: Pick<Sandbox, "root">, host: SandboxHost): StandInOptions {
  return {
    emHome: host.emHome,
    host: host.host,
    runDir: standInRunDir(sandbox, host),
    failover: "properties",
  };
}

/** Stops the sandbox's stand-in EMs (before a reset, when the console ends); a stopped one is left alone. */
export async function stopSandboxEms(sandbox: Pick<Sandbox, "root" | "hosts">): Promise<void> {
  await Promise.all(sandbox.hosts.map((host) => stopStandIn(sandboxStandIn(sandbox, host))));
}

/**
 * Starts the stand-in EM pair, as if the MOM hosts ran their EMs: true when both run, false (and
 * why, logged) when they cannot start here (no python3).
 */
async function startStandIns(sandbox: Sandbox, logger: Logger): Promise<boolean> {
  try {
    for (const host of sandbox.hosts) await startStandIn(sandboxStandIn(sandbox, host));
    return true;
  } catch (error) {
    await stopSandboxEms(sandbox);
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "the sandbox's stand-in Enterprise Managers cannot run here (they need python3): its EM services count as stopped",
    );
    return false;
  }
}

/**
 * Registers (or re-uses) a runner per sandbox host and starts each, with the stand-in EM pair
 * running; resolves once all are registered. `standIns`: whether the EMs run (services=manage works).
 */
export async function startSandboxRunners(
  options: SandboxRunnersOptions,
): Promise<{ stop(): Promise<void>; standIns: boolean }> {
  const { sandbox, dispatcher, serverUrl, signal } = options;
  const logger = options.logger.child({ component: "sandbox" });
  const standIns = await startStandIns(sandbox, logger);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener("abort", onAbort, { once: true });

  const loops: Promise<void>[] = [];
  try {
    for (const host of sandbox.hosts) {
      const configPath = join(runnersDir(sandbox), `${host.runner}.json`);
      await ensureRegistered({ host, configPath, dispatcher, serverUrl, logger });
      loops.push(runLoop({ host, configPath, sandbox, logger, signal: controller.signal, standIns }));
    }
  } catch (error) {
    controller.abort();
    await Promise.all(loops);
    signal.removeEventListener("abort", onAbort);
    await stopSandboxEms(sandbox);
    throw error;
  }
  return {
    standIns,
    async stop() {
      controller.abort();
      await Promise.all(loops);
      signal.removeEventListener("abort", onAbort);
      // The sandbox's EMs run only while its runners do: nothing is left running behind the console.
      await stopSandboxEms(sandbox);
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
  const known = await dispatcher.getRunner(host.runner);
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
  const added = await dispatcher.addRunner({ name: host.runner, host: host.host, platform: "linux" });
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
  standIns: boolean;
}): Promise<void> {
  const { host, configPath, sandbox, logger, signal } = input;
  const journal = createStepJournal(journalPathFor(configPath));
  const executor = createExecutor({
    journal,
    // The stand-in EM's emctl as the service control, as on a host without systemd.
    platform: createLinuxPlatform(
      input.standIns ? { serviceCommands: standInServiceCommands(sandboxStandIn(sandbox, host)) } : {},
    ),
    // Only the sandbox: whatever a plan typed in the console says, these runners touch nothing else.
    allowEmHome: [sandbox.root],
    allowShare: [sandbox.share],
    runnerHost: host.host,
    serviceName: "stand-in-em",
    serviceStopWaitSeconds: 30,
    serviceStartWaitSeconds: 60,
    pollMs: 200,
    // Without the stand-ins there is no EM service (and often no systemd): a service the runner
    // cannot query counts as stopped here, never on a real host unless its admin says so.
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
