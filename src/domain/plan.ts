// PairSpec (+ pre-flight facts) -> the canonical Plan a team approves, with its SHA-256.
// Every command line is built here from quoted, re-checked arguments (quote.ts); renderers only
// lay the lines out. The plan is data: what is hashed is what is shown is what runs.
import { canonicalJson, sha256Hex } from "./canonical.ts";
import type { ShareAccessChoice, ShareDataChoice } from "./choices.ts";
import { type Command, type Commands, commandsFor } from "./commands.ts";
import type { DirFacts, HostFacts, ServiceControlFacts } from "./facts.ts";
import { sameMachine } from "./host.ts";
import type { PairSpec, Platform } from "./pair.ts";
import { decideShareData } from "./share-sync.ts";

/** The closed vocabulary of things a runner may do. Read-only checks are not in a plan's script. */
export type StepKind =
  | "seed-share"
  | "move-aside"
  | "mklink"
  | "verify-link"
  | "remove-link"
  | "restore"
  /** services=manage: the EM service stopped, or started; the runner waits `waitSeconds` for it. */
  | "stop-service"
  | "start-service"
  /** services=manage: after a start, the evidence of which failover lock this EM holds (read-only). */
  | "check-failover"
  /** failover-properties=set: the shared properties file edited (backup first), and its undo. */
  | "set-failover-properties"
  | "restore-properties";

export interface Step {
  kind: StepKind;
  /** The EM_HOME sub-directory this step is about (`config`, `data`, ...). */
  dir: string;
  /**
   * The exact line shown for approval. A Windows cmd.exe builtin (mklink, move, rmdir) runs as
   * exactly this text, `cmd.exe /d /s /c "<line>"` with EM_HOME as working directory; a program
   * (robocopy on Windows, everything on Linux) runs as `argv`, and this line is derived from it.
   */
  line: string;
  /** The argv the runner starts with no shell (programs); empty for cmd.exe builtins. */
  argv: string[];
  /** Set when the step depends on a pre-flight fact not known yet, e.g. "if config is a real directory". */
  when?: string;
  /** True when pre-flight showed the step is already satisfied (shown, not run). */
  noop?: boolean;
  /** The bounded wait the runner does after the command (stop-service, start-service, check-failover). */
  waitSeconds?: number;
}

export interface HostPlan {
  role: "primary" | "secondary";
  host: string;
  emHome: string;
  /** Null until a runner reported pre-flight facts: the steps then show the worst case. */
  facts: HostFacts | null;
  steps: Step[];
  rollback: Step[];
  /** Reasons this host's plan cannot be approved (conflicts found by pre-flight). */
  blockers: string[];
}

export interface Plan {
  format: "momlink-plan/1";
  changeId: string | null;
  platform: Platform;
  share: string;
  dirs: string[];
  configAdded: boolean;
  /** Information for the operator: the properties the pair needs in IntroscopeEnterpriseManager.properties. */
  failoverProperties: { key: string; value: string }[];
  /** `share-data=` and `share-access=`, when given: a person's decisions, recorded in the change (see choices.ts). */
  shareData?: ShareDataChoice;
  shareAccess?: ShareAccessChoice;
  /** `services=manage` and `failover-properties=set`, when given (see choices.ts). */
  manageServices?: true;
  setFailoverProperties?: true;
  hosts: [HostPlan, HostPlan];
  /** SHA-256 hex of the canonical JSON of the plan without this field. */
  hash: string;
}

export interface PlanInput {
  spec: PairSpec;
  changeId: string | null;
  facts?: { primary?: HostFacts | null; secondary?: HostFacts | null };
}

/** Suffix of moved-aside directories when there is no change id yet (CLI preview): fixed, so previews hash stably. */
export const PREVIEW_SUFFIX = "momlink";

