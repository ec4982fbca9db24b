// What each change message last showed (change/ports/message-renders.ts) on the change store's
// SQLite file. SQLite is one process per file (serve-lock.ts), so the message's lock is a queue in
// this process: a second render of the same message waits for the first to be sent and recorded,
// then compares itself with it. The record is one statement on the store's connection, which never
// moves a message back (served-queries.ts recordRender).
//
// What it keeps true: a lock held longer than `holdMs` (a send that hangs) is let go for the next
// render, which is read later and so shows the store as new or newer; the hung one's record, if it
// ever comes, cannot move the stored version back.
import type { StatementSync } from "node:sqlite";
import {
  type MessageClaim,
  type MessageKey,
  type MessageRenders,
  RENDER_HOLD_MS,
  type RenderStamp,
} from "../change/ports/message-renders.ts";
import { int, text } from "./rows.ts";
import { SERVED } from "./served-queries.ts";

export class SqliteMessageRenders implements MessageRenders {
  readonly #sql: (text: string) => StatementSync;
  readonly #write: <T>(fn: () => T) => T;
  readonly #holdMs: number;
  readonly #now: () => Date;
  /** The tail of each message's queue: what the next render waits for. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(options: {
    sql: (text: string) => StatementSync;
    /** One write transaction (the store's: it checks the file is still the one opened). */
    write: <T>(fn: () => T) => T;
    holdMs?: number;
    now?: () => Date;
  }) {
    this.#sql = options.sql;
    this.#write = options.write;
    this.#holdMs = options.holdMs ?? RENDER_HOLD_MS;
    this.#now = options.now ?? (() => new Date());
  }

  async withMessage<T>(message: MessageKey, fn: (claim: MessageClaim) => Promise<T>): Promise<T> {
    const key = `${message.channel} ${message.ts}`;
    const before = this.#tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.#tails.set(key, tail);
    await before;
    const bound = setTimeout(release, this.#holdMs);
    bound.unref();
    try {
      const row = this.#sql(SERVED.shownRender.sql).get(message.channel, message.ts);
      const shown = row === undefined ? null : { version: int(row, "version"), digest: text(row, "digest") };
      let recorded: RenderStamp | null = null;
      const out = await fn({
        shown,
        record: async (stamp) => {
          recorded = stamp;
        },
      });
      if (recorded !== null) this.#record(message, recorded);
      return out;
    } finally {
      clearTimeout(bound);
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  #record(message: MessageKey, stamp: RenderStamp): void {
    const { channel, ts, changeId } = message;
    const at = this.#now().toISOString();
    this.#write(() =>
      this.#sql(SERVED.recordRender.sql).run(channel, ts, changeId, stamp.version, stamp.digest, at),
    );
  }
}
