import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Job } from "../../src/domain/job.ts";
import { type SignedJob, verifySignedJob } from "../../src/protocol/signing.ts";
import {
  type Bot,
  get,
  jobInput,
  next,
  post,
  registerRunner,
  startBot,
  stepEvent,
  T0,
  tempDir,
} from "./support.ts";

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;
let credential: string;
const bots: Bot[] = [];

beforeEach(async () => {
  tmp = tempDir();
  bot = await startBot(join(tmp.dir, "momlink.db"));
  bots.push(bot);
  credential = await registerRunner(bot, "mom-a", "mom-a");
});
afterEach(async () => {
  for (const b of bots.splice(0)) await b.dispatcher.close();
  tmp.cleanup();
});

const poll = (cred = credential, wait = 0) => get(bot.url, `/v1/jobs/next?wait=${wait}`, cred);
const eventPath = (id: string, seq: number) => `/v1/jobs/${id}/events?seq=${seq}`;

async function pickUp(job: Job): Promise<SignedJob> {
  const res = await poll();
  expect(res.status).toBe(200);
  const signed = res.body as SignedJob;
  expect(signed.job.id).toBe(job.id);
  return signed;
}

describe("long-poll hand-over", () => {
  it("hands a job queued while the runner waits over at once, before the wait ends", async () => {
    const waiting = next(bot.dispatcher, "waiting");
    const handed = next(bot.dispatcher, "handed-over");
    const longPoll = poll(credential, 25);
    await waiting;
    expect(bot.timers.pending()).toBe(1); // the 25-second time-out is armed

    const job = await bot.dispatcher.enqueue(jobInput());
    const [handedJob, via] = await handed;
    const res = await longPoll;

    expect(via).toBe("waiter");
    expect(handedJob.id).toBe(job.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-momlink-lease-ms")).toBe("60000");
    expect(
      verifySignedJob(res.body, bot.keys.publicKeyPem, { now: T0, runnerName: "mom-a", host: "mom-a" }),
    ).toEqual({
      ok: true,
      job,
    });
    // The time-out never fired: it was cancelled by the hand-over.
    expect(bot.timers.fired()).toBe(0);
    expect(bot.timers.pending()).toBe(0);
  });

  it("leases one job for one long-poll when two are queued at the same moment; the other stays queued", async () => {
    const waiting = next(bot.dispatcher, "waiting");
    const longPoll = poll(credential, 25);
    await waiting;

    const [first, second] = await Promise.all([
      bot.dispatcher.enqueue(jobInput()),
      bot.dispatcher.enqueue(jobInput()),
    ]);

    const handed = ((await longPoll).body as SignedJob).job.id;
    expect([first.id, second.id]).toContain(handed);
    const other = handed === first.id ? second.id : first.id;
    expect((await bot.dispatcher.job(other))?.state).toBe("queued");
    expect(((await poll()).body as SignedJob).job.id).toBe(other);
  });

  it("answers 204 when the wait ends with nothing to do", async () => {
    const waiting = next(bot.dispatcher, "waiting");
    const longPoll = poll(credential, 25);
    await waiting;
    bot.timers.fireAll();
    expect((await longPoll).status).toBe(204);
  });

  it("hands out a job queued before the poll straight away, oldest first", async () => {
    const first = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    const second = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    expect(((await poll()).body as SignedJob).job.id).toBe(first.id);
    expect(((await poll()).body as SignedJob).job.id).toBe(second.id);
    expect((await poll()).status).toBe(204);
  });

  it("refuses to queue a job for a host without a registered runner", async () => {
    await expect(bot.dispatcher.enqueue(jobInput({ host: "mom-z" }))).rejects.toThrow(
      /no registered runner for host mom-z/,
    );
    await expect(bot.dispatcher.enqueue(jobInput({ host: "mom-z", runner: "mom-a" }))).rejects.toThrow(
      /serves mom-a, not mom-z/,
    );
  });
});

describe("a runner sees only its own host's jobs", () => {
  it("gives a runner nothing when the only queued job is for another host", async () => {
    const credB = await registerRunner(bot, "mom-b", "mom-b");
    const jobB = await bot.dispatcher.enqueue(jobInput({ host: "mom-b", role: "secondary" }));
    expect((await poll()).status).toBe(204);
    expect((await poll(credB)).status).toBe(200);
    expect((await bot.dispatcher.job(jobB.id))?.state).toBe("leased");
  });

  it("gives a runner nothing even when the database routes another host's job to it", async () => {
    await registerRunner(bot, "mom-b", "mom-b");
    const jobB = await bot.dispatcher.enqueue(jobInput({ host: "mom-b", role: "secondary" }));
    const db = new DatabaseSync(bot.dbPath);
    db.prepare("UPDATE dispatch_jobs SET runner_name = 'mom-a' WHERE id = ?").run(jobB.id);
    db.close();
    expect((await poll()).status).toBe(204);
    expect((await bot.dispatcher.job(jobB.id))?.state).toBe("queued");
  });

  it("answers 404 to a runner reporting on another runner's job", async () => {
    const credB = await registerRunner(bot, "mom-b", "mom-b");
    const job = await bot.dispatcher.enqueue(jobInput());
    await pickUp(job);
    expect((await post(bot.url, eventPath(job.id, 1), stepEvent(job.id, 0), credB)).status).toBe(404);
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credB)).status).toBe(404);
  });
});

