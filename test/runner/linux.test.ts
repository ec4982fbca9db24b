// A real Linux runner on real directories: pre-flight facts, execute, rollback, refusals.
import { cp, lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostFacts } from "../../src/domain/facts.ts";
import type { Job } from "../../src/domain/job.ts";
import { buildPlan, type Plan, planHash } from "../../src/domain/plan.ts";
import { JobRefusedError } from "../../src/protocol/refusal.ts";
import { createExecutor, type ExecutorEvent, type ExecutorOptions } from "../../src/runner/executor.ts";
import { createStepJournal } from "../../src/runner/journal.ts";
import { createLinuxPlatform } from "../../src/runner/platform/linux.ts";
import type { ProcessStarter } from "../../src/runner/platform/process.ts";
import {
  createSandbox,
  jobFor,
  linuxSpec,
  PRIMARY,
  planFor,
  type Sandbox,
  SECONDARY,
  starterWithService,
  treeDigest,
} from "./fixtures.ts";

let sandbox: Sandbox;
let service: "inactive" | "active";

beforeEach(async () => {
  sandbox = await createSandbox();
  service = "inactive";
});
afterEach(async () => {
  await sandbox.cleanup();
});

function executorFor(host: string, overrides: Partial<ExecutorOptions> & { start?: ProcessStarter } = {}) {
  const { start, ...rest } = overrides;
  return createExecutor({
    platform: createLinuxPlatform({ start: start ?? starterWithService(() => service) }),
    allowEmHome: [sandbox.hosts],
    allowShare: [sandbox.share],
    runnerHost: host,
    ...rest,
  });
}

/** Pre-flight on both hosts through preflight jobs, then the plan a team would approve. */
async function approvedPlan(dirs?: string[]): Promise<Plan> {
  const spec = linuxSpec(sandbox, dirs);
  const preview = planFor(spec);
  const primary = await executorFor(PRIMARY).preflight(jobFor(preview, "preflight", "primary"));
  const secondary = await executorFor(SECONDARY).preflight(jobFor(preview, "preflight", "secondary"));
  return planFor(spec, { primary, secondary });
}

function collect(): { events: ExecutorEvent[]; sink: (e: ExecutorEvent) => void } {
  const events: ExecutorEvent[] = [];
  return { events, sink: (e) => events.push(e) };
}

const summary = (events: ExecutorEvent[]) => events.map((e) => `${e.index} ${e.kind} ${e.dir} ${e.status}`);

