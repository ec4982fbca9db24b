import { describe, expect, it } from "vitest";
import {
  assessHost,
  assessPair,
  type HostVerdict,
  judgeHost,
  judgeStage,
  type PairVerdict,
} from "../../src/domain/failover-decision.ts";
import {
  DEFAULT_LOG_PATTERNS,
  evidenceFacts,
  type HostEvidence,
  hostEvidenceSchema,
  type LockObservation,
  logClaim,
  logPatternsSchema,
  matchLog,
  type ServiceObservation,
} from "../../src/domain/failover-evidence.ts";

// The KB 143526 log of an EM that becomes primary, and of one that then waits (EM 10.x wording).
const KB = "11/11/15 05:08:08.550 PM EST [INFO] [main] [Manager.HotFailover]";
const PRIMARY_START = [
  `${KB} The Introscope Enterprise Manager is configured as a Primary EM`,
  `${KB} Acquiring secondary lock...`,
  `${KB} Acquired secondary lock`,
  `${KB} Acquiring primary lock...`,
  `${KB} Acquired primary lock`,
  `${KB} Released secondary lock`,
  `${KB} Proceeding with startup`,
];
const STANDBY_START = PRIMARY_START.slice(0, 4);

const source = "/proc/locks";
const held = (
  holder: "this-em" | "another-process" | "unidentified",
  pid: number | null = 4242,
): LockObservation => ({
  state: "held",
  holder,
  pid,
  source,
  detail: "",
});
const free: LockObservation = { state: "not-held", source, detail: "" };
const unreadable: LockObservation = { state: "unknown", source, detail: "/proc/locks: permission denied" };
const service = (state: ServiceObservation["state"]): ServiceObservation => ({
  state,
  source: "systemctl show introscope-em",
  detail: state === "unknown" ? "systemctl is not available here" : `ActiveState=${state}`,
});

function host(
  name: string,
  state: ServiceObservation["state"],
  primaryLock: LockObservation,
  secondaryLock: LockObservation,
  lines?: string[],
): HostEvidence {
  return {
    host: name,
    service: service(state),
    primaryLock,
    secondaryLock,
    ...(lines
      ? {
          log: {
            kind: "read" as const,
            path: "/em/logs/IntroscopeEnterpriseManager.log",
            firstLine: 10,
            lines,
          },
        }
      : {}),
  };
}

