// The inbox of received Slack requests (RequestInbox) on PostgreSQL. receive is one INSERT ... ON
// CONFLICT DO NOTHING on the unique request_key: a redelivery reaching two replicas at once gives
// one "received" and one "duplicate" (the second insert waits for the first's commit, then does
// nothing). Each call is one statement, atomic on its own, so it needs no BEGIN and COMMIT (one
// round trip on the ack path). A transition that decides a request marks it in its own
// transaction (decideWithin). A take-over is one UPDATE ... RETURNING whose WHERE a second replica
// re-checks after the first one's commit (READ COMMITTED), so each lapsed request is claimed once.
import type { PoolClient } from "pg";
import type { JsonObject } from "../../domain/record.ts";
import { toStoredRequest } from "../change-rows.ts";
import { type InboxOwner, inboxLeaseSql, inboxReceiveValues } from "../change-writes.ts";
import { int, type Row } from "../rows.ts";
import type { NewRequest, RequestInbox, StoredRequest } from "../store.ts";
import { PG } from "./change-queries.ts";

/** What the inbox needs of the store it lives in (its statements and its error handling). */
export interface PostgresInboxHost {
  /** One statement on its own (atomic by itself: no BEGIN and COMMIT round trips); how many rows it wrote. */
  execute(doing: string, sql: string, values: readonly unknown[]): Promise<number>;
  read(doing: string, sql: string, values: readonly unknown[]): Promise<Row[]>;
}

const LEASE = inboxLeaseSql((n) => `$${n}`);

export class PostgresRequestInbox implements RequestInbox {
  readonly #host: PostgresInboxHost;
  readonly #owner: InboxOwner;

  constructor(host: PostgresInboxHost, owner: InboxOwner) {
    this.#host = host;
    this.#owner = owner;
  }

  async receive(request: NewRequest): Promise<"received" | "duplicate"> {
    const doing = `receiving request ${request.key}`;
    const inserted = await this.#host.execute(
      doing,
      PG.inboxReceive,
      inboxReceiveValues(request, this.#owner),
    );
    return inserted === 1 ? "received" : "duplicate";
  }

  async decide(key: string, outcome: JsonObject, at: Date): Promise<void> {
    await this.#host.execute(`deciding request ${key}`, PG.inboxDecide, decideValues(key, null, outcome, at));
  }

  /** Marks `key` decided inside the caller's transaction; `changeId` names a change it created. */
  async decideWithin(
    client: PoolClient,
    key: string,
    changeId: string | null,
    outcome: JsonObject,
    at: Date,
  ): Promise<void> {
    await client.query(PG.inboxDecide, decideValues(key, changeId, outcome, at));
  }

  async finish(key: string, at: Date): Promise<void> {
    await this.#host.execute(`finishing request ${key}`, PG.inboxFinish, [at.toISOString(), key]);
  }

  async unfinished(): Promise<StoredRequest[]> {
    return (await this.#host.read("reading unfinished requests", PG.inboxUnfinished, [])).map(
      toStoredRequest,
    );
  }

  renewLeases(now: Date, scope: "own" | "all"): Promise<number> {
    const until = now.getTime() + this.#owner.leaseMs;
    return scope === "own"
      ? this.#host.execute("renewing this replica's request leases", LEASE.renewOwn, [until, this.#owner.id])
      : this.#host.execute("renewing the request leases held through an outage", LEASE.renewAll, [
          until,
          until,
        ]);
  }

  async takeOver(now: Date, scope: "lapsed" | "any-other"): Promise<StoredRequest[]> {
    const { id, leaseMs } = this.#owner;
    const until = now.getTime() + leaseMs;
    const rows =
      scope === "lapsed"
        ? await this.#host.read("taking over requests left by a replica that died", LEASE.takeLapsed, [
            id,
            until,
            id,
            now.getTime(),
          ])
        : await this.#host.read("taking over requests left by earlier processes", LEASE.takeAnyOther, [
            id,
            until,
            id,
          ]);
    return rows.sort((a, b) => int(a, "seq") - int(b, "seq")).map(toStoredRequest);
  }

  pruneFinished(before: Date): Promise<number> {
    return this.#host.execute("pruning finished requests", PG.inboxPrune, [before.toISOString()]);
  }
}

function decideValues(key: string, changeId: string | null, outcome: JsonObject, at: Date): unknown[] {
  return [at.toISOString(), JSON.stringify(outcome), changeId, key];
}