describe("pre-flight on a Linux host", () => {
  it("reports what each link path holds: missing, real directory, link to the target, link elsewhere, file", async () => {
    const em = sandbox.primaryEmHome;
    const share = sandbox.share;
    await mkdir(join(share, "traces"), { recursive: true });
    await writeFile(join(share, "traces", "t.log"), "x");
    await symlink(join(share, "traces"), join(em, "traces"));
    await mkdir(join(share, "logs"), { recursive: true });
    await symlink("/var/tmp/elsewhere", join(em, "logs"));
    await writeFile(join(em, "threaddumps"), "not a directory");
    await rm(join(em, "data"), { recursive: true });
    const spec = linuxSpec(sandbox, ["config", "data", "traces", "logs", "threaddumps"]);

    const facts = await executorFor(PRIMARY).preflight(jobFor(planFor(spec), "preflight", "primary"));

    expect(facts).toEqual<HostFacts>({
      host: PRIMARY,
      emHomeExists: true,
      emHomeHoldsEm: true,
      serviceStopped: true,
      canCreateSymlinks: true,
      symlinkL2R: true,
      details: {
        service: "systemd unit IScopeEM: inactive",
        privilege: `${em} is writable`,
        symlinkL2R: "not applicable on Linux: symlinks to NFS paths always resolve",
      },
      failoverProperties: {
        file: join(em, "config", "IntroscopeEnterpriseManager.properties"),
        source: "local",
        keys: [
          {
            key: "introscope.enterprisemanager.failover.enable",
            value: "true",
            occurrences: [{ line: 1, value: "true" }],
          },
          { key: "introscope.enterprisemanager.failover.primary", value: null, occurrences: [] },
          { key: "introscope.enterprisemanager.failover.secondary", value: null, occurrences: [] },
        ],
        detail: `read ${join(em, "config", "IntroscopeEnterpriseManager.properties")} (60 bytes)`,
        warnings: [],
      },
      dirs: [
        { dir: "config", linkPath: "directory", share: { exists: false, writable: false, empty: true } },
        { dir: "data", linkPath: "missing", share: { exists: false, writable: false, empty: true } },
        {
          dir: "traces",
          linkPath: "link-to-target",
          currentTarget: join(share, "traces"),
          share: { exists: true, writable: true, empty: false },
        },
        {
          dir: "logs",
          linkPath: "link-elsewhere",
          currentTarget: "/var/tmp/elsewhere",
          share: { exists: true, writable: true, empty: true },
        },
        { dir: "threaddumps", linkPath: "file", share: { exists: false, writable: false, empty: true } },
      ],
    });
  });

  it("says an EM_HOME without the properties file does not hold an Enterprise Manager", async () => {
    await rm(join(sandbox.secondaryEmHome, "config", "IntroscopeEnterpriseManager.properties"));
    const facts = await executorFor(SECONDARY).preflight(
      jobFor(planFor(linuxSpec(sandbox)), "preflight", "secondary"),
    );
    expect([facts.emHomeExists, facts.emHomeHoldsEm]).toEqual([true, false]);
  });

  it.each([
    ["a stopped unit", "inactive", false, true],
    ["a running unit", "active", false, false],
  ] as const)("counts %s as serviceStopped=%s", async (_name, state, unknownServiceIsStopped, stopped) => {
    service = state;
    const facts = await executorFor(PRIMARY, { unknownServiceIsStopped }).preflight(
      jobFor(planFor(linuxSpec(sandbox)), "preflight", "primary"),
    );
    expect(facts.serviceStopped).toBe(stopped);
  });

  it("reports a service it cannot query as unknown, with why, never as stopped unless configured to", async () => {
    // No fake: this machine has systemctl but no systemd, so the unit's state is unknown.
    const job = () => jobFor(planFor(linuxSpec(sandbox)), "preflight", "primary");
    const real = createLinuxPlatform();
    const allow = { allowEmHome: [sandbox.hosts], allowShare: [sandbox.share] };
    const strict = createExecutor({ platform: real, ...allow, runnerHost: PRIMARY });
    const lenient = createExecutor({
      platform: real,
      ...allow,
      runnerHost: PRIMARY,
      unknownServiceIsStopped: true,
    });
    const probe = await real.serviceState("IScopeEM");
    expect(probe.state).toBe("unknown");
    const unknown = await strict.preflight(job());
    expect(unknown.serviceStopped).toBeNull();
    expect(unknown.details?.service).toBe(probe.detail);
    const configured = await lenient.preflight(job());
    expect(configured.serviceStopped).toBe(true);
    expect(configured.details?.service).toMatch(/counted as stopped by this runner's configuration$/);
  });

  it("reports each check as a note, and changes nothing", async () => {
    const before = await treeDigest(sandbox.root);
    const { events, sink } = collect();
    await executorFor(PRIMARY).preflight(jobFor(planFor(linuxSpec(sandbox)), "preflight", "primary"), sink);
    expect(summary(events)).toEqual([
      "-1 check-em-home  succeeded",
      "-1 check-service-stopped  succeeded",
      "-1 check-accounts  succeeded",
      "-1 check-privilege  succeeded",
      "-1 check-symlink-evaluation  succeeded",
      "-1 check-failover-properties config succeeded",
      "-1 inspect-link-path config succeeded",
      "-1 check-target config succeeded",
      "-1 inspect-link-path data succeeded",
      "-1 check-target data succeeded",
    ]);
    expect(await treeDigest(sandbox.root)).toBe(before);
  });
});

describe("executing an approved plan on Linux", () => {
  it("seeds the share from the primary byte for byte, moves the originals aside and links both hosts", async () => {
    const originalConfig = await treeDigest(join(sandbox.primaryEmHome, "config"));
    const originalData = await treeDigest(join(sandbox.primaryEmHome, "data"));
    const secondaryConfig = await treeDigest(join(sandbox.secondaryEmHome, "config"));
    const plan = await approvedPlan();
    expect(plan.hosts.flatMap((h) => h.blockers)).toEqual([]);

    const primary = collect();
    const primaryResult = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), primary.sink);
    const secondary = collect();
    const secondaryResult = await executorFor(SECONDARY).run(
      jobFor(plan, "execute", "secondary"),
      secondary.sink,
    );

    expect(primaryResult.ok).toBe(true);
    expect(secondaryResult.ok).toBe(true);
    expect(summary(primary.events).filter((s) => !s.endsWith("started"))).toEqual([
      "0 seed-share config succeeded",
      "1 move-aside config succeeded",
      "2 mklink config succeeded",
      "3 verify-link config succeeded",
      "4 seed-share data succeeded",
      "5 move-aside data succeeded",
      "6 mklink data succeeded",
      "7 verify-link data succeeded",
    ]);
    expect(summary(secondary.events).filter((s) => !s.endsWith("started"))).toEqual([
      "0 move-aside config succeeded",
      "1 mklink config succeeded",
      "2 verify-link config succeeded",
      "3 move-aside data succeeded",
      "4 mklink data succeeded",
      "5 verify-link data succeeded",
    ]);

    for (const emHome of [sandbox.primaryEmHome, sandbox.secondaryEmHome]) {
      for (const dir of ["config", "data"]) {
        expect((await lstat(join(emHome, dir))).isSymbolicLink()).toBe(true);
        expect(await readlink(join(emHome, dir))).toBe(join(sandbox.share, dir));
      }
    }
    expect(await treeDigest(join(sandbox.share, "config"))).toBe(originalConfig);
    expect(await treeDigest(join(sandbox.share, "data"))).toBe(originalData);
    expect(await treeDigest(join(sandbox.primaryEmHome, "config.pre-CHG-7"))).toBe(originalConfig);
    expect(await treeDigest(join(sandbox.secondaryEmHome, "config.pre-CHG-7"))).toBe(secondaryConfig);
    // The read-back facts say the same: every dir is a link to its target.
    expect(secondaryResult.facts?.dirs.map((d) => d.linkPath)).toEqual(["link-to-target", "link-to-target"]);
  });

  it("reports what each step found, ran and read back", async () => {
    const plan = await approvedPlan(["config"]);
    const { events, sink } = collect();
    await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);
    const mklinkDone = events.find((e) => e.kind === "mklink" && e.status === "succeeded");
    expect(mklinkDone?.output).toContain(`ran: ln -s ${join(sandbox.share, "config")} config (exit code 0)`);
    expect(mklinkDone?.output).toContain(
      `read back: ${join(sandbox.primaryEmHome, "config")} is a directory link to`,
    );
  });

  it("skips a link that already points at its target and still verifies it", async () => {
    // The share already holds a complete copy of the primary's data (so pre-flight trusts it).
    await cp(join(sandbox.primaryEmHome, "data"), join(sandbox.share, "data"), {
      recursive: true,
      preserveTimestamps: true,
    });
    await rm(join(sandbox.secondaryEmHome, "data"), { recursive: true });
    await symlink(join(sandbox.share, "data"), join(sandbox.secondaryEmHome, "data"));
    const plan = await approvedPlan();
    await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), () => undefined);
    const { events, sink } = collect();
    const result = await executorFor(SECONDARY).run(jobFor(plan, "execute", "secondary"), sink);
    expect(result.ok).toBe(true);
    expect(summary(events).filter((s) => s.includes("data"))).toEqual([
      "3 mklink data skipped",
      "4 verify-link data started",
      "4 verify-link data succeeded",
    ]);
  });

  it("stops a host at a step whose precondition changed after approval, and reports why", async () => {
    const plan = await approvedPlan();
    // Someone takes the moved-aside name after the plan was approved.
    await mkdir(join(sandbox.primaryEmHome, "config.pre-CHG-7"));
    const before = await treeDigest(sandbox.primaryEmHome);
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);
    expect(result).toMatchObject({ ok: false, failedIndex: 1 });
    expect(summary(events)).toEqual([
      "0 seed-share config started",
      "0 seed-share config succeeded",
      "1 move-aside config started",
      "1 move-aside config failed",
    ]);
    expect(events.at(-1)?.output).toContain("the moved-aside name is taken");
    expect(await treeDigest(sandbox.primaryEmHome)).toBe(before);
  });

  it("stops a host at a failing command, reports the command's output and runs nothing after it", async () => {
    const plan = await approvedPlan();
    const failingLn: ProcessStarter = async (request) =>
      request.file === "ln"
        ? {
            exitCode: 1,
            output: Buffer.from("ln: failed to create symbolic link 'config': Read-only file system\n"),
            truncated: false,
            timedOut: false,
          }
        : starterWithService(() => service)(request);
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY, { start: failingLn }).run(
      jobFor(plan, "execute", "primary"),
      sink,
    );
    expect(result).toMatchObject({ ok: false, failedIndex: 2 });
    expect(summary(events).at(-1)).toBe("2 mklink config failed");
    expect(events.at(-1)?.output).toContain("Read-only file system");
    expect(events.at(-1)?.output).toContain("exit code 1");
    expect(events.some((e) => e.dir === "data")).toBe(false);
    // data was not touched: still the real directory.
    expect((await lstat(join(sandbox.primaryEmHome, "data"))).isDirectory()).toBe(true);
  });

  it("stops before any step when the service was started after approval", async () => {
    const plan = await approvedPlan();
    service = "active";
    const before = await treeDigest(sandbox.root);
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);
    expect(result).toMatchObject({ ok: false, failedIndex: -1 });
    expect(events).toHaveLength(1);
    expect(events[0]?.output).toContain("serviceStopped was true, is false");
    expect(await treeDigest(sandbox.root)).toBe(before);
  });
});

