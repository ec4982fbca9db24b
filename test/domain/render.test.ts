import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/domain/canonical.ts";
import type { DirFacts, HostFacts, LinkPathState, ShareSync } from "../../src/domain/facts.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { buildPlan, type Plan, type PlanInput, type Step, verifyPlanHash } from "../../src/domain/plan.ts";
import { cmdQuote, shQuote } from "../../src/domain/quote.ts";
import {
  renderHostFacts,
  renderHostProgress,
  renderHostScript,
  renderPlanJson,
  renderPlanText,
  renderRollbackScript,
} from "../../src/domain/render.ts";
import { tokenizeCmd } from "../support/cmd-tokenizer.ts";
import { BOTH_LOCAL_SYSTEM, IN_SYNC } from "../support/facts.ts";

// PairSpec values are already-validated input to the planner: built here directly.
const WIN: PairSpec = {
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: "D:\\Introscope\\EM",
  secondaryEmHome: "D:\\Introscope\\EM",
  share: "\\\\san-server\\mom-failover",
  dirs: ["config", "data"],
  configAdded: true,
};

const LINUX: PairSpec = {
  ...WIN,
  platform: "linux",
  emHome: "/opt/CA/Introscope 10.7",
  secondaryEmHome: "/opt/CA/Introscope 10.7",
  share: "/mnt/mom-failover",
};

const lines = (...l: string[]) => l.join("\n");

function dirFacts(
  dir: string,
  linkPath: LinkPathState,
  shareEmpty = false,
  currentTarget?: string,
): DirFacts {
  const share = shareEmpty
    ? { exists: true, writable: true, empty: true }
    : { exists: true, writable: true, empty: false, sync: IN_SYNC };
  return currentTarget === undefined ? { dir, linkPath, share } : { dir, linkPath, share, currentTarget };
}

function hostFacts(host: string, dirs: DirFacts[]): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs,
  };
}

