// The whole failover procedure on real Linux runners' executors, in-process: a running stand-in
// EM pair (test support: a Python program taking Java's POSIX record locks) behind each runner's
// configured start/stop/status commands, a plan with services=manage failover-properties=set, and
// each phase of the run as the job the bot would send. What it shows: the services stop and
// start in the KB's order with the runner's own bounded waits, the one shared properties file is
// edited (backup first, every other line kept), the primary proves it holds primary_em.lck and
// the secondary that it stands by, and a rollback puts both hosts back as they were.
import { lstat, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostFacts } from "../../src/domain/facts.ts";
import type { JobKind } from "../../src/domain/job.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { runPhases } from "../../src/domain/phases.ts";
import type { Plan } from "../../src/domain/plan.ts";
import { createExecutor, type ExecutorEvent, type RunResult } from "../../src/runner/executor.ts";
import { createLinuxPlatform } from "../../src/runner/platform/linux.ts";
import {
  type StandInOptions,
  standInServiceCommands,
  standInStatus,
  startStandIn,
  stopStandIn,
} from "../../src/sandbox/stand-in-em/index.ts";
import {
  createSandbox,
  jobFor,
  linuxSpec,
  PRIMARY,
  planFor,
  type Sandbox,
  SECONDARY,
  treeDigest,
} from "./fixtures.ts";

const PROPERTIES = join("config", "IntroscopeEnterpriseManager.properties");

let sandbox: Sandbox;
let ems: Record<string, StandInOptions>;

beforeEach(async () => {
  sandbox = await createSandbox();
  for (const emHome of [sandbox.primaryEmHome, sandbox.secondaryEmHome]) {
    // A real file's shape: comments and other keys around the failover keys, which it lacks.
    await writeFile(
      join(emHome, PROPERTIES),
      "# Introscope EM\r\nintroscope.enterprisemanager.port.channel1=5001\r\n#introscope.enterprisemanager.failover.enable=true\r\nintroscope.enterprisemanager.failover.enable=false\r\nlog4j.logger.Manager=INFO, console, logfile\r\n",
    );
  }
  const em = (host: string, emHome: string): StandInOptions => ({
    emHome,
    host,
    runDir: join(sandbox.root, "run", host),
    pollMs: 50,
    failover: "properties",
  });
  ems = {
    [PRIMARY]: em(PRIMARY, sandbox.primaryEmHome),
    [SECONDARY]: em(SECONDARY, sandbox.secondaryEmHome),
  };
});

afterEach(async () => {
  await Promise.all(Object.values(ems).map((options) => stopStandIn(options)));
  await sandbox.cleanup();
});

function executorFor(host: string) {
  const commands = standInServiceCommands(ems[host] as StandInOptions);
  return createExecutor({
    platform: createLinuxPlatform({ serviceCommands: commands }),
    allowEmHome: [sandbox.hosts],
    allowShare: [sandbox.share],
    runnerHost: host,
    serviceName: "introscope-em",
    serviceStopWaitSeconds: 20,
    serviceStartWaitSeconds: 20,
    pollMs: 50,
  });
}

function procedureSpec(): PairSpec {
  return { ...linuxSpec(sandbox), manageServices: true, setFailoverProperties: true };
}

async function approvedPlan(spec: PairSpec): Promise<Plan> {
  const preview = planFor(spec);
  const facts: { primary?: HostFacts; secondary?: HostFacts } = {};
  facts.primary = await executorFor(PRIMARY).preflight(jobFor(preview, "preflight", "primary"));
  facts.secondary = await executorFor(SECONDARY).preflight(jobFor(preview, "preflight", "secondary"));
  return planFor(spec, facts);
}

interface PhaseResult {
  phase: number;
  role: string;
  result: RunResult;
  events: ExecutorEvent[];
}

/** Every phase of a run, in order, each as its own job on its host's runner; stops at a failure. */
async function runAll(plan: Plan, kind: Extract<JobKind, "execute" | "rollback">): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  for (const phase of runPhases(plan, kind)) {
    const host = phase.role === "primary" ? PRIMARY : SECONDARY;
    const events: ExecutorEvent[] = [];
    const result = await executorFor(host).run(jobFor(plan, kind, phase.role, { phase: phase.number }), (e) =>
      events.push(e),
    );
    results.push({ phase: phase.number, role: phase.role, result, events });
    if (!result.ok) break;
  }
  return results;
}

