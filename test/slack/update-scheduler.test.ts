// The update scheduler on a hand-driven clock: per-message interval, coalescing to the latest
// render, the channel's budget, thread posts in order, and a 429's Retry-After honoured.
import { describe, expect, it } from "vitest";
import {
  createUpdateScheduler,
  type SchedulerTimers,
  type SlackLimits,
} from "../../src/slack/update-scheduler.ts";

const LIMITS: SlackLimits = { messageIntervalMs: 1000, channelWrites: 3, channelWindowMs: 3000 };

/** A clock that moves only when the test says, firing the timers that fall due. */
function handClock() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const t: SchedulerTimers = {
    now: () => now,
    after: (ms, fn) => {
      timers.push({ at: now + ms, fn });
    },
  };
  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    timers: t,
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        await flush();
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > until) break;
        timers.shift();
        now = next.at;
        next.fn();
      }
      now = until;
      await flush();
    },
  };
}

/** A fake Slack: records each write with the clock's time; can answer 429 with Retry-After. */
function slack(clock: SchedulerTimers) {
  const writes: { at: number; what: string }[] = [];
  const limited: string[] = [];
  return {
    writes,
    limited,
    send: (what: string) => async () => {
      writes.push({ at: clock.now(), what });
    },
    rateLimitedOnce: (what: string, retryAfter: number) => {
      let first = true;
      return async () => {
        if (first) {
          first = false;
          limited.push(what);
          throw Object.assign(new Error("ratelimited"), {
            code: "slack_webapi_rate_limited_error",
            retryAfter,
          });
        }
        writes.push({ at: clock.now(), what });
      };
    },
  };
}

describe("the update scheduler", () => {
  it("updates a message at most once a second and sends only the latest render of a burst", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const done = [1, 2, 3, 4, 5].map((n) => s.update("C1", "1.0", api.send(`render ${n}`)));
    await clock.advance(0);
    expect(api.writes).toEqual([{ at: 0, what: "render 1" }]);
    const more = [6, 7].map((n) => s.update("C1", "1.0", api.send(`render ${n}`)));
    await clock.advance(5000);
    expect(api.writes).toEqual([
      { at: 0, what: "render 1" },
      { at: 1000, what: "render 7" },
    ]);
    await Promise.all([...done, ...more]);
    await s.settled();
  });

  it("keeps a channel to 3 writes in any 3 s, and posts thread replies in order, none dropped", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const posts = [1, 2, 3, 4, 5].map((n) => s.post("C1", api.send(`reply ${n}`)));
    const other = s.post("C2", api.send("other channel"));
    await clock.advance(10_000);
    await Promise.all([...posts, other]);
    expect(api.writes.filter((w) => w.what.startsWith("reply"))).toEqual([
      { at: 0, what: "reply 1" },
      { at: 0, what: "reply 2" },
      { at: 0, what: "reply 3" },
      { at: 3000, what: "reply 4" },
      { at: 3000, what: "reply 5" },
    ]);
    expect(api.writes).toContainEqual({ at: 0, what: "other channel" });
  });

  it("remembers a channel's recent writes after it fell quiet: a write then is judged by them", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    await Promise.all([1, 2, 3].map((n) => s.post("C1", api.send(`reply ${n}`))));
    await clock.advance(100);
    const late = s.post("C1", api.send("reply 4"));
    await clock.advance(5000);
    await late;
    expect(api.writes.at(-1)).toEqual({ at: 3000, what: "reply 4" });
  });

  it("waits out a 429's Retry-After for the channel, then sends the latest render of the message", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const first = s.update("C1", "1.0", api.rateLimitedOnce("render 1", 30));
    const reply = s.post("C1", api.send("reply"));
    await clock.advance(10_000);
    expect(api.limited).toEqual(["render 1"]);
    expect(api.writes).toEqual([]);
    const latest = s.update("C1", "1.0", api.send("render 2"));
    await clock.advance(20_000);
    await Promise.all([first, latest, reply]);
    // The reply asked for before the render goes first (see the next test).
    expect(api.writes).toEqual([
      { at: 30_000, what: "reply" },
      { at: 30_000, what: "render 2" },
    ]);
  });

  it("sends a reply asked for while an update waits before that update, which renders the newer state", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const writes = [
      s.post("C1", api.send("reply 1")),
      s.update("C1", "1.0", api.send("render: succeeded")),
      s.post("C1", api.send("reply 2: the last phase")),
    ];
    await clock.advance(5000);
    await Promise.all(writes);
    expect(api.writes.map((w) => w.what)).toEqual([
      "reply 1",
      "reply 2: the last phase",
      "render: succeeded",
    ]);
  });

  it("sends an urgent update (new buttons) ahead of the channel's waiting progress updates, within the budget", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const first = [1, 2, 3].map((n) => s.update("C1", `${n}.0`, api.send(`progress ${n}`)));
    await clock.advance(0);
    // The budget is spent: what follows waits for the window, progress first in line.
    const waiting = [4, 5].map((n) => s.update("C1", `${n}.0`, api.send(`progress ${n}`)));
    const buttons = s.update("C1", "6.0", api.send("approved 6"), true);
    // A progress render of a message whose urgent update waits keeps it urgent when coalesced.
    const coalesced = [
      s.update("C1", "7.0", api.send("buttons 7"), true),
      s.update("C1", "7.0", api.send("progress 7")),
    ];
    await clock.advance(10_000);
    await Promise.all([...first, ...waiting, buttons, ...coalesced]);
    expect(api.writes.map((w) => `${w.at} ${w.what}`)).toEqual([
      "0 progress 1",
      "0 progress 2",
      "0 progress 3",
      "3000 approved 6",
      "3000 progress 7",
      "3000 progress 4",
      "6000 progress 5",
    ]);
  });

  it("lets the caller handle an error that is not a rate limit, and carries on with the next write", async () => {
    const clock = handClock();
    const api = slack(clock.timers);
    const s = createUpdateScheduler(LIMITS, clock.timers);
    const failing = s.update("C1", "1.0", async () => {
      throw new Error("message_not_found");
    });
    const refused = expect(failing).rejects.toThrow("message_not_found");
    const next = s.post("C1", api.send("reply"));
    await clock.advance(0);
    await refused;
    await next;
    expect(api.writes).toEqual([{ at: 0, what: "reply" }]);
  });
});
