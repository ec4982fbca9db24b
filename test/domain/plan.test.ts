import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/domain/canonical.ts";
import type { DirFacts, HostFacts, LinkPathState, ShareSync } from "../../src/domain/facts.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { buildPlan, type Plan, type PlanInput, type Step, verifyPlanHash } from "../../src/domain/plan.ts";
import { BOTH_LOCAL_SYSTEM, IN_SYNC } from "../support/facts.ts";

// PairSpec values are already-validated input to the planner: built here directly.
const WIN: PairSpec = {
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "D:\\Introscope\\EM",
  secondaryEmHome: "E:\\APM\\Introscope 10.7",
  share: "\\\\san-server\\mom-failover",
  dirs: ["config", "data"],
  configAdded: false,
};

const LINUX: PairSpec = {
  platform: "linux",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "/opt/CA/Introscope",
  secondaryEmHome: "/opt/CA/Introscope",
  share: "/mnt/mom-failover",
  dirs: ["config", "data"],
  configAdded: true,
};

/** A share dir that is full holds a copy pre-flight found in sync with the primary's. */
function shareState(state: "full" | "empty" | "missing", writable = true): DirFacts["share"] {
  const share = { exists: state !== "missing", writable, empty: state !== "full" };
  return state === "full" ? { ...share, sync: IN_SYNC } : share;
}

function dirFacts(
  dir: string,
  linkPath: LinkPathState,
  share = shareState("full"),
  currentTarget?: string,
): DirFacts {
  return currentTarget === undefined ? { dir, linkPath, share } : { dir, linkPath, share, currentTarget };
}

function hostFacts(host: string, dirs: DirFacts[], overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs,
    ...overrides,
  };
}

const summary = (steps: Step[]) => steps.map((s) => `${s.kind} ${s.dir}${s.noop ? " (noop)" : ""}`);

describe("buildPlan without pre-flight facts (worst case)", () => {
  const plan = buildPlan({ spec: WIN, changeId: "CHG-12" });
  const [primary, secondary] = plan.hosts;

  it("plans the primary first, then the secondary, each with its own EM_HOME and no facts", () => {
    expect(plan.hosts.map((h) => [h.role, h.host, h.emHome, h.facts])).toEqual([
      ["primary", "mom-a", "D:\\Introscope\\EM", null],
      ["secondary", "mom-b", "E:\\APM\\Introscope 10.7", null],
    ]);
  });

  it("seeds, moves aside, links and verifies each dir in order on the primary; the secondary never seeds", () => {
    expect(summary(primary.steps)).toEqual([
      "seed-share config",
      "move-aside config",
      "mklink config",
      "verify-link config",
      "seed-share data",
      "move-aside data",
      "mklink data",
      "verify-link data",
    ]);
    expect(summary(secondary.steps)).toEqual([
      "move-aside config",
      "mklink config",
      "verify-link config",
      "move-aside data",
      "mklink data",
      "verify-link data",
    ]);
  });

  it("marks the steps that depend on what the runner finds, and only those", () => {
    expect(primary.steps.map((s) => s.when ?? null).slice(0, 4)).toEqual([
      "if \\\\san-server\\mom-failover\\config is empty or missing",
      "if config is a real directory",
      null,
      null,
    ]);
    // Absent, not `undefined`: consumers that test `"when" in step` see the same plan as the hash.
    expect(Object.keys(primary.steps[2] ?? {})).toEqual(["kind", "dir", "line", "argv"]);
  });

  it("writes the exact Windows command lines, relative to EM_HOME except the seed source", () => {
    expect(secondary.steps.filter((s) => s.dir === "data").map((s) => s.line)).toEqual([
      'move "data" "data.pre-CHG-12"',
      'mklink /D "data" "\\\\san-server\\mom-failover\\data"',
      "REM verify data -> \\\\san-server\\mom-failover\\data",
    ]);
    expect(primary.steps[0]?.line).toBe(
      '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\config" "\\\\san-server\\mom-failover\\config" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
    );
    // robocopy is a program: it runs as this argv, by absolute path, never through cmd.exe.
    expect(primary.steps[0]?.argv).toEqual([
      "%SystemRoot%\\System32\\robocopy.exe",
      "D:\\Introscope\\EM\\config",
      "\\\\san-server\\mom-failover\\config",
      ...["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"],
    ]);
    const builtins = plan.hosts
      .flatMap((h) => [...h.steps, ...h.rollback])
      .filter((s) => s.kind !== "seed-share");
    expect(builtins.every((s) => s.argv.length === 0)).toBe(true);
  });

  it("rolls back in reverse dir order: remove the link, then restore what was moved aside", () => {
    expect(primary.rollback.map((s) => [s.line, s.when ?? null])).toEqual([
      ['rmdir "data"', null],
      ['move "data.pre-CHG-12" "data"', "if data.pre-CHG-12 exists"],
      ['rmdir "config"', null],
      ['move "config.pre-CHG-12" "config"', "if config.pre-CHG-12 exists"],
    ]);
  });

  it("names moved-aside dirs .pre-momlink when there is no change id yet (CLI preview)", () => {
    const preview = buildPlan({ spec: WIN, changeId: null });
    expect(preview.hosts[0].steps[1]?.line).toBe('move "config" "config.pre-momlink"');
    expect(preview.changeId).toBeNull();
  });

  it("lists the failover properties the pair needs", () => {
    expect(plan.failoverProperties).toEqual([
      { key: "introscope.enterprisemanager.failover.enable", value: "true" },
      { key: "introscope.enterprisemanager.failover.primary", value: "mom-a" },
      { key: "introscope.enterprisemanager.failover.secondary", value: "mom-b" },
    ]);
  });

  it("carries the pair's share, dirs and whether config was added", () => {
    expect([plan.format, plan.platform, plan.share, plan.dirs, plan.configAdded]).toEqual([
      "momlink-plan/1",
      "windows",
      "\\\\san-server\\mom-failover",
      ["config", "data"],
      false,
    ]);
  });
});

