import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostFacts } from "../../src/domain/facts.ts";
import type { Job, StepEvent } from "../../src/domain/job.ts";
import { JobRefusedError } from "../../src/protocol/refusal.ts";
import { backoffDelay } from "../../src/runner/backoff.ts";
import { type JobExecutor, type RunnerStop, register, startRunner } from "../../src/runner/client.ts";
import { readRunnerConfig } from "../../src/runner/credentials.ts";
import { createStepJournal, journalPathFor } from "../../src/runner/journal.ts";
import { deflatePlan, storedPlan } from "../../src/store/plans.ts";
import { type Bot, captureLogger, get, jobInput, next, startBot, T0, tempDir } from "../dispatch/support.ts";

const FACTS: HostFacts = {
  host: "mom-a",
  emHomeExists: true,
  emHomeHoldsEm: true,
  serviceStopped: true,
  canCreateSymlinks: true,
  symlinkL2R: true,
  dirs: [{ dir: "config", linkPath: "directory", share: { exists: true, writable: true, empty: true } }],
};

type Emitted = Omit<StepEvent, "jobId" | "at">;
const step = (index: number, status: StepEvent["status"]): Emitted => ({
  index,
  kind: index === 0 ? "move-aside" : "mklink",
  dir: "config",
  status,
  output: "",
});
const STEPS: Emitted[] = [step(0, "started"), step(0, "succeeded"), step(1, "started"), step(1, "succeeded")];

/** Records every call; run() reports the given steps. */
function fakeExecutor(steps: Emitted[] = STEPS) {
  const calls: string[] = [];
  const executor: JobExecutor = {
    preflight: async (job: Job) => {
      calls.push(`preflight ${job.id}`);
      return FACTS;
    },
    run: async (job, onEvent) => {
      calls.push(`${job.kind} ${job.id}`);
      for (const s of steps) onEvent(s);
      return { ok: true };
    },
  };
  return { executor, calls };
}

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;
let configPath: string;
const bots: Bot[] = [];
const stoppers: AbortController[] = [];

beforeEach(async () => {
  tmp = tempDir();
  bot = await startBot(join(tmp.dir, "momlink.db"));
  bots.push(bot);
  configPath = join(tmp.dir, "runner", "runner.json");
});
afterEach(async () => {
  for (const c of stoppers.splice(0)) c.abort();
  for (const b of bots.splice(0)) await b.dispatcher.close();
  tmp.cleanup();
});

async function registerMomA(): Promise<void> {
  const { token, keyId } = await bot.dispatcher.addRunner({
    name: "mom-a",
    host: "mom-a",
    platform: "linux",
  });
  await register({
    server: bot.url,
    token,
    configPath,
    expectKeyId: keyId,
    platform: "linux",
    hostname: "mom-a",
  });
}

/** Starts the real client; `stop()` ends it and resolves with how it ended. */
function run(executor: JobExecutor, extra: Partial<Parameters<typeof startRunner>[0]> = {}) {
  const controller = new AbortController();
  stoppers.push(controller);
  const done = startRunner({
    configPath,
    executor,
    signal: controller.signal,
    clock: bot.time.clock,
    backoff: { sleep: async () => {}, random: () => 0 },
    ...extra,
  });
  return {
    done,
    stop: async (): Promise<RunnerStop> => {
      controller.abort();
      return done;
    },
  };
}

