// The whole failover procedure in the plan: services=manage brings the service steps (the
// runner's own service control, its waits) around the links and makes a running service no
// blocker; failover-properties=set brings one edit of the shared properties file on the primary,
// undone by the rollback; the run goes across the hosts in the KB's order (domain/phases.ts).
import { describe, expect, it } from "vitest";
import type { DirFacts, HostFacts, ServiceControlFacts } from "../../src/domain/facts.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { runPhases } from "../../src/domain/phases.ts";
import { buildPlan, type Plan } from "../../src/domain/plan.ts";
import { BOTH_LOCAL_SYSTEM } from "../support/facts.ts";

const WIN: PairSpec = {
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "D:\\Introscope\\EM",
  secondaryEmHome: "D:\\Introscope\\EM",
  share: "\\\\san-server\\mom-failover",
  dirs: ["config"],
  configAdded: false,
  manageServices: true,
  setFailoverProperties: true,
};
const LINUX: PairSpec = {
  ...WIN,
  platform: "linux",
  emHome: "/opt/CA/Introscope",
  secondaryEmHome: "/opt/CA/Introscope",
  share: "/mnt/mom-failover",
};

const SC: ServiceControlFacts = {
  via: "sc",
  name: "Introscope EM",
  stopWaitSeconds: 90,
  startWaitSeconds: 240,
};

function facts(host: string, overrides: Partial<HostFacts> = {}): HostFacts {
  const config: DirFacts = {
    dir: "config",
    linkPath: "directory",
    share: { exists: true, writable: true, empty: true },
  };
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: false,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    serviceControl: SC,
    dirs: [config],
    ...overrides,
  };
}

const kinds = (steps: { kind: string; dir: string }[]) =>
  steps.map((s) => (s.dir === "" ? s.kind : `${s.kind} ${s.dir}`));

describe("services=manage failover-properties=set", () => {
  const plan = buildPlan({
    spec: WIN,
    changeId: "CHG-12",
    facts: { primary: facts("mom-a"), secondary: facts("mom-b") },
  });
  const [primary, secondary] = plan.hosts;

  it("does not block on a running service: the plan stops it itself", () => {
    expect([...primary.blockers, ...secondary.blockers]).toEqual([]);
  });

  it("stops the service before the links, sets the shared properties after them, then starts and checks", () => {
    expect(kinds(primary.steps)).toEqual([
      "stop-service",
      "seed-share config",
      "move-aside config",
      "mklink config",
      "verify-link config",
      "set-failover-properties config",
      "start-service",
      "check-failover",
    ]);
    expect(kinds(secondary.steps)).toEqual([
      "stop-service",
      "move-aside config",
      "mklink config",
      "verify-link config",
      "start-service",
      "check-failover",
    ]);
  });

  it("stops and starts with the runner's sc.exe by absolute path, its service name and its waits", () => {
    const [stop] = primary.steps;
    const start = primary.steps.at(-2);
    expect(stop).toMatchObject({
      line: '%SystemRoot%\\System32\\sc.exe stop "Introscope EM"',
      argv: ["%SystemRoot%\\System32\\sc.exe", "stop", "Introscope EM"],
      waitSeconds: 90,
    });
    expect(start).toMatchObject({
      argv: ["%SystemRoot%\\System32\\sc.exe", "start", "Introscope EM"],
      waitSeconds: 240,
    });
    expect(primary.steps.at(-1)).toMatchObject({
      line: "REM check-failover: wait up to 240 s for proof that mom-a holds primary_em.lck, the active EM",
      argv: [],
      waitSeconds: 240,
    });
    expect(secondary.steps.at(-1)?.line).toBe(
      "REM check-failover: wait up to 240 s for proof that mom-b holds secondary_em.lck and stands by",
    );
  });

  it("edits the one shared properties file once, on the primary, with its backup named after the change", () => {
    expect(primary.steps.find((s) => s.kind === "set-failover-properties")?.line).toBe(
      "REM set-failover-properties in \\\\san-server\\mom-failover\\config\\IntroscopeEnterpriseManager.properties, backup IntroscopeEnterpriseManager.properties.pre-CHG-12 beside it first: introscope.enterprisemanager.failover.enable=true introscope.enterprisemanager.failover.primary=mom-a introscope.enterprisemanager.failover.secondary=mom-b",
    );
    expect(secondary.steps.some((s) => s.kind === "set-failover-properties")).toBe(false);
  });

  it("rolls back with the services down, the properties restored before the links go, and the services up again", () => {
    expect(kinds(primary.rollback)).toEqual([
      "stop-service",
      "restore-properties config",
      "remove-link config",
      "restore config",
      "start-service",
    ]);
    expect(kinds(secondary.rollback)).toEqual([
      "stop-service",
      "remove-link config",
      "restore config",
      "start-service",
    ]);
  });

  it("runs across the hosts in the KB's order, for the change and for its rollback", () => {
    const shown = (p: Plan, kind: "execute" | "rollback") =>
      runPhases(p, kind).map(
        (ph) => `${ph.number} ${ph.role} ${ph.stages.join("+")} [${ph.indices.join(",")}]`,
      );
    expect(shown(plan, "execute")).toEqual([
      "1 secondary stop [0]",
      "2 primary stop+link [0,1,2,3,4,5]",
      "3 secondary link [1,2,3]",
      "4 primary start [6,7]",
      "5 secondary start [4,5]",
    ]);
    expect(shown(plan, "rollback")).toEqual([
      "1 secondary stop [0]",
      "2 primary stop [0]",
      "3 secondary link [1,2]",
      "4 primary link+start [1,2,3,4]",
      "5 secondary start [3]",
    ]);
  });

  it("builds the Linux lines from the runner's configured commands, quoting words a shell would split", () => {
    const command: ServiceControlFacts = {
      via: "command",
      name: "introscope-em",
      stop: ["/usr/bin/node", "/opt/em ctl/emctl.ts", "stop", "--em-home", "/opt/CA/Introscope"],
      start: ["/usr/bin/node", "/opt/em ctl/emctl.ts", "start", "--em-home", "/opt/CA/Introscope"],
      stopWaitSeconds: 30,
      startWaitSeconds: 60,
    };
    const linux = buildPlan({
      spec: LINUX,
      changeId: "CHG-3",
      facts: {
        primary: facts("mom-a", { serviceControl: command, emAccount: undefined }),
        secondary: facts("mom-b", {
          serviceControl: { ...SC, via: "systemd", name: "introscope-em.service" },
        }),
      },
    });
    expect(linux.hosts[0].steps[0]).toMatchObject({
      line: '/usr/bin/node "/opt/em ctl/emctl.ts" stop --em-home /opt/CA/Introscope',
      argv: command.stop,
    });
    expect(linux.hosts[1].steps[0]).toMatchObject({
      line: "systemctl stop introscope-em.service",
      argv: ["systemctl", "stop", "introscope-em.service"],
    });
  });

  it("shows the default service control, marked, when no runner reported one yet", () => {
    const preview = buildPlan({ spec: WIN, changeId: null });
    expect(preview.hosts[0].steps[0]).toMatchObject({
      line: '%SystemRoot%\\System32\\sc.exe stop "IScopeEM"',
      when: "with this host's runner's service control, the default shown",
      waitSeconds: 120,
    });
  });

  it("blocks when a runner did not report how it stops and starts the EM (a runner too old for services=manage)", () => {
    const old = buildPlan({
      spec: WIN,
      changeId: "CHG-12",
      facts: { primary: facts("mom-a", { serviceControl: undefined }), secondary: facts("mom-b") },
    });
    expect(old.hosts[0].blockers).toEqual([
      "the runner on mom-a did not report how it stops and starts the EM service (a runner older than services=manage?): upgrade it, or plan with services=require-stopped",
    ]);
  });

  it("still blocks on a service whose state is unknown: momlink could not see it stop", () => {
    const unknown = buildPlan({
      spec: WIN,
      changeId: "CHG-12",
      facts: { primary: facts("mom-a", { serviceStopped: null }), secondary: facts("mom-b") },
    });
    expect(unknown.hosts[0].blockers).toHaveLength(1);
    expect(unknown.hosts[0].blockers[0]).toMatch(
      /^the state of the Enterprise Manager service on mom-a is unknown/,
    );
  });
});