describe("a share directory that already holds data (a partial or stale copy is not trusted)", () => {
  const PARTIAL: ShareSync = {
    inSync: false,
    missing: 2,
    differing: 1,
    extra: 0,
    examples: ["missing internal\\server\\README", "missing domains.xml", "differs a.properties"],
    detail: "robocopy /L: exit 1",
  };
  const partial = (sync: ShareSync | undefined = PARTIAL) => {
    const share = { exists: true, writable: true, empty: false, ...(sync === undefined ? {} : { sync }) };
    return hostFacts(
      "mom-a",
      WIN.dirs.map((d) => dirFacts(d, "directory", d === "config" ? share : shareState("empty"))),
    );
  };
  const plan = (spec: PairSpec, facts = partial()) =>
    buildPlan({
      spec,
      changeId: "CHG-12",
      facts: {
        primary: facts,
        secondary: hostFacts(
          "mom-b",
          WIN.dirs.map((d) => dirFacts(d, "directory")),
        ),
      },
    });

  it("blocks the plan with the comparison and both choices, and seeds nothing", () => {
    const blocked = plan(WIN);
    expect(blocked.hosts[0].blockers).toEqual([
      "\\\\san-server\\mom-failover\\config already holds data, NOT in sync with the primary's directory: the share is missing 2 files, 1 file older or otherwise different (missing internal\\server\\README, missing domains.xml, differs a.properties) (config on mom-a): choose share-data=reseed (mom-a copies what the share lacks or holds in another version; nothing on the share is deleted) or share-data=keep (use the share as it is), then plan again",
    ]);
    expect(summary(blocked.hosts[0].steps).filter((s) => s.endsWith("config"))).toEqual([
      "move-aside config",
      "mklink config",
      "verify-link config",
    ]);
  });

  it.each<[string, ShareSync | undefined]>([
    [
      "one it could not compare",
      {
        ...PARTIAL,
        inSync: null,
        missing: 0,
        differing: 0,
        examples: [],
        detail: "robocopy /L failed (exit 16)",
      },
    ],
    ["one an older runner did not compare", undefined],
  ])("blocks %s too: an unknown is not a yes", (_what, sync) => {
    expect(plan(WIN, partial(sync)).hosts[0].blockers).toHaveLength(1);
  });

  it("reseeds from the primary with share-data=reseed: the same copy, recorded in the plan", () => {
    const reseeded = plan({ ...WIN, shareData: "reseed" });
    expect(reseeded.hosts[0].blockers).toEqual([]);
    expect(reseeded.shareData).toBe("reseed");
    expect(summary(reseeded.hosts[0].steps).filter((s) => s.endsWith("config"))).toEqual([
      "seed-share config",
      "move-aside config",
      "mklink config",
      "verify-link config",
    ]);
    // The very robocopy that seeds an empty share: /E without purge copies only the difference.
    expect(reseeded.hosts[0].steps[0]?.argv).toEqual(
      buildPlan({ spec: WIN, changeId: "CHG-12" }).hosts[0].steps[0]?.argv,
    );
    // The secondary never seeds.
    expect(reseeded.hosts[1].steps.some((s) => s.kind === "seed-share")).toBe(false);
  });

  it("uses the share as it is with share-data=keep: no seed, no blocker, recorded", () => {
    const kept = plan({ ...WIN, shareData: "keep" });
    expect(kept.hosts[0].blockers).toEqual([]);
    expect(kept.shareData).toBe("keep");
    expect(kept.hosts[0].steps.some((s) => s.kind === "seed-share" && s.dir === "config")).toBe(false);
    expect(kept.hash).not.toBe(plan({ ...WIN, shareData: "reseed" }).hash);
  });

  it("trusts a share in sync without asking, and does not compare on the secondary", () => {
    const trusted = plan(WIN, partial(IN_SYNC));
    expect(trusted.hosts.flatMap((h) => h.blockers)).toEqual([]);
    expect(trusted.hosts[0].steps.some((s) => s.kind === "seed-share" && s.dir === "config")).toBe(false);
  });

  it("says in the worst-case preview that share-data=reseed also copies into a share out of sync", () => {
    const preview = buildPlan({ spec: { ...WIN, shareData: "reseed" }, changeId: null });
    expect(preview.hosts[0].steps[0]?.when).toBe(
      "if \\\\san-server\\mom-failover\\config is empty or missing, or not in sync with D:\\Introscope\\EM\\config (share-data=reseed)",
    );
  });
});

