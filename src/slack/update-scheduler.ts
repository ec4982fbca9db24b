// The one gate every chat.update and chat.postMessage of a change's message and thread goes
// through (presenter.ts), so momlink stays within Slack's limits however many changes run: Slack
// posts about one message per second per channel ("short bursts allowed") and rate-limits
// chat.update per method (Tier 3, ~50 a minute); a 429 says how long to wait (Retry-After).
//
// What it keeps true:
// - one message is updated at most once per `messageIntervalMs`; updates asked for meanwhile are
//   coalesced: the send that finally goes is the latest asked for (the presenter renders from the
//   store when it runs), so only the newest view is sent and the final state is always delivered;
// - a channel makes at most `channelWrites` writes in any `channelWindowMs` (3 in 3 s: one a
//   second, with a burst of three, as a plan's message and its two script parts need), one write
//   at a time: posts (thread replies) in the order asked, never coalesced or dropped, and ahead of
//   any waiting update (which renders the newest state when it goes);
// - an urgent update (one that changes what a person can click: the plan's hash, which buttons
//   show; presenter.ts decides) goes ahead of the channel's waiting progress-only updates, so a
//   click is made on the message as it now stands rather than on buttons the store moved past;
//   it still keeps its message's interval and the channel's budget;
// - both are counted from when a write was answered, so Slack, which counts arrivals, sees them
//   at least as far apart as this file allows, whatever the network does in between;
// - a 429 pauses the channel for its Retry-After and the same write is tried again after it (the
//   WebClient is told to reject rate-limited calls instead of pausing all of its calls: boot.ts).
//   Other errors are the caller's (the presenter logs them and refreshMessage can redo them).

export interface SlackLimits {
  /** Least time between two updates of one message. Default 1000 ms. */
  messageIntervalMs: number;
  /** Writes a channel may make in any `channelWindowMs`. Default 3 in 3000 ms. */
  channelWrites: number;
  channelWindowMs: number;
}

/** Within Slack's documented limits: one message a second per channel, short bursts allowed. */
export const DEFAULT_SLACK_LIMITS: SlackLimits = {
  messageIntervalMs: 1000,
  channelWrites: 3,
  channelWindowMs: 3000,
};

/** Time, injectable so tests move it by hand. */
export interface SchedulerTimers {
  now(): number;
  after(ms: number, fn: () => void): void;
}

export const realTimers: SchedulerTimers = {
  now: () => Date.now(),
  after: (ms, fn) => {
    setTimeout(fn, ms).unref();
  },
};

