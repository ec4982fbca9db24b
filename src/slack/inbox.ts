// An acknowledged click is a durable fact. Every Slack request that decides something about a
// change (Approve, Roll back, the reject and plan forms, `/momlink plan|cancel|rollback`) is
// written to the store's inbox BEFORE its ack, as what it asks (kind, change, actor, hash or
// reason or plan text) under Slack's own redelivery key; the decision comes after the ack (it may
// wait on Slack for group membership) and marks the row decided in the same transaction as the
// change it makes; the row is finished once the Slack side has been told. A bot killed anywhere
// in between finishes the row at its next start (recovery.ts), so Slack's "ok" never covers a
// request that is then forgotten; and a redelivered request finds its key taken, even after a
// restart, and is dropped.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { JsonObject } from "../domain/record.ts";
import type { StoredRequest } from "../store/store.ts";
import { requestKey } from "./payloads.ts";
import type { MomlinkService } from "./service.ts";

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

/** The request a listener is about to ack, under Slack's redelivery key (or a key of its own). */
export function durable<F extends RequestFields>(
  svc: MomlinkService,
  body: object,
  fields: F,
): F & { key: string; receivedAt: string } {
  const key = requestKey(body as Record<string, unknown>) ?? `unkeyed:${randomUUID()}`;
  return { ...fields, key, receivedAt: svc.messageContext().now.toISOString() };
}

/**
 * Writes the request, then acks it: Slack's "ok" only ever covers a request on disk. False for a
 * redelivery of a request already received (by this process or an earlier one): acked, logged,
 * not to be acted on again. A request that cannot be written is acked and the error thrown, for
 * the listener's guard to tell the person it was not recorded.
 */
export async function receiveThenAck(
  svc: MomlinkService,
  request: DurableRequest,
  ack: () => Promise<void>,
): Promise<boolean> {
  const { key, kind, actor, channel, receivedAt, changeId, ...rest } = request;
  const payload: JsonObject = rest;
  let status: "received" | "duplicate";
  try {
    status = svc.store.inbox.receive({
      key,
      kind,
      changeId,
      actor,
      channel,
      payload,
      receivedAt: new Date(receivedAt),
    });
  } catch (err) {
    // Not on disk (the database is gone, say): still acked, and the listener's guard tells the
    // person that nothing was recorded, rather than Slack showing a failed request.
    await ack();
    throw err;
  }
  await ack();
  if (status === "duplicate") {
    svc.logger.info({ key, kind, changeId }, "redelivered request ignored (already received)");
    return false;
  }
  return true;
}

/** The request was decided, shown and answered: nothing is left for a restart to do. */
export function finishRequest(svc: MomlinkService, key: string): void {
  svc.store.inbox.finish(key, svc.messageContext().now);
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