describe("the EM service's own account on the share (Windows)", () => {
  const okDirs = () => WIN.dirs.map((d) => dirFacts(d, "directory"));
  const facts = (emAccount: HostFacts["emAccount"]) => {
    const found = hostFacts("mom-a", okDirs());
    if (emAccount === undefined) delete found.emAccount;
    else found.emAccount = emAccount;
    return found;
  };
  const other = { em: "CORP\\svc-apm", runner: "LocalSystem (S-1-5-18)", same: false, detail: "differ" };
  const check =
    "check by hand that CORP\\svc-apm has Modify on \\\\san-server\\mom-failover (the EM takes its lock in config\\internal\\server there), then plan again with share-access=checked-by-hand";

  it.each<[string, HostFacts["emAccount"], string[]]>([
    ["both LocalSystem: the runner's write test is the EM's", BOTH_LOCAL_SYSTEM, []],
    [
      "different accounts: the runner proved only its own access",
      other,
      [
        `the EM service on mom-a runs as CORP\\svc-apm, the runner as LocalSystem (S-1-5-18): the runner could prove only its own access to the share; ${check}`,
      ],
    ],
    [
      "accounts that could not be compared",
      { em: "svc-apm@corp.example", runner: "LocalSystem (S-1-5-18)", same: null, detail: "a UPN" },
      [
        "the EM service's logon account on mom-a could not be compared with the runner's (a UPN): check by hand that svc-apm@corp.example has Modify on \\\\san-server\\mom-failover (the EM takes its lock in config\\internal\\server there), then plan again with share-access=checked-by-hand",
      ],
    ],
    [
      "no account reported (an older runner)",
      undefined,
      [
        "the runner on mom-a did not report the EM service's logon account, so its write test proves only its own access: check by hand that the EM service's account has Modify on \\\\san-server\\mom-failover (the EM takes its lock in config\\internal\\server there), then plan again with share-access=checked-by-hand",
      ],
    ],
  ])("%s", (_what, account, blockers) => {
    const plan = buildPlan({ spec: WIN, changeId: "CHG-12", facts: { primary: facts(account) } });
    expect(plan.hosts[0].blockers).toEqual(blockers);
  });

  it("takes share-access=checked-by-hand as settling it, and records the choice in the plan and its hash", () => {
    const input = { spec: WIN, changeId: "CHG-12", facts: { primary: facts(other) } };
    const acknowledged = buildPlan({ ...input, spec: { ...WIN, shareAccess: "checked-by-hand" } });
    expect(acknowledged.hosts[0].blockers).toEqual([]);
    expect(acknowledged.shareAccess).toBe("checked-by-hand");
    expect(acknowledged.hash).not.toBe(buildPlan(input).hash);
    expect("shareAccess" in buildPlan(input)).toBe(false);
  });

  it("does not ask on Linux, where the account is not checked", () => {
    const linux = hostFacts(
      "mom-a",
      LINUX.dirs.map((d) => dirFacts(d, "directory")),
    );
    delete linux.emAccount;
    expect(
      buildPlan({ spec: LINUX, changeId: "CHG-1", facts: { primary: linux } }).hosts[0].blockers,
    ).toEqual([]);
  });
});