describe("without the keys", () => {
  const plan = buildPlan({
    spec: { ...WIN, manageServices: undefined, setFailoverProperties: undefined },
    changeId: "CHG-12",
    facts: {
      primary: facts("mom-a", { serviceStopped: true }),
      secondary: facts("mom-b", { serviceStopped: true }),
    },
  });

  it("has no service or properties steps, and runs as two phases, the primary then the secondary", () => {
    const all = plan.hosts.flatMap((h) => [...h.steps, ...h.rollback]).map((s) => s.kind);
    expect(
      all.filter((k) => k.includes("service") || k.includes("properties") || k === "check-failover"),
    ).toEqual([]);
    expect(runPhases(plan, "execute").map((p) => p.role)).toEqual(["primary", "secondary"]);
    expect(runPhases(plan, "rollback").map((p) => p.role)).toEqual(["secondary", "primary"]);
  });

  it("blocks on a running service and names services=manage as the way out", () => {
    const running = buildPlan({
      spec: { ...WIN, manageServices: undefined },
      changeId: "CHG-12",
      facts: { primary: facts("mom-a"), secondary: facts("mom-b", { serviceStopped: true }) },
    });
    expect(running.hosts[0].blockers).toEqual([
      "the Enterprise Manager service is running on mom-a: stop it on both hosts before the change, or plan with services=manage to have momlink stop and start it",
    ]);
  });

  it("gives every host a phase even with nothing to do there", () => {
    const linked = buildPlan({
      spec: { ...WIN, manageServices: undefined, setFailoverProperties: undefined },
      changeId: "CHG-12",
      facts: {
        primary: facts("mom-a", {
          serviceStopped: true,
          dirs: [
            {
              dir: "config",
              linkPath: "link-to-target",
              currentTarget: "\\\\san-server\\mom-failover\\config",
              share: { exists: true, writable: true, empty: false },
            },
          ],
        }),
        secondary: facts("mom-b", { serviceStopped: true }),
      },
    });
    expect(linked.hosts[0].rollback).toEqual([]);
    expect(runPhases(linked, "rollback").map((p) => `${p.role} [${p.indices.join(",")}]`)).toEqual([
      "secondary [0,1]",
      "primary []",
    ]);
  });
});
