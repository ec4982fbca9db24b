// The orchestrator on its own: a real dispatcher and store, runners played over the real runner
// API by the test (take a job, report events and a result), and a notifier that records what the
// chat side would be told. What to do next always comes from the record and the job rows.

import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunnerJobs } from "../../../src/change/ports/runner-jobs.ts";
import type { HostOutcome } from "../../../src/change/ports/runners.ts";
import {
  createOrchestrator,
  type Orchestrator,
  parsePhaseJobId,
  phaseJobId,
} from "../../../src/change/runs/orchestrator.ts";
import { runnerJobsOf } from "../../../src/dispatch/runner-jobs.ts";
import type { HostFacts } from "../../../src/domain/facts.ts";
import type { Job } from "../../../src/domain/job.ts";
import { pairSpecSchema } from "../../../src/domain/pair-schema.ts";
import { plainPhrase } from "../../../src/domain/phrase.ts";
import { buildPlan } from "../../../src/domain/plan.ts";
import type { ApprovalPolicy } from "../../../src/domain/policy.ts";
import type { ChangeRecord } from "../../../src/domain/record.ts";
import { createLogger } from "../../../src/log.ts";
import type { SignedJob } from "../../../src/protocol/signing.ts";
import { openSqliteStore } from "../../../src/store/sqlite.ts";
import type { ChangeStore } from "../../../src/store/store.ts";
import {
  type Bot,
  get,
  manualScheduler,
  post,
  registerRunner,
  startBot,
  tempDir,
} from "../../dispatch/support.ts";

const REQ = "UREQ00001";
const BOB = "UBOB00001";
const POLICY: ApprovalPolicy = {
  approvers: { users: [BOB], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};
const SPEC = pairSpecSchema.parse({
  platform: "linux",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "/opt/em-a",
  secondaryEmHome: "/opt/em-b",
  share: "/mnt/share",
  dirs: ["config", "data"],
  configAdded: false,
});

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;
let store: ChangeStore;
let told: { progress: string[]; outcomes: HostOutcome[] };
let timers: ReturnType<typeof manualScheduler>;
let orchestrator: Orchestrator;
const credentials: Record<string, string> = {};

function newOrchestrator(): Orchestrator {
  return createOrchestrator({
    jobs: runnerJobsOf(bot.dispatcher),
    store,
    policy: POLICY,
    now: bot.time.clock,
    logger: createLogger({ level: "silent" }),
    notify: {
      progress: (id) => void told.progress.push(id),
      hostOutcome: (_id, outcome) => void told.outcomes.push(outcome),
    },
    preflightTimeoutMs: 30_000,
    scheduler: timers.scheduler,
  });
}

beforeEach(async () => {
  tmp = tempDir();
  const dbPath = join(tmp.dir, "momlink.db");
  bot = await startBot(dbPath);
  store = openSqliteStore(dbPath);
  told = { progress: [], outcomes: [] };
  timers = manualScheduler();
  orchestrator = newOrchestrator();
});
afterEach(async () => {
  await orchestrator.close();
  await bot.dispatcher.close();
  await store.close();
  tmp.cleanup();
});

async function runners(...hosts: string[]): Promise<void> {
  for (const host of hosts) credentials[host] = await registerRunner(bot, host, host);
}

async function planned(): Promise<ChangeRecord> {
  const created = await store.createChange({
    requester: REQ,
    channel: "C1",
    plan: (id) => buildPlan({ spec: SPEC, changeId: id }),
    hosts: { primary: "mom-a", secondary: "mom-b" },
    now: bot.time.clock(),
    ttlMinutes: 30,
  });
  if (!created.ok) throw new Error("locked");
  return created.record;
}

async function must(id: string, event: Parameters<ChangeStore["apply"]>[1]): Promise<ChangeRecord> {
  const result = await store.apply(id, event, { now: bot.time.clock(), policy: POLICY });
  if (!result.ok) throw new Error(plainPhrase(result.reason));
  return result.record;
}

async function approved(): Promise<ChangeRecord> {
  const record = await planned();
  const ready = await must(record.id, { type: "preflight-complete" });
  return await must(record.id, { type: "approve", actor: BOB, actorGroups: [], hash: ready.planHash });
}

/** The runner on `host` takes its next job over the real API. */
async function take(host: string): Promise<Job> {
  const res = await get(bot.url, "/v1/jobs/next?wait=0", credentials[host]);
  expect(res.status).toBe(200);
  return (res.body as SignedJob).job;
}

async function step(host: string, job: Job, seq: number, index: number, status: string, output = "") {
  const event = {
    jobId: job.id,
    index,
    kind: "mklink",
    dir: "config",
    status,
    output,
    at: bot.time.clock().toISOString(),
  };
  const res = await post(bot.url, `/v1/jobs/${job.id}/events?seq=${seq}`, event, credentials[host]);
  expect(res.status).toBe(200);
}

/** The runner on `host` reports `job`'s result, and the bot has reacted to it. */
async function finish(host: string, job: Job, result: Record<string, unknown>): Promise<void> {
  const res = await post(bot.url, `/v1/jobs/${job.id}/result`, result, credentials[host]);
  expect(res.status).toBe(200);
  await orchestrator.settled();
}

/** The dispatcher's timers run (leases and queued jobs run out), and the bot has reacted. */
async function tick(): Promise<void> {
  await bot.dispatcher.tick();
  await orchestrator.settled();
}

const jobs = async (id = "CHG-1") =>
  (await bot.dispatcher.jobsFor(id)).map((j) => `${j.job.kind} ${j.job.host} ${j.state}`);
const state = async (id = "CHG-1") => (await store.get(id))?.state;

function facts(host: string): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    dirs: ["config", "data"].map((dir) => ({
      dir,
      linkPath: "directory" as const,
      share: { exists: true, writable: true, empty: true },
    })),
  };
}

