// `momlink runner register|start`: the agent's side, on a MOM host. This path must run on Node 22
// without node:sqlite (it is behind a flag there before 22.13): nothing here, nor anything it
// imports, may load the bot's store or dispatcher (test/cli/runner.test.ts checks the imports).
import { resolve } from "node:path";
import type { LogLevel } from "../config.ts";
import type { Platform as PlatformName } from "../domain/pair.ts";
import { createLogger } from "../log.ts";
import { RunnerError, register, runnerVersion, startRunner } from "../runner/client.ts";
import { type RunnerConfig, readRunnerConfig } from "../runner/credentials.ts";
import { createExecutor } from "../runner/executor.ts";
import { createStepJournal, journalPathFor } from "../runner/journal.ts";
import { createPlatform } from "../runner/platform/index.ts";
import type { CommandIo } from "./plan.ts";
import { type ServiceOptionsInput, serviceSettings } from "./runner-service.ts";

/** Registered, or stopped on request. */
export const EXIT_OK = 0;
/** The bot refused (registration) or could not be reached. */
export const EXIT_FAILED = 1;
/** A usage or configuration error: restarting will not help (systemd: RestartPreventExitStatus). */
export const EXIT_USAGE = 2;
/** The bot revoked this runner or no longer knows its credential: register again with a new token. */
export const EXIT_REVOKED = 3;

export interface RegisterCommandOptions {
  server: string;
  token: string;
  config: string;
  keyId?: string;
  ca?: string;
}

export async function registerRunnerCommand(options: RegisterCommandOptions, io: CommandIo): Promise<number> {
  let url: URL;
  try {
    url = new URL(options.server);
  } catch {
    io.stderr(
      `momlink: --server ${JSON.stringify(options.server)} is not a URL; e.g. --server https://momlink-bot:8787\n`,
    );
    return EXIT_USAGE;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    io.stderr(`momlink: --server must be an http:// or https:// URL (got ${url.protocol}//)\n`);
    return EXIT_USAGE;
  }
  if (options.keyId !== undefined && !/^[0-9a-f]{16}$/.test(options.keyId)) {
    io.stderr(
      `momlink: --key-id ${JSON.stringify(options.keyId)} is not a key id: 16 lower-case hex digits, as momlink runners add printed it\n`,
    );
    return EXIT_USAGE;
  }
  if (options.ca !== undefined && url.protocol !== "https:") {
    io.stderr("momlink: --ca only applies to an https:// server\n");
    return EXIT_USAGE;
  }
  let stored: Awaited<ReturnType<typeof register>>;
  try {
    stored = await register({
      server: options.server,
      token: options.token,
      configPath: options.config,
      ...(options.keyId === undefined ? {} : { expectKeyId: options.keyId }),
      // The config keeps the CA path: an absolute one still works when the service starts elsewhere.
      ...(options.ca === undefined ? {} : { caFile: resolve(options.ca) }),
    });
  } catch (error) {
    if (!(error instanceof RunnerError) && !isFileError(error)) throw error;
    io.stderr(`momlink: ${(error as Error).message}\n`);
    return EXIT_FAILED;
  }
  const lines = [
    `Registered runner ${stored.name} for host ${stored.host} (${stored.platform}) with ${stored.server}.`,
    `Stored in ${options.config} (owner-only, mode 0600): the runner's credential, registered ${stored.registeredAt}.`,
    `Pinned the bot's signing key ${stored.keyId}: this runner runs only jobs signed with it.`,
  ];
  if (options.keyId === undefined) {
    lines.push(
      `Check that ${stored.keyId} is the key id momlink runners add printed${url.protocol === "http:" ? " (over plain HTTP, anyone in the path could have answered)" : ""}; next time pass --key-id.`,
    );
  }
  const example =
    stored.platform === "windows"
      ? "--allow-em-home D:\\Introscope --allow-share \\\\san-server\\mom-failover"
      : "--allow-em-home /opt/CA/Introscope --allow-share /mnt/mom-failover";
  lines.push(
    "Next: start the agent with the EM_HOME roots it may change and the shares it may link to, e.g.",
    `  momlink runner start --config ${options.config} ${example}`,
  );
  io.stdout(`${lines.join("\n")}\n`);
  return EXIT_OK;
}

export interface StartCommandOptions extends Partial<Omit<ServiceOptionsInput, "serviceName">> {
  config: string;
  allowEmHome: string[];
  allowShare: string[];
  serviceName?: string;
  platform?: PlatformName;
  unknownServiceIsStopped?: boolean;
  logLevel: LogLevel;
}

