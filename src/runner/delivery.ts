// How the runner tells the bot what it did: POSTs retried on network errors and 5xx with backoff
// (step events in order, one at a time; the result; the lease heartbeat while a job runs). A 401
// anywhere means the bot revoked or forgot this runner: delivery stops there and says why, and the
// loop (client.ts) stops with it. Giving up on a delivery is safe: the bot reports the job lost.
import type { JobResult, StepEvent } from "../domain/job.ts";
import type { Logger } from "../log.ts";
import type { RunnerConfig } from "./credentials.ts";
import { errorText, type HttpReply, retryable, type Transport } from "./transport.ts";

export type RunnerStop =
  | { reason: "stopped" }
  | { reason: "revoked"; message: string }
  | { reason: "unauthorized"; message: string };

export interface DeliveryOptions {
  transport: Transport;
  config: RunnerConfig;
  logger: Logger;
  clock: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  backoffFor: (attempt: number) => number;
  /** Attempts to deliver one event or result before giving up (the lease then decides). */
  attempts: number;
  /** Heartbeat period while a job runs. Default: a third of the lease the bot announced. */
  heartbeatMs?: number;
}

/** What the deliveries share: their options, and why the runner must stop once the bot said so. */
interface DeliveryState {
  options: DeliveryOptions;
  stop: RunnerStop | null;
}

export function createDelivery(options: DeliveryOptions) {
  const state: DeliveryState = { options, stop: null };
  return {
    deliver: (path: string, body: unknown, what: string) => deliver(state, path, body, what),
    deliverReply: (path: string, body: unknown, what: string) => deliverReply(state, path, body, what),
    resultPath,
    report: (jobId: string, result: JobResult) => report(state, jobId, result),
    eventSender: (jobId: string) => eventSender(state, jobId),
    startHeartbeat: (jobId: string, leaseMs: number) => startHeartbeat(options, jobId, leaseMs),
    /** Why the runner must stop (the bot refused its credential), once it must. */
    stop: (): RunnerStop | null => state.stop,
    /** The bot refused the credential on a poll: stop, saying why. */
    refused(reply: HttpReply): void {
      state.stop ??= unauthorized(options, reply);
    },
  };
}

function unauthorized({ config, logger }: DeliveryOptions, reply: HttpReply): RunnerStop {
  const error = errorText(reply);
  if (error === "revoked") {
    const message = `the bot revoked runner "${config.name}": stopping. Ask an admin for a new token (momlink runners add ${config.name} --host ${config.host}) and register again.`;
    logger.error(message);
    return { reason: "revoked", message };
  }
  const message = `the bot refused runner "${config.name}"'s credential (${error}): stopping. Register again with a new token.`;
  logger.error(message);
  return { reason: "unauthorized", message };
}

/** POSTs with retries on network errors and 5xx; true when the bot acknowledged. */
async function deliver(state: DeliveryState, path: string, body: unknown, what: string): Promise<boolean> {
  const reply = await deliverReply(state, path, body, what);
  if (reply === null) return false;
  if (reply.status >= 200 && reply.status < 300) return true;
  state.options.logger.warn(
    { status: reply.status, reason: errorText(reply) },
    `the bot did not take the ${what}`,
  );
  return false;
}

/** POSTs with retries on network errors and 5xx; the bot's final answer, or null (gave up, or 401). */
async function deliverReply(
  state: DeliveryState,
  path: string,
  body: unknown,
  what: string,
): Promise<HttpReply | null> {
  const { transport, config, logger, sleep, backoffFor, attempts } = state.options;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const reply = await transport.send("POST", path, {
        body,
        credential: config.credential,
        timeoutMs: 30_000,
      });
      if (reply.status === 401) {
        state.stop ??= unauthorized(state.options, reply);
        return null;
      }
      if (!retryable(reply.status)) return reply;
      logger.warn({ status: reply.status, attempt }, `the bot failed to take the ${what}; retrying`);
    } catch (err) {
      logger.warn({ err: (err as Error).message, attempt }, `could not send the ${what}; retrying`);
    }
    if (attempt < attempts) await sleep(backoffFor(attempt));
  }
  logger.error(
    `gave up sending the ${what}; the bot will report the job lost and its next pre-flight decides`,
  );
  return null;
}

const resultPath = (jobId: string) => `v1/jobs/${encodeURIComponent(jobId)}/result`;

async function report(state: DeliveryState, jobId: string, result: JobResult): Promise<void> {
  await deliver(state, resultPath(jobId), result, "job result");
}

/** Sends events one at a time, in the order the executor produced them. */
function eventSender(state: DeliveryState, jobId: string) {
  let seq = 0;
  let chain = Promise.resolve();
  let stopped = false;
  return {
    push(event: Omit<StepEvent, "jobId" | "at">) {
      const full: StepEvent = { ...event, jobId, at: state.options.clock().toISOString() };
      const n = ++seq;
      chain = chain.then(async () => {
        if (stopped) return;
        const ok = await deliver(
          state,
          `v1/jobs/${encodeURIComponent(jobId)}/events?seq=${n}`,
          full,
          `step event ${n}`,
        );
        if (!ok) stopped = true;
      });
    },
    drain: () => chain,
  };
}

function startHeartbeat(options: DeliveryOptions, jobId: string, leaseMs: number): () => void {
  const { transport, config, logger } = options;
  const every = options.heartbeatMs ?? Math.max(1000, Math.floor(leaseMs / 3));
  const timer = setInterval(() => {
    transport
      .send("POST", `v1/jobs/${encodeURIComponent(jobId)}/lease`, {
        credential: config.credential,
        timeoutMs: every,
      })
      .then((reply) => {
        if (reply.status !== 200)
          logger.warn({ status: reply.status, reason: errorText(reply) }, "heartbeat refused");
      })
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, "heartbeat failed"));
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

export type Delivery = ReturnType<typeof createDelivery>;