describe("job ids", () => {
  it("name the change, the run and the host, so a restart finds them and none is queued twice", () => {
    const id = phaseJobId({ id: "CHG-12", version: 5 }, "execute", "secondary");
    expect(id).toBe("CHG-12-v5-execute-secondary");
    expect(parsePhaseJobId(id)).toEqual({
      changeId: "CHG-12",
      version: 5,
      kind: "execute",
      role: "secondary",
    });
    expect(parsePhaseJobId("job-2b7f")).toBeNull();
    expect(parsePhaseJobId("CHG-12-verify-0a1b2c3d-primary")).toBeNull();
  });
});

describe("pre-flight", () => {
  it("asks nobody and keeps the worst case when no runner is registered for either host", async () => {
    expect(await orchestrator.preflight(await planned())).toBeNull();
    expect(await jobs()).toEqual([]);
  });

  it("asks both runners at once and returns what each found", async () => {
    await runners("mom-a", "mom-b");
    const record = await planned();
    const asked = orchestrator.preflight(record);
    const [a, b] = [await take("mom-a"), await take("mom-b")];
    expect([a.id, a.kind, b.id, b.kind]).toEqual([
      "CHG-1-v1-preflight-primary",
      "preflight",
      "CHG-1-v1-preflight-secondary",
      "preflight",
    ]);
    await finish("mom-b", b, { ok: true, facts: facts("mom-b") });
    await finish("mom-a", a, { ok: true, facts: facts("mom-a") });
    expect(await asked).toEqual({ primary: facts("mom-a"), secondary: facts("mom-b") });
  });

  const silent: [string, (job: Job) => Promise<void>, string][] = [
    [
      "does not answer in time",
      async () => timers.fireAll(),
      "runner mom-b on mom-b did not answer within 30 s",
    ],
    [
      "cannot run it",
      (job) => finish("mom-b", job, { ok: false, error: "the runner failed: systemctl is missing" }),
      "runner mom-b on mom-b could not run pre-flight: the runner failed: systemctl is missing",
    ],
  ];
  it.each(silent)(
    "shows the worst case for a host whose runner %s, and says so",
    async (_name, act, note) => {
      await runners("mom-a", "mom-b");
      const record = await planned();
      const asked = orchestrator.preflight(record);
      await finish("mom-a", await take("mom-a"), { ok: true, facts: facts("mom-a") });
      await act(await take("mom-b"));
      const found = await asked;
      expect(found).toEqual({ primary: facts("mom-a"), secondary: null });
      const ready = await must(record.id, {
        type: "preflight-complete",
        plan: buildPlan({ spec: SPEC, changeId: record.id, facts: found ?? {} }),
      });
      expect((await orchestrator.progress(ready)).preflightNotes).toEqual([note]);
    },
  );

  it("answers from the stored job when the runner's report reached another replica (no event here)", async () => {
    // This process hears no job end at all: each answer went to another replica's dispatcher.
    const timersByMs: { ms: number; fn: () => void }[] = [];
    const elsewhere = createOrchestrator({
      jobs: { ...runnerJobsOf(bot.dispatcher), onEnded: () => () => {} },
      store,
      policy: POLICY,
      now: bot.time.clock,
      logger: createLogger({ level: "silent" }),
      notify: { progress: () => {}, hostOutcome: () => {} },
      preflightTimeoutMs: 30_000,
      scheduler: {
        after: (ms, fn) => {
          const timer = { ms, fn };
          timersByMs.push(timer);
          return () => void timersByMs.splice(timersByMs.indexOf(timer) >>> 0, 1);
        },
      },
    });
    try {
      await runners("mom-a", "mom-b");
      const asked = elsewhere.preflight(await planned());
      await finish("mom-a", await take("mom-a"), { ok: true, facts: facts("mom-a") });
      await finish("mom-b", await take("mom-b"), { ok: true, facts: facts("mom-b") });
      // The looks (every second), never the 30 s time-outs.
      for (const timer of timersByMs.filter((t) => t.ms < 30_000)) timer.fn();
      expect(await asked).toEqual({ primary: facts("mom-a"), secondary: facts("mom-b") });
      expect(timersByMs.filter((t) => t.ms >= 30_000)).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it("does not send a plan to a runner of another platform, nor wait for an offline one", async () => {
    credentials["mom-a"] = await registerRunner(bot, "mom-a", "mom-a", "windows");
    await runners("mom-b");
    bot.time.advance(5 * 60_000); // mom-b has not been seen for five minutes and is not polling
    const record = await planned();
    expect(await orchestrator.preflight(record)).toEqual({ primary: null, secondary: null });
    expect(await jobs()).toEqual([]);
    expect(
      (await orchestrator.progress(await must(record.id, { type: "preflight-complete" }))).preflightNotes,
    ).toEqual([
      "runner mom-a on mom-a is a windows runner, and this is a linux plan",
      "runner mom-b on mom-b was offline when this was planned",
    ]);
  });
});

describe("executing an approved change", () => {
  it("runs the primary, then the secondary once the primary succeeded, then marks the change succeeded", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    expect(await state()).toBe("executing");
    expect(await jobs()).toEqual(["execute mom-a leased"].map((s) => s.replace("leased", "queued")));

    const primary = await take("mom-a");
    expect(primary.id).toBe("CHG-1-v4-execute-primary");
    await step("mom-a", primary, 1, 0, "started");
    await step("mom-a", primary, 2, 0, "succeeded");
    expect(await jobs()).toEqual(["execute mom-a leased"]);
    await finish("mom-a", primary, { ok: true });
    expect(await jobs()).toEqual(["execute mom-a done", "execute mom-b queued"]);
    expect(await state()).toBe("executing");

    await finish("mom-b", await take("mom-b"), { ok: true });
    expect(await state()).toBe("succeeded");
    await orchestrator.settled();
    expect(told.outcomes.map((o) => `${o.kind} ${o.host} ${o.status}`)).toEqual([
      "execute mom-a succeeded",
      "execute mom-b succeeded",
    ]);
    expect(told.progress.length).toBeGreaterThanOrEqual(3);
    expect(new Set(told.progress)).toEqual(new Set(["CHG-1"]));
  });

  it("fails before anything runs when a host has no runner", async () => {
    await runners("mom-a");
    await orchestrator.approved(await approved());
    expect(await state()).toBe("failed");
    expect((await store.get("CHG-1"))?.failure?.reason).toBe(
      "nothing ran: no runner is registered for mom-b (momlink runners add <name> --host mom-b)",
    );
    expect(await jobs()).toEqual([]);
  });

  const failures: [
    string,
    Record<string, unknown>,
    (job: Job) => Promise<void>,
    string,
    HostOutcome["status"],
  ][] = [
    [
      "a step that failed, with its output",
      { ok: false, failedIndex: 1 },
      async (job) => {
        await step("mom-a", job, 1, 1, "started");
        await step("mom-a", job, 2, 1, "failed", "mv: cannot move 'config': Permission denied\nexit code 1");
      },
      "mom-a (primary): step 2 (move-aside config) failed: mv: cannot move 'config': Permission denied; exit code 1",
      "failed",
    ],
    [
      "the re-check before the first step (the host changed since approval)",
      { ok: false, failedIndex: -1 },
      (job) =>
        step(
          "mom-a",
          job,
          1,
          -1,
          "failed",
          "stopped before any step: the host changed since the plan was approved\nserviceStopped was true, is false",
        ),
      "mom-a (primary): nothing ran there: stopped before any step: the host changed since the plan was approved; serviceStopped was true, is false",
      "failed",
    ],
    [
      "a job the runner refused on its signature",
      { ok: false, refused: true, error: "refused (bad-signature): the signature does not verify" },
      async () => {},
      "mom-a (primary): the runner refused the execute job, nothing ran there: refused (bad-signature): the signature does not verify",
      "refused",
    ],
    [
      "a job the runner refused on re-deriving the plan",
      {
        ok: false,
        error:
          "the runner failed: job x refused: EM_HOME /opt/em-a is outside this runner's --allow-em-home roots",
      },
      async () => {},
      "mom-a (primary): the runner refused the execute job, nothing ran there: the runner failed: job x refused: EM_HOME /opt/em-a is outside this runner's --allow-em-home roots",
      "refused",
    ],
  ];
  it.each(failures)(
    "stops at %s: the change fails naming the host and why, and the secondary never runs",
    async (_name, result, events, reason, status) => {
      await runners("mom-a", "mom-b");
      await orchestrator.approved(await approved());
      const job = await take("mom-a");
      await events(job);
      await finish("mom-a", job, result);
      expect(await state()).toBe("failed");
      expect((await store.get("CHG-1"))?.failure?.reason).toBe(reason);
      expect(await jobs()).toEqual(["execute mom-a done"]);
      await orchestrator.settled();
      expect(told.outcomes).toMatchObject([{ host: "mom-a", role: "primary", kind: "execute", status }]);
    },
  );

  it("fails a change whose job was never picked up before it expired, saying nothing ran there", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    bot.time.advance(15 * 60_000 + 1);
    await tick();
    expect(await state()).toBe("failed");
    expect((await store.get("CHG-1"))?.failure?.reason).toBe(
      "mom-a (primary): the runner did not pick up the execute job before it expired; nothing ran there",
    );
  });

  it("marks the change needing verification when a runner's lease runs out, and keeps it there", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    const job = await take("mom-a");
    await step("mom-a", job, 1, 0, "started");
    bot.time.advance(60_001);
    await tick();
    expect(await state()).toBe("needs_verification");
    expect((await store.get("CHG-1"))?.lostRunner?.host).toBe("mom-a");
    // Its late result is refused by the dispatcher: nothing moves.
    expect(
      (await post(bot.url, `/v1/jobs/${job.id}/result`, { ok: true }, credentials["mom-a"])).status,
    ).toBe(409);
    expect(await state()).toBe("needs_verification");
    expect(await jobs()).toEqual(["execute mom-a lost"]);
  });

  it("never queues a host's job twice, however often it is told", async () => {
    await runners("mom-a", "mom-b");
    const record = await approved();
    await orchestrator.approved(record);
    await orchestrator.approved(record);
    await orchestrator.resume();
    await newOrchestrator().resume();
    expect(await jobs()).toEqual(["execute mom-a queued"]);
  });

  it("catches up on a change another replica approved but never handed over, and re-renders nothing that did not move", async () => {
    await runners("mom-a", "mom-b");
    await approved(); // approved on a replica that died before handing it over
    await orchestrator.catchUp();
    expect(await state()).toBe("executing");
    expect(await jobs()).toEqual(["execute mom-a queued"]);
    const shown = told.progress.length; // the move to executing is shown
    await orchestrator.catchUp(); // the next sweep, here or on another replica: nothing twice
    await orchestrator.settled();
    expect(await jobs()).toEqual(["execute mom-a queued"]);
    expect(told.progress).toHaveLength(shown); // and nothing re-rendered when nothing moved
  });

  it("picks up on start a change a previous process approved but never started", async () => {
    await runners("mom-a", "mom-b");
    await approved(); // approved, and then the bot stopped before handing it over
    await orchestrator.resume();
    expect(await state()).toBe("executing");
    expect(await jobs()).toEqual(["execute mom-a queued"]);
  });
});