export interface UpdateScheduler {
  /**
   * Updates message `ts` in `channel` with what `send` renders when its turn comes (coalesced);
   * `urgent` when the update changes what can be clicked: it goes ahead of progress-only updates.
   */
  update(channel: string, ts: string, send: () => Promise<void>, urgent?: boolean): Promise<void>;
  /** A write that is never coalesced (a post, a thread reply), in the order asked, within the channel's budget. */
  post<T>(channel: string, send: () => Promise<T>): Promise<T>;
  /** Resolves once every write asked for so far has been made or has failed. */
  settled(): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

type Item =
  | { kind: "update"; ts: string; send: () => Promise<void>; urgent: boolean; waiters: Waiter[] }
  | { kind: "post"; run: () => Promise<void> };

interface Channel {
  queue: Item[];
  /** When its recent writes were answered, oldest first. */
  answered: number[];
  pausedUntil: number;
  busy: boolean;
  timer: boolean;
}

/** How long a 429 asks to wait, in ms, when `err` is the WebClient's rate-limited error; else null. */
export function retryAfterMs(err: unknown): number | null {
  if (typeof err !== "object" || err === null) return null;
  const code = "code" in err ? err.code : undefined;
  const retryAfter = "retryAfter" in err ? err.retryAfter : undefined;
  if (code !== "slack_webapi_rate_limited_error") return null;
  return typeof retryAfter === "number" && retryAfter >= 0 ? retryAfter * 1000 : 1000;
}

export function createUpdateScheduler(
  limits: SlackLimits = DEFAULT_SLACK_LIMITS,
  timers: SchedulerTimers = realTimers,
): UpdateScheduler {
  const channels = new Map<string, Channel>();
  /** When each message (channel + ts) was last updated. */
  const lastUpdate = new Map<string, number>();
  const idle: Array<() => void> = [];

  function channelOf(id: string): Channel {
    let c = channels.get(id);
    if (c === undefined) {
      c = { queue: [], answered: [], pausedUntil: 0, busy: false, timer: false };
      channels.set(id, c);
    }
    return c;
  }

  /** When the channel may write next by its window: now, or when its oldest counted write leaves it. */
  function windowOpensAt(c: Channel, now: number): number {
    c.answered = c.answered.filter((at) => at > now - limits.channelWindowMs);
    if (c.answered.length < limits.channelWrites) return now;
    return (c.answered[c.answered.length - limits.channelWrites] ?? now) + limits.channelWindowMs;
  }

  /** When `item` may go, by its message's interval. */
  function readyAt(channel: string, item: Item): number {
    if (item.kind === "post") return 0;
    return (lastUpdate.get(`${channel} ${item.ts}`) ?? Number.NEGATIVE_INFINITY) + limits.messageIntervalMs;
  }

  function wake(channel: string, c: Channel, at: number): void {
    if (c.timer) return;
    c.timer = true;
    timers.after(Math.max(0, at - timers.now()), () => {
      c.timer = false;
      pump(channel);
    });
  }

  function pump(channel: string): void {
    const c = channelOf(channel);
    if (c.busy) return;
    const now = timers.now();
    if (c.queue.length === 0) {
      // The channel's history is kept while it still counts: a write after a quiet moment is
      // judged by the writes of the last window, as Slack judges it.
      if (windowOpensAt(c, now) <= now && c.answered.length === 0 && now >= c.pausedUntil)
        channels.delete(channel);
      if ([...channels.values()].every((x) => x.queue.length === 0 && !x.busy)) {
        for (const done of idle.splice(0)) done();
      }
      return;
    }
    if (now < c.pausedUntil) {
      wake(channel, c, c.pausedUntil);
      return;
    }
    const opens = windowOpensAt(c, now);
    if (opens > now) {
      wake(channel, c, opens);
      return;
    }
    // Posts (thread replies) first: an update renders the store as it is when it goes, so one
    // sent ahead of a reply asked for before it would show a later state than the thread has
    // (the message saying succeeded above the last phase's reply). Posts are never held back by a
    // message's interval and are few, so they cannot starve the updates.
    const firstPost = c.queue.findIndex((item) => item.kind === "post");
    const ready = (item: Item) => readyAt(channel, item) <= now;
    const firstUrgent = c.queue.findIndex((item) => item.kind === "update" && item.urgent && ready(item));
    const index = [firstPost, firstUrgent].find((i) => i >= 0) ?? c.queue.findIndex(ready);
    if (index < 0) {
      wake(channel, c, Math.min(...c.queue.map((item) => readyAt(channel, item))));
      return;
    }
    const [item] = c.queue.splice(index, 1);
    if (item === undefined) return;
    c.busy = true;
    void write(channel, c, item, index);
  }

  async function write(channel: string, c: Channel, item: Item, index: number): Promise<void> {
    try {
      if (item.kind === "post") await item.run();
      else {
        await item.send();
        lastUpdate.set(`${channel} ${item.ts}`, timers.now());
        for (const w of item.waiters) w.resolve();
      }
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait !== null) {
        // Slack said wait: the channel waits, and the same write (for an update, the latest
        // render by then) goes again first, unless a newer update of its message already waits.
        c.pausedUntil = timers.now() + wait;
        if (item.kind === "update") {
          const newer = c.queue.find((q) => q.kind === "update" && q.ts === item.ts);
          if (newer?.kind === "update") newer.waiters.push(...item.waiters);
          else c.queue.splice(index, 0, item);
        } else c.queue.splice(index, 0, item);
      } else if (item.kind === "update") for (const w of item.waiters) w.reject(err);
    } finally {
      // Every attempt counts, a refused one too: Slack counted its arrival.
      c.answered.push(timers.now());
      c.busy = false;
      pump(channel);
    }
  }

  return {
    update(channel, ts, send, urgent = false) {
      const c = channelOf(channel);
      return new Promise<void>((resolve, reject) => {
        const waiting = c.queue.find((q) => q.kind === "update" && q.ts === ts);
        if (waiting?.kind === "update") {
          // The newest render goes, and stays urgent if any render it stands for was.
          waiting.send = send;
          waiting.urgent ||= urgent;
          waiting.waiters.push({ resolve, reject });
        } else c.queue.push({ kind: "update", ts, send, urgent, waiters: [{ resolve, reject }] });
        pump(channel);
      });
    },
    post(channel, send) {
      const c = channelOf(channel);
      return new Promise((resolve, reject) => {
        // A post that fails for another reason than a 429 rejects at once; a 429 throws out of
        // run() to write(), which puts it back in its place.
        const run = async () => {
          try {
            resolve(await send());
          } catch (err) {
            if (retryAfterMs(err) !== null) throw err;
            reject(err);
          }
        };
        c.queue.push({ kind: "post", run });
        pump(channel);
      });
    },
    settled() {
      const quiet = [...channels.values()].every((x) => x.queue.length === 0 && !x.busy);
      return quiet ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
  };
}