describe("assessHost: one host's verdict, the lock first", () => {
  // evidence → verdict, basis, and a piece of the reason or warning.
  const table: [string, HostEvidence, HostVerdict, string, RegExp][] = [
    ["a stopped service", host("mom-a", "stopped", free, free), "not-started", "service", /stopped/],
    [
      "a stopped service while the other host's EM holds the primary lock (a Windows read sees any holder)",
      host("mom-b", "stopped", held("unidentified", null), free),
      "not-started",
      "service",
      /stopped/,
    ],
    [
      "this EM holds primary_em.lck",
      host("mom-a", "running", held("this-em"), free),
      "primary-active",
      "lock",
      /holds primary_em.lck/,
    ],
    [
      "this EM holds primary_em.lck and its log agrees",
      host("mom-a", "running", held("this-em"), free, PRIMARY_START),
      "primary-active",
      "lock and log",
      /holds primary_em.lck/,
    ],
    [
      "a held primary lock of unknown holder, with this EM's log saying it took it",
      host("mom-a", "running", held("unidentified", null), free, PRIMARY_START),
      "primary-active",
      "lock and log",
      /Proceeding with startup` \(line 16\)/,
    ],
    [
      "a held primary lock of unknown holder and no log: not proof it is this EM",
      host("mom-a", "running", held("unidentified", null), free),
      "unknown",
      "none",
      /holds neither lock/,
    ],
    [
      "this EM holds secondary_em.lck and waits (the primary's lock is on the other host)",
      host("mom-b", "running", free, held("this-em"), STANDBY_START),
      "standing-by",
      "lock and log",
      /secondary_em.lck and waits/,
    ],
    [
      "the sandbox: the other host's EM (another process) holds the primary lock, this one the secondary",
      host("mom-b", "running", held("another-process", 100), held("this-em", 200)),
      "standing-by",
      "lock",
      /waits/,
    ],
    [
      "running, holding neither lock (failover not enabled, or still starting)",
      host("mom-a", "running", free, free, ["[INFO] [main] [Manager] Starting"]),
      "unknown",
      "none",
      /failover is not enabled/,
    ],
    [
      "locks unreadable: the log alone is no proof",
      host("mom-a", "running", unreadable, unreadable, PRIMARY_START),
      "unknown",
      "none",
      /could not be read .*no proof on its own/,
    ],
    [
      "a service whose state is unknown and no lock",
      host("mom-a", "unknown", free, free),
      "unknown",
      "none",
      /state is unknown \(systemctl is not available here\)/,
    ],
    [
      "the probes contradict each other: stopped, yet this EM holds a lock",
      host("mom-a", "stopped", held("this-em"), free),
      "unknown",
      "none",
      /disagree/,
    ],
  ];

  it.each(table)("%s", (_, evidence, verdict, basis, reason) => {
    const assessment = assessHost(evidence);
    expect([assessment.verdict, assessment.basis]).toEqual([verdict, basis]);
    expect(assessment.reason).toMatch(reason);
  });

  it("lets the log decide when no lock can be read, only when asked, and says so", () => {
    const evidence = host("mom-a", "running", unreadable, unreadable, PRIMARY_START);
    const assessment = assessHost(evidence, { logOnlyVerdicts: true });
    expect([assessment.verdict, assessment.basis]).toEqual(["primary-active", "log only"]);
  });

  const warnings: [string, HostEvidence, RegExp][] = [
    [
      "the log says standby but the lock says primary: the lock wins",
      host("mom-a", "running", held("this-em"), free, STANDBY_START.slice(0, 3)),
      /Acquired secondary lock.*but this EM holds primary_em.lck: the lock wins/,
    ],
    [
      "the log claims primary but the lock is someone else's",
      host("mom-b", "running", held("another-process"), free, PRIMARY_START),
      /but the locks show this EM holds neither/,
    ],
    [
      "the active EM does not listen on the agent port",
      {
        ...host("mom-a", "running", held("this-em"), free),
        agentPort: { port: 5001, listening: false, source: "connect 127.0.0.1:5001", detail: "ECONNREFUSED" },
      },
      /does not listen on agent port 5001/,
    ],
    [
      "something listens on the agent port of a standby",
      {
        ...host("mom-b", "running", free, held("this-em")),
        agentPort: { port: 5001, listening: true, source: "connect 127.0.0.1:5001", detail: "" },
      },
      /another EM on this host\?/,
    ],
  ];

  it.each(warnings)("warns when %s", (_, evidence, warning) => {
    expect(assessHost(evidence).warnings).toEqual([expect.stringMatching(warning)]);
  });
});

describe("assessPair and judgeStage: the pair, and the procedure's two waits", () => {
  const A = "mom-a";
  const B = "mom-b";
  // primary host evidence, secondary host evidence → pair verdict, then each stage's outcome.
  const table: [string, HostEvidence, HostEvidence, PairVerdict, [string, string]][] = [
    [
      "after starting the primary: active, the secondary still stopped",
      host(A, "running", held("this-em"), free, PRIMARY_START),
      host(B, "stopped", free, free),
      "primary-active",
      ["proven", "pending"],
    ],
    [
      "after starting the secondary: the pair is healthy",
      host(A, "running", held("this-em"), free, PRIMARY_START),
      host(B, "running", free, held("this-em"), STANDBY_START),
      "primary-active-secondary-standing-by",
      ["proven", "proven"],
    ],
    [
      "the secondary still starting",
      host(A, "running", held("this-em"), free, PRIMARY_START),
      host(B, "running", free, free),
      "primary-active",
      ["proven", "pending"],
    ],
    [
      "the secondary started first by mistake and took the primary lock",
      host(A, "running", free, held("this-em"), STANDBY_START),
      host(B, "running", held("this-em"), free, PRIMARY_START),
      "roles-swapped",
      ["failed", "failed"],
    ],
    [
      "split brain: each host's EM holds its own primary lock (config not shared, or NFS without locks)",
      host(A, "running", held("this-em"), free, PRIMARY_START),
      host(B, "running", held("this-em"), free, PRIMARY_START),
      "both-claim-primary",
      ["failed", "failed"],
    ],
    [
      "the primary died while the secondary was started",
      host(A, "stopped", free, free),
      host(B, "running", free, held("this-em")),
      "unknown",
      ["pending", "failed"],
    ],
    [
      "both stopped",
      host(A, "stopped", free, free),
      host(B, "stopped", free, free),
      "not-started",
      ["pending", "failed"],
    ],
  ];

  it.each(table)("%s", (_, primary, secondary, verdict, [afterPrimary, afterSecondary]) => {
    const pair = assessPair(primary, secondary);
    expect(pair.verdict).toBe(verdict);
    expect([
      judgeStage("primary-started", pair).outcome,
      judgeStage("secondary-started", pair).outcome,
    ]).toEqual([afterPrimary, afterSecondary]);
  });

  it("says a split brain loudly, naming both hosts", () => {
    const pair = assessPair(
      host(A, "running", held("this-em"), free),
      host(B, "running", held("this-em"), free),
    );
    expect(pair.summary).toMatch(/^SPLIT BRAIN: both mom-a and mom-b claim to be the active EM/);
    expect(judgeStage("secondary-started", pair).reason).toBe(pair.summary);
  });

  it("names the wrong host when the secondary holds the primary lock", () => {
    const pair = assessPair(host(A, "stopped", free, free), host(B, "running", held("this-em"), free));
    expect(judgeStage("primary-started", pair).reason).toBe(
      "mom-b (the secondary) holds the primary lock: it started first, or the hosts do not share config",
    );
  });
});

describe("the evidence itself", () => {
  it("reads the role from the last failover line: a standby that took over claims primary", () => {
    const takeover = [...STANDBY_START, "[INFO] [main] noise", ...PRIMARY_START.slice(4)];
    const log = { kind: "read" as const, path: "x.log", firstLine: 1, lines: takeover };
    expect(logClaim(matchLog(log)).claim).toBe("primary");
    expect(logClaim(matchLog({ ...log, lines: STANDBY_START })).claim).toBe("standby");
    expect(
      logClaim(
        matchLog({
          ...log,
          lines: [...PRIMARY_START, `${KB} Shutting down because a Primary EM is waiting to start`],
        }),
      ).claim,
    ).toBe("none");
    expect(logClaim(matchLog({ ...log, lines: ["nothing"] })).claim).toBe("none");
  });

  it("matches configured wording instead of the KB's, case-insensitively", () => {
    const log = {
      kind: "read" as const,
      path: "x.log",
      firstLine: 1,
      lines: ["[HotFailover] PRIMARY LOCK OBTAINED"],
    };
    expect(matchLog(log)).toEqual([]);
    const patterns = [{ event: "acquired-primary" as const, text: "primary lock obtained" }];
    expect(matchLog(log, patterns)).toEqual([
      { event: "acquired-primary", line: 1, text: "[HotFailover] PRIMARY LOCK OBTAINED" },
    ]);
  });

  it("writes each observation as a fact with its source, the lock weighted as the primary evidence", () => {
    const evidence: HostEvidence = {
      ...host("mom-a", "running", held("this-em", 4242), free, PRIMARY_START.slice(-3)),
      agentPort: { port: 5001, listening: true, source: "connect 127.0.0.1:5001", detail: "" },
    };
    expect(
      evidenceFacts(evidence, matchLog(evidence.log ?? { kind: "unreadable", path: "", reason: "" })),
    ).toEqual([
      {
        host: "mom-a",
        about: "service",
        says: "EM service running",
        source: "systemctl show introscope-em",
        weight: "supporting",
      },
      {
        host: "mom-a",
        about: "primary-lock",
        says: "primary_em.lck is held by this host's EM (pid 4242)",
        source,
        weight: "primary",
      },
      {
        host: "mom-a",
        about: "secondary-lock",
        says: "secondary_em.lck is not held",
        source,
        weight: "primary",
      },
      {
        host: "mom-a",
        about: "log",
        says: `the EM log says \`${KB} Acquired primary lock\` (line 10), \`${KB} Released secondary lock\` (line 11), \`${KB} Proceeding with startup\` (line 12)`,
        source: "/em/logs/IntroscopeEnterpriseManager.log",
        weight: "supporting",
      },
      {
        host: "mom-a",
        about: "agent-port",
        says: "agent port 5001 is listening",
        source: "connect 127.0.0.1:5001",
        weight: "supporting",
      },
    ]);
  });

  it("shows an unknown as unknown, with its reason", () => {
    const facts = evidenceFacts(host("mom-a", "unknown", unreadable, free), []);
    expect(facts.map((f) => f.says)).toEqual([
      "EM service state unknown (systemctl is not available here)",
      "primary_em.lck: cannot tell (/proc/locks: permission denied)",
      "secondary_em.lck is not held",
    ]);
  });

  it("checks evidence crossing from runner to bot, and patterns from configuration", () => {
    expect(
      hostEvidenceSchema.safeParse(host("mom-a", "running", held("this-em"), free, PRIMARY_START)).success,
    ).toBe(true);
    expect(hostEvidenceSchema.safeParse({ ...host("mom-a", "running", free, free), extra: 1 }).success).toBe(
      false,
    );
    expect(
      hostEvidenceSchema.safeParse({
        ...host("mom-a", "running", free, free),
        primaryLock: { state: "held", source, detail: "" },
      }).success,
    ).toBe(false);
    expect(logPatternsSchema.safeParse(DEFAULT_LOG_PATTERNS).success).toBe(true);
    expect(logPatternsSchema.safeParse([{ event: "acquired-primary", text: " " }]).success).toBe(false);
    expect(logPatternsSchema.safeParse([{ event: "took-over", text: "Took over" }]).success).toBe(false);
  });
});