describe("rolling back", () => {
  async function failedChange(): Promise<ChangeRecord> {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    await finish("mom-a", await take("mom-a"), { ok: true });
    await finish("mom-b", await take("mom-b"), { ok: false, failedIndex: 0 });
    expect(await state()).toBe("failed");
    return await must("CHG-1", {
      type: "rollback",
      actor: BOB,
      actorGroups: [],
      hash: (await store.get("CHG-1"))!.planHash,
    });
  }

  it("undoes the secondary first, then the primary, then marks the change rolled back", async () => {
    const record = await failedChange();
    await orchestrator.rollback(record);
    const secondary = await take("mom-b");
    expect(secondary.id).toBe(`CHG-1-v${record.version}-rollback-secondary`);
    expect((await jobs()).slice(2)).toEqual(["rollback mom-b leased"]);
    await finish("mom-b", secondary, { ok: true });
    const primary = await take("mom-a");
    expect(primary.kind).toBe("rollback");
    await finish("mom-a", primary, { ok: true });
    expect(await state()).toBe("rolled_back");
  });

  it("leaves the change failed when the rollback fails, and a second rollback runs new jobs", async () => {
    const record = await failedChange();
    await orchestrator.rollback(record);
    await finish("mom-b", await take("mom-b"), { ok: false, failedIndex: 0 });
    expect(await state()).toBe("failed");
    expect((await store.get("CHG-1"))?.failure?.reason).toMatch(
      /^rollback: mom-b \(secondary\): step 1 \(remove-link data\) failed/,
    );

    const again = await must("CHG-1", {
      type: "rollback",
      actor: BOB,
      actorGroups: [],
      hash: (await store.get("CHG-1"))!.planHash,
    });
    await orchestrator.rollback(again);
    const retry = await take("mom-b");
    expect(retry.id).toBe(`CHG-1-v${again.version}-rollback-secondary`);
    await finish("mom-b", retry, { ok: true });
    await finish("mom-a", await take("mom-a"), { ok: true });
    expect(await state()).toBe("rolled_back");
    // The message shows the latest attempt only.
    const runs = (await orchestrator.progress((await store.get("CHG-1"))!)).runs;
    expect(runs.map((r) => `${r.kind} ${r.host} ${r.status}`)).toEqual([
      "execute mom-a succeeded",
      "execute mom-b failed",
      "rollback mom-b succeeded",
      "rollback mom-a succeeded",
    ]);
  });

  it("marks the change needing verification when a runner is lost during the rollback", async () => {
    const record = await failedChange();
    await orchestrator.rollback(record);
    await take("mom-b");
    bot.time.advance(60_001);
    await tick();
    expect(await state()).toBe("needs_verification");
  });
});

