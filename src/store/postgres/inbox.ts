// The inbox of received Slack requests (RequestInbox) on PostgreSQL. receive is one INSERT ... ON
// CONFLICT DO NOTHING on the unique request_key: a redelivery reaching two replicas at once gives
// one "received" and one "duplicate" (the second insert waits for the first's commit, then does
// nothing). A transition that decides a request marks it in its own transaction (decideWithin).
import type { PoolClient } from "pg";
import type { JsonObject } from "../../domain/record.ts";
import { toStoredRequest } from "../change-rows.ts";
import { inboxReceiveValues } from "../change-writes.ts";
import type { Row } from "../rows.ts";
import type { NewRequest, RequestInbox, StoredRequest } from "../store.ts";
import { PG } from "./change-queries.ts";

/** What the inbox needs of the store it lives in (its transactions and its error handling). */
export interface PostgresInboxHost {
  write<T>(doing: string, fn: (client: PoolClient) => Promise<T>): Promise<T>;
  read(doing: string, sql: string, values: readonly unknown[]): Promise<Row[]>;
}

export class PostgresRequestInbox implements RequestInbox {
  readonly #host: PostgresInboxHost;

  constructor(host: PostgresInboxHost) {
    this.#host = host;
  }

  receive(request: NewRequest): Promise<"received" | "duplicate"> {
    return this.#host.write(`receiving request ${request.key}`, async (client) => {
      const inserted = await client.query(PG.inboxReceive, inboxReceiveValues(request));
      return inserted.rowCount === 1 ? "received" : "duplicate";
    });
  }

  decide(key: string, outcome: JsonObject, at: Date): Promise<void> {
    return this.#host.write(`deciding request ${key}`, (client) =>
      this.decideWithin(client, key, null, outcome, at),
    );
  }

  /** Marks `key` decided inside the caller's transaction; `changeId` names a change it created. */
  async decideWithin(
    client: PoolClient,
    key: string,
    changeId: string | null,
    outcome: JsonObject,
    at: Date,
  ): Promise<void> {
    await client.query(PG.inboxDecide, [at.toISOString(), JSON.stringify(outcome), changeId, key]);
  }

  finish(key: string, at: Date): Promise<void> {
    return this.#host.write(`finishing request ${key}`, async (client) => {
      await client.query(PG.inboxFinish, [at.toISOString(), key]);
    });
  }

  async unfinished(): Promise<StoredRequest[]> {
    return (await this.#host.read("reading unfinished requests", PG.inboxUnfinished, [])).map(
      toStoredRequest,
    );
  }

  pruneFinished(before: Date): Promise<number> {
    return this.#host.write("pruning finished requests", async (client) => {
      const deleted = await client.query(PG.inboxPrune, [before.toISOString()]);
      return deleted.rowCount ?? 0;
    });
  }
}