describe("buildPlan on Linux", () => {
  const plan = buildPlan({ spec: LINUX, changeId: "CHG-7" });
  const [primary, secondary] = plan.hosts;

  it("gives every command step an argv that the shown line spells out", () => {
    expect(primary.steps.filter((s) => s.dir === "config").map((s) => [s.line, s.argv])).toEqual([
      [
        'cp -a "/opt/CA/Introscope/config/." "/mnt/mom-failover/config/"',
        ["cp", "-a", "/opt/CA/Introscope/config/.", "/mnt/mom-failover/config/"],
      ],
      ['mv "config" "config.pre-CHG-7"', ["mv", "config", "config.pre-CHG-7"]],
      ['ln -s "/mnt/mom-failover/config" "config"', ["ln", "-s", "/mnt/mom-failover/config", "config"]],
      ["# verify config -> /mnt/mom-failover/config", []],
    ]);
  });

  it("rolls back with rm (never -r) and mv", () => {
    expect(secondary.rollback.map((s) => s.argv)).toEqual([
      ["rm", "data"],
      ["mv", "data.pre-CHG-7", "data"],
      ["rm", "config"],
      ["mv", "config.pre-CHG-7", "config"],
    ]);
  });
});

describe("buildPlan with pre-flight facts", () => {
  const dirs = ["config", "data", "traces"];
  const build = (primary: HostFacts | null, secondary: HostFacts | null) =>
    buildPlan({ spec: { ...WIN, dirs }, changeId: "CHG-3", facts: { primary, secondary } });

  it("seeds only on the primary, only into an empty or missing share dir, and moves aside only real dirs", () => {
    const plan = build(
      hostFacts("mom-a", [
        dirFacts("config", "directory", shareState("empty")),
        dirFacts("data", "directory", shareState("full")),
        dirFacts("traces", "directory", shareState("missing")),
      ]),
      hostFacts("mom-b", [
        dirFacts("config", "directory", shareState("empty")),
        dirFacts("data", "missing", shareState("full")),
        dirFacts("traces", "directory", shareState("missing")),
      ]),
    );
    const [primary, secondary] = plan.hosts;
    expect(summary(primary.steps)).toEqual([
      "seed-share config",
      "move-aside config",
      "mklink config",
      "verify-link config",
      "move-aside data",
      "mklink data",
      "verify-link data",
      "seed-share traces",
      "move-aside traces",
      "mklink traces",
      "verify-link traces",
    ]);
    expect(summary(secondary.steps)).toEqual([
      "move-aside config",
      "mklink config",
      "verify-link config",
      "mklink data",
      "verify-link data",
      "move-aside traces",
      "mklink traces",
      "verify-link traces",
    ]);
    expect(plan.hosts.flatMap((h) => h.steps).filter((s) => s.when !== undefined)).toEqual([]);
    expect(summary(secondary.rollback)).toEqual([
      "remove-link traces",
      "restore traces",
      "remove-link data",
      "remove-link config",
      "restore config",
    ]);
    expect(plan.hosts.flatMap((h) => h.blockers)).toEqual([]);
  });

  it("keeps a link that already points at the target as a no-op, verifies it, and never undoes it", () => {
    const plan = build(
      hostFacts("mom-a", [
        dirFacts("config", "link-to-target", shareState("full"), "\\\\san-server\\mom-failover\\config"),
        dirFacts("data", "directory"),
        dirFacts("traces", "directory"),
      ]),
      null,
    );
    const [primary] = plan.hosts;
    expect(summary(primary.steps).slice(0, 2)).toEqual(["mklink config (noop)", "verify-link config"]);
    expect(primary.rollback.map((s) => s.dir)).not.toContain("config");
    expect(primary.blockers).toEqual([]);
  });

  it.each<[string, DirFacts, string]>([
    [
      "a link to another target",
      dirFacts("data", "link-elsewhere", shareState("full"), "\\\\old-nas\\em\\data"),
      "data on mom-a is already a link to \\\\old-nas\\em\\data, not to \\\\san-server\\mom-failover\\data: remove it by hand or choose another dir",
    ],
    [
      "a junction",
      dirFacts("data", "junction", shareState("full"), "F:\\em-data"),
      "data on mom-a is a junction to F:\\em-data: remove it by hand or choose another dir",
    ],
    [
      "a junction whose target the runner could not read",
      dirFacts("data", "junction"),
      "data on mom-a is a junction: remove it by hand or choose another dir",
    ],
    [
      "a file",
      dirFacts("data", "file"),
      "data on mom-a is a file, not a directory: move it away by hand or choose another dir",
    ],
    [
      "a link whose reported target holds control characters and backquotes",
      dirFacts("data", "link-elsewhere", shareState("full"), "\\\\x\\y\n```z"),
      "data on mom-a is already a link to \\\\x\\y????z, not to \\\\san-server\\mom-failover\\data: remove it by hand or choose another dir",
    ],
  ])("blocks the plan when the dir is %s, and plans nothing for that dir", (_name, data, blocker) => {
    const plan = build(
      hostFacts("mom-a", [dirFacts("config", "directory"), data, dirFacts("traces", "directory")]),
      null,
    );
    const [primary] = plan.hosts;
    expect(primary.blockers).toEqual([blocker]);
    expect(primary.steps.some((s) => s.dir === "data")).toBe(false);
    expect(primary.rollback.some((s) => s.dir === "data")).toBe(false);
    expect(primary.steps.some((s) => s.dir === "traces")).toBe(true);
  });

  it.each<[string, Partial<HostFacts>, string]>([
    [
      "EM_HOME missing",
      { emHomeExists: false },
      "EM_HOME D:\\Introscope\\EM does not exist on mom-a: check em-home",
    ],
    [
      "no EM properties file",
      { emHomeHoldsEm: false },
      "D:\\Introscope\\EM on mom-a has no config\\IntroscopeEnterpriseManager.properties: it does not look like an EM_HOME; check em-home",
    ],
    [
      "the service running",
      { serviceStopped: false },
      "the Enterprise Manager service is running on mom-a: stop it on both hosts before the change, or plan with services=manage to have momlink stop and start it",
    ],
    [
      "no symlink privilege",
      { canCreateSymlinks: false },
      "the runner on mom-a lacks SeCreateSymbolicLinkPrivilege: run it elevated, as an Administrator",
    ],
    [
      "L2R disabled",
      { symlinkL2R: false },
      'SymlinkEvaluation L2R is disabled on mom-a, so a local link to a share cannot be followed: enable it with fsutil behavior set SymlinkEvaluation L2R:1 (or in the group policy "Selectively allow the evaluation of a symbolic link", which wins)',
    ],
    [
      "L2R disabled, with what the runner read",
      {
        symlinkL2R: false,
        details: { symlinkL2R: "group policy ...NTFS: SymLinkState=1, SymlinkLocalToRemoteEvaluation=0" },
      },
      'SymlinkEvaluation L2R is disabled on mom-a, so a local link to a share cannot be followed (group policy ...NTFS: SymLinkState=1, SymlinkLocalToRemoteEvaluation=0): enable it with fsutil behavior set SymlinkEvaluation L2R:1 (or in the group policy "Selectively allow the evaluation of a symbolic link", which wins)',
    ],
    [
      "a service state the runner could not read (unknown, not running)",
      {
        serviceStopped: null,
        details: { service: 'no service named "IScopeEM" is installed (sc query: exit 1060)' },
      },
      'the state of the Enterprise Manager service on mom-a is unknown (no service named "IScopeEM" is installed (sc query: exit 1060)): the runner must see it stopped; give the runner the EM\'s service name (--service-name, e.g. IScopeEM; not the display name), or start it with --unknown-service-is-stopped where the EM does not run as a service, then plan again',
    ],
    [
      "an unknown privilege",
      { canCreateSymlinks: null },
      "the runner on mom-a could not tell whether it may create symbolic links: run the runner elevated, as an Administrator or LocalSystem, then plan again",
    ],
    [
      "an unknown SymlinkEvaluation",
      {
        symlinkL2R: null,
        details: {
          symlinkL2R:
            "registry: no group policy, and ...FileSystem has no SymlinkLocalToRemoteEvaluation value",
        },
      },
      'SymlinkEvaluation L2R on mom-a is unknown (registry: no group policy, and ...FileSystem has no SymlinkLocalToRemoteEvaluation value): set it explicitly with fsutil behavior set SymlinkEvaluation L2R:1 (which writes the registry value momlink reads) or in the group policy "Selectively allow the evaluation of a symbolic link", then plan again',
    ],
    [
      "facts from another host",
      { host: "mom-z" },
      "the pre-flight facts came from mom-z, not mom-a: run pre-flight on mom-a",
    ],
  ])("blocks the plan with a clear sentence on %s", (_name, overrides, blocker) => {
    const okDirs = dirs.map((d) => dirFacts(d, "directory"));
    const plan = build(hostFacts("mom-a", okDirs, overrides), null);
    expect(plan.hosts[0].blockers).toEqual([blocker]);
  });

  it("names secondary-em-home when the secondary's EM_HOME is missing", () => {
    const okDirs = dirs.map((d) => dirFacts(d, "directory"));
    const plan = build(null, hostFacts("mom-b", okDirs, { emHomeExists: false }));
    expect(plan.hosts[1].blockers).toEqual([
      "EM_HOME E:\\APM\\Introscope 10.7 does not exist on mom-b: check secondary-em-home",
    ]);
  });

  it("accepts facts whose host name differs only in case", () => {
    const plan = build(
      hostFacts(
        "MOM-A",
        dirs.map((d) => dirFacts(d, "directory")),
      ),
      null,
    );
    expect(plan.hosts[0].blockers).toEqual([]);
  });

  it.each<[string, HostFacts | null, HostFacts | null, string[], string[]]>([
    [
      "a share dir that is not writable",
      hostFacts("mom-a", [
        dirFacts("config", "directory"),
        dirFacts("data", "directory", shareState("full", false)),
        dirFacts("traces", "directory"),
      ]),
      null,
      [
        "\\\\san-server\\mom-failover\\data is not writable from mom-a: the EM service account must be able to write there",
      ],
      [],
    ],
    [
      "a missing share dir that nothing fills (the link would dangle)",
      hostFacts("mom-a", [
        dirFacts("config", "directory"),
        dirFacts("data", "missing", shareState("missing")),
        dirFacts("traces", "directory"),
      ]),
      null,
      [
        "\\\\san-server\\mom-failover\\data does not exist and nothing in this plan fills it: the link would dangle; create it on the share first",
      ],
      [],
    ],
    [
      "an empty shared config that no host seeds",
      hostFacts("mom-a", [
        dirFacts("config", "missing", shareState("empty")),
        dirFacts("data", "directory"),
        dirFacts("traces", "directory"),
      ]),
      null,
      [
        "\\\\san-server\\mom-failover\\config is empty and no host seeds it: the EM would start with no configuration",
      ],
      [],
    ],
    [
      "a secondary that sees a share dir the primary has not seeded yet (fine: the primary runs first)",
      hostFacts("mom-a", [
        dirFacts("config", "directory", shareState("missing")),
        dirFacts("data", "directory", shareState("missing")),
        dirFacts("traces", "directory"),
      ]),
      hostFacts("mom-b", [
        dirFacts("config", "directory", shareState("missing")),
        dirFacts("data", "directory", shareState("missing")),
        dirFacts("traces", "directory"),
      ]),
      [],
      [],
    ],
    [
      "a secondary that sees a missing share dir the primary will not seed",
      hostFacts("mom-a", [
        dirFacts("config", "directory"),
        dirFacts("data", "missing", shareState("full")),
        dirFacts("traces", "directory"),
      ]),
      hostFacts("mom-b", [
        dirFacts("config", "directory"),
        dirFacts("data", "directory", shareState("missing")),
        dirFacts("traces", "directory"),
      ]),
      [],
      [
        "\\\\san-server\\mom-failover\\data does not exist and nothing in this plan fills it: the link would dangle; create it on the share first",
      ],
    ],
    [
      "facts that say nothing about one dir",
      hostFacts("mom-a", [dirFacts("config", "directory"), dirFacts("data", "directory")]),
      null,
      ["pre-flight on mom-a reported nothing about traces: run pre-flight again"],
      [],
    ],
  ])(
    "checks the share target: %s",
    (_name, primaryFacts, secondaryFacts, primaryBlockers, secondaryBlockers) => {
      const plan = build(primaryFacts, secondaryFacts);
      expect(plan.hosts[0].blockers).toEqual(primaryBlockers);
      expect(plan.hosts[1].blockers).toEqual(secondaryBlockers);
    },
  );

  it("uses the Linux wording for host problems on a Linux pair", () => {
    const plan = buildPlan({
      spec: LINUX,
      changeId: null,
      facts: {
        primary: hostFacts("mom-a", [dirFacts("config", "directory"), dirFacts("data", "directory")], {
          emHomeHoldsEm: false,
          canCreateSymlinks: false,
        }),
      },
    });
    expect(plan.hosts[0].blockers).toEqual([
      "/opt/CA/Introscope on mom-a has no config/IntroscopeEnterpriseManager.properties: it does not look like an EM_HOME; check em-home",
      "the runner on mom-a cannot create symbolic links in /opt/CA/Introscope: give its account write access there",
    ]);
  });

  it("keeps its own copy of the facts, so changing them afterwards cannot change an approved plan", () => {
    const facts = hostFacts(
      "mom-a",
      dirs.map((d) => dirFacts(d, "directory")),
    );
    const plan = build(facts, null);
    facts.serviceStopped = false;
    facts.dirs[0]!.linkPath = "junction";
    expect(plan.hosts[0].facts?.serviceStopped).toBe(true);
    expect(verifyPlanHash(plan)).toBe(true);
  });
});

