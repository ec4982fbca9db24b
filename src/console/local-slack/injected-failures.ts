// Failures a test or the console queues up for a method, answered before the method itself runs,
// so momlink's handling of Slack errors and rate limits can be exercised on demand; and methods
// held unanswered, so a test can stop a process while it waits on Slack (a kill in that gap).
import { fail, jsonHeaders, type Reply } from "./protocol.ts";

export interface FailOptions {
  /** HTTP status. Default 200 (Slack reports errors in the body), 429 for `ratelimited`. */
  status?: number;
  /** Seconds, sent as Retry-After with a 429. WebClient waits this long before giving up. Default 0. */
  retryAfter?: number;
}

export class InjectedFailures {
  readonly #queues = new Map<string, Array<{ error: string } & FailOptions>>();
  readonly #held = new Set<string>();

  /** Every call to `method` from now on is recorded but never answered, until `release`. */
  hold(method: string): void {
    this.#held.add(method);
  }

  release(method: string): void {
    this.#held.delete(method);
  }

  add(method: string, error: string, options: FailOptions = {}): void {
    const queue = this.#queues.get(method) ?? [];
    queue.push({ error, ...options });
    this.#queues.set(method, queue);
  }

  /** The reply for the next queued failure of `method`, consuming it; undefined when none is queued. */
  take(method: string): Reply | undefined {
    if (this.#held.has(method)) return { status: 0, headers: jsonHeaders(), body: fail("held"), held: true };
    const failure = this.#queues.get(method)?.shift();
    if (failure === undefined) return undefined;
    const status = failure.status ?? (failure.error === "ratelimited" ? 429 : 200);
    const headers = jsonHeaders();
    if (status === 429) headers["retry-after"] = String(failure.retryAfter ?? 0);
    return { status, headers, body: fail(failure.error) };
  }
}
