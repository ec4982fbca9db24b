// The bot's side of the runner protocol in one object: enqueue signed jobs, hand them to waiting
// runners at once, watch leases and expiries, and tell the bot what happened through events.
// Hand-over needs no polling: a runner's long-poll parks a waiter in memory (long-polls.ts) and
// enqueue wakes it; a job queued by another process wakes it through JobSignals (signals.ts: on
// PostgreSQL, LISTEN/NOTIFY). The rows are the dispatch store's (ports/dispatch-store.ts): the
// bot's SQLite file, or PostgreSQL shared by several replicas. Every method that reads or writes
// them returns a promise. Each method is a function over the shared DispatcherState;
// createDispatcher only wires them.
import { randomUUID } from "node:crypto";
import type { RequestListener, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DatabaseSync } from "node:sqlite";
import type { Job, StepEvent } from "../domain/job.ts";
import { createLogger, type Logger } from "../log.ts";
import type { SigningKeys } from "../protocol/signing.ts";
import type { JobResult } from "../protocol/wire.ts";
import type { PostgresConnection } from "../store/postgres/connect.ts";
import { StoreUnavailableError } from "../store/script.ts";
import { createEmitter, type Emit } from "./emitter.ts";
import { type EnqueueInput, enqueue, signalQueued } from "./enqueue.ts";
import { createLongPolls, type LongPolls } from "./long-polls.ts";
import type { DispatchStore } from "./ports/dispatch-store.ts";
import { lazyPostgresDispatch } from "./postgres-dispatch.ts";
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
import { sqliteDispatchStore } from "./sqlite-store.ts";

export type { EnqueueInput, JobSignals };
export { DispatchError, realScheduler, type Scheduler };

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

/**
 * PostgreSQL, for several bot replicas on one database: a URL (a pool is opened here and closed by
 * close()) or an open connection (store/postgres/connect.ts openPostgres; the caller closes it).
 * The schema is migrated before the first statement; the signals default to LISTEN/NOTIFY.
 */
export interface PostgresTarget {
  postgres: string | PostgresConnection;
}

export interface DispatcherOptions {
  /**
   * Where the rows live: a SQLite path (opened here, WAL), an open SQLite database (the caller
   * closes it), or PostgreSQL ({ postgres: url or connection }).
   */
  db: string | DatabaseSync | PostgresTarget;
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
   * back). Default: within this process only (inProcessJobSignals) on SQLite; LISTEN/NOTIFY on
   * PostgreSQL (store/postgres/job-signals.ts).
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
  store: DispatchStore;
  /** Resolves once the store and the signals are ready (PostgreSQL: migrated and listening); each call tries again. */
  ready: () => Promise<void>;
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
  /** Stops what the dispatcher opened for its signals (a LISTEN connection). */
  closeSignals: () => Promise<void>;
  servers: Set<Server>;
  closed: boolean;
  /** A tick found the store unreachable, and none has swept since: the next sweep renews the leases. */
  storeWasUnreachable: boolean;
}

export function createDispatcher(options: DispatcherOptions) {
  const { state, on, scheduler } = openDispatcherState(options);
  const { registry, queue, polls, logger, keys } = state;
  const unsubscribe = state.signals.subscribe((runner) => {
    if (!state.closed) wake(state, runner);
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
  const stopTicking = scheduler.every(options.tickMs ?? 1000, () => {
    tick(state).catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) state.storeWasUnreachable = true;
      logger.warn({ err }, "dispatcher tick failed; the next one tries again");
    });
  });

  return {
    /** Resolves once the store is migrated and the signals listen (rejects with why not). */
    ready: () => state.ready(),
    enqueue: (input: EnqueueInput) => enqueue(state, input),
    addRunner: (input: {
      name: string;
      host: string;
      platform: RunnerInfo["platform"];
    }): Promise<AddedRunner> => registry.addRunner(input),
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
  const opened = openStore(options, logger);
  const { store } = opened;
  const keys = options.keys;

  const { on, emit } = createEmitter<DispatcherEvents>((err, event) =>
    // A failing Slack update must not break the protocol: the store already holds the truth.
    logger.error({ err, event }, "dispatcher event handler failed"),
  );

  const registry = createRegistry({
    store,
    keys,
    clock,
    ...(options.tokenTtlMs === undefined ? {} : { tokenTtlMs: options.tokenTtlMs }),
    ...(options.onlineWindowMs === undefined ? {} : { onlineWindowMs: options.onlineWindowMs }),
    isPolling: (name) => polls.isPolling(name),
  });
  const queue = createQueue({ store, clock, leaseMs });
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
    store,
    ready: opened.ready,
    keys,
    clock,
    jobTtlMs: options.jobTtlMs ?? 15 * 60_000,
    newJobId: options.newJobId ?? (() => `job-${randomUUID()}`),
    logger,
    emit,
    registry,
    queue,
    polls,
    signals: opened.signals,
    closeSignals: opened.closeSignals,
    servers: new Set<Server>(),
    closed: false,
    storeWasUnreachable: false,
  };
  return { state, on, scheduler };
}

/** The store and the signals `options` ask for: SQLite in-process, or PostgreSQL with LISTEN/NOTIFY. */
function openStore(options: DispatcherOptions, logger: Logger) {
  const { db } = options;
  if (typeof db === "string" || !("postgres" in db)) {
    const signals = options.signals ?? inProcessJobSignals();
    return {
      store: sqliteDispatchStore(db),
      signals,
      ready: async () => {},
      closeSignals: async () => {},
    };
  }
  const pg = lazyPostgresDispatch(db.postgres, logger);
  return {
    store: pg.store,
    signals: options.signals ?? pg.signals,
    ready: pg.ready,
    closeSignals: pg.closeSignals,
  };
}

/** Hands `runner`'s oldest queued job to its long-poll here, if it holds one; a failure waits for the tick. */
function wake(state: DispatcherState, runner: string): void {
  state.polls
    .wake(runner)
    .catch((err: unknown) =>
      state.logger.warn({ err, runner }, "could not hand a queued job over; the next tick tries again"),
    );
}

/** Runs out leases and expiries now; also wakes waiters for jobs queued by another process. */
async function tick(state: DispatcherState): Promise<void> {
  const { queue, polls, logger, emit } = state;
  if (state.closed) return;
  // After an outage of the store (PostgreSQL restarting), no runner could heartbeat: each replica's
  // first sweep gives every lease a full one again before it runs any out, whichever replica sweeps first.
  const renewed = state.storeWasUnreachable;
  const { lost, requeued, expired } = await queue.sweep(renewed);
  if (renewed) {
    state.storeWasUnreachable = false;
    logger.info("the database is reachable again: leases held through the outage were renewed");
  }
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
  const waiting = polls.runners().filter((name) => polls.hasFreeWaiter(name));
  if (waiting.length > 0) {
    for (const name of await queue.runnersWithQueuedJobs(waiting)) await polls.wake(name);
  }
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

async function revoke(state: DispatcherState, name: string): Promise<boolean> {
  const done = await state.registry.revoke(name);
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
  await state.closeSignals();
  await state.store.close();
}
