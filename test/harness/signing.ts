// Requests as Slack sends them over HTTP: form-encoded bodies, `payload=<json>` for interactions,
// JSON for Events API callbacks, each signed with `v0=HMAC-SHA256(secret, "v0:<ts>:<body>")`.
import { createHmac } from "node:crypto";
import type { SlashCommandPayload } from "../../src/console/local-slack/payloads.ts";

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";

export interface SlackSignatureHeaders {
  "x-slack-signature": string;
  "x-slack-request-timestamp": string;
}

/** Seconds since the epoch, as Slack's `x-slack-request-timestamp`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function signRequest(
  secret: string,
  body: string,
  timestamp: number = nowSeconds(),
): SlackSignatureHeaders {
  const digest = createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
  return { "x-slack-signature": `v0=${digest}`, "x-slack-request-timestamp": String(timestamp) };
}

/** A slash command body, form-encoded field by field like Slack sends it. */
export function slashCommandBody(payload: SlashCommandPayload | Record<string, string>): string {
  return new URLSearchParams(Object.entries(payload)).toString();
}

/** An interaction body (block_actions, view_submission, ...): one form field `payload` holding JSON. */
export function interactiveBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API body (event_callback, url_verification): plain JSON. */
export function eventBody(payload: object): string {
  return JSON.stringify(payload);
}

export interface PostSignedOptions {
  secret: string;
  /** Default: now. Pass an old one to test replay protection. */
  timestamp?: number;
  /** Slack's redelivery headers. */
  retryNum?: number;
  retryReason?: string;
  /** Default: JSON when the body starts with `{`, else form-encoded. */
  contentType?: string;
  /** Replace the computed signature (to send a wrong one). */
  signature?: string;
}

/** POSTs `body` to `url` with Slack's signature headers; resolves with the raw Response. */
export function postSigned(url: string, body: string, options: PostSignedOptions): Promise<Response> {
  const signed = signRequest(options.secret, body, options.timestamp);
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? (body.startsWith("{") ? JSON_TYPE : FORM),
    ...signed,
  };
  if (options.signature !== undefined) headers["x-slack-signature"] = options.signature;
  if (options.retryNum !== undefined) headers["x-slack-retry-num"] = String(options.retryNum);
  if (options.retryReason !== undefined) headers["x-slack-retry-reason"] = options.retryReason;
  return fetch(url, { method: "POST", headers, body });
}