describe("register", () => {
  it("stores the credential, the pinned public key and the runner's name in an owner-only file", async () => {
    await registerMomA();
    const read = readRunnerConfig(configPath);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.config).toMatchObject({
      name: "mom-a",
      host: "mom-a",
      keyId: bot.keys.keyId,
      server: bot.url,
    });
    expect(read.config.publicKey).toBe(bot.keys.publicKeyPem);
    expect(read.config.credential).toMatch(/^mlc_/);
    if (process.platform !== "win32") expect(statSync(configPath).mode & 0o777).toBe(0o600);
  });

  it("saves nothing when the server's key is not the one the admin was shown", async () => {
    const { token } = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    await expect(
      register({ server: bot.url, token, configPath, expectKeyId: "0123456789abcdef", platform: "linux" }),
    ).rejects.toThrow(/0123456789abcdef was expected.*nothing was saved/);
    expect(readRunnerConfig(configPath)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/register first/),
    });
  });

  it("says why the bot refused the registration", async () => {
    await expect(
      register({ server: bot.url, token: "mlt_unknown-token-value", configPath, platform: "linux" }),
    ).rejects.toThrow(/registration refused \(HTTP 401\): unknown registration token/);
  });

  it.skipIf(process.platform === "win32")(
    "refuses to start from a credential file others can read",
    async () => {
      await registerMomA();
      writeFileSync(configPath, readFileSync(configPath));
      chmodSync(configPath, 0o644);
      await expect(startRunner({ configPath, executor: fakeExecutor().executor })).rejects.toThrow(
        /chmod 600/,
      );
    },
  );
});

describe("running jobs", () => {
  it("runs a pre-flight and reports the facts as the result", async () => {
    await registerMomA();
    const { executor, calls } = fakeExecutor();
    const runner = run(executor);
    const result = next(bot.dispatcher, "result");
    const job = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    const [doneJob, outcome] = await result;
    expect(doneJob.id).toBe(job.id);
    expect(outcome).toEqual({ ok: true, facts: FACTS });
    expect(calls).toEqual([`preflight ${job.id}`]);
    expect(await runner.stop()).toEqual({ reason: "stopped" });
  });

  it("streams an execute job's step events to the bot in order, then the result", async () => {
    await registerMomA();
    const { executor } = fakeExecutor();
    const runner = run(executor);
    const seen: string[] = [];
    bot.dispatcher.on("step", (_id, _chg, e) => seen.push(`${e.index}:${e.status}`));
    const result = next(bot.dispatcher, "result");
    const job = await bot.dispatcher.enqueue(jobInput());
    const [, outcome] = await result;
    expect(outcome).toEqual({ ok: true });
    expect(seen).toEqual(["0:started", "0:succeeded", "1:started", "1:succeeded"]);
    expect(await bot.dispatcher.events(job.id)).toHaveLength(4);
    await runner.stop();
  });

  it("reports a step failure with its index and never runs the job again", async () => {
    await registerMomA();
    const calls: string[] = [];
    const executor: JobExecutor = {
      preflight: async () => FACTS,
      run: async (job, onEvent) => {
        calls.push(job.id);
        onEvent(step(0, "failed"));
        return { ok: false, failedIndex: 0 };
      },
    };
    const runner = run(executor);
    const result = next(bot.dispatcher, "result");
    await bot.dispatcher.enqueue(jobInput());
    expect((await result)[1]).toEqual({ ok: false, failedIndex: 0 });
    expect(calls).toHaveLength(1);
    await runner.stop();
  });

  it("reports an executor that throws as a failed job", async () => {
    await registerMomA();
    const executor: JobExecutor = {
      preflight: async () => {
        throw new Error("sc query failed");
      },
      run: async () => ({ ok: true }),
    };
    const runner = run(executor);
    const result = next(bot.dispatcher, "result");
    await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    expect((await result)[1]).toEqual({ ok: false, error: "the runner failed: sc query failed" });
    await runner.stop();
  });
});

