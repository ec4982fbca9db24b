// The bot's side of the runner protocol in one object: enqueue signed jobs, hand them to waiting
// runners at once, watch leases and expiries, and tell the bot what happened through events.
// Hand-over needs no polling: a runner's long-poll parks a waiter in memory (long-polls.ts) and
// enqueue wakes it; a job queued by another process wakes it through JobSignals (signals.ts).
// Each method is a function over the shared DispatcherState; createDispatcher only wires them.
import { randomUUID } from "node:crypto";
import type { RequestListener, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DatabaseSync } from "node:sqlite";
import { sameMachine } from "../domain/host.ts";
import { type Job, type JobKind, jobSchema, type StepEvent } from "../domain/job.ts";
import type { Plan } from "../domain/plan.ts";
import { createLogger, type Logger } from "../log.ts";
import { type SigningKeys, signJob } from "../protocol/signing.ts";
import type { JobResult } from "../protocol/wire.ts";
import { openDatabase } from "../store/database.ts";
import { closeDatabase } from "../store/db-file.ts";
import { writeTransaction } from "../store/transaction.ts";
import { createEmitter, type Emit } from "./emitter.ts";
import { createLongPolls, type LongPolls } from "./long-polls.ts";
import { createQueue, type Queue } from "./queue.ts";
import {
  type AddedRunner,
  createRegistry,
  DispatchError,
  type Registry,
  type RunnerInfo,
} from "./registry.ts";
import { createRunnerApi } from "./runner-api.ts";
import { realScheduler, type Scheduler } from "./scheduler.ts";
import { createRunnerHandler, createRunnerServer, type RunnerApiLimits } from "./server.ts";
import { inProcessJobSignals, type JobSignals } from "./signals.ts";
import { DISPATCH_SCHEMA } from "./store.ts";

export type { JobSignals };
export { DispatchError, realScheduler, type Scheduler };

export interface EnqueueInput {
  kind: JobKind;
  changeId: string;
  host: string;
  role: "primary" | "secondary";
  /** execute and rollback runs with several phases on a host: which one (domain/phases.ts). */
  phase?: number;
  planHash: string;
  /** The approved plan (for a pre-flight, the worst-case preview): the job carries it, signed. */
  plan: Plan;
  /** Default: the runner registered for `host`. */
  runner?: string;
  /** Default: now + jobTtlMs. A job not picked up by then is reported `expired`. */
  expiresAt?: Date;
  /**
   * A job id chosen by the caller (default: a random one). Enqueueing an id that exists throws
   * DispatchError `duplicate-job`, so a caller that derives ids from what it is doing can enqueue
   * at most once, even across restarts.
   */
  id?: string;
}

export interface DispatcherEvents {
  step: [jobId: string, changeId: string, event: StepEvent, job: Job];
  result: [job: Job, result: JobResult];
  lost: [job: Job];
  expired: [job: Job];
  /** A read-only job whose lease ran out, offered once more. */
  requeued: [job: Job];
  /** A runner parked a long-poll (tests and the bench synchronise on it). */
  waiting: [runner: string];
  "handed-over": [job: Job, via: "waiter" | "poll"];
}
export type DispatcherEvent = keyof DispatcherEvents;

export interface DispatcherOptions {
  /** A database path (opened here, WAL) or an open database (the caller closes it). */
  db: string | DatabaseSync;
  keys: SigningKeys;
  clock?: () => Date;
  /**
   * How long a handed-over job may go without an event or heartbeat (MOMLINK_JOB_LEASE_SECONDS).
   * Default 60 s. Each hand-over announces it (LEASE_HEADER); runners heartbeat at a third of it.
   */
  leaseMs?: number;
  /** Default expiry of a job from its enqueue. Default 15 min. */
  jobTtlMs?: number;
  /** Registration token lifetime. Default 1 h. */
  tokenTtlMs?: number;
  /** A runner seen within this window counts as online. Default 60 s. */
  onlineWindowMs?: number;
  /** How often leases and expiries are checked. Default 1 s. */
  tickMs?: number;
  scheduler?: Scheduler;
  /**
   * How a job queued here wakes a long-poll held by another process on the same database (and
   * back). Default: within this process only (inProcessJobSignals).
   */
  signals?: JobSignals;
  logger?: Logger;
  newJobId?: () => string;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** PEM certificate and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Header and request deadlines and the connection cap (defaults: DEFAULT_RUNNER_API_LIMITS). */
  limits?: Partial<RunnerApiLimits>;
}