describe("judgeHost: one host's own wait after its start, from its own evidence", () => {
  // role, evidence → outcome and a piece of the reason.
  const table: [string, "primary" | "secondary", HostEvidence, "proven" | "pending" | "failed", RegExp][] = [
    [
      "the primary holding the primary lock is proven",
      "primary",
      host("mom-a", "running", held("this-em"), free, PRIMARY_START),
      "proven",
      /mom-a is the active EM: this EM holds primary_em.lck/,
    ],
    [
      "a primary still on its secondary lock, the primary lock free, is pending (it is taking it)",
      "primary",
      host("mom-a", "running", free, held("this-em"), STANDBY_START),
      "pending",
      /mom-a: this EM holds secondary_em.lck/,
    ],
    [
      "a primary standing by while another process holds the primary lock has failed at once",
      "primary",
      host("mom-a", "running", held("another-process", 99), held("this-em"), STANDBY_START),
      "failed",
      /mom-a \(the primary\) stands by: another EM \(pid 99\) holds primary_em.lck, so the secondary started first/,
    ],
    [
      "a primary not running yet is pending",
      "primary",
      host("mom-a", "stopped", free, free),
      "pending",
      /the EM service is stopped/,
    ],
    [
      "the secondary standing by is proven",
      "secondary",
      host("mom-b", "running", held("another-process"), held("this-em"), STANDBY_START),
      "proven",
      /mom-b stands by/,
    ],
    [
      "a secondary that took the primary lock has failed at once",
      "secondary",
      host("mom-b", "running", held("this-em"), free, PRIMARY_START),
      "failed",
      /mom-b \(the secondary\) holds the primary lock: the primary is not running, or the hosts do not share config/,
    ],
    [
      "a secondary holding neither lock yet is pending",
      "secondary",
      host("mom-b", "running", free, free),
      "pending",
      /holds neither lock/,
    ],
  ];
  it.each(table)("%s", (_, role, evidence, outcome, reason) => {
    const judged = judgeHost(role, assessHost(evidence), evidence);
    expect(judged.outcome).toBe(outcome);
    expect(judged.reason).toMatch(reason);
  });
});
