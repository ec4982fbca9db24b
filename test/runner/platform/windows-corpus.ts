// Accepted Windows inputs, as an operator would type them, turned into command lines by the real
// validators, plan builder and renderer. Both the Linux-side checks and the Wine fidelity lane
// run this corpus, so "the renderer emits it" and "cmd.exe parses it as intended" are claims
// about the same lines.
import type { DirFacts, HostFacts } from "../../../src/domain/facts.ts";
import { DEFAULT_ALLOWED_DIRS } from "../../../src/domain/pair.ts";
import { buildPlan, type Plan, type StepKind } from "../../../src/domain/plan.ts";
import { renderHostScript, renderRollbackScript } from "../../../src/domain/render.ts";
import { validatePair } from "../../../src/domain/validate.ts";
import { BOTH_LOCAL_SYSTEM, IN_SYNC } from "../../support/facts.ts";

export interface CorpusLine {
  /** Which typed request the line came from. */
  request: string;
  kind: StepKind;
  dir: string;
  line: string;
  /** The program argv the runner starts (robocopy); empty for cmd.exe builtins. */
  argv: string[];
  /** EM_HOME: the working directory the line runs in. */
  cwd: string;
  /** What cmd.exe must hand on, quotes removed: [link, target] for mklink, [from, to] for move, [source, target] for robocopy ... */
  args: string[];
}

export interface CorpusRequest {
  label: string;
  primary: string;
  secondary: string;
  emHome: string;
  secondaryEmHome?: string;
  share: string;
}

const ALL_DIRS = "config,data,traces,logs,threaddumps";

export const CORPUS_REQUESTS: readonly CorpusRequest[] = [
  {
    label: "DNS host, plain names",
    primary: "mom-a",
    secondary: "mom-b",
    emHome: "D:\\Introscope\\EM",
    share: "\\\\san-server\\mom-failover",
  },
  {
    label: "IPv4 host, share name with a space",
    primary: "mom-a.corp.example",
    secondary: "mom-b.corp.example",
    emHome: "C:\\Program Files\\CA APM\\Introscope10.7.0.45",
    share: "\\\\10.20.30.40\\mom share",
  },
  {
    label: "ipv6-literal host",
    primary: "mom1",
    secondary: "mom2",
    emHome: "E:\\APM\\em-01.prod",
    secondaryEmHome: "E:\\APM\\em-02.prod",
    share: "\\\\fe80--1.ipv6-literal.net\\mom-failover\\apm",
  },
  {
    label: "ipv6-literal host with a scope id",
    primary: "mom1",
    secondary: "mom2",
    emHome: "D:\\Introscope\\EM",
    share: "\\\\fe80--1s4.ipv6-literal.net\\mom-failover",
  },
  {
    label: "global ipv6-literal host",
    primary: "10.0.0.1",
    secondary: "10.0.0.2",
    emHome: "D:\\Introscope\\EM",
    share: "\\\\2001-db8--42.ipv6-literal.net\\apm\\em",
  },
  {
    label: "spaces and dots in every component",
    primary: "mom-a",
    secondary: "mom-b",
    emHome: "C:\\Program Files\\CA APM\\Introscope 10.7",
    secondaryEmHome: "D:\\CA APM\\Introscope 10.7",
    share: "\\\\nas.corp.example.com\\Introscope Shared\\MOM Pair 01\\v10.7.0",
  },
  {
    label: "NetBIOS host, dotted and hyphenated names",
    primary: "MOMA",
    secondary: "MOMB",
    emHome: "D:\\APM\\EM-Cluster.Prod",
    share: "\\\\NAS01\\apm.failover\\em-cluster.prod",
  },
  {
    label: "long names",
    primary: "mom-a",
    secondary: "mom-b",
    emHome: "D:\\Applications\\Broadcom\\Introscope Enterprise Manager 10.7.0 Service Pack 3",
    share:
      "\\\\storage-array-primary-01.datacenter-east.corp.example.com\\introscope-enterprise-manager-failover-share\\very long component name with spaces and dots.v2",
  },
  {
    label: "characters cmd.exe splits on outside quotes (, ; = +) and non-ASCII",
    primary: "mom-a",
    secondary: "mom-b",
    emHome: "D:\\Données\\EM",
    share: "\\\\srv\\partage\\x,y;z=1+2 été",
  },
];