describe("renderHostScript and renderRollbackScript", () => {
  it("shows the worst-case Windows script for the primary before any pre-flight", () => {
    const plan = buildPlan({ spec: WIN, changeId: null });
    expect(renderHostScript(plan, plan.hosts[0])).toBe(
      lines(
        "REM primary mom-a  EM_HOME D:\\Introscope\\EM",
        "REM no pre-flight facts yet: steps marked [if ...] depend on what the runner finds",
        'cd /d "D:\\Introscope\\EM"',
        "REM [if \\\\san-server\\mom-failover\\config is empty or missing]",
        '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\config" "\\\\san-server\\mom-failover\\config" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
        "REM [if config is a real directory]",
        'move "config" "config.pre-momlink"',
        'mklink /D "config" "\\\\san-server\\mom-failover\\config"',
        "REM verify config -> \\\\san-server\\mom-failover\\config",
        "REM [if \\\\san-server\\mom-failover\\data is empty or missing]",
        '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\data" "\\\\san-server\\mom-failover\\data" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
        "REM [if data is a real directory]",
        'move "data" "data.pre-momlink"',
        'mklink /D "data" "\\\\san-server\\mom-failover\\data"',
        "REM verify data -> \\\\san-server\\mom-failover\\data",
      ),
    );
  });

  it("shows the Windows rollback: remove each link (rmdir only), put back what was moved aside", () => {
    const plan = buildPlan({ spec: WIN, changeId: null });
    expect(renderRollbackScript(plan, plan.hosts[1])).toBe(
      lines(
        "REM rollback secondary mom-b  EM_HOME D:\\Introscope\\EM",
        "REM no pre-flight facts yet: steps marked [if ...] depend on what the runner finds",
        'cd /d "D:\\Introscope\\EM"',
        'rmdir "data"',
        "REM [if data.pre-momlink exists]",
        'move "data.pre-momlink" "data"',
        'rmdir "config"',
        "REM [if config.pre-momlink exists]",
        'move "config.pre-momlink" "config"',
      ),
    );
  });

  it("shows the Linux equivalent with # comments, cd without /d and ln -s", () => {
    const plan = buildPlan({ spec: LINUX, changeId: null });
    expect(renderHostScript(plan, plan.hosts[0])).toBe(
      lines(
        "# primary mom-a  EM_HOME /opt/CA/Introscope 10.7",
        "# no pre-flight facts yet: steps marked [if ...] depend on what the runner finds",
        'cd "/opt/CA/Introscope 10.7"',
        "# [if /mnt/mom-failover/config is empty or missing]",
        'cp -a "/opt/CA/Introscope 10.7/config/." "/mnt/mom-failover/config/"',
        "# [if config is a real directory]",
        'mv "config" "config.pre-momlink"',
        'ln -s "/mnt/mom-failover/config" "config"',
        "# verify config -> /mnt/mom-failover/config",
        "# [if /mnt/mom-failover/data is empty or missing]",
        'cp -a "/opt/CA/Introscope 10.7/data/." "/mnt/mom-failover/data/"',
        "# [if data is a real directory]",
        'mv "data" "data.pre-momlink"',
        'ln -s "/mnt/mom-failover/data" "data"',
        "# verify data -> /mnt/mom-failover/data",
      ),
    );
    expect(renderRollbackScript(plan, plan.hosts[0])).toBe(
      lines(
        "# rollback primary mom-a  EM_HOME /opt/CA/Introscope 10.7",
        "# no pre-flight facts yet: steps marked [if ...] depend on what the runner finds",
        'cd "/opt/CA/Introscope 10.7"',
        'rm "data"',
        "# [if data.pre-momlink exists]",
        'mv "data.pre-momlink" "data"',
        'rm "config"',
        "# [if config.pre-momlink exists]",
        'mv "config.pre-momlink" "config"',
      ),
    );
  });

  it("puts the change id in the first line and in the moved-aside names", () => {
    const plan = buildPlan({ spec: WIN, changeId: "CHG-12" });
    const script = renderHostScript(plan, plan.hosts[0]).split("\n");
    expect(script[0]).toBe("REM CHG-12 primary mom-a  EM_HOME D:\\Introscope\\EM");
    expect(script).toContain('move "config" "config.pre-CHG-12"');
    expect(renderRollbackScript(plan, plan.hosts[0]).split("\n")[0]).toBe(
      "REM CHG-12 rollback primary mom-a  EM_HOME D:\\Introscope\\EM",
    );
  });

  describe("with pre-flight facts", () => {
    const spec: PairSpec = { ...WIN, dirs: ["config", "data", "traces"] };
    const plan = buildPlan({
      spec,
      changeId: "CHG-3",
      facts: {
        primary: hostFacts("mom-a", [
          dirFacts("config", "directory", true),
          dirFacts("data", "link-to-target", false, "\\\\san-server\\mom-failover\\data"),
          dirFacts("traces", "junction", false, "F:\\traces & echo PWNED"),
        ]),
        secondary: hostFacts("mom-b", [
          dirFacts("config", "directory", true),
          dirFacts("data", "missing"),
          dirFacts("traces", "directory"),
        ]),
      },
    });
    const [primary, secondary] = plan.hosts;

    it("seeds only on the primary into the empty share dir, shows a correct link as done, and leaves a blocked dir out", () => {
      expect(renderHostScript(plan, primary)).toBe(
        lines(
          "REM CHG-3 primary mom-a  EM_HOME D:\\Introscope\\EM",
          "REM BLOCKED: 1 problem found by pre-flight; see the plan",
          'cd /d "D:\\Introscope\\EM"',
          '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\config" "\\\\san-server\\mom-failover\\config" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
          'move "config" "config.pre-CHG-3"',
          'mklink /D "config" "\\\\san-server\\mom-failover\\config"',
          "REM verify config -> \\\\san-server\\mom-failover\\config",
          'REM [already linked] mklink /D "data" "\\\\san-server\\mom-failover\\data"',
          "REM verify data -> \\\\san-server\\mom-failover\\data",
        ),
      );
    });

    it("moves aside only the dirs that are real directories on the secondary", () => {
      expect(renderHostScript(plan, secondary)).toBe(
        lines(
          "REM CHG-3 secondary mom-b  EM_HOME D:\\Introscope\\EM",
          'cd /d "D:\\Introscope\\EM"',
          'move "config" "config.pre-CHG-3"',
          'mklink /D "config" "\\\\san-server\\mom-failover\\config"',
          "REM verify config -> \\\\san-server\\mom-failover\\config",
          'mklink /D "data" "\\\\san-server\\mom-failover\\data"',
          "REM verify data -> \\\\san-server\\mom-failover\\data",
          'move "traces" "traces.pre-CHG-3"',
          'mklink /D "traces" "\\\\san-server\\mom-failover\\traces"',
          "REM verify traces -> \\\\san-server\\mom-failover\\traces",
        ),
      );
      expect(renderRollbackScript(plan, secondary)).toBe(
        lines(
          "REM CHG-3 rollback secondary mom-b  EM_HOME D:\\Introscope\\EM",
          'cd /d "D:\\Introscope\\EM"',
          'rmdir "traces"',
          'move "traces.pre-CHG-3" "traces"',
          'rmdir "data"',
          'rmdir "config"',
          'move "config.pre-CHG-3" "config"',
        ),
      );
    });

    it("never rolls back a link that was there before the change", () => {
      expect(renderRollbackScript(plan, primary)).toBe(
        lines(
          "REM CHG-3 rollback primary mom-a  EM_HOME D:\\Introscope\\EM",
          "REM BLOCKED: 1 problem found by pre-flight; see the plan",
          'cd /d "D:\\Introscope\\EM"',
          "REM data was linked before this change: rollback leaves it as it is",
          'rmdir "config"',
          'move "config.pre-CHG-3" "config"',
        ),
      );
    });

    it("lists the blocker in the plan text, never inside a script", () => {
      const text = renderPlanText(plan);
      const blocker =
        "- mom-a: traces on mom-a is a junction to F:\\traces & echo PWNED: remove it by hand or choose another dir";
      expect(text).toContain(`BLOCKED: 1 problem to resolve before this plan can be approved:\n${blocker}`);
      expect(text.split("\n").filter((l) => l.includes("PWNED"))).toEqual([blocker]);
    });
  });
});