describe("a plan that records a choice", () => {
  it("is rebuilt with the recorded share-access and runs", async () => {
    const base = await approvedPlan();
    const spec = { ...linuxSpec(sandbox), shareAccess: "checked-by-hand" as const };
    const plan = planFor(spec, {
      primary: base.hosts[0].facts ?? undefined,
      secondary: base.hosts[1].facts ?? undefined,
    });
    expect(plan.shareAccess).toBe("checked-by-hand");
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), collect().sink);
    expect(result.ok).toBe(true);
  });

  it("is rebuilt with the recorded ticket and reason and runs", async () => {
    const base = await approvedPlan();
    const spec = { ...linuxSpec(sandbox), ticket: "CHG0012345", reason: "Q3 failover test — CAB's “go”" };
    const plan = planFor(spec, {
      primary: base.hosts[0].facts ?? undefined,
      secondary: base.hosts[1].facts ?? undefined,
    });
    expect(plan).toMatchObject({ ticket: "CHG0012345", reason: spec.reason });
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), collect().sink);
    expect(result.ok).toBe(true);
  });
});

describe("a share that already holds a partial copy", () => {
  /** The share's config: part of the primary's, one file older, and a stray file of its own. */
  async function partialShare(): Promise<string> {
    const config = join(sandbox.share, "config");
    await cp(join(sandbox.primaryEmHome, "config"), config, { recursive: true, preserveTimestamps: true });
    await rm(join(config, "internal"), { recursive: true });
    await writeFile(join(config, "domains.xml"), '<domains owner="stale"/>\n');
    await writeFile(join(config, "stray.lck"), "left by an old copy\n");
    return config;
  }

  it("is compared with the primary's directory in pre-flight, and only on the primary", async () => {
    await partialShare();
    const preview = planFor(linuxSpec(sandbox));
    const primary = await executorFor(PRIMARY).preflight(jobFor(preview, "preflight", "primary"));
    const secondary = await executorFor(SECONDARY).preflight(jobFor(preview, "preflight", "secondary"));
    expect(primary.dirs[0]?.share.sync).toMatchObject({
      inSync: false,
      missing: 1,
      differing: 1,
      extra: 1,
      examples: ["missing internal/server/README", "differs domains.xml", "extra stray.lck"],
    });
    expect(secondary.dirs[0]?.share.sync).toBeUndefined();
    expect(planFor(linuxSpec(sandbox), { primary, secondary }).hosts[0].blockers).toEqual([
      expect.stringMatching(
        /config already holds data, NOT in sync .*: choose share-data=reseed .* or share-data=keep/,
      ),
    ]);
  });

  it("is brought in sync from the primary by share-data=reseed, deleting nothing on it", async () => {
    const config = await partialShare();
    const spec = { ...linuxSpec(sandbox), shareData: "reseed" as const };
    const preview = planFor(spec);
    const primary = await executorFor(PRIMARY).preflight(jobFor(preview, "preflight", "primary"));
    const secondary = await executorFor(SECONDARY).preflight(jobFor(preview, "preflight", "secondary"));
    const plan = planFor(spec, { primary, secondary });
    expect(plan.hosts[0].blockers).toEqual([]);
    const original = await treeDigest(join(sandbox.primaryEmHome, "config"));

    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);

    expect(result.ok).toBe(true);
    const seeded = events.find(
      (e) => e.kind === "seed-share" && e.dir === "config" && e.status === "succeeded",
    );
    expect(seeded?.output).toMatch(
      /read back: .* holds every file of .*; 1 extra files on the share were left as they are/,
    );
    expect(await readFile(join(config, "domains.xml"), "utf8")).toBe('<domains owner="primary"/>\n');
    expect(await readFile(join(config, "stray.lck"), "utf8")).toBe("left by an old copy\n");
    await rm(join(config, "stray.lck"));
    expect(await treeDigest(config)).toBe(original);
  });

  it("is never copied into without share-data=reseed, even by a plan that says to seed", async () => {
    // A plan made while the share was empty: its seed step must not run into the data now there.
    const plan = await approvedPlan();
    await partialShare();
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);
    expect(result.ok).toBe(false);
    const seed = events.find((e) => e.kind === "seed-share" && e.status !== "started");
    expect(seed).toMatchObject({
      status: "failed",
      output: expect.stringMatching(/^not run: the facts changed since approval/),
    });
  });
});