describe("verify", () => {
  async function lostChange(): Promise<ChangeRecord> {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    await take("mom-a");
    bot.time.advance(60_001);
    await tick();
    // Both runners are back: polling, so online and asked.
    for (const host of ["mom-a", "mom-b"]) {
      expect((await get(bot.url, "/v1/jobs/next?wait=0", credentials[host])).status).toBe(204);
    }
    return (await store.get("CHG-1"))!;
  }

  it("settles nothing when a runner does not answer", async () => {
    const record = await lostChange();
    const asked = orchestrator.verify(record, BOB);
    await finish("mom-a", await take("mom-a"), { ok: true, facts: facts("mom-a") });
    timers.fireAll();
    const report = await asked;
    expect(report).toMatchObject({ outcome: "unknown", recorded: null });
    expect(report.hosts[1]).toMatchObject({ host: "mom-b", answered: false });
    expect(await state()).toBe("needs_verification");
  });

  it("records a change needing verification as succeeded when every dir links to its target", async () => {
    const record = await lostChange();
    const linked = (host: string): HostFacts => ({
      ...facts(host),
      dirs: ["config", "data"].map((dir) => ({
        dir,
        linkPath: "link-to-target" as const,
        currentTarget: `/mnt/share/${dir}`,
        share: { exists: true, writable: true, empty: false },
      })),
    });
    const asked = orchestrator.verify(record, BOB);
    await finish("mom-a", await take("mom-a"), { ok: true, facts: linked("mom-a") });
    await finish("mom-b", await take("mom-b"), { ok: true, facts: linked("mom-b") });
    expect(await asked).toMatchObject({ outcome: "in-place", recorded: "succeeded" });
    expect(await state()).toBe("succeeded");
    expect((await store.audit("CHG-1")).at(-1)).toMatchObject({ event: "verified", actor: BOB });
  });
});