export function buildPlan(input: PlanInput): Plan {
  const { spec, changeId } = input;
  const cmds = commandsFor(spec.platform);
  const suffix = `pre-${changeId ?? PREVIEW_SUFFIX}`;
  const aside = (dir: string) => `${dir}.${suffix}`;
  const ctx: HostContext = { spec, cmds, aside, suffix };

  const primary = planHost(ctx, "primary", spec.primary, spec.emHome, input.facts?.primary ?? null, null);
  const primarySeeds = new Set(primary.steps.filter((s) => s.kind === "seed-share").map((s) => s.dir));
  const secondary = planHost(
    ctx,
    "secondary",
    spec.secondary,
    spec.secondaryEmHome,
    input.facts?.secondary ?? null,
    primarySeeds,
  );

  const body: Omit<Plan, "hash"> = {
    format: "momlink-plan/1",
    changeId,
    platform: spec.platform,
    share: spec.share,
    dirs: [...spec.dirs],
    configAdded: spec.configAdded,
    failoverProperties: failoverPropertiesFor(spec),
    ...(spec.shareData === undefined ? {} : { shareData: spec.shareData }),
    ...(spec.shareAccess === undefined ? {} : { shareAccess: spec.shareAccess }),
    ...(spec.manageServices ? { manageServices: true as const } : {}),
    ...(spec.setFailoverProperties ? { setFailoverProperties: true as const } : {}),
    hosts: [primary, secondary],
  };
  return { ...body, hash: planHash(body) };
}

/** The hash a plan must carry: SHA-256 of the canonical JSON of everything but `hash`. */
export function planHash(body: Omit<Plan, "hash">): string {
  return sha256Hex(canonicalJson(body));
}

/** True when `plan.hash` matches its content: any edit to a line, fact or field makes it false. */
export function verifyPlanHash(plan: Plan): boolean {
  const { hash, ...body } = plan;
  if (typeof hash !== "string") return false;
  try {
    return planHash(body) === hash;
  } catch {
    // Tampering can leave values canonical JSON refuses (NaN, undefined in an array ...).
    return false;
  }
}

interface HostContext {
  spec: PairSpec;
  cmds: Commands;
  aside: (dir: string) => string;
  /** `pre-CHG-n`: the suffix of everything this change moves or copies aside. */
  suffix: string;
}

/** A runner's service control when it reported none yet (no pre-flight): the documented defaults. */
export const DEFAULT_SERVICE_CONTROL = {
  name: "IScopeEM",
  stopWaitSeconds: 120,
  startWaitSeconds: 300,
} as const;

export function defaultServiceControl(platform: Platform): ServiceControlFacts {
  return { via: platform === "windows" ? "sc" : "systemd", ...DEFAULT_SERVICE_CONTROL };
}

/** The properties both EMs read once config is linked: the one file on the share. */
export function sharedPropertiesFile(platform: Platform, share: string): string {
  const cmds = commandsFor(platform);
  return cmds.join(cmds.join(share, "config"), PROPERTIES_NAME);
}

const PROPERTIES_NAME = "IntroscopeEnterpriseManager.properties";