describe("a step cut short by the runner's last stop", () => {
  /** The job the killed runner process had taken: leased to mom-a, its first step journaled. */
  async function interruptedJob(journalled = true) {
    await registerMomA();
    const job = await bot.dispatcher.enqueue(jobInput());
    const config = readRunnerConfig(configPath);
    if (!config.ok) throw new Error(config.error);
    const taken = await get(bot.url, "/v1/jobs/next?wait=0", config.config.credential);
    expect(taken.status).toBe(200);
    const journal = createStepJournal(journalPathFor(configPath));
    if (journalled) {
      journal.begin({
        job: {
          id: job.id,
          changeId: job.changeId,
          kind: "execute",
          role: "primary",
          host: "mom-a",
          expiresAt: job.expiresAt,
        },
        index: 0,
        step: {
          kind: "seed-share",
          dir: "config",
          line: 'robocopy "D:\\EM\\config" "\\\\san\\share\\config" /E',
        },
        paths: {
          local: "D:\\EM\\config",
          target: "\\\\san\\share\\config",
          aside: "D:\\EM\\config.pre-CHG-12",
        },
        startedAt: T0.toISOString(),
        pid: 4242,
      });
    }
    return { job, journal };
  }

  it("reports it as the job's failure at that step before taking work, and never runs the job again", async () => {
    const { job, journal } = await interruptedJob();
    const { executor, calls } = fakeExecutor();
    const { logger, lines } = captureLogger();
    const order: string[] = [];
    bot.dispatcher.on("result", () => order.push("result"));
    bot.dispatcher.on("waiting", () => order.push("waiting"));
    const result = next(bot.dispatcher, "result");
    const waiting = next(bot.dispatcher, "waiting");
    const runner = run(executor, { journal, logger });

    const [done, outcome] = await result;
    expect(done.id).toBe(job.id);
    expect(outcome).toMatchObject({ ok: false, failedIndex: 0 });
    expect(outcome.error).toMatch(
      /^lost: CHG-12: this runner stopped \(killed, crashed or lost power\) during step 1 \(seed-share config\)/,
    );
    expect(outcome.error).toContain(
      "Check by hand on mom-a: the copy into \\\\san\\share\\config may be partial",
    );
    await waiting;
    expect(order.slice(0, 2)).toEqual(["result", "waiting"]); // reported before it takes any work
    expect(journal.pending()).toEqual({ kind: "none" });
    expect(lines()).toContain(
      "reported the cut-short step to the bot: the change shows it failed at that step",
    );
    expect(calls).toEqual([]);
    await runner.stop();
  });

  it("logs the bot's refusal when the job was already declared lost, and forgets the step", async () => {
    const { job, journal } = await interruptedJob();
    bot.time.advance(61_000);
    await bot.dispatcher.tick();
    expect((await bot.dispatcher.job(job.id))?.state).toBe("lost");
    const { logger, lines } = captureLogger();
    const waiting = next(bot.dispatcher, "waiting");
    const runner = run(fakeExecutor().executor, { journal, logger });
    await waiting;
    expect(lines().some((l) => l.startsWith(`the bot had already closed job ${job.id} (HTTP 409:`))).toBe(
      true,
    );
    expect(journal.pending()).toEqual({ kind: "none" });
    await runner.stop();
  });

  it("keeps an unreadable journal aside for the operator and says what to check", async () => {
    await registerMomA();
    const journal = createStepJournal(journalPathFor(configPath));
    writeFileSync(journal.path, "{ not json");
    const { logger, lines } = captureLogger();
    const waiting = next(bot.dispatcher, "waiting");
    const runner = run(fakeExecutor().executor, { journal, logger });
    await waiting;
    expect(
      lines().some((l) => l.startsWith("the step journal cannot be read: a step may have been cut short")),
    ).toBe(true);
    expect(readFileSync(`${journal.path}.unreadable`, "utf8")).toBe("{ not json");
    expect(journal.pending()).toEqual({ kind: "none" });
    await runner.stop();
  });
});