describe("renderHostFacts", () => {
  it("says what pre-flight found on a host, check by check and dir by dir", () => {
    const facts = hostFacts("mom-a", [
      dirFacts("config", "directory"),
      dirFacts("data", "link-to-target", false, "x"),
    ]);
    const plan = buildPlan({ spec: WIN, changeId: "CHG-3", facts: { primary: facts } });
    expect(renderHostFacts(plan, plan.hosts[0])).toBe(
      lines(
        "pre-flight on mom-a (primary), as its runner found it:",
        "✓ EM_HOME D:\\Introscope\\EM exists",
        "✓ holds an Enterprise Manager (config\\IntroscopeEnterpriseManager.properties)",
        "✓ EM service stopped",
        "✓ may create symbolic links",
        "✓ SymlinkEvaluation L2R enabled",
        "✓ the EM service runs as LocalSystem, like the runner: the runner's write test on the share proves the EM's access",
        "✓ config: a real directory; share \\\\san-server\\mom-failover\\config: writable, holds data, in sync with the primary's directory",
        "✓ data: already a link to the target; share \\\\san-server\\mom-failover\\data: writable, holds data",
      ),
    );
    expect(renderHostFacts(plan, plan.hosts[1])).toBe(
      "no pre-flight facts from mom-b (secondary): the steps show the worst case",
    );
  });

  it("marks every problem, and cleans control characters out of a reported link target", () => {
    const facts: HostFacts = {
      ...hostFacts("mom-b", [
        dirFacts("config", "link-elsewhere", false, "/srv/x\u001b[31m"),
        { dir: "data", linkPath: "missing", share: { exists: true, writable: false, empty: true } },
      ]),
      serviceStopped: false,
      canCreateSymlinks: false,
      emHomeHoldsEm: false,
    };
    const plan = buildPlan({ spec: LINUX, changeId: "CHG-3", facts: { secondary: facts } });
    expect(renderHostFacts(plan, plan.hosts[1]).split("\n").slice(1)).toEqual([
      "✓ EM_HOME /opt/CA/Introscope 10.7 exists",
      "✗ holds no Enterprise Manager (config/IntroscopeEnterpriseManager.properties is missing)",
      "✗ EM service RUNNING",
      "✗ may NOT create symbolic links",
      "✓ links to the share can be followed",
      "✗ config: a link to /srv/x?[31m (conflict); share /mnt/mom-failover/config: writable, holds data",
      "✗ data: nothing there yet; share /mnt/mom-failover/data: NOT writable, empty",
    ]);
  });
});

describe("renderHostFacts: what the runner could not establish", () => {
  it("shows an unqueryable service, privilege and SymlinkEvaluation as unknown, with the reason and what settles it", () => {
    const facts: HostFacts = {
      ...hostFacts(
        "mom-a",
        WIN.dirs.map((dir) => dirFacts(dir, "directory", true)),
      ),
      serviceStopped: null,
      canCreateSymlinks: null,
      symlinkL2R: null,
      details: {
        service: 'sc query "IScopeEM" gave no state number (exit 0): Zugriff\u001b verweigert',
        symlinkL2R:
          "registry: no group policy, and HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem has no SymlinkLocalToRemoteEvaluation value",
      },
    };
    const plan = buildPlan({ spec: WIN, changeId: "CHG-3", facts: { primary: facts } });
    const lines = renderHostFacts(plan, plan.hosts[0]).split("\n");
    expect(lines.slice(3, 6)).toEqual([
      '? EM service state unknown: sc query "IScopeEM" gave no state number (exit 0): Zugriff? verweigert; the runner must see it stopped; give the runner the EM\'s service name (--service-name, e.g. IScopeEM; not the display name), or start it with --unknown-service-is-stopped where the EM does not run as a service, then plan again',
      "? permission to create symbolic links unknown: the runner reported no detail; run the runner elevated, as an Administrator or LocalSystem, then plan again",
      '? SymlinkEvaluation L2R unknown: registry: no group policy, and HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem has no SymlinkLocalToRemoteEvaluation value; set it explicitly with fsutil behavior set SymlinkEvaluation L2R:1 (which writes the registry value momlink reads) or in the group policy "Selectively allow the evaluation of a symbolic link", then plan again',
    ]);
    // Never shown as a definite fact.
    expect(lines.slice(3, 6).join("\n")).not.toMatch(
      /[✓✗]|RUNNING|EM service stopped|may NOT|DISABLED|L2R enabled/,
    );
    expect(plan.hosts[0].blockers).toHaveLength(3);
  });
});

