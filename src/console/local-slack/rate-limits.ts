// Slack's limits on writing messages, as the local Slack enforces them when asked to
// (LocalSlackOptions.rateLimits): chat.update of one message at most once per `messageUpdateMs`,
// and at most `channelWrites` chat.postMessage/chat.update calls per channel in any
// `channelWindowMs`. A call over a limit is answered as Slack does: HTTP 429, `ratelimited`, with
// a Retry-After in whole seconds; and it is counted, so a test can prove the bot never went over.
import { fail, jsonHeaders, type Params, type Reply } from "./protocol.ts";

export interface RateLimits {
  /** Least time between two accepted updates of one message. Slack: about a second. */
  messageUpdateMs: number;
  /** Accepted writes per channel in any window of `channelWindowMs`. */
  channelWrites: number;
  channelWindowMs: number;
}

/** Slack's documented figures: one message per second per channel, short bursts (three) allowed. */
export const SLACK_RATE_LIMITS: RateLimits = {
  messageUpdateMs: 1000,
  channelWrites: 3,
  channelWindowMs: 1000,
};

const WRITES = new Set(["chat.postMessage", "chat.update"]);

export interface LimitedCall {
  method: string;
  channel: string;
  ts: string | undefined;
  retryAfter: number;
}

export class RateLimiter {
  readonly #limits: RateLimits;
  readonly #now: () => number;
  readonly #updates = new Map<string, number>();
  readonly #channelWrites = new Map<string, number[]>();
  readonly limited: LimitedCall[] = [];

  constructor(limits: RateLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** A 429 reply when `method` with `params` goes over a limit now; undefined (and counted) otherwise. */
  check(method: string, params: Params): Reply | undefined {
    if (!WRITES.has(method)) return undefined;
    const channel = typeof params.channel === "string" ? params.channel : "";
    const ts = method === "chat.update" && typeof params.ts === "string" ? params.ts : undefined;
    const now = this.#now();
    const windowStart = now - this.#limits.channelWindowMs;
    const recent = (this.#channelWrites.get(channel) ?? []).filter((at) => at > windowStart);
    let waitMs = 0;
    if (recent.length >= this.#limits.channelWrites) {
      waitMs = (recent[recent.length - this.#limits.channelWrites] ?? now) - windowStart;
    }
    const last = ts === undefined ? undefined : this.#updates.get(`${channel} ${ts}`);
    if (last !== undefined && now - last < this.#limits.messageUpdateMs) {
      waitMs = Math.max(waitMs, last + this.#limits.messageUpdateMs - now);
    }
    if (waitMs > 0) {
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      this.limited.push({ method, channel, ts, retryAfter });
      const headers = jsonHeaders();
      headers["retry-after"] = String(retryAfter);
      return { status: 429, headers, body: fail("ratelimited") };
    }
    recent.push(now);
    this.#channelWrites.set(channel, recent);
    if (ts !== undefined) this.#updates.set(`${channel} ${ts}`, now);
    return undefined;
  }
}