function planHost(
  ctx: HostContext,
  role: HostPlan["role"],
  host: string,
  emHome: string,
  facts: HostFacts | null,
  primarySeeds: ReadonlySet<string> | null,
): HostPlan {
  const { spec, cmds, aside } = ctx;
  const steps: Step[] = [];
  const rollbackByDir: Step[][] = [];
  const blockers = facts
    ? [...hostBlockers(spec, role, host, emHome, facts), ...accountBlockers(spec, host, facts)]
    : [];

  for (const dir of spec.dirs) {
    const target = cmds.join(spec.share, dir);
    const local = cmds.join(emHome, dir);
    const seed = (when?: string): Step => step("seed-share", dir, cmds.seed(local, target), { when });
    const move = (when?: string): Step => step("move-aside", dir, cmds.move(dir, aside(dir)), { when });
    const link = (noop?: boolean): Step => step("mklink", dir, cmds.mklink(dir, target), { noop });
    const verify = step("verify-link", dir, cmds.verify(dir, target));
    const unlink = step("remove-link", dir, cmds.removeLink(dir));
    const restore = (when?: string): Step => step("restore", dir, cmds.move(aside(dir), dir), { when });

    if (!facts) {
      // Worst case, each conditional step saying what the runner must find for it to run.
      if (role === "primary") {
        const reseed =
          spec.shareData === "reseed" ? `, or not in sync with ${local} (share-data=reseed)` : "";
        steps.push(seed(`if ${target} is empty or missing${reseed}`));
      }
      const realDir = `if ${dir} is a real directory`;
      steps.push(move(realDir), link(), verify);
      rollbackByDir.push([unlink, restore(`if ${aside(dir)} exists`)]);
      continue;
    }

    const found = facts.dirs.find((d) => d.dir === dir);
    if (!found) {
      blockers.push(`pre-flight on ${host} reported nothing about ${dir}: run pre-flight again`);
      continue;
    }
    const conflict = conflictOf(found, host, target);
    if (conflict) {
      blockers.push(conflict);
      continue;
    }

    const shareHasData = found.share.exists && !found.share.empty;
    // The primary's real directory is the good copy: a share dir holding data must match it.
    const decision =
      role === "primary" && found.linkPath === "directory" && shareHasData
        ? decideShareData(found.share.sync, spec.shareData, { host, dir, target })
        : null;
    if (decision?.action === "block") blockers.push(decision.reason);
    const seedsHere =
      role === "primary" &&
      found.linkPath === "directory" &&
      (!shareHasData || decision?.action === "reseed");
    const filled = shareHasData || seedsHere || (primarySeeds?.has(dir) ?? false);
    blockers.push(...targetBlockers(found, host, dir, target, filled));

    if (found.linkPath === "link-to-target") {
      // Already what we want: shown for the record, not run, and not undone by a rollback.
      steps.push(link(true), verify);
      continue;
    }
    if (seedsHere) steps.push(seed());
    if (found.linkPath === "directory") steps.push(move());
    steps.push(link(), verify);
    rollbackByDir.push(found.linkPath === "directory" ? [unlink, restore()] : [unlink]);
  }

  const rollback = rollbackByDir.reverse().flat();
  if (role === "primary" && spec.setFailoverProperties) {
    const { set, restore } = propertiesSteps(ctx);
    steps.push(set);
    rollback.unshift(restore);
  }
  if (spec.manageServices) {
    const control = facts?.serviceControl ?? defaultServiceControl(spec.platform);
    if (facts !== null && facts.serviceControl === undefined) {
      blockers.push(
        `the runner on ${host} did not report how it stops and starts the EM service (a runner older than services=manage?): upgrade it, or plan with services=require-stopped`,
      );
    }
    const { stop, start, check } = serviceSteps(ctx, role, host, control, facts === null);
    steps.unshift(stop);
    steps.push(start, check);
    rollback.unshift(stop);
    rollback.push(start);
  }
  return {
    role,
    host,
    emHome,
    facts: facts ? structuredClone(facts) : null,
    steps,
    rollback,
    blockers,
  };
}

/**
 * services=manage: stop before the links, start after them, then the evidence. Each command is
 * the runner's own service control as pre-flight reported it, and each wait is the runner's.
 */
function serviceSteps(
  ctx: HostContext,
  role: HostPlan["role"],
  host: string,
  control: ServiceControlFacts,
  worstCase: boolean,
): Record<"stop" | "start" | "check", Step> {
  const { cmds } = ctx;
  const when = worstCase ? "with this host's runner's service control, the default shown" : undefined;
  // Notes carry no parentheses: a REM line holds nothing cmd.exe would act on elsewhere.
  const proof =
    role === "primary"
      ? `${host} holds primary_em.lck, the active EM`
      : `${host} holds secondary_em.lck and stands by`;
  return {
    stop: step("stop-service", "", cmds.service("stop", control), {
      when,
      waitSeconds: control.stopWaitSeconds,
    }),
    start: step("start-service", "", cmds.service("start", control), {
      when,
      waitSeconds: control.startWaitSeconds,
    }),
    check: step(
      "check-failover",
      "",
      cmds.note(`check-failover: wait up to ${control.startWaitSeconds} s for proof that ${proof}`),
      { waitSeconds: control.startWaitSeconds },
    ),
  };
}

