// PairSpec (+ pre-flight facts) -> the canonical Plan a team approves, with its SHA-256.
// Every command line is built here from quoted, re-checked arguments (quote.ts); renderers only
// lay the lines out. The plan is data: what is hashed is what is shown is what runs.
import { canonicalJson, sha256Hex } from "./canonical.ts";
import type { ShareAccessChoice, ShareDataChoice } from "./choices.ts";
import { type Command, type Commands, commandsFor } from "./commands.ts";
import { PROPERTIES_NAME, sharedPropertiesFile } from "./em-files.ts";
import type { HostFacts, ServiceControlFacts } from "./facts.ts";
import type { PairSpec, Platform } from "./pair.ts";
import { accountBlockers, conflictOf, hostBlockers, targetBlockers } from "./plan-blockers.ts";
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

/** The host plan a role means: the primary's is first, the secondary's second. */
export function planOf(record: { plan: Pick<Plan, "hosts"> }, role: HostPlan["role"]): HostPlan {
  return role === "primary" ? record.plan.hosts[0] : record.plan.hosts[1];
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
  /** `ticket=` and `reason=`, when given: the change ticket and why (recorded only when given, so older plans keep their hash). */
  ticket?: string;
  reason?: string;
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
    ...(spec.ticket === undefined ? {} : { ticket: spec.ticket }),
    ...(spec.reason === undefined ? {} : { reason: spec.reason }),
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

function planHost(
  ctx: HostContext,
  role: HostPlan["role"],
  host: string,
  emHome: string,
  facts: HostFacts | null,
  primarySeeds: ReadonlySet<string> | null,
): HostPlan {
  const { spec } = ctx;
  const parts: HostParts = {
    steps: [],
    rollbackByDir: [],
    blockers: facts
      ? [...hostBlockers(spec, role, host, emHome, facts), ...accountBlockers(spec, host, facts)]
      : [],
  };
  for (const dir of spec.dirs) planDir(ctx, { role, host, emHome, facts, primarySeeds }, dir, parts);
  const { steps, blockers } = parts;
  const rollback = parts.rollbackByDir.reverse().flat();
  addProcedureSteps(ctx, { role, host, facts }, { steps, rollback, blockers });
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

/** What a host's plan collects dir by dir: the steps, each dir's undo (reversed at the end), the blockers. */
interface HostParts {
  steps: Step[];
  rollbackByDir: Step[][];
  blockers: string[];
}

/** One dir's steps on one host: the worst case without facts, else what its pre-flight facts call for. */
function planDir(
  ctx: HostContext,
  on: {
    role: HostPlan["role"];
    host: string;
    emHome: string;
    facts: HostFacts | null;
    primarySeeds: ReadonlySet<string> | null;
  },
  dir: string,
  parts: HostParts,
): void {
  const { spec, cmds, aside } = ctx;
  const { role, host, emHome, facts, primarySeeds } = on;
  const { steps, rollbackByDir, blockers } = parts;
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
      const reseed = spec.shareData === "reseed" ? `, or not in sync with ${local} (share-data=reseed)` : "";
      steps.push(seed(`if ${target} is empty or missing${reseed}`));
    }
    const realDir = `if ${dir} is a real directory`;
    steps.push(move(realDir), link(), verify);
    rollbackByDir.push([unlink, restore(`if ${aside(dir)} exists`)]);
    return;
  }

  const found = facts.dirs.find((d) => d.dir === dir);
  if (!found) {
    blockers.push(`pre-flight on ${host} reported nothing about ${dir}: run pre-flight again`);
    return;
  }
  const conflict = conflictOf(found, host, target);
  if (conflict) {
    blockers.push(conflict);
    return;
  }

  const shareHasData = found.share.exists && !found.share.empty;
  // The primary's real directory is the good copy: a share dir holding data must match it.
  const decision =
    role === "primary" && found.linkPath === "directory" && shareHasData
      ? decideShareData(found.share.sync, spec.shareData, { host, dir, target })
      : null;
  if (decision?.action === "block") blockers.push(decision.reason);
  const seedsHere =
    role === "primary" && found.linkPath === "directory" && (!shareHasData || decision?.action === "reseed");
  const filled = shareHasData || seedsHere || (primarySeeds?.has(dir) ?? false);
  blockers.push(...targetBlockers(found, host, dir, target, filled));

  if (found.linkPath === "link-to-target") {
    // Already what we want: shown for the record, not run, and not undone by a rollback.
    steps.push(link(true), verify);
    return;
  }
  if (seedsHere) steps.push(seed());
  if (found.linkPath === "directory") steps.push(move());
  steps.push(link(), verify);
  rollbackByDir.push(found.linkPath === "directory" ? [unlink, restore()] : [unlink]);
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

/**
 * The rest of the KB's procedure around a host's links: the shared properties set after them
 * (primary, failover-properties=set; restored first in a rollback), and the EM service stopped
 * before everything and started after, with the proof of its failover role (services=manage).
 */
function addProcedureSteps(
  ctx: HostContext,
  where: { role: HostPlan["role"]; host: string; facts: HostFacts | null },
  out: { steps: Step[]; rollback: Step[]; blockers: string[] },
): void {
  const { spec } = ctx;
  const { role, host, facts } = where;
  if (role === "primary" && spec.setFailoverProperties) {
    const { set, restore } = propertiesSteps(ctx);
    out.steps.push(set);
    out.rollback.unshift(restore);
  }
  if (!spec.manageServices) return;
  const control = facts?.serviceControl ?? defaultServiceControl(spec.platform);
  if (facts !== null && facts.serviceControl === undefined) {
    out.blockers.push(
      `the runner on ${host} did not report how it stops and starts the EM service (a runner older than services=manage?): upgrade it, or plan with services=require-stopped`,
    );
  }
  const { stop, start, check } = serviceSteps(ctx, role, host, control, facts === null);
  out.steps.unshift(stop);
  out.steps.push(start, check);
  out.rollback.unshift(stop);
  out.rollback.push(start);
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