export interface Listening {
  url: string;
  port: number;
  server: Server;
}

/** What the dispatcher's functions share: its settings, its parts, its servers and whether it is closed. */
interface DispatcherState {
  db: DatabaseSync;
  /** Whether the database was opened here (close closes it). */
  ownsDb: boolean;
  keys: SigningKeys;
  clock: () => Date;
  jobTtlMs: number;
  newJobId: () => string;
  logger: Logger;
  emit: Emit<DispatcherEvents>;
  registry: Registry;
  queue: Queue;
  polls: LongPolls;
  signals: JobSignals;
  servers: Set<Server>;
  closed: boolean;
}

export function createDispatcher(options: DispatcherOptions) {
  const { state, on, scheduler } = openDispatcherState(options);
  const { registry, queue, polls, logger, keys } = state;
  const unsubscribe = state.signals.subscribe((runner) => {
    if (!state.closed) polls.wake(runner);
  });
  const api = createRunnerApi({
    registry,
    queue,
    polls,
    logger,
    emit: state.emit,
    closed: () => state.closed,
  });
  const handler: RequestListener = createRunnerHandler(api, logger);
  const stopTicking = scheduler.every(options.tickMs ?? 1000, () => tick(state));

  return {
    enqueue: (input: EnqueueInput) => enqueue(state, input),
    addRunner: (input: { name: string; host: string; platform: RunnerInfo["platform"] }): AddedRunner =>
      registry.addRunner(input),
    revoke: (name: string) => revoke(state, name),
    listRunners: () => registry.listRunners(),
    runnerFor: (host: string) => registry.runnerFor(host),
    getRunner: (name: string) => registry.getRunner(name),
    /** A job as the store holds it now (state, attempts, result, lease). */
    job: (id: string) => queue.get(id),
    /** Every job of one change, oldest first, with its state and result. */
    jobsFor: (changeId: string) => queue.forChange(changeId),
    /** The step events recorded for a job's latest attempt, in order. */
    events: (jobId: string) => queue.events(jobId),
    on,
    tick: () => tick(state),
    handler,
    listen: (opts: ListenOptions = {}) => listen(state, handler, opts),
    close: () =>
      close(state, () => {
        stopTicking();
        unsubscribe();
      }),
    publicKeyPem: keys.publicKeyPem,
    keyId: keys.keyId,
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/** Opens the database and builds the registry, queue and long-polls the dispatcher wires together. */
function openDispatcherState(options: DispatcherOptions) {
  const clock = options.clock ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 60_000;
  const scheduler = options.scheduler ?? realScheduler;
  const logger = options.logger ?? createLogger({ level: "silent" });
  const { db, owned } = openDatabase(options.db, { schemas: [DISPATCH_SCHEMA] });
  const keys = options.keys;

  const { on, emit } = createEmitter<DispatcherEvents>((err, event) =>
    // A failing Slack update must not break the protocol: the store already holds the truth.
    logger.error({ err, event }, "dispatcher event handler failed"),
  );

  const registry = createRegistry({
    db,
    keys,
    clock,
    ...(options.tokenTtlMs === undefined ? {} : { tokenTtlMs: options.tokenTtlMs }),
    ...(options.onlineWindowMs === undefined ? {} : { onlineWindowMs: options.onlineWindowMs }),
    isPolling: (name) => polls.isPolling(name),
  });
  const queue = createQueue({ db, clock, leaseMs });
  const polls = createLongPolls({
    authenticate: (credential) => registry.authenticate(credential),
    take: (runner, serves) => queue.take(runner, serves),
    scheduler,
    leaseMs,
    handedOver(job, runner) {
      logger.info({ jobId: job.id, runner, via: "waiter" }, "job handed over");
      emit("handed-over", job, "waiter");
    },
  });
  const state: DispatcherState = {
    db,
    ownsDb: owned,
    keys,
    clock,
    jobTtlMs: options.jobTtlMs ?? 15 * 60_000,
    newJobId: options.newJobId ?? (() => `job-${randomUUID()}`),
    logger,
    emit,
    registry,
    queue,
    polls,
    signals: options.signals ?? inProcessJobSignals(),
    servers: new Set<Server>(),
    closed: false,
  };
  return { state, on, scheduler };
}

/** Tells other processes a job is queued for `runner`; a failing signal costs a tick, not the job. */
function signalQueued(state: DispatcherState, runner: string): void {
  const { logger } = state;
  try {
    Promise.resolve(state.signals.queued(runner)).catch((err: unknown) =>
      logger.warn({ err, runner }, "could not signal a queued job; the next tick hands it over"),
    );
  } catch (err) {
    logger.warn({ err, runner }, "could not signal a queued job; the next tick hands it over");
  }
}

function enqueue(state: DispatcherState, input: EnqueueInput): Job {
  const { registry, queue, polls, logger } = state;
  if (state.closed) throw new DispatchError("closed", "the dispatcher is closed");
  const runner =
    input.runner === undefined ? registry.runnerFor(input.host) : registry.getRunner(input.runner);
  if (runner === null || runner.status !== "active") {
    throw new DispatchError(
      "no-runner",
      input.runner === undefined
        ? `no registered runner for host ${input.host}: add one with momlink runners add <name> --host ${input.host}`
        : `runner "${input.runner}" is not registered (or was revoked)`,
    );
  }
  if (!sameMachine(runner.host, input.host)) {
    throw new DispatchError("wrong-host", `runner "${runner.name}" serves ${runner.host}, not ${input.host}`);
  }
  const now = state.clock();
  const expiresAt = input.expiresAt ?? new Date(now.getTime() + state.jobTtlMs);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new DispatchError(
      "expired",
      `the job would expire at ${expiresAt.toISOString()}, which is not in the future`,
    );
  }
  const id = input.id ?? state.newJobId();
  if (input.id !== undefined && queue.get(id) !== null) {
    throw new DispatchError("duplicate-job", `job ${id} was already queued`);
  }
  const parsed = jobSchema.safeParse({
    id,
    kind: input.kind,
    changeId: input.changeId,
    runner: runner.name,
    host: input.host,
    role: input.role,
    ...(input.phase === undefined ? {} : { phase: input.phase }),
    planHash: input.planHash,
    plan: input.plan,
    issuedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new DispatchError("invalid-job", `the job does not match the job contract: ${problems}`);
  }
  const job = parsed.data;
  const signed = signJob(job, state.keys);
  // One commit for "queued" and, when the runner is waiting, "leased": a hand-over costs one fsync.
  const claimed = writeTransaction(state.db, () => {
    queue.insert(signed);
    return polls.claim(runner.name);
  });
  logger.info({ jobId: job.id, kind: job.kind, changeId: job.changeId, runner: runner.name }, "job queued");
  if (claimed === null) signalQueued(state, runner.name);
  else polls.deliver(claimed);
  return job;
}

/** Runs out leases and expiries now; also wakes waiters for jobs queued by another process. */
function tick(state: DispatcherState): void {
  const { queue, polls, logger, emit } = state;
  if (state.closed) return;
  const { lost, requeued, expired } = queue.sweep();
  for (const job of lost) {
    logger.warn(
      { jobId: job.id, kind: job.kind, changeId: job.changeId, runner: job.runner },
      "job lost: lease ran out",
    );
    emit("lost", job);
  }
  for (const job of expired) {
    logger.warn(
      { jobId: job.id, kind: job.kind, changeId: job.changeId, runner: job.runner },
      "job expired unclaimed",
    );
    emit("expired", job);
  }
  for (const job of requeued) {
    logger.info({ jobId: job.id, kind: job.kind, runner: job.runner }, "read-only job offered again");
    emit("requeued", job);
  }
  // The fallback for jobs queued elsewhere whose signal never came (or that another process re-offered).
  for (const name of polls.runners()) if (queue.hasQueued(name)) polls.wake(name);
  for (const runner of new Set(requeued.map((job) => job.runner))) signalQueued(state, runner);
}

async function listen(
  state: DispatcherState,
  handler: RequestListener,
  opts: ListenOptions,
): Promise<Listening> {
  const server = createRunnerServer(handler, {
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    logger: state.logger,
  });
  state.servers.add(server);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { url: `${opts.tls === undefined ? "http" : "https"}://${shown}:${port}`, port, server };
}

function revoke(state: DispatcherState, name: string): boolean {
  const done = state.registry.revoke(name);
  state.polls.end({ type: "refused", error: "revoked" }, name);
  if (done) state.logger.warn({ runner: name }, "runner revoked");
  return done;
}

/** Stops the tick and the signals (`stop`), ends every long-poll, closes the servers and an owned database. */
async function close(state: DispatcherState, stop: () => void): Promise<void> {
  if (state.closed) return;
  state.closed = true;
  stop();
  state.polls.end({ type: "closing" });
  await Promise.all(
    [...state.servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
  state.servers.clear();
  if (state.ownsDb) closeDatabase(state.db);
}
