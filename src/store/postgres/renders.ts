// What each change message last showed (change/ports/message-renders.ts) on PostgreSQL, shared by
// every replica: `message_renders` is the truth for the render a message shows, and a message's
// updates queue on `pg_advisory_xact_lock(hashtextextended('momlink message <channel> <ts>', 0))`
// in a transaction held across the Slack call (docs/postgres.md, "Message renders").
//
// What it keeps true:
// - two replicas updating one message run one after the other: the second takes the lock once the
//   first committed what it sent, reads it (a new statement under READ COMMITTED) and compares;
// - the hold is bounded on the server: the transaction sets `idle_in_transaction_session_timeout`
//   and `lock_timeout` to `holdMs`, so a replica whose Slack call hangs (or that hangs itself) is
//   cut off and its lock freed, and a waiter gives up rather than waits for good; a dead replica's
//   lock goes with its connection;
// - the pool is never starved by the locks: at most `lockSlots` messages hold a connection at once
//   in this replica (the rest wait in memory), leaving connections for the reads a render makes
//   under the lock and for everything else (the pool must hold lockSlots + 1 + the LISTEN one + the
//   requests' own: the default 3 of 10);
// - a failure to take the lock is RenderLockUnavailable (the caller sends without it); a failure
//   after the send (writing the record, the COMMIT) is logged, never turned into a failed send.
import type { PoolClient } from "pg";
import {
  type MessageClaim,
  type MessageKey,
  type MessageRenders,
  RENDER_HOLD_MS,
  RenderLockUnavailable,
  type RenderStamp,
} from "../../change/ports/message-renders.ts";
import type { Logger } from "../../log.ts";
import { int, type Row, text } from "../rows.ts";
import { connectClient, type PostgresConnection } from "./connect.ts";

/** Messages this replica may hold locked at once (one pool connection each). */
export const RENDER_LOCK_SLOTS = 3;

const SQL = {
  bound:
    "SELECT set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)",
  lock: "SELECT pg_advisory_xact_lock(hashtextextended('momlink message ' || $1 || ' ' || $2, 0))",
  shown: "SELECT version, digest FROM message_renders WHERE channel = $1 AND message_ts = $2",
  // Never back: a stamp of a lower version than the stored one changes nothing.
  record: `INSERT INTO message_renders (channel, message_ts, change_id, version, digest, shown_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel, message_ts) DO UPDATE SET
           change_id = excluded.change_id, version = excluded.version, digest = excluded.digest,
           shown_at = excluded.shown_at WHERE excluded.version >= message_renders.version`,
} as const;

export interface PostgresRendersOptions {
  logger: Pick<Logger, "warn">;
  holdMs?: number;
  lockSlots?: number;
  now?: () => Date;
}

export class PostgresMessageRenders implements MessageRenders {
  readonly #connection: PostgresConnection;
  readonly #logger: Pick<Logger, "warn">;
  readonly #holdMs: number;
  readonly #now: () => Date;
  readonly #slots: Slots;

  constructor(connection: PostgresConnection, options: PostgresRendersOptions) {
    this.#connection = connection;
    this.#logger = options.logger;
    this.#holdMs = Math.max(1, Math.trunc(options.holdMs ?? RENDER_HOLD_MS));
    this.#now = options.now ?? (() => new Date());
    this.#slots = new Slots(Math.max(1, Math.trunc(options.lockSlots ?? RENDER_LOCK_SLOTS)));
  }

  async withMessage<T>(message: MessageKey, fn: (claim: MessageClaim) => Promise<T>): Promise<T> {
    await this.#slots.take();
    try {
      const { client, shown } = await this.#lock(message);
      // A server that ends the session (the hold ran out) emits on the client while it is ours.
      const lost = (error: Error) =>
        this.#logger.warn(
          { error: this.#connection.explain("a message's lock", error) },
          "lost a message's lock",
        );
      client.on("error", lost);
      let recorded: RenderStamp | null = null;
      let broken = false;
      try {
        const out = await fn({
          shown,
          record: async (stamp) => {
            recorded = stamp;
          },
        });
        broken = !(await this.#finish(client, message, recorded));
        return out;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.off("error", lost);
        client.release(broken);
      }
    } finally {
      this.#slots.give();
    }
  }

  /** A client holding the message's lock, and what the message shows; RenderLockUnavailable when it cannot be had. */
  async #lock(message: MessageKey): Promise<{ client: PoolClient; shown: RenderStamp | null }> {
    let client: PoolClient | undefined;
    try {
      client = await connectClient(this.#connection);
      await client.query("BEGIN");
      await client.query(SQL.bound, [`${this.#holdMs}ms`]);
      await client.query(SQL.lock, [message.channel, message.ts]);
      const [row] = (await client.query<Row>(SQL.shown, [message.channel, message.ts])).rows;
      const shown = row === undefined ? null : { version: int(row, "version"), digest: text(row, "digest") };
      return { client, shown };
    } catch (error) {
      if (client !== undefined) {
        await client.query("ROLLBACK").catch(() => undefined);
        client.release(true);
      }
      throw new RenderLockUnavailable(
        this.#connection.explain(`locking the message of ${message.changeId}`, error),
        { cause: error },
      );
    }
  }

  /**
   * Writes what was sent and commits, releasing the lock; false (logged) when that failed: the
   * send already went, so it is not the caller's failure, and the connection is dropped.
   */
  async #finish(client: PoolClient, message: MessageKey, recorded: RenderStamp | null): Promise<boolean> {
    try {
      if (recorded !== null) {
        const { version, digest } = recorded;
        const at = this.#now().toISOString();
        await client.query(SQL.record, [message.channel, message.ts, message.changeId, version, digest, at]);
      }
      await client.query("COMMIT");
      return true;
    } catch (error) {
      this.#logger.warn(
        {
          changeId: message.changeId,
          error: this.#connection.explain("recording a message's render", error),
        },
        "could not record what the change message shows; its next update is sent again",
      );
      return false;
    }
  }
}

/** A counting semaphore: who waits for a slot is served in turn. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(count: number) {
    this.#free = count;
  }

  async take(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free += 1;
  }
}
