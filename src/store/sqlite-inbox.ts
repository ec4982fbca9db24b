// The inbox of received Slack requests (store.ts RequestInbox) on the change store's SQLite file.
// It shares the store's connection and write transactions: a transition that decides a request
// marks it in the same transaction (decideWithin), so a request is never left decided in one
// place and not the other. Rows are decoded and checked, never cast. Its methods are async only at
// their surface (the port is async for PostgreSQL): each write runs whole when called, except a
// received request's: the requests received in one loop turn are one commit (write-batch.ts), so a
// burst of fifty plans waits for one fsync before its acks instead of fifty in a row on the event
// loop; each still resolves only once its row is committed, and its ack goes after that.
// Each request is stamped with this store's owner id and a lease (change-writes.ts inboxLeaseSql):
// one process serves a SQLite file, so at start every other owner is a process that ended.
import type { StatementSync } from "node:sqlite";
import type { JsonObject } from "../domain/record.ts";
import { toStoredRequest } from "./change-rows.ts";
import { type InboxOwner, inboxLeaseSql, inboxReceiveValues } from "./change-writes.ts";
import { int } from "./rows.ts";
import { SERVED } from "./served-queries.ts";
import type { NewRequest, RequestInbox, StoredRequest } from "./store.ts";
import { batchedWrites } from "./write-batch.ts";

/** What the inbox needs of the store it lives in. */
export interface InboxHost {
  sql(text: string): StatementSync;
  /** One write transaction (BEGIN IMMEDIATE ... COMMIT). */
  write<T>(fn: () => T): T;
  read<T>(fn: () => T): T;
}

const LEASE = inboxLeaseSql(() => "?");

export class SqliteRequestInbox implements RequestInbox {
  readonly #host: InboxHost;
  /** Keyed by the request's key: a redelivery in the same turn is written after it, and is the duplicate. */
  readonly #received: <T>(key: string, insert: () => T) => Promise<T>;
  readonly #owner: InboxOwner;

  constructor(host: InboxHost, owner: InboxOwner) {
    this.#host = host;
    this.#owner = owner;
    this.#received = batchedWrites<() => unknown>({
      together: async (inserts) => host.write(() => inserts.map((insert) => insert())),
      alone: async (insert) => host.write(insert),
    });
  }

  async receive(request: NewRequest): Promise<"received" | "duplicate"> {
    return this.#received(request.key, () => {
      const inserted = this.#host
        .sql(SERVED.inboxReceive.sql)
        .run(...inboxReceiveValues(request, this.#owner));
      return Number(inserted.changes) === 1 ? "received" : "duplicate";
    });
  }

  async decide(key: string, outcome: JsonObject, at: Date): Promise<void> {
    this.#host.write(() => this.decideWithin(key, null, outcome, at));
  }

  /** Marks `key` decided; call inside a write transaction. `changeId` names a change it created. */
  decideWithin(key: string, changeId: string | null, outcome: JsonObject, at: Date): void {
    this.#host.sql(SERVED.inboxDecide.sql).run(at.toISOString(), JSON.stringify(outcome), changeId, key);
  }

  async finish(key: string, at: Date): Promise<void> {
    this.#host.write(() => {
      this.#host.sql(SERVED.inboxFinish.sql).run(at.toISOString(), key);
    });
  }

  async unfinished(): Promise<StoredRequest[]> {
    return this.#host.read(() =>
      this.#host.sql("SELECT * FROM inbox WHERE finished_at IS NULL ORDER BY seq").all().map(toStoredRequest),
    );
  }

  async renewLeases(now: Date, scope: "own" | "all"): Promise<number> {
    const until = now.getTime() + this.#owner.leaseMs;
    return this.#host.write(() => {
      const renewed =
        scope === "own"
          ? this.#host.sql(LEASE.renewOwn).run(until, this.#owner.id)
          : this.#host.sql(LEASE.renewAll).run(until, until);
      return Number(renewed.changes);
    });
  }

  async takeOver(now: Date, scope: "lapsed" | "any-other"): Promise<StoredRequest[]> {
    const { id, leaseMs } = this.#owner;
    const until = now.getTime() + leaseMs;
    const rows = this.#host.write(() =>
      scope === "lapsed"
        ? this.#host.sql(LEASE.takeLapsed).all(id, until, id, now.getTime())
        : this.#host.sql(LEASE.takeAnyOther).all(id, until, id),
    );
    return rows.sort((a, b) => int(a, "seq") - int(b, "seq")).map(toStoredRequest);
  }

  async pruneFinished(before: Date): Promise<number> {
    return this.#host.write(() => {
      const deleted = this.#host
        .sql("DELETE FROM inbox WHERE finished_at IS NOT NULL AND finished_at < ?")
        .run(before.toISOString());
      return Number(deleted.changes);
    });
  }
}