describe("refusing jobs", () => {
  // Each alters the job in the database: its envelope in dispatch_jobs, or the plan it references
  // in plans (store/plans.ts), where a job's plan is kept once. Returns the rows it changed.
  type Tamper = (db: DatabaseSync, jobId: string) => number | bigint;
  const inEnvelope =
    (expr: string): Tamper =>
    (db, jobId) =>
      db.prepare(`UPDATE dispatch_jobs SET signed_json = ${expr} WHERE id = ?`).run(jobId).changes;
  const inPlan: Tamper = (db, jobId) => {
    const row = db.prepare("SELECT plan_hash FROM dispatch_jobs WHERE id = ?").get(jobId);
    const hash = String(row?.plan_hash);
    const plan = JSON.parse(storedPlan(db, hash) ?? "null");
    const altered = JSON.stringify({ ...plan, hosts: [{ steps: ["rd /s /q config"] }] });
    return db.prepare("UPDATE plans SET plan_deflated = ? WHERE hash = ?").run(deflatePlan(altered), hash)
      .changes;
  };
  const tampers: [string, Tamper][] = [
    ["its role changed", inEnvelope("json_set(signed_json, '$.job.role', 'secondary')")],
    ["a step's command line changed", inPlan],
    [
      "the approved plan hash changed",
      inEnvelope(`json_set(signed_json, '$.job.planHash', '${"b".repeat(64)}')`),
    ],
    [
      "its expiry pushed a day later",
      inEnvelope("json_set(signed_json, '$.job.expiresAt', '2025-11-27T10:15:00.000Z')"),
    ],
    [
      "its kind changed from preflight to execute",
      inEnvelope("json_set(signed_json, '$.job.kind', 'execute')"),
    ],
    ["its key id changed", inEnvelope("json_set(signed_json, '$.keyId', 'ffffffffffffffff')")],
    ["its signature removed", inEnvelope("json_remove(signed_json, '$.signature')")],
  ];
  it.each(tampers)(
    "refuses a job with %s in the database, and never calls the executor",
    async (_name, tamper) => {
      await registerMomA();
      const job = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));
      const db = new DatabaseSync(bot.dbPath);
      expect(Number(tamper(db, job.id))).toBe(1);
      db.close();

      const { executor, calls } = fakeExecutor();
      const { logger, lines } = captureLogger();
      const result = next(bot.dispatcher, "result");
      const runner = run(executor, { logger });
      const [, outcome] = await result;
      expect(outcome).toMatchObject({
        ok: false,
        refused: true,
        error: expect.stringMatching(/^refused \((bad-signature|wrong-key|unsigned)\)/),
      });
      expect(calls).toEqual([]);
      expect(lines()).toContain("refused a job; nothing was run");
      await runner.stop();
    },
  );

  it.each(["preflight", "execute"] as const)(
    "reports a %s job the executor refused as refused, with its reasons, not as a failure",
    async (kind) => {
      await registerMomA();
      const reasons = [
        "EM_HOME /srv/other is outside this runner's --allow-em-home roots (/opt/CA)",
        "the plan is blocked",
      ];
      const refuse = async (job: Job): Promise<never> => {
        throw new JobRefusedError(job.id, reasons);
      };
      const executor: JobExecutor = { preflight: refuse, run: refuse };
      const { logger, lines } = captureLogger();
      const runner = run(executor, { logger });
      const result = next(bot.dispatcher, "result");
      await bot.dispatcher.enqueue(jobInput({ kind }));
      expect((await result)[1]).toEqual({
        ok: false,
        refused: true,
        error: `refused (executor): ${reasons.join("; ")}`,
      });
      expect(lines()).toContain("refused a job; nothing was run");
      await runner.stop();
    },
  );

  it("refuses a job that expired by the runner's clock, and never calls the executor", async () => {
    await registerMomA();
    await bot.dispatcher.enqueue(jobInput({ expiresAt: new Date(T0.getTime() + 60_000) }));
    const { executor, calls } = fakeExecutor();
    const result = next(bot.dispatcher, "result");
    const runner = run(executor, { clock: () => new Date(T0.getTime() + 60_001) });
    expect((await result)[1]).toMatchObject({
      ok: false,
      refused: true,
      error: expect.stringMatching(/^refused \(expired\)/),
    });
    expect(calls).toEqual([]);
    await runner.stop();
  });
});

