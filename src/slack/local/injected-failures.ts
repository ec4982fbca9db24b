// Failures a test or the console queues up for a method, answered before the method itself runs,
// so momlink's handling of Slack errors and rate limits can be exercised on demand.
import { fail, jsonHeaders, type Reply } from "./protocol.ts";

export interface FailOptions {
  /** HTTP status. Default 200 (Slack reports errors in the body), 429 for `ratelimited`. */
  status?: number;
  /** Seconds, sent as Retry-After with a 429. WebClient waits this long before giving up. Default 0. */
  retryAfter?: number;
}

export class InjectedFailures {
  readonly #queues = new Map<string, Array<{ error: string } & FailOptions>>();

  add(method: string, error: string, options: FailOptions = {}): void {
    const queue = this.#queues.get(method) ?? [];
    queue.push({ error, ...options });
    this.#queues.set(method, queue);
  }

  /** The reply for the next queued failure of `method`, consuming it; undefined when none is queued. */
  take(method: string): Reply | undefined {
    const failure = this.#queues.get(method)?.shift();
    if (failure === undefined) return undefined;
    const status = failure.status ?? (failure.error === "ratelimited" ? 429 : 200);
    const headers = jsonHeaders();
    if (status === 429) headers["retry-after"] = String(failure.retryAfter ?? 0);
    return { status, headers, body: fail(failure.error) };
  }
}