/** failover-properties=set: the shared file edited after seeding (backup first); rollback puts the backup back. */
function propertiesSteps(ctx: HostContext): Record<"set" | "restore", Step> {
  const { spec, cmds, suffix } = ctx;
  const file = sharedPropertiesFile(spec.platform, spec.share);
  const backup = `${PROPERTIES_NAME}.${suffix}`;
  const values = failoverPropertiesFor(spec)
    .map((p) => `${p.key}=${p.value}`)
    .join(" ");
  return {
    set: step(
      "set-failover-properties",
      "config",
      cmds.note(`set-failover-properties in ${file}, backup ${backup} beside it first: ${values}`),
    ),
    restore: step(
      "restore-properties",
      "config",
      cmds.note(`restore-properties: put ${backup} back as ${file}`),
    ),
  };
}

/** The failover properties the pair needs, as the plan lists them and the step sets them. */
export function failoverPropertiesFor(spec: Pick<PairSpec, "primary" | "secondary">): {
  key: string;
  value: string;
}[] {
  return [
    { key: "introscope.enterprisemanager.failover.enable", value: "true" },
    { key: "introscope.enterprisemanager.failover.primary", value: spec.primary },
    { key: "introscope.enterprisemanager.failover.secondary", value: spec.secondary },
  ];
}

/** A step without `when`/`noop` keys unless they carry something, so stored and sent plans stay lean. */
function step(
  kind: StepKind,
  dir: string,
  command: Command,
  extra: { when?: string | undefined; noop?: boolean; waitSeconds?: number } = {},
): Step {
  return {
    kind,
    dir,
    ...command,
    ...(extra.when === undefined ? {} : { when: extra.when }),
    ...(extra.noop ? { noop: true } : {}),
    ...(extra.waitSeconds === undefined ? {} : { waitSeconds: extra.waitSeconds }),
  };
}

function hostBlockers(
  spec: PairSpec,
  role: HostPlan["role"],
  host: string,
  emHome: string,
  facts: HostFacts,
): string[] {
  const { platform } = spec;
  const blockers: string[] = [];
  const key = role === "primary" ? "em-home" : "secondary-em-home";
  if (!sameMachine(facts.host, host)) {
    blockers.push(
      `the pre-flight facts came from ${printable(facts.host)}, not ${host}: run pre-flight on ${host}`,
    );
  }
  if (!facts.emHomeExists) {
    blockers.push(`EM_HOME ${emHome} does not exist on ${host}: check ${key}`);
  } else if (!facts.emHomeHoldsEm) {
    const props = platform === "windows" ? PROPERTIES_FILE.windows : PROPERTIES_FILE.linux;
    blockers.push(`${emHome} on ${host} has no ${props}: it does not look like an EM_HOME; check ${key}`);
  }
  const why = (detail: string | undefined) => (detail === undefined ? "" : ` (${printable(detail)})`);
  if (facts.serviceStopped === false && !spec.manageServices) {
    blockers.push(
      `the Enterprise Manager service is running on ${host}: stop it on both hosts before the change, or plan with services=manage to have momlink stop and start it`,
    );
  } else if (facts.serviceStopped === null) {
    blockers.push(
      `the state of the Enterprise Manager service on ${host} is unknown${why(facts.details?.service)}: ${UNKNOWN_SETTLES.service}`,
    );
  }
  if (facts.canCreateSymlinks === false) {
    blockers.push(
      platform === "windows"
        ? `the runner on ${host} lacks SeCreateSymbolicLinkPrivilege: run it elevated, as an Administrator`
        : `the runner on ${host} cannot create symbolic links in ${emHome}: give its account write access there`,
    );
  } else if (facts.canCreateSymlinks === null) {
    blockers.push(
      `the runner on ${host} could not tell whether it may create symbolic links${why(facts.details?.privilege)}: ${UNKNOWN_SETTLES.privilege}`,
    );
  }
  if (facts.symlinkL2R === false) {
    blockers.push(
      `SymlinkEvaluation L2R is disabled on ${host}, so a local link to a share cannot be followed${why(facts.details?.symlinkL2R)}: enable it with fsutil behavior set SymlinkEvaluation L2R:1 (or in the group policy "Selectively allow the evaluation of a symbolic link", which wins)`,
    );
  } else if (facts.symlinkL2R === null) {
    blockers.push(
      `SymlinkEvaluation L2R on ${host} is unknown${why(facts.details?.symlinkL2R)}: ${UNKNOWN_SETTLES.symlinkL2R}`,
    );
  }
  return blockers;
}