describe("conditional steps of a plan made without pre-flight facts", () => {
  it("runs each [if ...] step only when its condition holds right before it runs", async () => {
    await mkdir(join(sandbox.share, "data"), { recursive: true });
    await writeFile(join(sandbox.share, "data", "already-there"), "x");
    const plan = planFor(linuxSpec(sandbox));
    expect(plan.hosts[0].steps.filter((s) => s.when !== undefined).length).toBe(4);
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), sink);
    expect(result.ok).toBe(true);
    expect(summary(events).filter((s) => !s.endsWith("started"))).toEqual([
      "0 seed-share config succeeded",
      "1 move-aside config succeeded",
      "2 mklink config succeeded",
      "3 verify-link config succeeded",
      "4 seed-share data skipped",
      "5 move-aside data succeeded",
      "6 mklink data succeeded",
      "7 verify-link data succeeded",
    ]);
    expect(events.find((e) => e.index === 4 && e.status === "skipped")?.output).toMatch(/does not hold now/);
  });
});

describe("one change at a time on a host", () => {
  it("refuses a second mutating job while one is running", async () => {
    const plan = await approvedPlan();
    const executor = executorFor(PRIMARY);
    const first = executor.run(jobFor(plan, "execute", "primary"), () => undefined);
    await expect(executor.run(jobFor(plan, "rollback", "primary"), () => undefined)).rejects.toThrow(
      /is still changing this host/,
    );
    expect((await first).ok).toBe(true);
  });
});