/** Runs the agent until SIGINT/SIGTERM (or `signal`), the bot revokes it, or its credential stops working. */
export async function startRunnerCommand(
  options: StartCommandOptions,
  io: CommandIo,
  signal?: AbortSignal,
): Promise<number> {
  const missing = missingRoots(options);
  if (missing !== null) {
    io.stderr(missing);
    return EXIT_USAGE;
  }
  const prepared = await prepareRunner(options);
  if (!prepared.ok) {
    io.stderr(prepared.error);
    return EXIT_USAGE;
  }
  const { config, executor, journal } = prepared;

  // JSON lines for the service's log; the credential is censored even inside messages.
  const logger = createLogger({ level: options.logLevel, pretty: false, secrets: [config.credential] });
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    logger.info({ signal: name }, "stopping: a running job finishes and reports first");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  logger.info(
    {
      version: runnerVersion(),
      node: process.version,
      allowEmHome: options.allowEmHome,
      allowShare: options.allowShare,
      serviceName: options.serviceName ?? "IScopeEM",
    },
    "momlink runner starting",
  );
  try {
    const stop = await startRunner({
      configPath: options.config,
      executor,
      journal,
      signal: controller.signal,
      logger,
    });
    if (stop.reason === "stopped") return EXIT_OK;
    io.stderr(`momlink: ${stop.message}\n`);
    return EXIT_REVOKED;
  } catch (error) {
    if (!(error instanceof RunnerError)) throw error;
    io.stderr(`momlink: ${error.message}\n`);
    return EXIT_USAGE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Why `runner start` may not start without more flags: the roots it may change must be named. */
function missingRoots(options: StartCommandOptions): string | null {
  if (options.allowEmHome.length === 0) {
    return (
      "momlink: runner start needs at least one --allow-em-home <path>: the EM_HOME roots this runner may change.\n" +
      "Whatever the bot asks, the runner refuses any EM_HOME outside them, so a compromised bot cannot\n" +
      "reach other directories on this host. e.g. --allow-em-home D:\\Introscope (Windows) or --allow-em-home /opt/CA (Linux)\n"
    );
  }
  if (options.allowShare.length === 0) {
    return (
      "momlink: runner start needs at least one --allow-share <root>: the shares this runner may seed and link to.\n" +
      "Whatever the bot asks, the runner refuses a plan whose share is outside them, so a compromised bot cannot\n" +
      "point links or seed copies anywhere else. e.g. --allow-share \\\\san-server\\mom-failover (Windows) or\n" +
      "--allow-share /mnt/mom-failover (Linux)\n"
    );
  }
  return null;
}

type PreparedRunner =
  | {
      ok: true;
      config: RunnerConfig;
      executor: ReturnType<typeof createExecutor>;
      journal: ReturnType<typeof createStepJournal>;
    }
  | { ok: false; error: string };

/** The runner's config file read and checked against the flags, and the executor built for it. */
async function prepareRunner(options: StartCommandOptions): Promise<PreparedRunner> {
  const loaded = readRunnerConfig(options.config);
  if (!loaded.ok) {
    return { ok: false, error: `momlink: ${loaded.error}\n` };
  }
  const config = loaded.config;
  if (options.platform !== undefined && options.platform !== config.platform) {
    return {
      ok: false,
      error:
        `momlink: runner ${config.name} is registered as a ${config.platform} runner; with --platform ${options.platform} ` +
        `it would refuse every job. Drop --platform, or ask an admin to re-add the runner with --platform ${options.platform}.\n`,
    };
  }
  const service = serviceSettings(
    { ...options, serviceName: options.serviceName ?? "IScopeEM" },
    config.platform,
  );
  if (!service.ok) {
    return { ok: false, error: service.problems.map((p) => `momlink: ${p}\n`).join("") };
  }
  // Beside the config file: written before each mutating step, read at start (a step cut short).
  const journal = createStepJournal(journalPathFor(options.config));
  let executor: ReturnType<typeof createExecutor>;
  try {
    const { serviceCommands, ...waits } = service.value;
    executor = createExecutor({
      journal,
      platform: await createPlatform(config.platform, serviceCommands),
      ...waits,
      allowEmHome: options.allowEmHome,
      allowShare: options.allowShare,
      runnerHost: config.host,
      ...(options.serviceName === undefined ? {} : { serviceName: options.serviceName }),
      ...(options.unknownServiceIsStopped ? { unknownServiceIsStopped: true } : {}),
    });
  } catch (error) {
    // The root policies name the bad --allow-em-home or --allow-share root and say what they expect.
    return { ok: false, error: `momlink: ${(error as Error).message}\n` };
  }
  return { ok: true, config, executor, journal };
}

function isFileError(error: unknown): boolean {
  return (
    error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "syscall" in error
  );
}
