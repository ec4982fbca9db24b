// A finished job's step events are folded into one compressed blob (dispatch/event-logs.ts): the
// runner reports them over HTTP as rows, the job's end folds them, and every reader gets the same
// events from either form. Dispatcher migration 4 folds the finished jobs of an existing file and
// leaves a running job's rows alone. A folded event altered by hand is refused like a row's.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { inflateRawSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteDispatchStore } from "../../src/dispatch/sqlite-store.ts";
import { DISPATCH_MIGRATIONS, migrateDispatch } from "../../src/dispatch/store.ts";
import type { Job } from "../../src/domain/job.ts";
import { openDatabase } from "../../src/store/database.ts";
import { type Bot, get, jobInput, post, registerRunner, startBot, stepEvent, tempDir } from "./support.ts";

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

const rowsOf = (db: DatabaseSync, jobId: string) =>
  Number(db.prepare("SELECT count(*) AS n FROM dispatch_events WHERE job_id = ?").get(jobId)?.n);
const logsOf = (db: DatabaseSync, jobId: string) =>
  Number(db.prepare("SELECT count(*) AS n FROM dispatch_event_logs WHERE job_id = ?").get(jobId)?.n);
const shown = (events: { index: number; status: string }[]) => events.map((e) => `${e.index}:${e.status}`);

async function runUntilSteps(job: Job, steps: number): Promise<void> {
  expect((await get(bot.url, "/v1/jobs/next?wait=0", credential)).status).toBe(200);
  for (let seq = 1; seq <= steps; seq++) {
    const event = stepEvent(job.id, Math.floor((seq - 1) / 2), seq % 2 === 1 ? "started" : "succeeded");
    const reply = await post(bot.url, `/v1/jobs/${job.id}/events?seq=${seq}`, event, credential);
    expect(reply.status).toBe(200);
  }
}

describe("a job's step events on disk", () => {
  it("stay rows while the job runs, become one blob when its result is reported, and read the same", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await runUntilSteps(job, 4);
    const running = shown(await bot.dispatcher.events(job.id));
    expect(running).toEqual(["0:started", "0:succeeded", "1:started", "1:succeeded"]);
    expect([rowsOf(raw, job.id), logsOf(raw, job.id)]).toEqual([4, 0]);

    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credential)).status).toBe(200);
    expect([rowsOf(raw, job.id), logsOf(raw, job.id)]).toEqual([0, 1]);
    expect(await bot.dispatcher.events(job.id)).toEqual(
      [1, 2, 3, 4].map((seq) =>
        stepEvent(job.id, Math.floor((seq - 1) / 2), seq % 2 === 1 ? "started" : "succeeded"),
      ),
    );
    // A retried result changes nothing, and a late event for the finished job is still refused.
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credential)).status).toBe(200);
    const late = await post(bot.url, `/v1/jobs/${job.id}/events?seq=5`, stepEvent(job.id, 2), credential);
    expect(late.status).toBe(409);
    expect(shown(await bot.dispatcher.events(job.id))).toEqual(running);
  });

  it("are folded when the job's lease runs out and it is reported lost", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await runUntilSteps(job, 3);
    bot.time.advance(60_001);
    await bot.dispatcher.tick();
    expect((await bot.dispatcher.job(job.id))?.state).toBe("lost");
    expect([rowsOf(raw, job.id), logsOf(raw, job.id)]).toEqual([0, 1]);
    expect(shown(await bot.dispatcher.events(job.id))).toEqual(["0:started", "0:succeeded", "1:started"]);
  });

  it("folded and altered by hand are refused, naming the column", async () => {
    const job = await bot.dispatcher.enqueue(jobInput());
    await runUntilSteps(job, 1);
    raw.prepare("UPDATE dispatch_events SET event_json = 'not json' WHERE job_id = ?").run(job.id);
    expect((await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credential)).status).toBe(200);
    await expect(bot.dispatcher.events(job.id)).rejects.toThrow(
      'database column event_json holds the text "not json", expected JSON',
    );
    raw.prepare("UPDATE dispatch_event_logs SET events_deflated = X'00ff' WHERE job_id = ?").run(job.id);
    await expect(bot.dispatcher.events(job.id)).rejects.toThrow(
      /database column events_deflated does not hold/,
    );
  });
});

describe("dispatcher migration 4", () => {
  it("folds every finished job's events of every attempt, keeps a running job's rows, and reads the same", async () => {
    const path = join(tmp.dir, "old.db");
    const { db } = openDatabase(path, { schemas: [] });
    migrateDispatch(db, DISPATCH_MIGRATIONS.slice(0, 3));
    const insertJob = db.prepare(
      `INSERT INTO dispatch_jobs (id, runner_name, host, change_id, kind, state, signed_json, created_ms, expires_ms, attempts)
       VALUES (?, 'mom-a', 'mom-a', 'CHG-1', ?, ?, '{}', 0, 1, ?)`,
    );
    const insertEvent = db.prepare(
      "INSERT INTO dispatch_events (job_id, attempt, seq, received_ms, event_json) VALUES (?, ?, ?, ?, ?)",
    );
    const event = (jobId: string, index: number, status: string) =>
      JSON.stringify({ ...stepEvent(jobId, index), status });
    insertJob.run("pre", "preflight", "done", 2);
    insertEvent.run("pre", 1, 1, 10, event("pre", 0, "started"));
    insertEvent.run("pre", 2, 2, 21, event("pre", 1, "started"));
    insertEvent.run("pre", 2, 1, 20, event("pre", 0, "succeeded"));
    insertJob.run("run", "execute", "leased", 1);
    insertEvent.run("run", 1, 1, 30, event("run", 0, "started"));

    migrateDispatch(db);
    expect([rowsOf(db, "pre"), logsOf(db, "pre"), rowsOf(db, "run"), logsOf(db, "run")]).toEqual([
      0, 1, 1, 0,
    ]);
    // The latest attempt's events, as the rows' reader gave them before the migration.
    const store = sqliteDispatchStore(db);
    expect([shown(await store.events("pre")), shown(await store.events("run"))]).toEqual([
      ["0:succeeded", "1:started"],
      ["0:started"],
    ]);
    // Every attempt's rows are kept in the blob, with their columns as they were.
    const blob = db.prepare("SELECT events_deflated AS b FROM dispatch_event_logs").get()?.b;
    if (!(blob instanceof Uint8Array)) throw new Error("the log holds no blob");
    const folded = JSON.parse(inflateRawSync(blob).toString("utf8")) as unknown[][];
    expect(folded.map((r) => r.slice(0, 3))).toEqual([
      [1, 1, 10],
      [2, 1, 20],
      [2, 2, 21],
    ]);
    expect(folded[0]?.[3]).toBe(event("pre", 0, "started"));
    db.close();
  });
});