describe("rolling back on Linux", () => {
  it("restores both hosts byte for byte and leaves the share's content alone", async () => {
    const primaryBefore = await treeDigest(sandbox.primaryEmHome);
    const secondaryBefore = await treeDigest(sandbox.secondaryEmHome);
    const plan = await approvedPlan();
    expect((await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), () => undefined)).ok).toBe(
      true,
    );
    expect((await executorFor(SECONDARY).run(jobFor(plan, "execute", "secondary"), () => undefined)).ok).toBe(
      true,
    );
    const shareAfterChange = await treeDigest(sandbox.share);

    const { events, sink } = collect();
    const secondary = await executorFor(SECONDARY).run(jobFor(plan, "rollback", "secondary"), sink);
    const primary = await executorFor(PRIMARY).run(jobFor(plan, "rollback", "primary"), () => undefined);

    expect([secondary.ok, primary.ok]).toEqual([true, true]);
    expect(summary(events).filter((s) => !s.endsWith("started"))).toEqual([
      "0 remove-link data succeeded",
      "1 restore data succeeded",
      "2 remove-link config succeeded",
      "3 restore config succeeded",
    ]);
    expect(await treeDigest(sandbox.primaryEmHome)).toBe(primaryBefore);
    expect(await treeDigest(sandbox.secondaryEmHome)).toBe(secondaryBefore);
    expect(await treeDigest(sandbox.share)).toBe(shareAfterChange);
  });

  it("rolls back a change that stopped part-way: what was never done is skipped", async () => {
    const before = await treeDigest(sandbox.secondaryEmHome);
    const plan = await approvedPlan();
    // The secondary never ran (the primary failed): its rollback finds everything in place.
    const { events, sink } = collect();
    const result = await executorFor(SECONDARY).run(jobFor(plan, "rollback", "secondary"), sink);
    expect(result.ok).toBe(true);
    expect(events.filter((e) => e.status !== "started").map((e) => e.status)).toEqual([
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(await treeDigest(sandbox.secondaryEmHome)).toBe(before);
  });

  it("leaves a link to another target alone and says so", async () => {
    const plan = await approvedPlan(["config"]);
    await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), () => undefined);
    await rm(join(sandbox.primaryEmHome, "config"));
    await symlink("/srv/other", join(sandbox.primaryEmHome, "config"));
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "rollback", "primary"), sink);
    expect(result).toMatchObject({ ok: false, failedIndex: 0 });
    expect(events.at(-1)?.output).toContain("left alone");
    expect(await readlink(join(sandbox.primaryEmHome, "config"))).toBe("/srv/other");
  });
});

