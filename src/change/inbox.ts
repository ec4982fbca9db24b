// An acknowledged request is a durable fact. Every request that decides something about a change
// (Approve, Roll back, the reject and plan forms, `/momlink plan|cancel|rollback`) is written to
// the store's inbox BEFORE its ack, as what it asks (kind, change, actor, hash or reason or plan
// text) under the front end's redelivery key (Slack's: slack/inbox.ts); the decision comes after
// the ack (it may wait for group membership) and marks the row decided in the same transaction as
// the change it makes; the row is finished once the person has been told. A process killed
// anywhere in between finishes the row at its next start (recovery.ts), so an "ok" never covers a
// request that is then forgotten; and a redelivered request finds its key taken, even after a
// restart, and is dropped.
import { z } from "zod";
import { type Phrase, phraseParts } from "../domain/phrase.ts";
import type { Json, JsonObject } from "../domain/record.ts";
import type { ChangeStore, StoredRequest } from "./ports/store.ts";

const common = {
  key: z.string(),
  actor: z.string(),
  channel: z.string().nullable(),
  /** ISO-8601 UTC. */
  receivedAt: z.string(),
};

/** A plan as it was asked for: the command's text, or the form's fields (validated again when decided). */
const planSource = z.union([
  z.object({ text: z.string() }),
  z.object({ fields: z.record(z.string(), z.string()) }),
]);

/** What a received request asks; the stored rows decode to this, or are reported as unreadable. */
const durableRequest = z.discriminatedUnion("kind", [
  z.object({ ...common, kind: z.literal("approve"), changeId: z.string(), hash: z.string() }),
  z.object({ ...common, kind: z.literal("reject"), changeId: z.string(), reason: z.string() }),
  z.object({ ...common, kind: z.literal("cancel"), changeId: z.string(), reason: z.string().nullable() }),
  z.object({ ...common, kind: z.literal("rollback"), changeId: z.string(), hash: z.string() }),
  z.object({
    ...common,
    kind: z.literal("plan"),
    channel: z.string(),
    /** Set by the store once the plan's change exists. */
    changeId: z.string().nullable(),
    source: planSource,
  }),
]);

export type DurableRequest = z.infer<typeof durableRequest>;
export type PlanSource = z.infer<typeof planSource>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RequestFields = DistributiveOmit<DurableRequest, "key" | "receivedAt">;

/** The request a front end is about to ack, under its redelivery key, received now. */
export function durableRequestOf<F extends RequestFields>(
  fields: F,
  key: string,
  now: Date,
): F & { key: string; receivedAt: string } {
  return { ...fields, key, receivedAt: now.toISOString() };
}

export interface InboxDeps {
  store: ChangeStore;
  now: () => Date;
  logger: { info(details: object, message: string): void };
}

/**
 * Writes the request, then acks it: an "ok" only ever covers a request on disk. False for a
 * redelivery of a request already received (by this process or an earlier one): acked, logged,
 * not to be acted on again. A request that cannot be written is acked and the error thrown, for
 * the front end to tell the person it was not recorded.
 */
export async function receiveThenAck(
  deps: InboxDeps,
  request: DurableRequest,
  ack: () => Promise<void>,
): Promise<boolean> {
  const { key, kind, actor, channel, receivedAt, changeId, ...rest } = request;
  const payload: JsonObject = rest;
  let status: "received" | "duplicate";
  try {
    status = await deps.store.inbox.receive({
      key,
      kind,
      changeId,
      actor,
      channel,
      payload,
      receivedAt: new Date(receivedAt),
    });
  } catch (err) {
    // Not on disk (the database is gone, say): still acked, and the front end tells the person
    // that nothing was recorded, rather than showing a failed request.
    await ack();
    throw err;
  }
  await ack();
  if (status === "duplicate") {
    deps.logger.info({ key, kind, changeId }, "redelivered request ignored (already received)");
    return false;
  }
  return true;
}

/** The request was decided, shown and answered: nothing is left for a restart to do. */
export async function finishRequest(deps: InboxDeps, key: string): Promise<void> {
  await deps.store.inbox.finish(key, deps.now());
}

/** A stored row as the request it was, or why it cannot be read (a row from another build). */
export function fromStored(row: StoredRequest): DurableRequest | { problem: string } {
  const parsed = durableRequest.safeParse({
    ...row.payload,
    key: row.key,
    kind: row.kind,
    changeId: row.changeId,
    actor: row.actor,
    channel: row.channel,
    receivedAt: row.receivedAt,
  });
  if (parsed.success) return parsed.data;
  return { problem: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
}

/** A refusal's reason as the inbox keeps it (JSON). */
export function phraseJson(phrase: Phrase): Json {
  return typeof phrase === "string"
    ? phrase
    : phraseParts(phrase).map((p) => (typeof p === "string" ? p : { ...p }));
}

const storedPhrase = z.union([
  z.string(),
  z.array(
    z.union([
      z.string(),
      z.object({ user: z.string() }),
      z.object({ group: z.string() }),
      z.object({ time: z.string() }),
    ]),
  ),
]);

/** The reason a decided request was refused, as recorded (a phrase, or the text of an older build). */
export function refusalOf(outcome: JsonObject): Phrase {
  const reason = storedPhrase.safeParse(outcome.reason);
  return reason.success ? reason.data : "it was refused";
}