describe("connection to the bot", () => {
  it("stops with a clear log line when the bot revokes the runner", async () => {
    await registerMomA();
    const { logger, lines } = captureLogger();
    const waiting = next(bot.dispatcher, "waiting");
    const runner = run(fakeExecutor().executor, { logger });
    await waiting;
    await bot.dispatcher.revoke("mom-a");
    const stop = await runner.done;
    expect(stop.reason).toBe("revoked");
    expect(
      lines().some((l) => /the bot revoked runner "mom-a": stopping\. .*momlink runners add mom-a/.test(l)),
    ).toBe(true);
  });

  it("reconnects with back-off across a bot restart and runs the jobs queued after it exactly once", async () => {
    await registerMomA();
    const { executor, calls } = fakeExecutor();
    const delays: number[] = [];
    let backingOff!: () => void;
    const firstBackoff = new Promise<void>((resolve) => {
      backingOff = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sleep = (ms: number) => {
      delays.push(ms);
      backingOff();
      return gate;
    };
    const waiting = next(bot.dispatcher, "waiting");
    const runner = run(executor, { backoff: { sleep, random: () => 0.5 } });
    await waiting;

    const { port, dbPath, keys, time } = bot;
    await bot.dispatcher.close(); // the runner's long-poll ends; it backs off
    await firstBackoff;
    bot = await startBot(dbPath, { keys, time, port });
    bots.push(bot);
    const handed: string[] = [];
    bot.dispatcher.on("handed-over", (j, via) => handed.push(`${j.id} ${via}`));
    const whileAway = await bot.dispatcher.enqueue(jobInput({ kind: "preflight" }));

    const firstResult = next(bot.dispatcher, "result");
    release();
    expect((await firstResult)[0].id).toBe(whileAway.id);

    const waitingAgain = next(bot.dispatcher, "waiting");
    await waitingAgain;
    const secondResult = next(bot.dispatcher, "result");
    const afterReconnect = await bot.dispatcher.enqueue(jobInput());
    expect((await secondResult)[0].id).toBe(afterReconnect.id);

    expect(calls).toEqual([`preflight ${whileAway.id}`, `execute ${afterReconnect.id}`]);
    expect(handed).toEqual([`${whileAway.id} poll`, `${afterReconnect.id} waiter`]);
    expect(delays[0]).toBe(375); // 500 ms nominal, equal jitter at random 0.5
    await runner.stop();
  });

  it("keeps back-off between half the nominal delay and the ceiling, doubling from 0.5 s to 30 s", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, r) => {
          const nominal = Math.min(30_000, 500 * 2 ** (attempt - 1));
          const d = backoffDelay(attempt, { random: () => r });
          expect(d).toBeGreaterThanOrEqual(Math.floor(nominal / 2));
          expect(d).toBeLessThanOrEqual(nominal);
          expect(d).toBeLessThanOrEqual(30_000);
        },
      ),
    );
    expect([1, 2, 3, 7, 8, 20].map((a) => backoffDelay(a, { random: () => 0.999_999 }))).toEqual([
      500, 1000, 2000, 30_000, 30_000, 30_000,
    ]);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())("TLS", () => {
  it("registers and runs over https with the bot's certificate pinned as the CA, and refuses an unknown certificate", async () => {
    const cert = join(tmp.dir, "cert.pem");
    const key = join(tmp.dir, "key.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"].concat(
        ["-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      ),
      { stdio: "ignore" },
    );
    const tls = { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
    const secure = await startBot(join(tmp.dir, "tls.db"), { tls });
    bots.push(secure);
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:/);

    const first = await secure.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    await expect(
      register({ server: secure.url, token: first.token, configPath, platform: "linux" }),
    ).rejects.toThrow(/cannot reach the bot.*certificate/);
    await register({ server: secure.url, token: first.token, configPath, platform: "linux", caFile: cert });

    const { executor, calls } = fakeExecutor();
    const result = next(secure.dispatcher, "result");
    const controller = new AbortController();
    stoppers.push(controller);
    const runner = startRunner({ configPath, executor, clock: secure.time.clock, signal: controller.signal });
    const job = await secure.dispatcher.enqueue(jobInput({ kind: "preflight" }));
    expect((await result)[1]).toEqual({ ok: true, facts: FACTS });
    expect(calls).toEqual([`preflight ${job.id}`]);
    controller.abort();
    expect((await runner).reason).toBe("stopped");
  });
});