describe("verify jobs on Linux", () => {
  it("checks every live link read-only and reports drift without stopping at the first", async () => {
    const plan = await approvedPlan();
    await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), () => undefined);
    expect((await executorFor(PRIMARY).run(jobFor(plan, "verify", "primary"), () => undefined)).ok).toBe(
      true,
    );

    await rm(join(sandbox.primaryEmHome, "config"));
    await symlink("/srv/other", join(sandbox.primaryEmHome, "config"));
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY).run(jobFor(plan, "verify", "primary"), sink);
    expect(result).toMatchObject({ ok: false, failedIndex: 3 });
    expect(summary(events).filter((s) => !s.endsWith("started"))).toEqual([
      "3 verify-link config failed",
      "7 verify-link data succeeded",
    ]);
  });
});

describe("the step journal", () => {
  it("records each mutating step before its program starts, and forgets it once the step ended", async () => {
    const plan = await approvedPlan(["config"]);
    const journal = createStepJournal(join(sandbox.root, "runner.journal.json"));
    const seen: string[] = [];
    const real = starterWithService(() => service);
    const start: ProcessStarter = async (request) => {
      const pending = journal.pending();
      if (request.file !== "systemctl") {
        seen.push(
          `${request.file}: ${pending.kind === "interrupted" ? `${pending.entry.index} ${pending.entry.step.kind}` : pending.kind}`,
        );
      }
      return real(request);
    };
    const result = await executorFor(PRIMARY, { start, journal }).run(
      jobFor(plan, "execute", "primary"),
      () => {},
    );
    expect(result.ok).toBe(true);
    expect(seen).toEqual(["cp: 0 seed-share", "mv: 1 move-aside", "ln: 2 mklink"]);
    expect(journal.pending()).toEqual({ kind: "none" });
  });

  it("does not start a step it cannot journal, and says why", async () => {
    const plan = await approvedPlan(["config"]);
    const before = await treeDigest(sandbox.root);
    const journal = createStepJournal(join(sandbox.root, "no-such-dir", "runner.journal.json"));
    const { events, sink } = collect();
    const result = await executorFor(PRIMARY, { journal }).run(jobFor(plan, "execute", "primary"), sink);
    expect(result).toMatchObject({ ok: false, failedIndex: 0 });
    const failed = events.find((e) => e.status === "failed");
    expect(failed?.output).toMatch(/^not started: the runner cannot write its step journal .*no-such-dir/);
    expect(await treeDigest(sandbox.root)).toBe(before);
  });
});

