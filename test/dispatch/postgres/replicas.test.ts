// Several dispatchers (bot replicas, each its own pool) on one PostgreSQL database, through the
// runner API a real runner uses: a job queued on one reaches a long-poll held by another at once
// (LISTEN/NOTIFY: the schedulers here fire nothing and tick never runs unless a test says so), a job
// is handed out once when both hold polls, a lease that ran out is reported by one replica, a
// registration token registers once, a revoke on one is seen by the other at the next request, and
// what a runner reported through one is what the other's next read of the jobs shows.
import { describe, expect, it } from "vitest";
import { generateSigningKeys } from "../../../src/dispatch/keys.ts";
import { createLogger } from "../../../src/log.ts";
import type { SignedJob } from "../../../src/protocol/signing.ts";
import { openPostgres } from "../../../src/store/postgres/connect.ts";
import { postgresJobSignals } from "../../../src/store/postgres/job-signals.ts";
import {
  type Bot,
  drivenClock,
  get,
  jobInput,
  next,
  post,
  registerRunner,
  startBot,
  stepEvent,
} from "../support.ts";
import { havePostgres, postgresCluster } from "./support.ts";

const cluster = postgresCluster("the PostgreSQL replica tests");

async function replicas(count: number): Promise<{ bots: Bot[]; close: () => Promise<void> }> {
  const url = await cluster.database();
  const time = drivenClock();
  const keys = generateSigningKeys();
  const bots: Bot[] = [];
  for (let n = 0; n < count; n++) {
    const bot = await startBot("", { db: { postgres: url }, keys, time });
    bots.push(bot);
    await bot.dispatcher.ready();
  }
  return { bots, close: async () => void (await Promise.all(bots.map((b) => b.dispatcher.close()))) };
}

/** Runs `fn` on `count` replicas of one fresh database, closing them after. */
async function withReplicas(count: number, fn: (bots: Bot[]) => Promise<void>): Promise<void> {
  const { bots, close } = await replicas(count);
  try {
    await fn(bots);
  } finally {
    await close();
  }
}

const longPoll = (bot: Bot, credential: string) => get(bot.url, "/v1/jobs/next?wait=25", credential);

