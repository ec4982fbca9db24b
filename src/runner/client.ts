// The runner's listener: registers once, then long-polls the bot for jobs, checks each one against
// the key it pinned at registration, hands it to the executor (the worker side), and reports step
// events and the result (through delivery.ts, which retries and stops on a 401). It never runs a
// job twice and never retries a mutating step: on any doubt it reports and lets the bot's next
// pre-flight decide. One job's handling is job-handling.ts.
import { createPublicKey, type KeyObject } from "node:crypto";
import { hostname as osHostname } from "node:os";
import pkg from "../../package.json" with { type: "json" };
import type { Platform } from "../domain/pair.ts";
import { createLogger, type Logger } from "../log.ts";
import { keyIdOf } from "../protocol/signing.ts";
import {
  LEASE_HEADER,
  type RegisterRequest,
  type RegisterResponse,
  registerResponseSchema,
} from "../protocol/wire.ts";
import { type BackoffOptions, backoffDelay, realSleep } from "./backoff.ts";
import {
  RUNNER_CONFIG_FORMAT,
  type RunnerConfig,
  readRunnerConfig,
  writeRunnerConfig,
} from "./credentials.ts";
import { createDelivery, type Delivery, type RunnerStop } from "./delivery.ts";
import { handleJob, type JobExecutor, type JobHandling } from "./job-handling.ts";
import type { StepJournal } from "./journal.ts";
import { recoverInterruptedStep } from "./recovery.ts";
import { createTransport, errorText, type HttpReply, retryable, type Transport } from "./transport.ts";

export class RunnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunnerError";
  }
}

// --- registration -----------------------------------------------------------------------------

export interface RegisterOptions {
  server: string;
  token: string;
  configPath: string;
  /** The runner name the token was issued for; checked by the bot when given. */
  name?: string;
  /** The bot's key id as `runners add` printed it: registration stops if the server's key differs. */
  expectKeyId?: string;
  caFile?: string;
  hostname?: string;
  platform?: Platform;
  version?: string;
  clock?: () => Date;
}

/** Exchanges a one-time token for a credential, pins the bot's public key, writes the config (0600). */
export async function register(options: RegisterOptions): Promise<RunnerConfig> {
  const transport = createTransport(options.server, options.caFile);
  try {
    const response = await exchangeToken(transport, options);
    checkAnnouncedKey(response, options.expectKeyId);
    const config: RunnerConfig = {
      format: RUNNER_CONFIG_FORMAT,
      server: options.server,
      name: response.name,
      host: response.host,
      platform: response.platform,
      credential: response.credential,
      publicKey: response.publicKey,
      keyId: response.keyId,
      registeredAt: (options.clock ?? (() => new Date()))().toISOString(),
      ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
    };
    writeRunnerConfig(options.configPath, config);
    return config;
  } finally {
    transport.close();
  }
}

/** POSTs the registration; the bot's answer when it is one, else a RunnerError saying why not. */
async function exchangeToken(transport: Transport, options: RegisterOptions): Promise<RegisterResponse> {
  const body: RegisterRequest = {
    token: options.token,
    version: options.version ?? runnerVersion(),
    platform: options.platform ?? localPlatform(),
    hostname: options.hostname ?? osHostname(),
    ...(options.name === undefined ? {} : { name: options.name }),
  };
  let reply: HttpReply;
  try {
    reply = await transport.send("POST", "v1/register", { body });
  } catch (err) {
    throw new RunnerError(`cannot reach the bot at ${options.server}: ${(err as Error).message}`);
  }
  if (reply.status !== 200) {
    throw new RunnerError(`registration refused (HTTP ${reply.status}): ${errorText(reply)}`);
  }
  const parsed = registerResponseSchema.safeParse(reply.json);
  if (!parsed.success) throw new RunnerError("the bot's registration answer is not a momlink registration");
  return parsed.data;
}

/** The key the bot sent must be the one it names, and the one `runners add` printed when given. */
function checkAnnouncedKey(response: RegisterResponse, expectKeyId: string | undefined): void {
  if (keyIdOf(response.publicKey) !== response.keyId) {
    throw new RunnerError("the bot's public key does not match the key id it announced: not pinning it");
  }
  if (expectKeyId !== undefined && expectKeyId !== response.keyId) {
    throw new RunnerError(
      `the server's signing key is ${response.keyId}, but ${expectKeyId} was expected: this may not be your bot; nothing was saved`,
    );
  }
}