describe("jobs the runner refuses before any step runs", () => {
  type Tamper = (job: Job, plan: Plan) => Job;
  const editPlan = (job: Job, edit: (plan: Plan) => void, rehash = false): Job => {
    const plan = structuredClone(job.plan) as unknown as Plan;
    edit(plan);
    if (rehash) {
      const { hash: _old, ...body } = plan;
      plan.hash = planHash(body);
      return { ...job, plan: plan as unknown as Record<string, unknown>, planHash: plan.hash };
    }
    return { ...job, plan: plan as unknown as Record<string, unknown> };
  };
  const otherHash = "0".repeat(64);

  const cases: [string, Tamper, RegExp, Partial<ExecutorOptions>?][] = [
    [
      "a step line changed in the plan",
      (job) =>
        editPlan(job, (p) => {
          const step = p.hosts[0].steps[2];
          if (step)
            Object.assign(step, { line: 'ln -s "/etc" "config"', argv: ["ln", "-s", "/etc", "config"] });
        }),
      /differs at plan\.hosts\[0\]\.steps\[2\]/,
    ],
    [
      "a step changed and the plan re-hashed to match",
      (job) =>
        editPlan(
          job,
          (p) => {
            const step = p.hosts[0].steps[2];
            if (step) Object.assign(step, { argv: ["ln", "-s", "/etc", "config"] });
          },
          true,
        ),
      /the plan rebuilt here hashes to/,
    ],
    [
      "a different hash bound to the job",
      (job) => ({ ...job, planHash: otherHash }),
      /the job is bound to 000000000000/,
    ],
    [
      "a job for another host",
      (job) => ({ ...job, host: SECONDARY }),
      /is for host mom-b, and this runner is mom-a/,
    ],
    [
      "the secondary's part sent as this host's",
      (job) => ({ ...job, role: "secondary" }),
      /names mom-a as secondary, and the plan's secondary is mom-b/,
    ],
    [
      "an EM_HOME outside --allow-em-home",
      (job) => job,
      /outside this runner's --allow-em-home roots/,
      { allowEmHome: ["/opt/CA"] },
    ],
    [
      "an allowed root that is only a string prefix of EM_HOME",
      (job) => job,
      /outside this runner's --allow-em-home roots/,
      { allowEmHome: ["PREFIX"] },
    ],
    [
      "a share outside --allow-share",
      (job) => job,
      /share .* is outside this runner's --allow-share roots \(\/mnt\/mom-failover\)/,
      { allowShare: ["/mnt/mom-failover"] },
    ],
    [
      "an allowed share root that is only a string prefix of the share",
      (job) => job,
      /outside this runner's --allow-share roots/,
      { allowShare: ["SHARE-PREFIX"] },
    ],
    [
      "an expired job",
      (job) => ({ ...job, expiresAt: new Date(Date.now() - 1000).toISOString() }),
      /expired at/,
    ],
    [
      "a share the validators refuse",
      (job) => editPlan(job, (p) => Object.assign(p, { share: "/mnt/$(reboot)" }), true),
      /plan\.share: share: .*\$/,
    ],
    [
      "a pre-flight fact changed",
      (job) =>
        editPlan(job, (p) => {
          if (p.hosts[0].facts) p.hosts[0].facts.serviceStopped = false;
        }),
      /hashes to/,
    ],
    [
      "a share-access acknowledgement slipped into the plan after approval",
      (job) => editPlan(job, (p) => Object.assign(p, { shareAccess: "checked-by-hand" })),
      /the plan rebuilt here hashes to/,
    ],
    [
      "a ticket put into the plan after approval",
      (job) => editPlan(job, (p) => Object.assign(p, { ticket: "CHG0099999" })),
      /the plan rebuilt here hashes to/,
    ],
    [
      "a reason with a control character",
      (job) => editPlan(job, (p) => Object.assign(p, { reason: "ok\u0007" }), true),
      /plan\.reason: reason: reason holds U\+0007/,
    ],
    [
      "another change's plan",
      (job) => ({ ...job, changeId: "CHG-8" }),
      /the plan belongs to CHG-7, the job to CHG-8/,
    ],
    [
      "a Windows plan sent to a Linux runner",
      (job) => editPlan(job, (p) => Object.assign(p, { platform: "windows" })),
      /for windows hosts/,
    ],
  ];

  it.each(cases)("refuses %s and touches nothing", async (_name, tamper, reason, options) => {
    const plan = await approvedPlan();
    const before = await treeDigest(sandbox.root);
    const allowEmHome = options?.allowEmHome?.map((r) =>
      r === "PREFIX" ? sandbox.primaryEmHome.slice(0, -1) : r,
    );
    const allowShare = options?.allowShare?.map((r) =>
      r === "SHARE-PREFIX" ? sandbox.share.slice(0, -1) : r,
    );
    const executor = executorFor(PRIMARY, {
      ...options,
      ...(allowEmHome ? { allowEmHome } : {}),
      ...(allowShare ? { allowShare } : {}),
    });
    const { events, sink } = collect();
    const job = tamper(jobFor(plan, "execute", "primary"), plan);
    const error = await executor.run(job, sink).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobRefusedError);
    expect((error as JobRefusedError).reasons.join("\n")).toMatch(reason);
    expect(events).toEqual([]);
    expect(await treeDigest(sandbox.root)).toBe(before);
  });

  it("refuses to execute a plan that pre-flight blocked", async () => {
    service = "active";
    const plan = await approvedPlan();
    expect(plan.hosts[0].blockers.length).toBeGreaterThan(0);
    const before = await treeDigest(sandbox.root);
    await expect(
      executorFor(PRIMARY).run(jobFor(plan, "execute", "primary"), () => undefined),
    ).rejects.toThrow(/the plan is blocked/);
    expect(await treeDigest(sandbox.root)).toBe(before);
  });

  it("refuses a pre-flight job sent to run, and an execute job sent to pre-flight", async () => {
    const plan = await approvedPlan();
    const executor = executorFor(PRIMARY);
    await expect(executor.run(jobFor(plan, "preflight", "primary"), () => undefined)).rejects.toThrow(
      /a preflight job does not belong here/,
    );
    await expect(executor.preflight(jobFor(plan, "execute", "primary"))).rejects.toThrow(
      /an? execute job does not belong here/,
    );
  });

  it("matches its own host name case-insensitively", async () => {
    const plan = await approvedPlan(["config"]);
    const result = await executorFor("MOM-A").run(jobFor(plan, "verify", "primary"), () => undefined);
    expect(result.ok).toBe(false); // nothing linked yet: the job ran, and verify reports the truth
  });

  it("refuses a plan built without the job's change id", async () => {
    const spec = linuxSpec(sandbox);
    const preview = buildPlan({ spec, changeId: null });
    await expect(
      executorFor(PRIMARY).preflight(jobFor(preview, "preflight", "primary", { planHash: preview.hash })),
    ).rejects.toThrow(/the plan belongs to null, the job to CHG-7/);
  });
});