describe("a share directory out of sync with the primary's, in the preview", () => {
  const PARTIAL: ShareSync = {
    inSync: false,
    missing: 1,
    differing: 0,
    extra: 2,
    examples: ["missing domains.xml", "extra a.bak", "extra b.bak"],
    detail: "robocopy /L: exit 3",
  };
  const build = (shareData?: "reseed" | "keep") => {
    const facts = hostFacts(
      "mom-a",
      WIN.dirs.map((dir) =>
        dir === "config"
          ? {
              dir,
              linkPath: "directory" as const,
              share: { exists: true, writable: true, empty: false, sync: PARTIAL },
            }
          : dirFacts(dir, "directory", true),
      ),
    );
    const spec = shareData === undefined ? WIN : { ...WIN, shareData };
    return buildPlan({ spec, changeId: "CHG-3", facts: { primary: facts } });
  };
  const configLine = (plan: Plan) =>
    renderHostFacts(plan, plan.hosts[0])
      .split("\n")
      .find((l) => l.includes(" config: "));

  it("marks the share dir as not in sync, with what it lacks and holds besides", () => {
    expect(configLine(build())).toBe(
      "✗ config: a real directory; share \\\\san-server\\mom-failover\\config: writable, holds data, NOT in sync with the primary's directory: the share is missing 1 file, 2 extra files (missing domains.xml, extra a.bak, extra b.bak)",
    );
  });

  it("shows the choice and its effect: the recorded choice on top, a comment on the reseed step", () => {
    const plan = build("reseed");
    expect(configLine(plan)).toMatch(/^⚠ config: .*NOT in sync.*; share-data=reseed$/);
    expect(renderPlanText(plan).split("\n")).toContain(
      "share-data=reseed (recorded): the primary copies to the share what it lacks or holds in another version (robocopy /E without purge on Windows, cp -a on Linux); nothing on the share is deleted, extra files stay",
    );
    const script = renderHostScript(plan, plan.hosts[0]).split("\n");
    const seed = script.findIndex((l) => l.startsWith("%SystemRoot%") && l.includes('\\config"'));
    expect(script[seed - 1]).toBe(
      "REM [share-data=reseed: copies what the share lacks or holds in another version; deletes nothing there]",
    );
    // The data share is empty: seeding it is no reseed, and says nothing of the kind.
    const dataSeed = script.findIndex((l) => l.startsWith("%SystemRoot%") && l.includes('\\data"'));
    expect(script[dataSeed - 1]).not.toMatch(/reseed/);
  });

  it("shows share-data=keep as kept, with no seed for that dir", () => {
    const plan = build("keep");
    expect(configLine(plan)).toMatch(/^⚠ config: .*NOT in sync.*; share-data=keep$/);
    expect(renderHostScript(plan, plan.hosts[0])).not.toMatch(/robocopy.exe "D:\\Introscope\\EM\\config"/);
  });
});

describe("renderHostFacts: whose access the runner proved (Windows)", () => {
  const withAccount = (emAccount: HostFacts["emAccount"], shareAccess?: "checked-by-hand") => {
    const facts = {
      ...hostFacts(
        "mom-a",
        WIN.dirs.map((d) => dirFacts(d, "directory")),
      ),
      emAccount,
    };
    const spec = shareAccess === undefined ? WIN : { ...WIN, shareAccess };
    const plan = buildPlan({ spec, changeId: "CHG-3", facts: { primary: facts } });
    return { plan, line: renderHostFacts(plan, plan.hosts[0]).split("\n")[6] };
  };
  const other = { em: "CORP\\svc-apm", runner: "LocalSystem (S-1-5-18)", same: false, detail: "x" };

  it.each<[string, HostFacts["emAccount"], "checked-by-hand" | undefined, string]>([
    [
      "the same account",
      BOTH_LOCAL_SYSTEM,
      undefined,
      "✓ the EM service runs as LocalSystem, like the runner: the runner's write test on the share proves the EM's access",
    ],
    [
      "another account",
      other,
      undefined,
      "✗ the EM runs as CORP\\svc-apm; the runner (LocalSystem (S-1-5-18)) could prove only its own access",
    ],
    [
      "another account, checked by hand",
      other,
      "checked-by-hand",
      "⚠ the EM runs as CORP\\svc-apm; the runner (LocalSystem (S-1-5-18)) could prove only its own access; share-access=checked-by-hand: the team checked the EM's account on the share by hand (recorded in this change)",
    ],
    [
      "an account it could not compare",
      {
        em: "svc@corp.example",
        runner: "LocalSystem (S-1-5-18)",
        same: null,
        detail: "a UPN cannot be compared",
      },
      undefined,
      "? the EM service's account unknown: a UPN cannot be compared",
    ],
    ["no account reported", undefined, undefined, "? the EM service's logon account was not reported"],
  ])("%s", (_what, account, shareAccess, expected) => {
    expect(withAccount(account, shareAccess).line).toBe(expected);
  });

  it("heads the plan text with the recorded choice and what it means", () => {
    const { plan } = withAccount(other, "checked-by-hand");
    expect(renderPlanText(plan).split("\n")).toContain(
      "share-access=checked-by-hand (recorded): the EM service's own logon account was checked by hand to have Modify on the share (pre-flight proves only the runner's access when the two accounts differ)",
    );
  });
});

describe("renderHostProgress", () => {
  const plan = buildPlan({ spec: LINUX, changeId: "CHG-3" });
  const ev = (index: number, status: "started" | "succeeded" | "failed" | "skipped") => ({ index, status });

  const cases: [
    string,
    { index: number; status: "started" | "succeeded" | "failed" | "skipped" }[],
    string[],
  ][] = [
    ["nothing reported yet", [], ["· seed-share config", "· move-aside config", "· mklink config"]],
    [
      "done, running, pending",
      [ev(0, "started"), ev(0, "succeeded"), ev(1, "started")],
      ["✓ seed-share config", "▶ move-aside config", "· mklink config"],
    ],
    [
      "skipped and failed",
      [ev(0, "skipped"), ev(1, "started"), ev(1, "failed")],
      ["⏭ seed-share config", "✗ move-aside config", "· mklink config"],
    ],
    [
      "stopped by the re-check before the first step",
      [ev(-1, "failed")],
      [
        "✗ re-check before the first step: the host changed since approval",
        "· seed-share config",
        "· move-aside config",
      ],
    ],
  ];
  it.each(cases)("marks each step of an execute job: %s", (_name, events, first) => {
    expect(renderHostProgress(plan.hosts[0], "execute", events).split("\n").slice(0, 3)).toEqual(first);
  });

  it("marks a rollback's own steps, in their order", () => {
    expect(renderHostProgress(plan.hosts[1], "rollback", [ev(0, "succeeded")]).split("\n")).toEqual([
      "✓ remove-link data",
      "· restore data",
      "· remove-link config",
      "· restore config",
    ]);
  });
});

