// The Slack side of the change layer's inbox (change/inbox.ts): a request a listener is about to
// ack is keyed by Slack's own redelivery key (payloads.ts requestKey), so that Slack's retries of
// it find the key taken, even after a restart; a payload with no key gets one of its own.
import { randomUUID } from "node:crypto";
import { durableRequestOf, type RequestFields } from "../change/inbox.ts";
import type { BotContext } from "./context.ts";
import { requestKey } from "./payloads.ts";

/** The request a listener is about to ack, under Slack's redelivery key (or a key of its own). */
export function durable<F extends RequestFields>(
  bot: BotContext,
  body: object,
  fields: F,
): F & { key: string; receivedAt: string } {
  const key = requestKey(body as Record<string, unknown>) ?? `unkeyed:${randomUUID()}`;
  return durableRequestOf(fields, key, bot.messageContext().now);
}