function facts(host: string, dirs: readonly string[], share: DirFacts["share"]): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs: dirs.map((dir) => ({ dir, linkPath: "directory", share })),
  };
}

export interface CorpusPlan {
  request: CorpusRequest;
  plan: Plan;
}

/** Each request validated and planned as it would be on a host pair where every dir is a real directory. */
export function corpusPlans(changeId = "CHG-12"): CorpusPlan[] {
  return CORPUS_REQUESTS.map((request, index) => {
    const result = validatePair(
      {
        primary: request.primary,
        secondary: request.secondary,
        "em-home": request.emHome,
        ...(request.secondaryEmHome === undefined ? {} : { "secondary-em-home": request.secondaryEmHome }),
        share: request.share,
        dirs: ALL_DIRS,
      },
      { allowedDirs: DEFAULT_ALLOWED_DIRS },
    );
    if (!result.ok) {
      throw new Error(
        `corpus request ${request.label} is refused: ${result.problems.map((p) => p.message).join("; ")}`,
      );
    }
    const spec = result.value;
    // Every other request seeds an empty share, so robocopy lines are in the corpus too.
    const share =
      index % 2 === 0
        ? { exists: true, writable: true, empty: false, sync: IN_SYNC }
        : { exists: true, writable: true, empty: true };
    const plan = buildPlan({
      spec,
      changeId,
      facts: {
        primary: facts(spec.primary, spec.dirs, share),
        secondary: facts(spec.secondary, spec.dirs, share),
      },
    });
    return { request, plan };
  });
}

/** Every runnable line of every corpus plan (both hosts, execute and rollback), with the arguments it must mean. */
export function corpusLines(changeId = "CHG-12"): CorpusLine[] {
  const lines: CorpusLine[] = [];
  for (const { request, plan } of corpusPlans(changeId)) {
    for (const host of plan.hosts) {
      const script = `${renderHostScript(plan, host)}\n${renderRollbackScript(plan, host)}`;
      for (const step of [...host.steps, ...host.rollback]) {
        // Read-backs and the runner's own file work are comments, never run.
        if (step.line.startsWith("REM ")) continue;
        // The renderer shows each line verbatim: what is shown is what runs.
        if (!script.split("\n").includes(step.line))
          throw new Error(`the rendered script lacks ${step.line}`);
        lines.push({
          request: request.label,
          kind: step.kind,
          dir: step.dir,
          line: step.line,
          argv: step.argv,
          cwd: host.emHome,
          args: intendedArgs(plan, host, step.kind, step.dir),
        });
      }
    }
  }
  return lines;
}

function intendedArgs(plan: Plan, host: Plan["hosts"][number], kind: StepKind, dir: string): string[] {
  const { emHome } = host;
  const service = host.facts?.serviceControl?.name ?? "IScopeEM";
  const target = `${plan.share}\\${dir}`;
  const aside = `${dir}.pre-${plan.changeId}`;
  switch (kind) {
    case "mklink":
      return [dir, target];
    case "move-aside":
      return [dir, aside];
    case "restore":
      return [aside, dir];
    case "remove-link":
      return [dir];
    case "seed-share":
      return [`${emHome}\\${dir}`, target];
    case "stop-service":
      return ["stop", service];
    case "start-service":
      return ["start", service];
    case "verify-link":
    case "check-failover":
    case "set-failover-properties":
    case "restore-properties":
      return [];
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled ${String(unhandled)}`);
    }
  }
}
