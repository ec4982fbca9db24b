// The dispatcher's rows are decoded and checked like the change store's: a row edited behind the
// bot's back (an unknown state, a platform it does not know, a result of the wrong shape) is said to
// be altered, naming the column, instead of being cast and acted on.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Bot, get, jobInput, post, registerRunner, startBot, tempDir } from "./support.ts";

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;
let credential: string;
let raw: DatabaseSync;

beforeEach(async () => {
  tmp = tempDir();
  bot = await startBot(join(tmp.dir, "momlink.db"));
  credential = await registerRunner(bot, "mom-a", "mom-a");
  raw = new DatabaseSync(join(tmp.dir, "momlink.db"));
});
afterEach(async () => {
  raw.close();
  await bot.dispatcher.close();
  tmp.cleanup();
});

describe("an altered dispatcher row", () => {
  it("with a job state the lifecycle does not know is refused, naming the column", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    raw.prepare("UPDATE dispatch_jobs SET state = 'running' WHERE id = ?").run(job.id);
    await expect(bot.dispatcher.job(job.id)).rejects.toThrow(
      'database column state holds the text "running", expected one of queued, leased, done, lost, expired',
    );
    // Over the API the runner gets an internal error, and nothing is handed over or recorded.
    expect((await post(bot.url, `/v1/jobs/${job.id}/lease`, {}, credential)).status).toBe(500);
  });

  it("with a result of the wrong shape is refused, naming the column", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    expect((await get(bot.url, "/v1/jobs/next?wait=0", credential)).status).toBe(200);
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credential)).status).toBe(200);
    raw.prepare(`UPDATE dispatch_jobs SET result_json = '{"ok":"yes"}' WHERE id = ?`).run(job.id);
    await expect(bot.dispatcher.jobsFor(job.changeId)).rejects.toThrow(
      "database column result_json holds JSON of the wrong shape",
    );
  });

  it("with a runner platform it does not know is refused, naming the column", async () => {
    raw.prepare("UPDATE dispatch_runners SET platform = 'solaris' WHERE name = 'mom-a'").run();
    await expect(bot.dispatcher.listRunners()).rejects.toThrow(
      'database column platform holds the text "solaris", expected one of windows, linux',
    );
  });

  it("with a step event that is not JSON is refused, naming the column", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await get(bot.url, "/v1/jobs/next?wait=0", credential);
    const event = {
      jobId: job.id,
      index: 0,
      kind: "mklink",
      dir: "config",
      status: "started",
      output: "",
      at: new Date().toISOString(),
    };
    expect((await post(bot.url, `/v1/jobs/${job.id}/events?seq=1`, event, credential)).status).toBe(200);
    raw.prepare("UPDATE dispatch_events SET event_json = 'not json' WHERE job_id = ?").run(job.id);
    await expect(bot.dispatcher.events(job.id)).rejects.toThrow(
      'database column event_json holds the text "not json", expected JSON',
    );
  });
});
