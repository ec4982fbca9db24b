// JobSignals (dispatch/signals.ts) across bot replicas on one PostgreSQL database: a job queued on
// one replica wakes the runner's long-poll held by another at once. queued(runner) sends
// pg_notify('momlink_jobs', runner) after the job committed (the dispatcher signals only then), and
// each process holds one dedicated connection that LISTENs on the channel and wakes its own
// waiters. When that connection drops (the server restarted, a network blip) it is opened and
// LISTENed again, backing off up to 5 s. Nothing relies on a notification arriving: the
// dispatcher's tick looks for queued jobs every second, so a lost one costs a second, never a job.
import type { PoolClient } from "pg";
import type { JobSignals } from "../../dispatch/signals.ts";
import type { Logger } from "../../log.ts";
import type { PostgresConnection } from "./connect.ts";

export const JOBS_CHANNEL = "momlink_jobs";

export interface PostgresJobSignals extends JobSignals {
  /** Resolves once the LISTEN connection is up (again, after a drop). */
  listening(): Promise<void>;
  /** Resolves at the next LISTEN that succeeds from now on (a test's handle on the reconnect). */
  nextListen(): Promise<void>;
  /** Stops listening for good and gives the connection back. */
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

export function postgresJobSignals(connection: PostgresConnection, logger: Logger): PostgresJobSignals {
  const subscribers = new Set<(runner: string) => void>();
  let client: PoolClient | null = null;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let up: { promise: Promise<void>; resolve: () => void } = pending();
  let next = pending();

  const dropped = (from: PoolClient, err?: unknown) => {
    if (client !== from) return;
    client = null;
    from.release(true);
    if (closed) return;
    logger.warn(
      { err },
      "lost the LISTEN connection for queued jobs; reconnecting (the tick covers meanwhile)",
    );
    up = pending();
    retryTimer = setTimeout(listen, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  };

  const listen = async () => {
    if (closed) return;
    let opened: PoolClient;
    try {
      opened = await connection.pool.connect();
    } catch (err) {
      logger.warn({ err: connection.explain("listening for queued jobs", err) }, "cannot LISTEN yet");
      retryTimer = setTimeout(listen, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
      return;
    }
    client = opened;
    opened.on("notification", (message) => {
      if (message.channel !== JOBS_CHANNEL || message.payload === undefined) return;
      for (const wake of [...subscribers]) wake(message.payload);
    });
    opened.on("error", (err) => dropped(opened, err));
    opened.on("end", () => dropped(opened));
    try {
      await opened.query(`LISTEN ${JOBS_CHANNEL}`);
    } catch (err) {
      dropped(opened, err);
      return;
    }
    if (closed) {
      dropped(opened);
      return;
    }
    retryMs = FIRST_RETRY_MS;
    up.resolve();
    const listened = next;
    next = pending();
    listened.resolve();
  };
  void listen();

  return {
    async queued(runner) {
      await connection.pool.query("SELECT pg_notify($1, $2)", [JOBS_CHANNEL, runner]);
    },
    subscribe(wake) {
      subscribers.add(wake);
      return () => subscribers.delete(wake);
    },
    listening: () => up.promise,
    nextListen: () => next.promise,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      subscribers.clear();
      const held = client;
      client = null;
      held?.release(true);
    },
  };
}

function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