describe("renderPlanText", () => {
  const plan = buildPlan({ spec: WIN, changeId: "CHG-12" });
  const text = renderPlanText(plan);

  it("lays out title, host scripts, properties, rollbacks and hash in that order", () => {
    const [primary, secondary] = plan.hosts;
    const sections = [
      "momlink plan CHG-12: MOM failover pair mom-a (primary) + mom-b (secondary), windows\nshare \\\\san-server\\mom-failover, dirs config, data\n",
      "note: config was added automatically",
      `apply on mom-a (primary):\n${renderHostScript(plan, primary)}\n\n`,
      `apply on mom-b (secondary):\n${renderHostScript(plan, secondary)}\n\n`,
      [
        "failover properties to set once, in the one shared \\\\san-server\\mom-failover\\config\\IntroscopeEnterpriseManager.properties after seeding (both EMs read that copy once config is linked; momlink does not edit it: failover-properties=check):",
        "introscope.enterprisemanager.failover.enable=true",
        "introscope.enterprisemanager.failover.primary=mom-a",
        "introscope.enterprisemanager.failover.secondary=mom-b",
      ].join("\n"),
      `rollback on mom-a (primary):\n${renderRollbackScript(plan, primary)}\n\n`,
      `rollback on mom-b (secondary):\n${renderRollbackScript(plan, secondary)}\n\n`,
      `plan hash: ${plan.hash.slice(0, 12)} (sha256 ${plan.hash})`,
    ];
    const at = sections.map((s) => text.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text.startsWith(sections[0] ?? "")).toBe(true);
    expect(text.endsWith(sections.at(-1) ?? "")).toBe(true);
  });

  it("says nothing about config being added when the user asked for it, and has no blockers section without blockers", () => {
    const asked = renderPlanText(buildPlan({ spec: { ...WIN, configAdded: false }, changeId: null }));
    expect(asked).not.toContain("added automatically");
    expect(asked).not.toContain("BLOCKED");
    expect(asked.split("\n")[0]).toBe(
      "momlink plan (preview, no change id): MOM failover pair mom-a (primary) + mom-b (secondary), windows",
    );
  });

  it("names the Linux properties file on the share with slashes", () => {
    expect(renderPlanText(buildPlan({ spec: LINUX, changeId: null }))).toContain(
      "failover properties to set once, in the one shared /mnt/mom-failover/config/IntroscopeEnterpriseManager.properties after seeding",
    );
  });

  it("never tells to set the failover properties on each host: after linking there is one file, on the share", () => {
    for (const spec of [WIN, LINUX]) {
      expect(renderPlanText(buildPlan({ spec, changeId: "CHG-1" }))).not.toMatch(
        /on both hosts|on each host/,
      );
    }
  });

  it("is plain text: no colour codes, no tabs, no trailing spaces, no triple backquotes to break a Slack code block", () => {
    expect(text.includes(String.fromCharCode(0x1b))).toBe(false);
    expect(text).not.toMatch(/\t| \n|```/);
    expect(text.endsWith("\n")).toBe(false);
  });
});

describe("renderPlanJson", () => {
  const plan = buildPlan({ spec: LINUX, changeId: "CHG-1" });
  const json = renderPlanJson(plan);

  it("is the canonical JSON of the whole plan, hash included, on one line ending with a newline", () => {
    expect(json).toBe(`${canonicalJson(plan)}\n`);
    expect(json.indexOf("\n")).toBe(json.length - 1);
  });

  it("parses back to a plan whose hash still verifies", () => {
    const parsed = JSON.parse(json) as Plan;
    expect(parsed).toEqual(plan);
    expect(verifyPlanHash(parsed)).toBe(true);
  });
});

describe("quoting (defence in depth behind validation)", () => {
  it.each([
    ["D:\\Introscope\\EM", '"D:\\Introscope\\EM"'],
    ["\\\\san-server\\mom failover\\config", '"\\\\san-server\\mom failover\\config"'],
    ["config.pre-CHG-12", '"config.pre-CHG-12"'],
  ])("cmdQuote wraps %j in double quotes", (path, quoted) => {
    expect(cmdQuote(path)).toBe(quoted);
  });

  it.each([
    'a"b',
    "50%",
    "a!b",
    "a^b",
    "a&b",
    "a|b",
    "a<b",
    "a>b",
    "a(b",
    "a)b",
    "a\nb",
    "a\tb",
    "a\u0000b",
    "a\u007fb",
    "a\u0085b",
    "D:\\",
    "",
  ])("cmdQuote throws on %j", (path) => {
    expect(() => cmdQuote(path)).toThrow(/refusing/);
  });

  it.each([
    ["/mnt/mom failover", '"/mnt/mom failover"'],
    ["/opt/it's (fine) & <ok>", '"/opt/it\'s (fine) & <ok>"'],
  ])("shQuote wraps %j in double quotes", (path, quoted) => {
    expect(shQuote(path)).toBe(quoted);
  });

  it.each(['a"b', "$HOME", "a`id`", "a\\b", "a!b", "a\nb", "a\rb", ""])("shQuote throws on %j", (path) => {
    expect(() => shQuote(path)).toThrow(/refusing/);
  });

  it("cmdQuote either throws or yields one cmd.exe argument equal to the input, for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (path) => {
        let quoted: string;
        try {
          quoted = cmdQuote(path);
        } catch {
          return;
        }
        const parsed = tokenizeCmd(`mklink /D ${quoted} x`);
        expect(parsed.args).toEqual(["mklink", "/D", path, "x"]);
        expect([parsed.unquotedMetachars, parsed.expansionChars]).toEqual([[], []]);
      }),
      { numRuns: 500 },
    );
  });

  it("shQuote either throws or yields one POSIX word equal to the input, for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (path) => {
        let quoted: string;
        try {
          quoted = shQuote(path);
        } catch {
          return;
        }
        expect(splitShDisplayLine(`ln -s ${quoted} x`)).toEqual(["ln", "-s", path, "x"]);
      }),
      { numRuns: 500 },
    );
  });

  it("makes buildPlan throw rather than emit a line from a share that slipped past validation", () => {
    const share = "\\\\srv\\share\\x & echo PWNED> C:\\pwned.txt";
    expect(() => buildPlan({ spec: { ...WIN, share }, changeId: null })).toThrow(/cmd.exe quote: refusing/);
    expect(() => buildPlan({ spec: { ...LINUX, share: "/mnt/$(reboot)" }, changeId: null })).toThrow(
      /sh quote: refusing/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property: for any valid pair (and any pre-flight facts), every line means exactly its arguments.

const component = fc.stringMatching(/^[A-Za-z0-9_-](?:[A-Za-z0-9 ._-]{0,10}[A-Za-z0-9_-])?$/);
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const hostName = fc
  .tuple(label, fc.option(fc.constantFrom("example.com", "corp.local"), { nil: undefined }))
  .map(([l, d]) => (d ? `${l}.${d}` : l));
const components = fc.array(component, { minLength: 1, maxLength: 3 });
const winPath = fc
  .tuple(fc.constantFrom("C", "D", "E"), components)
  .map(([d, c]) => `${d}:\\${c.join("\\")}`);
const uncShare = fc
  .tuple(hostName, component, fc.array(component, { maxLength: 2 }))
  .map(([h, s, c]) => `\\\\${[h, s, ...c].join("\\")}`);
const posixPath = components.map((c) => `/${c.join("/")}`);
const dirsArb = fc
  .shuffledSubarray(["data", "traces", "logs", "threaddumps"])
  .map((rest) => ["config", ...rest]);
const LINK_STATES: LinkPathState[] = [
  "missing",
  "directory",
  "link-to-target",
  "link-elsewhere",
  "junction",
  "file",
];

/** A runner's service control as pre-flight reports it: names and commands it would refuse are never reported. */
const serviceControlArb = fc.oneof(
  fc.record({
    via: fc.constantFrom("sc" as const, "systemd" as const),
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,15}[A-Za-z0-9]$/),
    stopWaitSeconds: fc.integer({ min: 1, max: 3600 }),
    startWaitSeconds: fc.integer({ min: 1, max: 3600 }),
  }),
  fc.record({
    via: fc.constant("command" as const),
    name: fc.constant("introscope-em"),
    stop: fc.array(fc.stringMatching(/^[A-Za-z0-9/._=-][A-Za-z0-9 /._=-]{0,12}$/), {
      minLength: 1,
      maxLength: 4,
    }),
    start: fc.array(fc.stringMatching(/^[A-Za-z0-9/._=-][A-Za-z0-9 /._=-]{0,12}$/), {
      minLength: 1,
      maxLength: 4,
    }),
    stopWaitSeconds: fc.integer({ min: 1, max: 3600 }),
    startWaitSeconds: fc.integer({ min: 1, max: 3600 }),
  }),
);

function factsArb(host: string, dirs: string[]): fc.Arbitrary<HostFacts | null> {
  const dirFactsArb = (dir: string) =>
    fc.record({
      dir: fc.constant(dir),
      linkPath: fc.constantFrom(...LINK_STATES),
      share: fc.record({ exists: fc.boolean(), writable: fc.boolean(), empty: fc.boolean() }),
      // Runner-reported text is not validated: it must never reach a command line.
      currentTarget: fc.option(fc.string({ unit: "binary", maxLength: 20 }), { nil: undefined }),
    });
  const reported = fc
    .tuple(...dirs.map(dirFactsArb))
    .chain((all) => fc.subarray(all, { minLength: all.length - 1 }));
  const facts = fc.record({
    host: fc.oneof(fc.constant(host), fc.string({ maxLength: 10 })),
    emHomeExists: fc.boolean(),
    emHomeHoldsEm: fc.boolean(),
    serviceStopped: fc.boolean(),
    canCreateSymlinks: fc.boolean(),
    symlinkL2R: fc.boolean(),
    serviceControl: fc.option(serviceControlArb, { nil: undefined }),
    dirs: reported,
  });
  return fc.option(facts, { nil: null });
}

function inputArb(platform: "windows" | "linux"): fc.Arbitrary<PlanInput> {
  const path = platform === "windows" ? winPath : posixPath;
  const share = platform === "windows" ? uncShare : posixPath;
  const spec = fc.record({
    platform: fc.constant(platform),
    primary: hostName,
    secondary: hostName,
    emHome: path,
    secondaryEmHome: path,
    share,
    dirs: dirsArb,
    configAdded: fc.boolean(),
    manageServices: fc.constantFrom(undefined, true as const),
    setFailoverProperties: fc.constantFrom(undefined, true as const),
  });
  return spec.chain((s) =>
    fc.record({
      spec: fc.constant(s),
      changeId: fc.option(
        fc.integer({ min: 1, max: 99999 }).map((n) => `CHG-${n}`),
        { nil: null },
      ),
      facts: fc.record({ primary: factsArb(s.primary, s.dirs), secondary: factsArb(s.secondary, s.dirs) }),
    }),
  );
}

/** The steps the runner does itself: their lines are comments. */
const NOTES: readonly Step["kind"][] = ["check-failover", "set-failover-properties", "restore-properties"];

const CMD_UNSAFE = /["%!^&|<>()\p{Cc}]/u;
const QUOTED_CMD_PATH = /^"[^"%!^&|<>()\p{Cc}]+"$/u;

function expectedWindowsArgs(
  step: Step,
  host: Plan["hosts"][number],
  share: string,
  aside: string,
): string[] {
  const target = `${share}\\${step.dir}`;
  switch (step.kind) {
    case "seed-share":
      return [
        "%SystemRoot%\\System32\\robocopy.exe",
        `${host.emHome}\\${step.dir}`,
        target,
        ...["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"],
      ];
    case "move-aside":
      return ["move", step.dir, aside];
    case "mklink":
      return ["mklink", "/D", step.dir, target];
    case "remove-link":
      return ["rmdir", step.dir];
    case "restore":
      return ["move", aside, step.dir];
    case "stop-service":
    case "start-service":
      return [
        "%SystemRoot%\\System32\\sc.exe",
        step.kind === "stop-service" ? "stop" : "start",
        host.facts?.serviceControl?.name ?? "IScopeEM",
      ];
    case "verify-link":
    case "check-failover":
    case "set-failover-properties":
    case "restore-properties":
      return [];
  }
}

function expectedLinuxArgv(step: Step, host: Plan["hosts"][number], share: string, aside: string): string[] {
  const target = `${share}/${step.dir}`;
  switch (step.kind) {
    case "seed-share":
      return ["cp", "-a", `${host.emHome}/${step.dir}/.`, `${target}/`];
    case "move-aside":
      return ["mv", step.dir, aside];
    case "mklink":
      return ["ln", "-s", target, step.dir];
    case "remove-link":
      return ["rm", step.dir];
    case "restore":
      return ["mv", aside, step.dir];
    case "stop-service":
    case "start-service": {
      const control = host.facts?.serviceControl;
      const verb = step.kind === "stop-service" ? "stop" : "start";
      if (control?.via === "command") return control[verb] ?? [];
      return ["systemctl", verb, control?.name ?? "IScopeEM"];
    }
    case "verify-link":
    case "check-failover":
    case "set-failover-properties":
    case "restore-properties":
      return [];
  }
}

describe("every generated command line means exactly its intended arguments", () => {
  it("Windows: no unquoted metacharacter, each path one clean double-quoted token, mklink gives [mklink, /D, dir, share\\dir]", () => {
    fc.assert(
      fc.property(inputArb("windows"), (input) => {
        const plan = buildPlan(input);
        const aside = (dir: string) => `${dir}.pre-${input.changeId ?? "momlink"}`;
        for (const host of plan.hosts) {
          for (const step of [...host.steps, ...host.rollback]) {
            if (step.kind === "verify-link") {
              expect(step.argv).toEqual([]);
              expect(step.line).toBe(`REM verify ${step.dir} -> ${plan.share}\\${step.dir}`);
              continue;
            }
            if (NOTES.includes(step.kind)) {
              // Done by the runner itself: a comment that says what, never run.
              expect(step.argv).toEqual([]);
              expect(step.line.startsWith("REM ")).toBe(true);
              continue;
            }
            const parsed = tokenizeCmd(step.line);
            expect(parsed.unquotedMetachars).toEqual([]);
            if (step.kind === "seed-share" || step.kind === "stop-service" || step.kind === "start-service") {
              // robocopy runs as its argv (no shell); the line spells that argv, and its one
              // variable is the %SystemRoot% the runner resolves itself.
              expect(step.argv).toEqual(expectedWindowsArgs(step, host, plan.share, aside(step.dir)));
              expect(parsed.args).toEqual(step.argv);
              expect(parsed.expansionChars.map((c) => c.index)).toEqual([0, 11]);
            } else {
              expect(step.argv).toEqual([]);
              expect(parsed.expansionChars).toEqual([]);
            }
            expect(parsed.unterminatedQuote).toBe(false);
            expect(parsed.args).toEqual(expectedWindowsArgs(step, host, plan.share, aside(step.dir)));
            const service = step.kind === "stop-service" || step.kind === "start-service";
            // A service step's verb is a plain word; every path and name is one quoted token.
            for (const token of parsed.tokens.slice(service ? 2 : 1).filter((t) => !t.raw.startsWith("/"))) {
              expect(token.raw).toMatch(QUOTED_CMD_PATH);
            }
            if (step.kind === "mklink") {
              const [, , link, target] = parsed.args;
              expect(target?.split("\\").at(-1)).toBe(link);
            }
          }
          expectScriptsShowExactlyTheSteps(plan, host, "REM ");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("Linux: every step's argv is exactly what its shown line spells", () => {
    fc.assert(
      fc.property(inputArb("linux"), (input) => {
        const plan = buildPlan(input);
        const aside = (dir: string) => `${dir}.pre-${input.changeId ?? "momlink"}`;
        for (const host of plan.hosts) {
          for (const step of [...host.steps, ...host.rollback]) {
            if (step.kind === "verify-link") {
              expect(step.line).toBe(`# verify ${step.dir} -> ${plan.share}/${step.dir}`);
              expect(step.argv).toEqual([]);
              continue;
            }
            if (NOTES.includes(step.kind)) {
              expect(step.argv).toEqual([]);
              expect(step.line.startsWith("# ")).toBe(true);
              continue;
            }
            expect(step.argv).toEqual(expectedLinuxArgv(step, host, plan.share, aside(step.dir)));
            expect(splitShDisplayLine(step.line)).toEqual(step.argv);
          }
          expectScriptsShowExactlyTheSteps(plan, host, "# ");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rollbacks only remove links and move dirs back: never rd /s, del or rm -r", () => {
    fc.assert(
      fc.property(fc.oneof(inputArb("windows"), inputArb("linux")), (input) => {
        const plan = buildPlan(input);
        for (const host of plan.hosts) {
          for (const step of host.rollback) {
            expect([
              "remove-link",
              "restore",
              "stop-service",
              "start-service",
              "restore-properties",
            ]).toContain(step.kind);
            if (step.kind !== "remove-link" && step.kind !== "restore") continue;
            const words = plan.platform === "windows" ? tokenizeCmd(step.line).args : step.argv;
            expect([
              ["rmdir", 2],
              ["move", 3],
              ["rm", 2],
              ["mv", 3],
            ]).toContainEqual([words[0], words.length]);
          }
          const commands = renderRollbackScript(plan, host)
            .split("\n")
            .filter((l) => !l.startsWith("REM ") && !l.startsWith("# "));
          for (const line of commands) {
            const words = plan.platform === "windows" ? tokenizeCmd(line).args : splitShDisplayLine(line);
            expect(["rd", "del", "erase"]).not.toContain(words[0]?.toLowerCase());
            if (plan.platform === "windows") expect(words.map((w) => w.toLowerCase())).not.toContain("/s");
            if (words[0] === "rm") expect(words.slice(1).some((w) => w.startsWith("-"))).toBe(false);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** The script's command lines are the plan's runnable step lines, in order; comments stay inert. */
function expectScriptsShowExactlyTheSteps(plan: Plan, host: Plan["hosts"][number], comment: string): void {
  const pairs: [string, Step[]][] = [
    [renderHostScript(plan, host), host.steps],
    [renderRollbackScript(plan, host), host.rollback],
  ];
  for (const [script, steps] of pairs) {
    const [cd, ...commands] = script.split("\n").filter((l) => !l.startsWith(comment));
    if (plan.platform === "windows") {
      expect(tokenizeCmd(cd ?? "").args).toEqual(["cd", "/d", host.emHome]);
    } else {
      expect(splitShDisplayLine(cd ?? "")).toEqual(["cd", host.emHome]);
    }
    expect(commands).toEqual(
      steps.filter((s) => !s.noop && s.kind !== "verify-link" && !NOTES.includes(s.kind)).map((s) => s.line),
    );
    for (const line of script.split("\n").filter((l) => l.startsWith(comment))) {
      // Comments never carry runner-reported text or anything cmd.exe would still act on. The
      // verify arrow is the one exception: cmd.exe does not redirect inside a REM.
      expect(line.replace(/"[^"]*"/g, "").replace(" -> ", " ")).not.toMatch(CMD_UNSAFE);
    }
  }
}

/**
 * Splits a displayed POSIX line the way sh would for the only forms a plan uses: bare words and
 * double-quoted words with nothing inside that sh would expand. Anything else fails the test.
 */
function splitShDisplayLine(line: string): string[] {
  const words: string[] = [];
  const word = /\s*(?:"([^"$`\\!]*)"|([^\s"'$`\\!;&|<>()*?[\]~#{}]+))(?=\s|$)/uy;
  let rest = line;
  while (rest.trim().length > 0) {
    word.lastIndex = 0;
    const m = word.exec(rest);
    if (!m) throw new Error(`not a plain word at: ${rest}`);
    words.push(m[1] ?? m[2] ?? "");
    rest = rest.slice(m[0].length);
  }
  return words;
}