const roleOf = async (host: string) => {
  const status = await standInStatus(ems[host] as StandInOptions);
  return status.state === "running" ? status.role : status.state;
};

describe("services=manage failover-properties=set on a running stand-in pair", () => {
  it("stops both, links, sets the shared properties, and proves the primary active and the secondary standing by", async () => {
    await startStandIn(ems[PRIMARY] as StandInOptions);
    await startStandIn(ems[SECONDARY] as StandInOptions);
    const plan = await approvedPlan(procedureSpec());
    expect(plan.hosts.flatMap((h) => h.blockers)).toEqual([]);
    expect(runPhases(plan, "execute").map((p) => `${p.number} ${p.role} ${p.stages.join("+")}`)).toEqual([
      "1 secondary stop",
      "2 primary stop+link",
      "3 secondary link",
      "4 primary start",
      "5 secondary start",
    ]);

    const results = await runAll(plan, "execute");
    expect(results.map((r) => [r.phase, r.result.ok])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
      [5, true],
    ]);
    // The KB's order: the secondary went down first, came up last.
    const stepsOf = (r: PhaseResult) =>
      r.events
        .filter((e) => e.status !== "started")
        .map((e) => `${e.kind}${e.dir ? ` ${e.dir}` : ""} ${e.status}`);
    expect(stepsOf(results[0] as PhaseResult)).toEqual(["stop-service succeeded"]);
    expect(stepsOf(results[1] as PhaseResult)).toEqual([
      "stop-service succeeded",
      "seed-share config succeeded",
      "move-aside config succeeded",
      "mklink config succeeded",
      "verify-link config succeeded",
      "seed-share data succeeded",
      "move-aside data succeeded",
      "mklink data succeeded",
      "verify-link data succeeded",
      "set-failover-properties config succeeded",
    ]);
    expect(stepsOf(results[4] as PhaseResult)).toEqual([
      "start-service succeeded",
      "check-failover succeeded",
    ]);

    // One shared properties file, edited in place: every other line byte-identical, backup beside it.
    const shared = join(sandbox.share, "config", "IntroscopeEnterpriseManager.properties");
    expect(await readFile(shared, "latin1")).toBe(
      "# Introscope EM\r\nintroscope.enterprisemanager.port.channel1=5001\r\n#introscope.enterprisemanager.failover.enable=true\r\nintroscope.enterprisemanager.failover.enable=true\r\nlog4j.logger.Manager=INFO, console, logfile\r\nintroscope.enterprisemanager.failover.primary=mom-a\r\nintroscope.enterprisemanager.failover.secondary=mom-b\r\n",
    );
    expect(await readFile(`${shared}.pre-CHG-7`, "latin1")).toContain("failover.enable=false");

    // The primary holds the primary lock, the secondary stands by: the evidence went back with each.
    expect([await roleOf(PRIMARY), await roleOf(SECONDARY)]).toEqual(["primary", "standby"]);
    const fourth = results[3] as PhaseResult;
    expect(
      fourth.events.find((e) => e.kind === "check-failover" && e.status === "succeeded")?.output,
    ).toMatch(
      /^primary active: mom-a is the active EM: this EM holds primary_em.lck \(basis: lock and log\)/,
    );
    expect(fourth.result.evidence).toMatchObject({
      host: PRIMARY,
      service: { state: "running" },
      primaryLock: { state: "held", holder: "this-em" },
    });
    expect((results[4] as PhaseResult).result.evidence).toMatchObject({
      host: SECONDARY,
      primaryLock: { state: "held", holder: "another-process" },
      secondaryLock: { state: "held", holder: "this-em" },
    });
  }, 60_000);

  it("a rollback stops both, undoes the links, restores the properties and starts both again", async () => {
    const before = {
      primary: await treeDigest(join(sandbox.primaryEmHome, "config")),
      secondary: await treeDigest(join(sandbox.secondaryEmHome, "data")),
    };
    await startStandIn(ems[PRIMARY] as StandInOptions);
    await startStandIn(ems[SECONDARY] as StandInOptions);
    const plan = await approvedPlan(procedureSpec());
    expect((await runAll(plan, "execute")).every((r) => r.result.ok)).toBe(true);
    const shared = join(sandbox.share, "config", "IntroscopeEnterpriseManager.properties");
    const seeded = await readFile(`${shared}.pre-CHG-7`);

    const undone = await runAll(plan, "rollback");
    expect(undone.map((r) => `${r.phase} ${r.role} ${r.result.ok}`)).toEqual([
      "1 secondary true",
      "2 primary true",
      "3 secondary true",
      "4 primary true",
      "5 secondary true",
    ]);
    expect(await readFile(shared)).toEqual(seeded);
    // Both EMs run again from their own config, as before the change (failover off there).
    expect([await roleOf(PRIMARY), await roleOf(SECONDARY)]).toEqual(["standalone", "standalone"]);
    await Promise.all(Object.values(ems).map((options) => stopStandIn(options)));
    expect(await treeDigest(join(sandbox.primaryEmHome, "config"))).toBe(before.primary);
    expect(await treeDigest(join(sandbox.secondaryEmHome, "data"))).toBe(before.secondary);
  }, 90_000);

  it("fails the primary's start at once, with the evidence, when the secondary was started first", async () => {
    const plan = await approvedPlan(procedureSpec());
    const results: PhaseResult[] = [];
    for (const phase of runPhases(plan, "execute").slice(0, 3)) {
      const host = phase.role === "primary" ? PRIMARY : SECONDARY;
      const events: ExecutorEvent[] = [];
      const job = jobFor(plan, "execute", phase.role, { phase: phase.number });
      results.push({
        phase: phase.number,
        role: phase.role,
        result: await executorFor(host).run(job, (e) => events.push(e)),
        events,
      });
    }
    expect(results.every((r) => r.result.ok)).toBe(true);
    // By mistake, someone starts the secondary before momlink starts the primary.
    await startStandIn(ems[SECONDARY] as StandInOptions);
    const events: ExecutorEvent[] = [];
    const fourth = await executorFor(PRIMARY).run(jobFor(plan, "execute", "primary", { phase: 4 }), (e) =>
      events.push(e),
    );
    expect(fourth.ok).toBe(false);
    expect(events.find((e) => e.kind === "check-failover" && e.status === "failed")?.output).toMatch(
      /^wrong role: mom-a \(the primary\) stands by: another EM \(pid \d+\) holds primary_em.lck, so the secondary started first/,
    );
    expect(fourth.evidence).toMatchObject({
      primaryLock: { state: "held", holder: "another-process" },
      secondaryLock: { state: "held", holder: "this-em" },
    });
  }, 60_000);

  it("refuses a phase that is not the job's host's, and a job without a phase on a host with several", async () => {
    const plan = planFor(procedureSpec());
    await expect(
      executorFor(PRIMARY).run(jobFor(plan, "execute", "primary", { phase: 1 }), () => {}),
    ).rejects.toThrow(/phase 1 of this execute is not primary mom-a's \(its phases: 2, 4\)/);
    await expect(executorFor(SECONDARY).run(jobFor(plan, "execute", "secondary"), () => {})).rejects.toThrow(
      /the job names no phase, and this plan has 3 phases on secondary mom-b \(1, 3, 5\)/,
    );
  });

  it("does not link while the EM service runs again: the links wait for a stopped service", async () => {
    const plan = await approvedPlan(procedureSpec());
    const first = await executorFor(SECONDARY).run(
      jobFor(plan, "execute", "secondary", { phase: 1 }),
      () => {},
    );
    expect(first.ok).toBe(true);
    // Someone starts the secondary's EM between its stop and its links.
    await startStandIn(ems[SECONDARY] as StandInOptions);
    const events: ExecutorEvent[] = [];
    const third = await executorFor(SECONDARY).run(jobFor(plan, "execute", "secondary", { phase: 3 }), (e) =>
      events.push(e),
    );
    expect(third.ok).toBe(false);
    expect(events.find((e) => e.status === "failed")?.output).toMatch(
      /^not run: the EM service is running, main pid \d+ .*with services=manage the links change only while it is stopped/,
    );
    expect((await lstat(join(sandbox.secondaryEmHome, "config"))).isDirectory()).toBe(true);
  }, 60_000);
});