describe("message updates", () => {
  it("are asked for after every step of a burst, the last state included; Slack's pace is the presenter's", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await approved());
    const job = await take("mom-a");
    await orchestrator.settled();
    for (let i = 0; i < 5; i++)
      await step("mom-a", job, i + 1, i >> 1, i % 2 === 0 ? "started" : "succeeded");
    await orchestrator.settled();
    const beforeLast = told.progress.length;
    await step("mom-a", job, 6, 2, "succeeded");
    await orchestrator.settled();
    // One more render for the last event: how often Slack sees them is the presenter's gate
    // (test/slack/update-scheduler.test.ts), which sends only the newest of those it holds.
    expect(told.progress.slice(beforeLast)).toEqual(["CHG-1"]);
  });
});

describe("a services=manage change: phases across the hosts, the pair's evidence decides", async () => {
  const MANAGED = { ...SPEC, manageServices: true as const };
  const control = {
    via: "systemd" as const,
    name: "introscope-em",
    stopWaitSeconds: 60,
    startWaitSeconds: 60,
  };
  const lock = (holder: "this-em" | "another-process", pid: number) =>
    ({ state: "held", holder, pid, source: "/proc/locks", detail: "" }) as const;
  const free = { state: "not-held", source: "/proc/locks", detail: "" } as const;
  const evidence = (host: string, primaryLock: object, secondaryLock: object) => ({
    host,
    service: { state: "running", source: "systemctl show introscope-em", detail: "active" },
    primaryLock,
    secondaryLock,
  });
  const ACTIVE = evidence("mom-a", lock("this-em", 10), free);
  const STANDING_BY = evidence("mom-b", lock("another-process", 10), lock("this-em", 20));

  async function managedApproved(): Promise<ChangeRecord> {
    const created = await store.createChange({
      requester: REQ,
      channel: "C1",
      plan: (id) =>
        buildPlan({
          spec: MANAGED,
          changeId: id,
          facts: {
            primary: { ...facts("mom-a"), serviceStopped: false, serviceControl: control },
            secondary: { ...facts("mom-b"), serviceStopped: false, serviceControl: control },
          },
        }),
      hosts: { primary: "mom-a", secondary: "mom-b" },
      now: bot.time.clock(),
      ttlMinutes: 30,
    });
    if (!created.ok) throw new Error("locked");
    const ready = await must(created.record.id, { type: "preflight-complete" });
    return await must(ready.id, { type: "approve", actor: BOB, actorGroups: [], hash: ready.planHash });
  }

  /** Takes each phase's job in turn and answers it; the results by phase number. */
  async function runThrough(results: Record<number, Record<string, unknown>>, upTo = 5): Promise<Job[]> {
    const taken: Job[] = [];
    for (let phase = 1; phase <= upTo; phase += 1) {
      const host = phase % 2 === 1 ? "mom-b" : "mom-a";
      const job = await take(host);
      taken.push(job);
      await finish(host, job, results[phase] ?? { ok: true });
    }
    return taken;
  }

  it("queues one phase at a time, each named after its number and carrying it, in the KB's order", async () => {
    await runners("mom-a", "mom-b");
    const record = await managedApproved();
    await orchestrator.approved(record);
    const first = await take("mom-b");
    expect([first.id, first.phase]).toEqual([`CHG-1-v${record.version + 1}-execute-1-secondary`, 1]);
    expect(parsePhaseJobId(first.id)).toMatchObject({ kind: "execute", role: "secondary", phase: 1 });
    expect(await jobs()).toEqual(["execute mom-b leased"]);
    await finish("mom-b", first, { ok: true });
    const second = await take("mom-a");
    expect([second.id.endsWith("-execute-2-primary"), second.phase]).toEqual([true, 2]);
    // A bot restarted here continues with phase 3, and queues nothing twice.
    await finish("mom-a", second, { ok: true });
    await newOrchestrator().resume();
    await orchestrator.resume();
    expect(await jobs()).toEqual(["execute mom-b done", "execute mom-a done", "execute mom-b queued"]);
    const runs = (await orchestrator.progress((await store.get("CHG-1"))!)).runs;
    expect(runs.map((r) => `${r.phase?.number}/${r.phase?.of} ${r.host} ${r.status}`)).toEqual([
      "1/5 mom-b succeeded",
      "2/5 mom-a succeeded",
      "3/5 mom-b queued",
      "4/5 mom-a pending",
      "5/5 mom-b pending",
    ]);
    expect(runs[1]?.phase?.title).toBe(
      "stop the EM service and wait until it is stopped, then make the links",
    );
  });

  it("succeeds once the primary proved it is active and the secondary that it stands by, and keeps the evidence", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await managedApproved());
    await runThrough({ 4: { ok: true, evidence: ACTIVE }, 5: { ok: true, evidence: STANDING_BY } });
    expect(await state()).toBe("succeeded");
    const succeed = (await store.audit("CHG-1")).find((e) => e.event === "succeed");
    expect(succeed?.details.failover).toMatchObject({
      outcome: "proven",
      verdict: "primary-active-secondary-standing-by",
      summary: "mom-a is the active EM; mom-b stands by on secondary_em.lck",
      hosts: [
        {
          host: "mom-a",
          role: "primary",
          verdict: "primary-active",
          evidence: { primaryLock: { holder: "this-em" } },
        },
        { host: "mom-b", role: "secondary", verdict: "standing-by" },
      ],
    });
    expect((await orchestrator.progress((await store.get("CHG-1"))!)).failover).toBe(
      "mom-a is the active EM; mom-b stands by on secondary_em.lck",
    );
    await orchestrator.settled();
    expect(told.outcomes.map((o) => `${o.phase?.number} ${o.host} ${o.status}`)).toEqual([
      "1 mom-b succeeded",
      "2 mom-a succeeded",
      "3 mom-b succeeded",
      "4 mom-a succeeded",
      "5 mom-b succeeded",
    ]);
  });

  it("fails loudly when both hosts claim primary, even though each runner saw its own part through", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await managedApproved());
    const split = evidence("mom-b", lock("this-em", 30), free);
    await runThrough({ 4: { ok: true, evidence: ACTIVE }, 5: { ok: true, evidence: split } });
    expect(await state()).toBe("failed");
    expect((await store.get("CHG-1"))?.failure?.reason).toMatch(
      /^the pair does not fail over as planned: SPLIT BRAIN: both mom-a and mom-b claim to be the active EM/,
    );
    expect((await store.audit("CHG-1")).find((e) => e.event === "fail")?.details.failover).toMatchObject({
      outcome: "failed",
      verdict: "both-claim-primary",
    });
  });

  it("fails at the primary's start with the evidence it ended on, and starts nothing after it", async () => {
    await runners("mom-a", "mom-b");
    await orchestrator.approved(await managedApproved());
    const standingBy = evidence("mom-a", lock("another-process", 40), lock("this-em", 10));
    await runThrough({ 4: { ok: false, failedIndex: 6, evidence: standingBy } }, 4);
    expect(await state()).toBe("failed");
    expect(await jobs()).toHaveLength(4);
    expect((await store.audit("CHG-1")).find((e) => e.event === "fail")?.details.failover).toMatchObject({
      outcome: "failed",
      verdict: null,
      hosts: [{ host: "mom-a", verdict: "standing-by" }],
    });
  });
});

