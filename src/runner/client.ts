// The runner's listener: registers once, then long-polls the bot for jobs, checks each one against
// the key it pinned at registration, hands it to the executor (the worker side), and reports step
// events and the result (through delivery.ts, which retries and stops on a 401). It never runs a
// job twice and never retries a mutating step: on any doubt it reports and lets the bot's next
// pre-flight decide.
import { createPublicKey, type KeyObject } from "node:crypto";
import { hostname as osHostname } from "node:os";
import pkg from "../../package.json" with { type: "json" };
import type { HostFacts } from "../domain/facts.ts";
import type { HostEvidence } from "../domain/failover-evidence.ts";
import type { Job, StepEvent } from "../domain/job.ts";
import type { Platform } from "../domain/pair.ts";
import { createLogger, type Logger } from "../log.ts";
import { JobRefusedError } from "../protocol/refusal.ts";
import { keyIdOf, verifySignedJob } from "../protocol/signing.ts";
import {
  type JobResult,
  jobIdSchema,
  LEASE_HEADER,
  type RegisterRequest,
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
import type { StepJournal } from "./journal.ts";
import { recoverInterruptedStep } from "./recovery.ts";
import { createTransport, errorText, type HttpReply, retryable } from "./transport.ts";

/**
 * The worker side (runner/executor.ts), injected so the listener knows nothing about hosts. Either
 * method may throw a JobRefusedError before anything runs: that is reported as a refusal.
 */
export interface JobExecutor {
  preflight(job: Job): Promise<HostFacts>;
  run(
    job: Job,
    onEvent: (event: Omit<StepEvent, "jobId" | "at">) => void,
  ): Promise<{ ok: boolean; failedIndex?: number; facts?: HostFacts; evidence?: HostEvidence }>;
}

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
    const response = parsed.data;
    if (keyIdOf(response.publicKey) !== response.keyId) {
      throw new RunnerError("the bot's public key does not match the key id it announced: not pinning it");
    }
    if (options.expectKeyId !== undefined && options.expectKeyId !== response.keyId) {
      throw new RunnerError(
        `the server's signing key is ${response.keyId}, but ${options.expectKeyId} was expected: this may not be your bot; nothing was saved`,
      );
    }
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

export type { RunnerStop };

/** Runs until `signal` aborts, or the bot revokes or no longer knows this runner's credential. */
export async function startRunner(options: StartRunnerOptions): Promise<RunnerStop> {
  const loaded = readRunnerConfig(options.configPath);
  if (!loaded.ok) throw new RunnerError(loaded.error);
  const config = loaded.config;
  const pinned: KeyObject = createPublicKey(config.publicKey);
  const logger = (options.logger ?? createLogger({ level: "silent" })).child({ runner: config.name });
  const clock = options.clock ?? (() => new Date());
  const sleep = options.backoff?.sleep ?? realSleep;
  const signal = options.signal;
  const waitSeconds = options.waitSeconds ?? 25;
  const deliveryAttempts = options.deliveryAttempts ?? 8;
  const transport = createTransport(config.server, config.caFile);
  /** Jobs this process accepted, until their expiry: a job is never run twice, whoever re-sends it. */
  const accepted = new Map<string, number>();

  const backoffFor = (attempt: number) => backoffDelay(attempt, options.backoff);
  const delivery = createDelivery({
    transport,
    config,
    logger,
    clock,
    sleep,
    backoffFor,
    attempts: deliveryAttempts,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
  const jobs: JobHandling = { config, pinned, accepted, logger, clock, delivery, executor: options.executor };

  logger.info({ server: config.server, host: config.host, keyId: config.keyId }, "runner started");
  let failures = 0;
  const aborted = () => signal?.aborted === true;
  /** The bot could not be asked, or did not hand out work: wait longer each time, then ask again. */
  const backOff = async (level: "warn" | "error", fields: object, message: string): Promise<void> => {
    failures++;
    const wait = backoffFor(failures);
    logger[level]({ ...fields, retryInMs: wait }, message);
    await sleep(wait, signal);
  };
  try {
    if (options.journal !== undefined) await recoverLostStep(options.journal, { logger, delivery, accepted });
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
      await handleJob(reply.json, Number.isFinite(lease) && lease > 0 ? lease : 60_000, jobs);
    }
  } finally {
    transport.close();
  }
  const stop = delivery.stop();
  if (stop !== null) return stop;
  logger.info("runner stopped");
  return { reason: "stopped" };
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

/** What handling one job needs of the runner: who it is, the key it pinned, what it already took. */
interface JobHandling {
  config: RunnerConfig;
  pinned: KeyObject;
  /** Jobs this process accepted, until their expiry: a job is never run twice, whoever re-sends it. */
  accepted: Map<string, number>;
  logger: Logger;
  clock: () => Date;
  delivery: Delivery;
  executor: JobExecutor;
}

/** One handed-over job: verified against the pinned key, run once, its events and result reported. */
async function handleJob(wire: unknown, leaseMs: number, on: JobHandling): Promise<void> {
  const { config, pinned, accepted, logger, clock, delivery, executor } = on;
  const { report } = delivery;
  const now = clock();
  for (const [id, until] of accepted) if (until < now.getTime()) accepted.delete(id);
  const verdict = verifySignedJob(wire, pinned, { now, runnerName: config.name, host: config.host });
  if (!verdict.ok) {
    const jobId = jobIdOf(wire);
    logger.error({ jobId, code: verdict.code, reason: verdict.reason }, "refused a job; nothing was run");
    if (jobId !== undefined) {
      await report(jobId, {
        ok: false,
        refused: true,
        error: `refused (${verdict.code}): ${verdict.reason}`,
      });
    }
    return;
  }
  const job = verdict.job;
  if (accepted.has(job.id)) {
    logger.error({ jobId: job.id }, "the bot sent a job this runner already took; not running it again");
    await report(job.id, {
      ok: false,
      refused: true,
      error: "refused (repeat): this runner already took this job",
    });
    return;
  }
  accepted.set(job.id, Date.parse(job.expiresAt));
  logger.info({ jobId: job.id, kind: job.kind, changeId: job.changeId }, "running job");
  const stopHeartbeat = delivery.startHeartbeat(job.id, leaseMs);
  const events = delivery.eventSender(job.id);
  let result: JobResult;
  try {
    result = await execute(executor, job, events.push);
  } catch (err) {
    if (err instanceof JobRefusedError) {
      // The executor rebuilt the plan and found it wanting (policy, host, hash, blockers):
      // nothing ran on the host, which the bot must know apart from a step that failed.
      logger.error({ jobId: job.id, reasons: err.reasons }, "refused a job; nothing was run");
      result = {
        ok: false,
        refused: true,
        error: bounded(`refused (executor): ${err.reasons.join("; ")}`),
      };
    } else {
      result = { ok: false, error: bounded(`the runner failed: ${(err as Error).message}`) };
    }
  } finally {
    await events.drain();
    stopHeartbeat();
  }
  logger.info({ jobId: job.id, ok: result.ok }, "job finished");
  await report(job.id, result);
}

/** What the executor answered, as the job result the bot reads. */
async function execute(
  executor: JobExecutor,
  job: Job,
  onEvent: (e: Omit<StepEvent, "jobId" | "at">) => void,
): Promise<JobResult> {
  switch (job.kind) {
    case "preflight":
      return { ok: true, facts: await executor.preflight(job) };
    case "execute":
    case "rollback":
    case "verify": {
      const out = await executor.run(job, onEvent);
      return {
        ok: out.ok,
        ...(out.failedIndex === undefined ? {} : { failedIndex: out.failedIndex }),
        ...(out.facts === undefined ? {} : { facts: out.facts }),
        ...(out.evidence === undefined ? {} : { evidence: out.evidence }),
      };
    }
    default: {
      const never: never = job.kind;
      return never;
    }
  }
}

function jobIdOf(wire: unknown): string | undefined {
  if (typeof wire !== "object" || wire === null) return undefined;
  const job = (wire as { job?: unknown }).job;
  if (typeof job !== "object" || job === null) return undefined;
  const parsed = jobIdSchema.safeParse((job as { id?: unknown }).id);
  return parsed.success ? parsed.data : undefined;
}

function bounded(text: string): string {
  return text.length <= 4000 ? text : `${text.slice(0, 4000)}…`;
}