export function runnerVersion(): string {
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

function localPlatform(): Platform {
  return process.platform === "win32" ? "windows" : "linux";
}

// --- the loop ---------------------------------------------------------------------------------

export interface StartRunnerOptions {
  configPath: string;
  executor: JobExecutor;
  /** Stops the loop; a job already running finishes and reports first. */
  signal?: AbortSignal;
  logger?: Logger;
  clock?: () => Date;
  backoff?: BackoffOptions;
  /** Long-poll length asked of the bot. Default 25 s. */
  waitSeconds?: number;
  /** Heartbeat period while a job runs. Default: a third of the lease the bot announced. */
  heartbeatMs?: number;
  /** Attempts to deliver one event or result before giving up (the lease then decides). Default 8. */
  deliveryAttempts?: number;
  /**
   * The executor's step journal: a step it shows running was cut short by this runner's last stop,
   * and is reported lost at start, before any work is taken (never run again).
   */
  journal?: StepJournal;
}

export type { JobExecutor, RunnerStop };

/** Runs until `signal` aborts, or the bot revokes or no longer knows this runner's credential. */
export async function startRunner(options: StartRunnerOptions): Promise<RunnerStop> {
  const loop = prepareLoop(options);
  const { config, logger, delivery, transport } = loop;
  logger.info({ server: config.server, host: config.host, keyId: config.keyId }, "runner started");
  try {
    if (options.journal !== undefined) await recoverLostStep(options.journal, loop.jobs);
    await pollForJobs(loop);
  } finally {
    transport.close();
  }
  const stop = delivery.stop();
  if (stop !== null) return stop;
  logger.info("runner stopped");
  return { reason: "stopped" };
}

/** What the poll loop holds: the runner's config and connection, and how it waits between failures. */
interface PollLoop {
  config: RunnerConfig;
  logger: Logger;
  transport: Transport;
  delivery: Delivery;
  jobs: JobHandling;
  signal: AbortSignal | undefined;
  waitSeconds: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  backoffFor: (attempt: number) => number;
}

/** Reads the config (a RunnerError when it cannot) and builds the connection and the delivery. */
function prepareLoop(options: StartRunnerOptions): PollLoop {
  const loaded = readRunnerConfig(options.configPath);
  if (!loaded.ok) throw new RunnerError(loaded.error);
  const config = loaded.config;
  const pinned: KeyObject = createPublicKey(config.publicKey);
  const logger = (options.logger ?? createLogger({ level: "silent" })).child({ runner: config.name });
  const clock = options.clock ?? (() => new Date());
  const sleep = options.backoff?.sleep ?? realSleep;
  const transport = createTransport(config.server, config.caFile);
  const backoffFor = (attempt: number) => backoffDelay(attempt, options.backoff);
  const delivery = createDelivery({
    transport,
    config,
    logger,
    clock,
    sleep,
    backoffFor,
    attempts: options.deliveryAttempts ?? 8,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  /** Jobs this process accepted, until their expiry: a job is never run twice, whoever re-sends it. */
  const accepted = new Map<string, number>();
  const jobs: JobHandling = { config, pinned, accepted, logger, clock, delivery, executor: options.executor };
  return {
    config,
    logger,
    transport,
    delivery,
    jobs,
    signal: options.signal,
    waitSeconds: options.waitSeconds ?? 25,
    sleep,
    backoffFor,
  };
}

/** Long-polls for work and handles each job, until stopped, aborted, or refused with a 401. */
async function pollForJobs(loop: PollLoop): Promise<void> {
  const { config, logger, transport, delivery, signal, waitSeconds } = loop;
  let failures = 0;
  const aborted = () => signal?.aborted === true;
  /** The bot could not be asked, or did not hand out work: wait longer each time, then ask again. */
  const backOff = async (level: "warn" | "error", fields: object, message: string): Promise<void> => {
    failures++;
    const wait = loop.backoffFor(failures);
    logger[level]({ ...fields, retryInMs: wait }, message);
    await loop.sleep(wait, signal);
  };
  while (delivery.stop() === null && !aborted()) {
    let reply: HttpReply;
    try {
      reply = await transport.send("GET", `v1/jobs/next?wait=${waitSeconds}`, {
        credential: config.credential,
        timeoutMs: (waitSeconds + 15) * 1000,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      if (aborted()) break;
      await backOff("warn", { err: (err as Error).message }, "cannot reach the bot; retrying");
      continue;
    }
    if (reply.status === 401) {
      delivery.refused(reply);
      break;
    }
    if (reply.status === 204) {
      failures = 0;
      continue;
    }
    if (reply.status !== 200) {
      const level = retryable(reply.status) ? "warn" : "error";
      await backOff(
        level,
        { status: reply.status, reason: errorText(reply) },
        "the bot did not hand out work",
      );
      continue;
    }
    failures = 0;
    const lease = Number(reply.headers[LEASE_HEADER]);
    await handleJob(reply.json, Number.isFinite(lease) && lease > 0 ? lease : 60_000, loop.jobs);
  }
}

/** A step the last run of this runner left running is reported lost, and never run again. */
async function recoverLostStep(
  journal: StepJournal,
  on: Pick<JobHandling, "logger" | "delivery" | "accepted">,
): Promise<void> {
  const { logger, delivery, accepted } = on;
  await recoverInterruptedStep({
    journal,
    logger,
    sendResult: async (jobId, result) => {
      const reply = await delivery.deliverReply(delivery.resultPath(jobId), result, "lost step's result");
      return reply === null ? null : { status: reply.status, error: errorText(reply) };
    },
    refuseRepeat: (jobId, untilMs) => accepted.set(jobId, untilMs),
  });
}