/**
 * Windows: the runner's write tests prove the EM's access to the share only when both run as the
 * same account. Otherwise someone checks the EM's account by hand and says so (share-access).
 */
function accountBlockers(spec: PairSpec, host: string, facts: HostFacts): string[] {
  if (spec.platform !== "windows" || spec.shareAccess === "checked-by-hand") return [];
  const account = facts.emAccount;
  if (account?.same === true) return [];
  const who =
    account?.em === null || account?.em === undefined ? "the EM service's account" : printable(account.em);
  const check = `check by hand that ${who} has Modify on ${spec.share} (the EM takes its lock in config\\internal\\server there), then plan again with share-access=checked-by-hand`;
  if (account === undefined) {
    return [
      `the runner on ${host} did not report the EM service's logon account, so its write test proves only its own access: ${check}`,
    ];
  }
  if (account.same === false) {
    return [
      `the EM service on ${host} runs as ${who}, the runner as ${printable(account.runner ?? "?")}: the runner could prove only its own access to the share; ${check}`,
    ];
  }
  return [
    `the EM service's logon account on ${host} could not be compared with the runner's (${printable(account.detail)}): ${check}`,
  ];
}

/** What settles each fact a runner could not establish: the words the facts and the blockers both show. */
export const UNKNOWN_SETTLES = {
  service:
    "the runner must see it stopped; give the runner the EM's service name (--service-name, e.g. IScopeEM; not the display name), or start it with --unknown-service-is-stopped where the EM does not run as a service, then plan again",
  privilege: "run the runner elevated, as an Administrator or LocalSystem, then plan again",
  symlinkL2R:
    'set it explicitly with fsutil behavior set SymlinkEvaluation L2R:1 (which writes the registry value momlink reads) or in the group policy "Selectively allow the evaluation of a symbolic link", then plan again',
} as const;

function conflictOf(found: DirFacts, host: string, target: string): string | null {
  const { dir } = found;
  const current = found.currentTarget === undefined ? "" : ` to ${printable(found.currentTarget)}`;
  switch (found.linkPath) {
    case "missing":
    case "directory":
    case "link-to-target":
      return null;
    case "link-elsewhere":
      return `${dir} on ${host} is already a link${current}, not to ${target}: remove it by hand or choose another dir`;
    case "junction":
      return `${dir} on ${host} is a junction${current}: remove it by hand or choose another dir`;
    case "file":
      return `${dir} on ${host} is a file, not a directory: move it away by hand or choose another dir`;
    default: {
      const unhandled: never = found.linkPath;
      throw new Error(`unhandled link path state ${String(unhandled)}`);
    }
  }
}

/** Problems with the share directory a link would point at, as seen from this host. */
function targetBlockers(
  found: DirFacts,
  host: string,
  dir: string,
  target: string,
  filled: boolean,
): string[] {
  if (found.share.exists && !found.share.writable) {
    return [`${target} is not writable from ${host}: the EM service account must be able to write there`];
  }
  if (!found.share.exists && !filled) {
    return [
      `${target} does not exist and nothing in this plan fills it: the link would dangle; create it on the share first`,
    ];
  }
  if (dir === "config" && !filled) {
    return [`${target} is empty and no host seeds it: the EM would start with no configuration`];
  }
  return [];
}

const PROPERTIES_FILE = {
  windows: "config\\IntroscopeEnterpriseManager.properties",
  linux: "config/IntroscopeEnterpriseManager.properties",
} as const;

export function propertiesFile(platform: Platform): string {
  return PROPERTIES_FILE[platform];
}

/** Runner-reported text (a link's current target) shown in a sentence: no control characters or backquotes. */
function printable(text: string): string {
  const cleaned = text.replace(/[\p{Cc}`]/gu, "?");
  return cleaned.length > 300 ? `${cleaned.slice(0, 300)}...` : cleaned;
}