describe("step events and results", () => {
  it("reports step events in the order the runner sent them, once each, then the result", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await pickUp(job);
    const seen: string[] = [];
    bot.dispatcher.on("step", (jobId, changeId, e) =>
      seen.push(`${jobId}/${changeId}/${e.index}:${e.status}`),
    );
    const results: unknown[] = [];
    bot.dispatcher.on("result", (j, r) => results.push([j.id, r]));

    const sent = [stepEvent(job.id, 0), stepEvent(job.id, 0, "succeeded"), stepEvent(job.id, 1)];
    for (const [i, e] of sent.entries()) {
      expect((await post(bot.url, eventPath(job.id, i + 1), e, credential)).status).toBe(200);
    }
    // A retried POST of an event already recorded is acknowledged, not reported twice.
    expect((await post(bot.url, eventPath(job.id, 2), sent[1], credential)).body).toEqual({
      ok: true,
      duplicate: true,
    });
    // An event that skips one is refused: order is the runner's to keep.
    expect((await post(bot.url, eventPath(job.id, 5), stepEvent(job.id, 3), credential)).status).toBe(409);

    expect(seen).toEqual([
      `${job.id}/CHG-12/0:started`,
      `${job.id}/CHG-12/0:succeeded`,
      `${job.id}/CHG-12/1:started`,
    ]);
    expect((await bot.dispatcher.events(job.id)).map((e) => `${e.index}:${e.status}`)).toEqual([
      "0:started",
      "0:succeeded",
      "1:started",
    ]);

    const result = { ok: false, failedIndex: 1, error: "mklink: Access is denied." };
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, result, credential)).status).toBe(200);
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, result, credential)).body).toEqual({
      ok: true,
      duplicate: true,
    });
    expect(results).toEqual([[job.id, result]]);
    expect(await bot.dispatcher.job(job.id)).toMatchObject({ state: "done", result });
  });

  it.each([
    ["an event for a different job than the URL", (id: string) => stepEvent(`${id}x`, 0), /is for job/],
    ["an event with an unknown status", (id: string) => ({ ...stepEvent(id, 0), status: "maybe" }), /status/],
  ])("refuses %s with 400", async (_name, make, error) => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await pickUp(job);
    const res = await post(bot.url, eventPath(job.id, 1), make(job.id), credential);
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(error);
  });

  it("refuses a result whose facts do not have the facts' shape", async () => {
    const job = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    await pickUp(job);
    const res = await post(
      bot.url,
      `/v1/jobs/${job.id}/result`,
      { ok: true, facts: { host: "mom-a" } },
      credential,
    );
    expect(res.status).toBe(400);
    expect((await bot.dispatcher.job(job.id))?.state).toBe("leased");
  });
});

