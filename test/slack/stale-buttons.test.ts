// Under load the channel's write budget holds updates back (update-scheduler.ts). A re-render that
// changes what a person can click (an approval takes the buttons away; pre-flight replaces the
// hash) must then go ahead of progress-only re-renders waiting in the same channel, or people keep
// clicking buttons the store has moved past (bench/load.ts re-clicked dozens at K=50, each told
// "already approved"). Through the real Bolt app over signed HTTP; the gate's clock is the test's,
// paused while the two re-renders queue up, so which goes first is decided by the gate alone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { SchedulerTimers } from "../../src/slack/update-scheduler.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { BOB, type Momlink, planMessagesIn, startMomlink } from "./support.ts";

let m: Momlink | undefined;
let dir: string | undefined;
afterEach(async () => {
  await m?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The gate's time: every wait ends at once (time jumps to it) unless paused; resumed, in due order. */
function pausableTimers() {
  let now = 0;
  let paused = false;
  const due: { at: number; fn: () => void }[] = [];
  const runNext = () => {
    due.sort((a, b) => a.at - b.at);
    const next = due.shift();
    if (next === undefined) return;
    now = Math.max(now, next.at);
    next.fn();
  };
  const timers: SchedulerTimers = {
    now: () => now,
    after: (ms, fn) => {
      due.push({ at: now + ms, fn });
      if (!paused) setImmediate(runNext);
    },
  };
  return {
    timers,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (let n = due.length; n > 0; n--) setImmediate(runNext);
    },
  };
}

/** The store, telling the test when a change reaches a state (whatever apply returns, now or later). */
function watchedStore(path: string) {
  const store = openSqliteStore(path);
  const waiting: { id: string; state: string; resolve: () => void }[] = [];
  const watched = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (key !== "apply" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        void Promise.resolve(result).then(async () => {
          for (const w of waiting.splice(0)) {
            if ((await target.get(w.id))?.state === w.state) w.resolve();
            else waiting.push(w);
          }
        });
        return result;
      };
    },
  }) as ChangeStore;
  const reaches = (id: string, state: string) =>
    new Promise<void>((resolve) => waiting.push({ id, state, resolve }));
  return { store: watched, reaches };
}

describe("a re-render that changes the buttons, under a spent channel budget", () => {
  it("goes ahead of another change's waiting progress update, so nobody clicks Approve on an approved change", async () => {
    dir = mkdtempSync(join(tmpdir(), "momlink-stale-"));
    const dbPath = join(dir, "momlink.db");
    const gate = pausableTimers();
    const { store, reaches } = watchedStore(dbPath);
    m = await startMomlink({
      dbPath,
      store,
      slackLimits: { messageIntervalMs: 1000, channelWrites: 1, channelWindowMs: 1000 },
      slackTimers: gate.timers,
    });
    await m.command('plan primary=mom-a secondary=mom-b em-home="D:\\Introscope\\EM" share=\\\\san\\one');
    await m.command('plan primary=mom-c secondary=mom-d em-home="D:\\Introscope\\EM" share=\\\\san\\two');
    const [first, second] = planMessagesIn(m.fake);
    if (first === undefined || second === undefined) throw new Error("both plans must be posted");

    // The channel just wrote: the next write waits for its window, which the test holds shut.
    gate.pause();
    const since = m.fake.api.mark();
    const refreshed = m.handle.refreshMessage("CHG-1");
    const approved = reaches("CHG-2", "approved");
    const click = m.click(second.ts, "momlink_approve", BOB);
    await approved;
    gate.resume();
    await Promise.all([refreshed, click]);

    const updates = m.fake.api.callsTo("chat.update").filter((c) => c.seq >= since);
    expect(updates.map((c) => c.params.ts)).toEqual([second.ts, first.ts]);
    expect((await m.store.get("CHG-2"))?.state).toBe("approved");
    expect(m.fake.api.ephemerals).toEqual([]);
  });
});
