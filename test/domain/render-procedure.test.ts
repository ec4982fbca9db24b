// What an operator reads of the whole procedure: the run order across the hosts with its waits,
// each phase marked in the host scripts, the failover properties as they stand beside the
// required ones (a mismatch a warning under check), the runner's service control and Windows'
// recovery actions among the pre-flight facts, and each phase's progress.
import { describe, expect, it } from "vitest";
import type { HostFacts, PropertiesFacts } from "../../src/domain/facts.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { runPhases } from "../../src/domain/phases.ts";
import { buildPlan } from "../../src/domain/plan.ts";
import {
  renderHostFacts,
  renderHostProgress,
  renderHostScript,
  renderPlanText,
} from "../../src/domain/render.ts";
import { BOTH_LOCAL_SYSTEM } from "../support/facts.ts";

const SPEC: PairSpec = {
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "D:\\Introscope\\EM",
  secondaryEmHome: "D:\\Introscope\\EM",
  share: "\\\\san-server\\mom-failover",
  dirs: ["config"],
  configAdded: false,
  manageServices: true,
};

const FILE = "D:\\Introscope\\EM\\config\\IntroscopeEnterpriseManager.properties";
const PROPERTIES: PropertiesFacts = {
  file: FILE,
  source: "local",
  keys: [
    {
      key: "introscope.enterprisemanager.failover.enable",
      value: "true ",
      occurrences: [{ line: 4, value: "true " }],
    },
    {
      key: "introscope.enterprisemanager.failover.primary",
      value: "mom-x",
      occurrences: [
        { line: 5, value: "mom-a" },
        { line: 9, value: "mom-x" },
      ],
    },
    { key: "introscope.enterprisemanager.failover.secondary", value: null, occurrences: [] },
  ],
  detail: `read ${FILE} (300 bytes)`,
  warnings: [
    "log4j.logger.Manager, line 12 logs at WARN: the EM's [Manager.HotFailover] INFO lines will not be written, only the lock can tell",
  ],
};

function facts(host: string, extra: Partial<HostFacts> = {}): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: false,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    serviceControl: { via: "sc", name: "IScopeEM", stopWaitSeconds: 120, startWaitSeconds: 300 },
    recovery: { restarts: false, detail: "no recovery action is set" },
    dirs: [{ dir: "config", linkPath: "directory", share: { exists: true, writable: true, empty: true } }],
    ...extra,
  };
}

const planWith = (spec: PairSpec) =>
  buildPlan({
    spec,
    changeId: "CHG-12",
    facts: { primary: facts("mom-a", { failoverProperties: PROPERTIES }), secondary: facts("mom-b") },
  });

describe("the run order of services=manage", () => {
  const plan = planWith(SPEC);
  const text = renderPlanText(plan);

  it("lists each phase with its host and its waits, before the scripts", () => {
    expect(text).toContain(
      [
        "run order (each phase starts once the one before it succeeded):",
        "1. mom-b (secondary): stop the EM service and wait until it is stopped (waits up to 120 s to stop)",
        "2. mom-a (primary): stop the EM service and wait until it is stopped, then make the links (waits up to 120 s to stop)",
        "3. mom-b (secondary): make the links",
        "4. mom-a (primary): start the EM and wait for proof that it holds the primary lock (waits up to 300 s to run, up to 300 s for the proof)",
        "5. mom-b (secondary): start the EM and wait for proof that it stands by (waits up to 300 s to run, up to 300 s for the proof)",
      ].join("\n"),
    );
    expect(text.indexOf("run order")).toBeLessThan(text.indexOf("apply on mom-a"));
    expect(text).toContain("rollback order:\n1. mom-b (secondary): stop the EM service");
  });

  it("marks where each phase begins in a host's script, and says the wait is the runner's", () => {
    expect(renderHostScript(plan, plan.hosts[1]).split("\n")).toEqual([
      "REM CHG-12 secondary mom-b  EM_HOME D:\\Introscope\\EM",
      'cd /d "D:\\Introscope\\EM"',
      "REM -- phase 1 of 5: stop the EM service and wait until it is stopped",
      '%SystemRoot%\\System32\\sc.exe stop "IScopeEM"',
      "REM the runner then waits up to 120 s until the service is stopped",
      "REM -- phase 3 of 5, after phase 2 on mom-a: make the links",
      'move "config" "config.pre-CHG-12"',
      'mklink /D "config" "\\\\san-server\\mom-failover\\config"',
      "REM verify config -> \\\\san-server\\mom-failover\\config",
      "REM -- phase 5 of 5, after phase 4 on mom-a: start the EM and wait for proof that it stands by",
      '%SystemRoot%\\System32\\sc.exe start "IScopeEM"',
      "REM the runner then waits up to 300 s until the service runs",
      "REM check-failover: wait up to 300 s for proof that mom-b holds secondary_em.lck and stands by",
    ]);
  });

  it("shows no run order for a plan without services=manage: the primary, then the secondary, as ever", () => {
    const plain = buildPlan({ spec: { ...SPEC, manageServices: undefined }, changeId: "CHG-12" });
    expect(renderPlanText(plain)).not.toContain("run order");
    expect(renderHostScript(plain, plain.hosts[0])).not.toContain("phase");
  });
});