describe("plan hash", () => {
  const input: PlanInput = {
    spec: WIN,
    changeId: "CHG-12",
    facts: {
      primary: hostFacts("mom-a", [
        dirFacts("config", "directory", shareState("empty")),
        dirFacts("data", "missing"),
      ]),
    },
  };

  it("is the same for the same input built twice", () => {
    const a = buildPlan(input);
    const b = buildPlan(structuredClone(input));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it("does not depend on the order of the input's keys", () => {
    const reordered = Object.fromEntries(Object.entries(WIN).reverse()) as unknown as PairSpec;
    expect(buildPlan({ spec: reordered, changeId: "CHG-12" }).hash).toBe(
      buildPlan({ spec: WIN, changeId: "CHG-12" }).hash,
    );
  });

  it("is pinned for a reference plan: a change here invalidates approvals in flight, so make it on purpose", () => {
    expect(buildPlan({ spec: WIN, changeId: "CHG-12" }).hash).toBe(PINNED_HASH);
  });

  it.each<[string, PlanInput]>([
    ["another primary", { ...input, spec: { ...WIN, primary: "mom-c" } }],
    ["another secondary", { ...input, spec: { ...WIN, secondary: "mom-c" } }],
    ["the primary's host name in other case", { ...input, spec: { ...WIN, primary: "MOM-A" } }],
    ["another EM_HOME", { ...input, spec: { ...WIN, emHome: "D:\\Introscope\\EM2" } }],
    ["another secondary EM_HOME", { ...input, spec: { ...WIN, secondaryEmHome: "D:\\Introscope\\EM" } }],
    ["another share", { ...input, spec: { ...WIN, share: "\\\\san-server\\mom-failover2" } }],
    ["one more dir", { ...input, spec: { ...WIN, dirs: ["config", "data", "traces"] } }],
    ["dirs in another order", { ...input, spec: { ...WIN, dirs: ["data", "config"] } }],
    ["config added automatically", { ...input, spec: { ...WIN, configAdded: true } }],
    ["another change id", { ...input, changeId: "CHG-13" }],
    ["no change id", { ...input, changeId: null }],
    ["no facts", { ...input, facts: {} }],
    [
      "a different fact",
      {
        ...input,
        facts: {
          primary: hostFacts("mom-a", [
            dirFacts("config", "directory", shareState("full")),
            dirFacts("data", "missing"),
          ]),
        },
      },
    ],
  ])("changes with %s", (_name, changed) => {
    expect(buildPlan(changed).hash).not.toBe(buildPlan(input).hash);
  });

  it("is equal exactly when the inputs are equal, over small variations of a spec", () => {
    const variation = fc.record({
      spec: fc.record({
        platform: fc.constant("windows" as const),
        primary: fc.constantFrom("mom-a", "MOM-A", "mom-b"),
        secondary: fc.constantFrom("mom-b", "mom-c"),
        emHome: fc.constantFrom("D:\\EM", "D:\\Introscope\\EM", "D:\\Introscope\\EM 10"),
        secondaryEmHome: fc.constantFrom("D:\\EM", "E:\\EM"),
        share: fc.constantFrom("\\\\san\\mom", "\\\\san\\mom\\pair-1", "\\\\nas.example.com\\mom"),
        dirs: fc
          .shuffledSubarray(["data", "traces", "logs"], { maxLength: 2 })
          .map((rest) => ["config", ...rest]),
        configAdded: fc.boolean(),
      }),
      changeId: fc.constantFrom(null, "CHG-1", "CHG-2"),
    });
    // b is a with one field taken from another draw: the small domains make that field equal
    // about a third of the time, so both "same input" and "one field changed" are exercised.
    const fields = ["changeId", ...Object.keys(WIN)] as const;
    fc.assert(
      fc.property(variation, variation, fc.constantFrom(...fields), (a, other, field) => {
        const b: PlanInput =
          field === "changeId"
            ? { ...a, changeId: other.changeId }
            : { ...a, spec: { ...a.spec, [field]: (other.spec as PairSpec)[field as keyof PairSpec] } };
        const sameInput = canonicalJson(a) === canonicalJson(b);
        const planA = buildPlan(a);
        expect(buildPlan(structuredClone(a)).hash).toBe(planA.hash);
        expect(buildPlan(b).hash === planA.hash).toBe(sameInput);
      }),
      { numRuns: 300 },
    );
  });
});

describe("verifyPlanHash", () => {
  const plan = buildPlan({ spec: WIN, changeId: "CHG-12" });
  const tampered = (edit: (p: Plan) => void): Plan => {
    const copy = structuredClone(plan);
    edit(copy);
    return copy;
  };

  it("accepts a plan as built, and after a round trip through JSON", () => {
    expect(verifyPlanHash(plan)).toBe(true);
    expect(verifyPlanHash(JSON.parse(JSON.stringify(plan)) as Plan)).toBe(true);
  });

  it.each<[string, (p: Plan) => void]>([
    [
      "a step line",
      (p) => {
        p.hosts[0].steps[2]!.line = 'mklink /D "config" "\\\\evil\\share\\config"';
      },
    ],
    [
      "a rollback line",
      (p) => {
        p.hosts[1].rollback[0]!.line = 'rd /s /q "data"';
      },
    ],
    [
      "a step's condition (dropped)",
      (p) => {
        delete p.hosts[0].steps[1]!.when;
      },
    ],
    [
      "an argv",
      (p) => {
        p.hosts[0].steps[0]!.argv.push("--remove-destination");
      },
    ],
    [
      "a no-op flag",
      (p) => {
        p.hosts[0].steps[2]!.noop = true;
      },
    ],
    [
      "a value canonical JSON refuses (NaN)",
      (p) => {
        (p.hosts[0] as unknown as Record<string, unknown>).x = Number.NaN;
      },
    ],
    [
      "the hash itself",
      (p) => {
        p.hash = p.hash.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      },
    ],
  ])("rejects a plan after tampering with %s", (_name, edit) => {
    expect(verifyPlanHash(tampered(edit))).toBe(false);
  });
});

describe("the change ticket and reason", () => {
  it("are recorded in the plan and its hash when given, and absent otherwise", () => {
    const plan = (spec: PairSpec) => buildPlan({ spec, changeId: "CHG-12" });
    const withTicket = plan({ ...WIN, ticket: "CHG0012345", reason: "Q3 failover test" });
    expect(withTicket).toMatchObject({ ticket: "CHG0012345", reason: "Q3 failover test" });
    const without = plan(WIN);
    expect(without).not.toHaveProperty("ticket");
    expect(without).not.toHaveProperty("reason");
    expect(withTicket.hash).not.toBe(without.hash);
    expect(plan({ ...WIN, ticket: "CHG0012346", reason: "Q3 failover test" }).hash).not.toBe(withTicket.hash);
    expect(plan({ ...WIN, ticket: "CHG0012345", reason: "Q4 failover test" }).hash).not.toBe(withTicket.hash);
    // The scripts are the same: a ticket is a record, not a step.
    expect(withTicket.hosts).toEqual(without.hosts);
  });
});

// SHA-256 of buildPlan({ spec: WIN, changeId: "CHG-12" }) in format momlink-plan/1.
const PINNED_HASH = "2530c645aa86f65076fff4d9340d379d13df47bc879b0eddaadd57b709837acf";