describe("leases and expiry (driven clock)", () => {
  it("reports an execute job lost when its lease runs out, and never offers it again", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await pickUp(job);
    const lost: string[] = [];
    bot.dispatcher.on("lost", (j) => lost.push(j.id));

    bot.time.advance(60_000);
    await bot.dispatcher.tick();
    expect(lost).toEqual([]); // exactly at the lease's end it still holds

    bot.time.advance(1);
    await bot.dispatcher.tick();
    expect(lost).toEqual([job.id]);
    expect((await bot.dispatcher.job(job.id))?.state).toBe("lost");
    expect((await poll()).status).toBe(204);
    const late = await post(bot.url, eventPath(job.id, 1), stepEvent(job.id, 0), credential);
    expect(late.status).toBe(409);
    expect((late.body as { error: string }).error).toMatch(/reported lost/);
  });

  it("extends the lease with every step event and heartbeat", async () => {
    const job = await bot.dispatcher.enqueue(jobInput({ kind: "rollback" }));
    await pickUp(job);
    const lost: string[] = [];
    bot.dispatcher.on("lost", (j) => lost.push(j.id));
    for (let i = 1; i <= 3; i++) {
      bot.time.advance(50_000);
      await bot.dispatcher.tick();
      expect((await post(bot.url, eventPath(job.id, i), stepEvent(job.id, i), credential)).status).toBe(200);
    }
    bot.time.advance(50_000);
    await bot.dispatcher.tick();
    expect((await post(bot.url, `/v1/jobs/${job.id}/lease`, {}, credential)).status).toBe(200);
    bot.time.advance(50_000);
    await bot.dispatcher.tick();
    expect(lost).toEqual([]);
    bot.time.advance(10_001);
    await bot.dispatcher.tick();
    expect(lost).toEqual([job.id]);
  });

  it("offers a lost pre-flight once more, then reports it lost", async () => {
    const job = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    const requeued: string[] = [];
    const lost: string[] = [];
    bot.dispatcher.on("requeued", (j) => requeued.push(j.id));
    bot.dispatcher.on("lost", (j) => lost.push(j.id));

    await pickUp(job);
    bot.time.advance(60_001);
    await bot.dispatcher.tick();
    expect([requeued, lost]).toEqual([[job.id], []]);

    await pickUp(job);
    expect((await bot.dispatcher.job(job.id))?.attempts).toBe(2);
    bot.time.advance(60_001);
    await bot.dispatcher.tick();
    expect([requeued, lost]).toEqual([[job.id], [job.id]]);
  });

  it("reports a job nobody picked up before its expiry as expired and never hands it out", async () => {
    const job = await bot.dispatcher.enqueue(jobInput({ expiresAt: new Date(T0.getTime() + 5 * 60_000) }));
    const expired = next(bot.dispatcher, "expired");
    bot.time.advance(5 * 60_000 + 1);
    expect((await poll()).status).toBe(204);
    await bot.dispatcher.tick();
    expect((await expired)[0].id).toBe(job.id);
    expect((await bot.dispatcher.job(job.id))?.state).toBe("expired");
  });
});

describe("bot restart", () => {
  it("keeps queued jobs, and reports a job handed out before the restart lost instead of sending it again", async () => {
    const handedOut = await bot.dispatcher.enqueue(jobInput());
    await pickUp(handedOut);
    const queued = await bot.dispatcher.enqueue(jobInput({ kind: "verify" }));
    await bot.dispatcher.close();

    bot = await startBot(bot.dbPath, { keys: bot.keys, time: bot.time });
    bots.push(bot);
    const lost: string[] = [];
    bot.dispatcher.on("lost", (j) => lost.push(j.id));

    expect(((await poll()).body as SignedJob).job.id).toBe(queued.id);
    expect((await poll()).status).toBe(204);
    bot.time.advance(60_001);
    await bot.dispatcher.tick();
    expect(lost).toEqual([handedOut.id]);
  });

  it("answers open long-polls with 503 when it shuts down, so runners back off and reconnect", async () => {
    const waiting = next(bot.dispatcher, "waiting");
    const longPoll = poll(credential, 25);
    await waiting;
    await bot.dispatcher.close();
    expect(await longPoll).toMatchObject({ status: 503, body: { error: "the bot is shutting down" } });
  });
});

describe("jobs with ids the caller derives", () => {
  it("queues an id once: a second enqueue with the same id is refused and queues nothing", async () => {
    const first = await bot.dispatcher.enqueue(jobInput({ id: "CHG-12-v5-execute-primary" }));
    expect(first.id).toBe("CHG-12-v5-execute-primary");
    await expect(bot.dispatcher.enqueue(jobInput({ id: "CHG-12-v5-execute-primary" }))).rejects.toThrow(
      expect.objectContaining({ code: "duplicate-job" }),
    );
    expect((await bot.dispatcher.jobsFor("CHG-12")).map((j) => j.job.id)).toEqual([
      "CHG-12-v5-execute-primary",
    ]);
  });

  it("lists one change's jobs oldest first, with their state and result", async () => {
    const a = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    const b = await bot.dispatcher.enqueue(jobInput());
    await bot.dispatcher.enqueue(jobInput({ changeId: "CHG-13" }));
    await pickUp(a);
    expect((await post(bot.url, `/v1/jobs/${a.id}/result`, { ok: true }, credential)).status).toBe(200);
    expect((await bot.dispatcher.jobsFor("CHG-12")).map((j) => [j.job.id, j.state, j.result])).toEqual([
      [a.id, "done", { ok: true }],
      [b.id, "queued", null],
    ]);
  });

  it("accepts a result saying the runner's re-check stopped the job before its first step", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await pickUp(job);
    const result = { ok: false, failedIndex: -1 };
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, result, credential)).status).toBe(200);
    expect((await bot.dispatcher.job(job.id))?.result).toEqual(result);
  });
});