describe("the failover properties as they stand", () => {
  it("under check: each required value beside the current one, duplicates and edge spaces shown, a warning", () => {
    const lines = renderHostFacts(planWith(SPEC), planWith(SPEC).hosts[0]).split("\n");
    const at = lines.findIndex((l) => l.startsWith("⚠ the failover properties"));
    expect(lines.slice(at, at + 5)).toEqual([
      `⚠ the failover properties in ${FILE} (the primary's own copy, which seeding brings to the share) differ from the required ones (failover-properties=check: a warning; set them by hand after seeding, or plan with failover-properties=set):`,
      "  → failover.enable: true· → true",
      "  → failover.primary: mom-x → mom-a; set 2 times (lines 5, 9): Java uses the last",
      "  → failover.secondary: (not set) → mom-b",
      "  ⚠ log4j.logger.Manager, line 12 logs at WARN: the EM's [Manager.HotFailover] INFO lines will not be written, only the lock can tell",
    ]);
    expect(planWith(SPEC).hosts.flatMap((h) => h.blockers)).toEqual([]);
  });

  it("under set: the same rows, as what this plan changes", () => {
    const plan = planWith({ ...SPEC, setFailoverProperties: true });
    expect(renderHostFacts(plan, plan.hosts[0])).toContain(
      `✓ the failover properties in ${FILE} (the primary's own copy, which seeding brings to the share), which this plan sets (failover-properties=set):`,
    );
    expect(renderPlanText(plan)).toContain(
      "this plan's set-failover-properties step sets them, backup first):\nintroscope.enterprisemanager.failover.enable=true",
    );
  });

  it("says a file it could not read is unknown, not unset", () => {
    const unreadable = { ...PROPERTIES, keys: null, detail: "cannot read it: EACCES" };
    const plan = buildPlan({
      spec: SPEC,
      changeId: "CHG-12",
      facts: { primary: facts("mom-a", { failoverProperties: unreadable }), secondary: facts("mom-b") },
    });
    expect(renderHostFacts(plan, plan.hosts[0])).toContain(
      `? the failover properties in ${FILE} (the primary's own copy, which seeding brings to the share) could not be read: cannot read it: EACCES`,
    );
  });
});

describe("the pre-flight facts of the procedure", () => {
  const plan = planWith(SPEC);
  const text = renderHostFacts(plan, plan.hosts[1]);

  it("names how the runner stops and starts the EM, and its waits", () => {
    expect(text).toContain(
      '✓ the runner stops and starts the EM with sc.exe stop/start "IScopeEM": waits up to 120 s for a stop, 300 s for a start and the proof of its failover role',
    );
  });

  it("warns when a failure does not restart the EM service: the yielding secondary exits with 23", () => {
    expect(text).toContain(
      "⚠ the EM service is not restarted after a failure (no recovery action is set): a secondary that yields to a returning primary exits with status 23 and stays down",
    );
  });
});

describe("a phase's progress", () => {
  it("lists only that phase's steps, and a finished failover check says what it proved", () => {
    const plan = planWith(SPEC);
    const [, , , fourth] = runPhases(plan, "execute");
    const events = [
      { index: 5, status: "succeeded" as const, output: "before: ..." },
      {
        index: 6,
        status: "succeeded" as const,
        output:
          "primary active: mom-a is the active EM: this EM holds primary_em.lck (basis: lock)\n- details",
      },
    ];
    expect(renderHostProgress(plan.hosts[0], "execute", events, fourth)).toBe(
      "✓ start-service\n✓ check-failover: primary active: mom-a is the active EM: this EM holds primary_em.lck (basis: lock)",
    );
  });
});