describe("reactions of one change, one at a time", () => {
  /**
   * An orchestrator whose job ends are held back, so the test can deliver one end twice in the
   * same tick (two replicas' events, a redelivery), and which counts the enqueues it asks for.
   */
  async function heldBackOrchestrator() {
    await orchestrator.close(); // the shared one must not react to the real events as well
    const real = runnerJobsOf(bot.dispatcher);
    const held: Parameters<Parameters<RunnerJobs["onEnded"]>[0]>[] = [];
    let react: Parameters<RunnerJobs["onEnded"]>[0] = () => {};
    const enqueued: string[] = [];
    const warnings: string[] = [];
    const jobs: RunnerJobs = {
      ...real,
      enqueue: (request) => {
        enqueued.push(request.id);
        return real.enqueue(request);
      },
      onEnded(handler) {
        react = handler;
        return real.onEnded((...ended) => void held.push(ended));
      },
    };
    orchestrator = createOrchestrator({
      jobs,
      store,
      policy: POLICY,
      now: bot.time.clock,
      logger: createLogger({
        level: "warn",
        destination: { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) },
      }),
      notify: { progress: () => {}, hostOutcome: (_id, outcome) => void told.outcomes.push(outcome) },
      scheduler: timers.scheduler,
    });
    /** Every end held so far, each delivered twice in one tick; resolves once the bot has reacted. */
    const deliverTwice = async () => {
      for (const ended of held.splice(0)) {
        void react(...ended);
        void react(...ended);
      }
      await orchestrator.settled();
    };
    return { enqueued, warnings, deliverTwice };
  }

  it("two ends of a change's job in the same tick start its next phase once, and finish the change once", async () => {
    await runners("mom-a", "mom-b");
    const { enqueued, warnings, deliverTwice } = await heldBackOrchestrator();
    await orchestrator.approved(await approved());
    expect(enqueued).toEqual(["CHG-1-v4-execute-primary"]);

    await finish("mom-a", await take("mom-a"), { ok: true });
    await deliverTwice();
    expect(enqueued).toEqual(["CHG-1-v4-execute-primary", "CHG-1-v4-execute-secondary"]);
    expect(await jobs()).toEqual(["execute mom-a done", "execute mom-b queued"]);

    await finish("mom-b", await take("mom-b"), { ok: true });
    await deliverTwice();
    expect(await state()).toBe("succeeded");
    expect((await store.audit("CHG-1")).filter((e) => e.event === "succeed")).toHaveLength(1);
    expect(warnings).toEqual([]);
  });
});
