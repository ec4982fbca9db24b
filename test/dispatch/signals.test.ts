// JobSignals, the seam where a job queued by one bot process wakes the long-poll another holds
// (issue 12 plugs PostgreSQL's LISTEN/NOTIFY in here). Two dispatchers on one database file stand
// for two bot replicas; the runner long-polls the first, the second queues its job.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inProcessJobSignals, type JobSignals } from "../../src/dispatch/signals.ts";
import type { SignedJob } from "../../src/protocol/signing.ts";
import {
  type Bot,
  captureLogger,
  get,
  jobInput,
  next,
  registerRunner,
  startBot,
  tempDir,
} from "./support.ts";

let tmp: ReturnType<typeof tempDir>;
const bots: Bot[] = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const b of bots.splice(0)) await b.dispatcher.close();
  tmp.cleanup();
});

async function replicas(signals: { a?: JobSignals; b?: JobSignals }) {
  const db = join(tmp.dir, "momlink.db");
  const a = await startBot(db, signals.a === undefined ? {} : { signals: signals.a });
  const b = await startBot(db, { keys: a.keys, ...(signals.b === undefined ? {} : { signals: signals.b }) });
  bots.push(a, b);
  const credential = await registerRunner(a, "mom-a", "mom-a");
  return { a, b, credential };
}

describe("a job queued by another bot process", () => {
  it("reaches the runner's long-poll at once when the processes share signals, with no tick", async () => {
    const shared = inProcessJobSignals();
    const { a, b, credential } = await replicas({ a: shared, b: shared });
    const waiting = next(a.dispatcher, "waiting");
    const longPoll = get(a.url, "/v1/jobs/next?wait=25", credential);
    await waiting;
    const handedOver = next(a.dispatcher, "handed-over");

    const job = await b.dispatcher.enqueue(jobInput());

    // Woken by the signal: the manual scheduler fires no timer and runs no tick.
    const [handed, via] = await handedOver;
    expect(`${handed.id} via ${via}`).toBe(`${job.id} via waiter`);
    expect(a.timers.fired()).toBe(0);
    const res = await longPoll;
    expect(res.status).toBe(200);
    expect((res.body as SignedJob).job.id).toBe(job.id);
    expect((await a.dispatcher.job(job.id))?.state).toBe("leased");
  });

  it("waits for the next tick when the processes share no signals (the fallback)", async () => {
    const { a, b, credential } = await replicas({});
    const waiting = next(a.dispatcher, "waiting");
    const longPoll = get(a.url, "/v1/jobs/next?wait=25", credential);
    await waiting;

    const job = await b.dispatcher.enqueue(jobInput());
    expect((await a.dispatcher.job(job.id))?.state).toBe("queued");

    await a.dispatcher.tick();
    const res = await longPoll;
    expect((res.body as SignedJob).job.id).toBe(job.id);
  });
});

describe("the signals a dispatcher sends", () => {
  function recording(): JobSignals & { sent: string[] } {
    const sent: string[] = [];
    return { sent, queued: (runner) => void sent.push(runner), subscribe: () => () => {} };
  }

  it("tell others of a job no waiter of its own took, and stay quiet when one did", async () => {
    const signals = recording();
    const bot = await startBot(join(tmp.dir, "momlink.db"), { signals });
    bots.push(bot);
    const credential = await registerRunner(bot, "mom-a", "mom-a");

    await bot.dispatcher.enqueue(jobInput());
    expect(signals.sent).toEqual(["mom-a"]);
    await get(bot.url, "/v1/jobs/next?wait=0", credential); // takes the first job

    const waiting = next(bot.dispatcher, "waiting");
    const longPoll = get(bot.url, "/v1/jobs/next?wait=25", credential);
    await waiting;
    await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    expect((await longPoll).status).toBe(200);
    expect(signals.sent).toEqual(["mom-a"]);
  });

  it("queue the job even when a signal fails, and say the next tick hands it over", async () => {
    const { logger, lines } = captureLogger();
    const failing: JobSignals = {
      queued: () => Promise.reject(new Error("NOTIFY failed")),
      subscribe: () => () => {},
    };
    const bot = await startBot(join(tmp.dir, "momlink.db"), { signals: failing, logger });
    bots.push(bot);
    await registerRunner(bot, "mom-a", "mom-a");

    const job = await bot.dispatcher.enqueue(jobInput());

    expect((await bot.dispatcher.job(job.id))?.state).toBe("queued");
    await new Promise<void>((resolve) => setImmediate(resolve)); // the rejection is handled a turn later
    expect(lines()).toContain("could not signal a queued job; the next tick hands it over");
  });
});