describe.skipIf(!havePostgres)("bot replicas on one PostgreSQL database", () => {
  it("hand a job queued on A to the long-poll parked on B at once, woken by NOTIFY", async () => {
    await withReplicas(2, async (bots) => {
      const [a, b] = bots as [Bot, Bot];
      const credential = await registerRunner(a, "mom-a", "mom-a");
      const waiting = next(b.dispatcher, "waiting");
      const poll = longPoll(b, credential);
      await waiting;
      const handed = next(b.dispatcher, "handed-over");

      const job = await a.dispatcher.enqueue(jobInput());

      const [handedJob, via] = await handed;
      expect([handedJob.id, via]).toEqual([job.id, "waiter"]);
      const res = await poll;
      expect(res.status).toBe(200);
      expect((res.body as SignedJob).job.id).toBe(job.id);
      // No timer and no tick ran on either replica: the notification carried it.
      expect(a.timers.fired() + b.timers.fired()).toBe(0);
      expect((await a.dispatcher.job(job.id))?.attempts).toBe(1);
    });
  });

  it("hand each job out once when A and B both hold the runner's long-polls", async () => {
    await withReplicas(3, async (bots) => {
      const [a, b, c] = bots as [Bot, Bot, Bot];
      const credential = await registerRunner(c, "mom-a", "mom-a");
      const parked = Promise.all([next(a.dispatcher, "waiting"), next(b.dispatcher, "waiting")]);
      const polls = [longPoll(a, credential), longPoll(b, credential)];
      await parked;

      const first = await c.dispatcher.enqueue(jobInput());
      const second = await c.dispatcher.enqueue(jobInput());

      const answers = await Promise.all(polls);
      const ids = answers.map((res) => (res.body as SignedJob).job.id).sort();
      expect(ids).toEqual([first.id, second.id].sort());
      for (const id of ids) expect((await c.dispatcher.job(id))?.attempts).toBe(1);
    });
  });

  it("report a lease that ran out on exactly one replica when both tick at once", async () => {
    await withReplicas(2, async (bots) => {
      const [a, b] = bots as [Bot, Bot];
      const credential = await registerRunner(a, "mom-a", "mom-a");
      const jobs = [];
      for (let n = 0; n < 5; n++) {
        jobs.push(await a.dispatcher.enqueue(jobInput()));
        expect((await get(b.url, "/v1/jobs/next?wait=0", credential)).status).toBe(200);
      }
      const lost: string[] = [];
      for (const bot of bots) bot.dispatcher.on("lost", (job) => lost.push(job.id));
      a.time.advance(61_000);

      await Promise.all([a.dispatcher.tick(), b.dispatcher.tick()]);

      expect(lost.sort()).toEqual(jobs.map((j) => j.id).sort());
    });
  });

  it("show on A, at its next read of a change's jobs, what the runner reported through B", async () => {
    await withReplicas(2, async (bots) => {
      const [a, b] = bots as [Bot, Bot];
      const credential = await registerRunner(a, "mom-a", "mom-a");
      const job = await a.dispatcher.enqueue(jobInput());
      // A reads the change's jobs as a render does, and keeps their decoding.
      expect((await a.dispatcher.jobsFor(job.changeId)).map((j) => j.state)).toEqual(["queued"]);
      expect((await get(b.url, "/v1/jobs/next?wait=0", credential)).status).toBe(200);
      const event = stepEvent(job.id, 0);
      expect((await post(b.url, `/v1/jobs/${job.id}/events?seq=1`, event, credential)).status).toBe(200);
      expect((await post(b.url, `/v1/jobs/${job.id}/result`, { ok: true }, credential)).status).toBe(200);
      const [seen] = await a.dispatcher.jobsFor(job.changeId);
      expect([seen?.state, seen?.result]).toEqual(["done", { ok: true }]);
      expect((await a.dispatcher.job(job.id))?.state).toBe("done");
      expect(await a.dispatcher.events(job.id)).toEqual([event]);
    });
  });

  it("register a token once when it is sent to A and B at the same time", async () => {
    await withReplicas(2, async (bots) => {
      const [a, b] = bots as [Bot, Bot];
      const { token } = await a.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
      const body = { token, version: "0.1.0", platform: "linux", hostname: "mom-a" };
      const answers = await Promise.all([
        post(a.url, "/v1/register", body),
        post(b.url, "/v1/register", body),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    });
  });

  it("refuse a runner on B at its next request once A revoked it", async () => {
    await withReplicas(2, async (bots) => {
      const [a, b] = bots as [Bot, Bot];
      const credential = await registerRunner(a, "mom-a", "mom-a");
      expect((await get(b.url, "/v1/jobs/next?wait=0", credential)).status).toBe(204);
      expect(await a.dispatcher.revoke("mom-a")).toBe(true);
      const refused = await get(b.url, "/v1/jobs/next?wait=0", credential);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: "revoked" });
    });
  });
});

describe.skipIf(!havePostgres)("a replica whose database is down", () => {
  it("answers the runner 503 with retry-after, and serves it again once the database is back", async () => {
    await withReplicas(1, async (bots) => {
      const [a] = bots as [Bot];
      const credential = await registerRunner(a, "mom-a", "mom-a");
      await cluster.server().stop();
      const down = await get(a.url, "/v1/jobs/next?wait=0", credential);
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("1");
      expect(down.body).toEqual({ error: "the bot's database is unavailable for a moment: try again" });
      await expect(a.dispatcher.tick()).rejects.toThrow(/MOMLINK_DATABASE_URL/);
      await cluster.server().start();
      expect((await get(a.url, "/v1/jobs/next?wait=0", credential)).status).toBe(204);
    });
  });
});

describe.skipIf(!havePostgres)("the LISTEN connection", () => {
  it("listens again after the server restarts, and hears the next job", async () => {
    const url = await cluster.database();
    const listener = openPostgres(url);
    const sender = openPostgres(url);
    const signals = postgresJobSignals(listener, createLogger({ level: "silent" }));
    const senderSignals = postgresJobSignals(sender, createLogger({ level: "silent" }));
    try {
      await signals.listening();
      const heard: string[] = [];
      signals.subscribe((runner) => heard.push(runner));
      const relistened = signals.nextListen();
      await cluster.server().stop();
      await cluster.server().start();
      await relistened;

      const woken = new Promise<string>((resolve) => signals.subscribe(resolve));
      await senderSignals.queued("mom-a");
      expect(await woken).toBe("mom-a");
      expect(heard).toEqual(["mom-a"]);
    } finally {
      await Promise.all([signals.close(), senderSignals.close()]);
      await Promise.all([listener.close(), sender.close()]);
    }
  });
});
