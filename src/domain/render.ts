// The one renderer: CLI, Slack and console all show a plan through these functions. Every
// command line comes verbatim from the plan (what is hashed is what is shown); this module only
// adds comments and layout. Plain text, no colours: it must read the same in a terminal and in a
// Slack code block. Results have no trailing newline, except the JSON (a file-like document).
import { canonicalJson } from "./canonical.ts";
import { CHOICE_MEANING } from "./choices.ts";
import { propertiesFile, sharedPropertiesFile } from "./em-files.ts";
import type { AccountFacts, LinkPathState } from "./facts.ts";
import type { Platform } from "./pair.ts";
import { type RunKind, runPhases } from "./phases.ts";
import type { HostPlan, Plan, Step, StepKind } from "./plan.ts";
import { UNKNOWN_SETTLES } from "./plan-blockers.ts";
import { cmdQuote, shQuote } from "./quote.ts";
import {
  isInterleaved,
  phaseHeading,
  propertiesLines,
  recoveryLine,
  runOrderLines,
  serviceControlLine,
  waitLine,
} from "./render-procedure.ts";
import { describeSync } from "./share-sync.ts";

export { type ProgressEvent, renderHostProgress, type StepMark, stepStatuses } from "./render-progress.ts";

/** The script to run on one host, in order, as a team approves it. */
export function renderHostScript(plan: Plan, hostPlan: HostPlan): string {
  const c = commentMark(plan.platform);
  const lines = preamble(plan, hostPlan, "");
  const heading = phaseHeadings(plan, "execute", hostPlan);
  for (const [index, step] of hostPlan.steps.entries()) {
    const opens = heading.get(index);
    if (opens !== undefined) lines.push(`${c} ${opens}`);
    if (step.kind === "seed-share" && isReseed(hostPlan, step.dir)) {
      lines.push(
        `${c} [share-data=reseed: copies what the share lacks or holds in another version; deletes nothing there]`,
      );
    }
    lines.push(...stepLines(c, step));
  }
  if (hostPlan.steps.length === 0) lines.push(`${c} nothing to do on this host`);
  return lines.join("\n");
}

/** The undo script for one host: links removed (never their targets), moved-aside dirs put back. */
export function renderRollbackScript(plan: Plan, hostPlan: HostPlan): string {
  const c = commentMark(plan.platform);
  const lines = preamble(plan, hostPlan, "rollback ");
  for (const step of hostPlan.steps) {
    if (step.kind === "mklink" && step.noop) {
      lines.push(`${c} ${step.dir} was linked before this change: rollback leaves it as it is`);
    }
  }
  const heading = phaseHeadings(plan, "rollback", hostPlan);
  for (const [index, step] of hostPlan.rollback.entries()) {
    const opens = heading.get(index);
    if (opens !== undefined) lines.push(`${c} ${opens}`);
    lines.push(...stepLines(c, step));
  }
  if (hostPlan.rollback.length === 0) lines.push(`${c} nothing to undo on this host`);
  return lines.join("\n");
}

/** Where each phase of an interleaved run begins in this host's steps: step index -> heading. */
function phaseHeadings(plan: Plan, kind: RunKind, hostPlan: HostPlan): Map<number, string> {
  const headings = new Map<number, string>();
  if (!isInterleaved(plan, kind)) return headings;
  const phases = runPhases(plan, kind);
  for (const phase of phases) {
    const first = phase.indices[0];
    if (phase.role !== hostPlan.role || first === undefined) continue;
    headings.set(first, phaseHeading(plan, kind, phase, phases.length));
  }
  return headings;
}

/** Everything an operator reviews, top to bottom. */
export function renderPlanText(plan: Plan): string {
  const [primary, secondary] = plan.hosts;
  const sections: string[] = [];

  const title =
    plan.changeId === null ? "momlink plan (preview, no change id)" : `momlink plan ${plan.changeId}`;
  const head = [
    `${title}: MOM failover pair ${primary.host} (primary) + ${secondary.host} (secondary), ${plan.platform}`,
    `share ${plan.share}, dirs ${plan.dirs.join(", ")}`,
  ];
  if (plan.configAdded) {
    head.push(
      "note: config was added automatically: the failover lock files live in it, so it is always linked",
    );
  }
  head.push(...renderTicketAndReason(plan), ...renderChoices(plan));
  sections.push(head.join("\n"));

  if (isInterleaved(plan, "execute")) {
    sections.push(
      [
        "run order (each phase starts once the one before it succeeded):",
        ...runOrderLines(plan, "execute"),
      ].join("\n"),
    );
  }
  for (const host of plan.hosts) {
    sections.push(`apply on ${host.host} (${host.role}):\n${renderHostScript(plan, host)}`);
  }

  const blockers = plan.hosts.flatMap((h) => h.blockers.map((b) => `- ${h.host}: ${b}`));
  if (blockers.length > 0) {
    sections.push(
      [
        `BLOCKED: ${count(blockers.length, "problem")} to resolve before this plan can be approved:`,
        ...blockers,
      ].join("\n"),
    );
  }

  const current = plan.hosts[0].facts?.failoverProperties;
  sections.push(
    [
      `failover properties to set ${failoverPropertiesWhere(plan)}:`,
      ...plan.failoverProperties.map((p) => `${p.key}=${p.value}`),
      ...(current === undefined ? [] : ["as they stand now:", ...propertiesLines(plan, current)]),
    ].join("\n"),
  );

  if (isInterleaved(plan, "rollback")) {
    sections.push(["rollback order:", ...runOrderLines(plan, "rollback")].join("\n"));
  }
  for (const host of plan.hosts) {
    sections.push(`rollback on ${host.host} (${host.role}):\n${renderRollbackScript(plan, host)}`);
  }

  sections.push(`plan hash: ${plan.hash.slice(0, 12)} (sha256 ${plan.hash})`);
  return sections.join("\n\n");
}

/**
 * Where and when the failover properties are set: once config is linked, both EMs read ONE
 * IntroscopeEnterpriseManager.properties, the copy on the share. It is edited once, after seeding
 * (before, the primary's local copy is seeded over it; on a host, it is no longer read).
 */
export function failoverPropertiesWhere(plan: Plan): string {
  const file = sharedPropertiesFile(plan.platform, plan.share);
  return plan.setFailoverProperties
    ? `once, in the one shared ${file} after seeding (both EMs read that copy once config is linked; ` +
        "this plan's set-failover-properties step sets them, backup first)"
    : `once, in the one shared ${file} after seeding (both EMs read that copy once config is linked; ` +
        "momlink does not edit it: failover-properties=check)";
}

/** The full plan, hash included, as canonical JSON and a final newline. */
export function renderPlanJson(plan: Plan): string {
  return `${canonicalJson(plan)}\n`;
}

function commentMark(platform: Platform): string {
  return platform === "windows" ? "REM" : "#";
}

function preamble(plan: Plan, hostPlan: HostPlan, what: string): string[] {
  const c = commentMark(plan.platform);
  const change = plan.changeId === null ? "" : `${plan.changeId} `;
  const lines = [`${c} ${change}${what}${hostPlan.role} ${hostPlan.host}  EM_HOME ${hostPlan.emHome}`];
  if (hostPlan.facts === null) {
    lines.push(`${c} no pre-flight facts yet: steps marked [if ...] depend on what the runner finds`);
  }
  if (hostPlan.blockers.length > 0) {
    // The sentences themselves carry runner-reported text: they are listed in the plan, not
    // pasted into a script where a cmd.exe comment might not stay a comment.
    lines.push(
      `${c} BLOCKED: ${count(hostPlan.blockers.length, "problem")} found by pre-flight; see the plan`,
    );
  }
  lines.push(
    plan.platform === "windows" ? `cd /d ${cmdQuote(hostPlan.emHome)}` : `cd ${shQuote(hostPlan.emHome)}`,
  );
  return lines;
}

/** A seed into a share dir that already holds data: only share-data=reseed plans one. */
function isReseed(hostPlan: HostPlan, dir: string): boolean {
  const share = hostPlan.facts?.dirs.find((d) => d.dir === dir)?.share;
  return share?.exists === true && !share.empty;
}

function stepLines(c: string, step: Step): string[] {
  if (step.noop) return [`${c} [${noopLabel(step.kind)}] ${step.line}`];
  const lines = step.when === undefined ? [step.line] : [`${c} [${step.when}]`, step.line];
  if ((step.kind === "stop-service" || step.kind === "start-service") && step.waitSeconds !== undefined) {
    lines.push(`${c} ${waitLine(step.kind, step.waitSeconds)}`);
  }
  return lines;
}

function noopLabel(kind: StepKind): string {
  switch (kind) {
    case "mklink":
      return "already linked";
    case "seed-share":
      return "share already filled";
    case "move-aside":
      return "already moved aside";
    case "verify-link":
    case "remove-link":
    case "restore":
    case "stop-service":
    case "start-service":
    case "check-failover":
    case "set-failover-properties":
    case "restore-properties":
      return "already done";
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled step kind ${String(unhandled)}`);
    }
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * What pre-flight found on one host, as the preview shows it next to the steps it implies: the
 * host checks, then per dir what the link path holds and what the share target looks like.
 * Runner-reported text (a link's current target) is cleaned of control characters.
 */
export function renderHostFacts(plan: Plan, hostPlan: HostPlan): string {
  const facts = hostPlan.facts;
  const where = `${hostPlan.host} (${hostPlan.role})`;
  if (facts === null) {
    return `no pre-flight facts from ${where}: the steps show the worst case`;
  }
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  const details = facts.details ?? {};
  // An unknown is shown as unknown, with what the probe read and what settles it: never a ✓ or ✗.
  const unknown = (what: string, detail: string | undefined, settles: string) =>
    `? ${what} unknown: ${printable(detail ?? "the runner reported no detail")}; ${settles}`;
  const lines = [`pre-flight on ${where}, as its runner found it:`];
  lines.push(
    `${mark(facts.emHomeExists)} EM_HOME ${hostPlan.emHome} ${facts.emHomeExists ? "exists" : "does not exist"}`,
  );
  if (facts.emHomeExists) {
    const props = propertiesFile(plan.platform);
    lines.push(
      facts.emHomeHoldsEm
        ? `✓ holds an Enterprise Manager (${props})`
        : `✗ holds no Enterprise Manager (${props} is missing)`,
    );
  }
  lines.push(
    facts.serviceStopped === null
      ? unknown("EM service state", details.service, UNKNOWN_SETTLES.service)
      : facts.serviceStopped === false && plan.manageServices
        ? "✓ EM service running: services=manage stops it before the links and starts it again after"
        : `${mark(facts.serviceStopped)} EM service ${facts.serviceStopped ? "stopped" : "RUNNING"}`,
  );
  lines.push(
    facts.canCreateSymlinks === null
      ? unknown("permission to create symbolic links", details.privilege, UNKNOWN_SETTLES.privilege)
      : `${mark(facts.canCreateSymlinks)} ${facts.canCreateSymlinks ? "may" : "may NOT"} create symbolic links`,
  );
  if (facts.symlinkL2R === null) {
    lines.push(unknown("SymlinkEvaluation L2R", details.symlinkL2R, UNKNOWN_SETTLES.symlinkL2R));
  } else {
    lines.push(
      plan.platform === "windows"
        ? `${mark(facts.symlinkL2R)} SymlinkEvaluation L2R ${facts.symlinkL2R ? "enabled" : "DISABLED"}`
        : `${mark(facts.symlinkL2R)} links to the share can be followed`,
    );
  }
  if (plan.platform === "windows") lines.push(accountLine(facts.emAccount, plan.shareAccess !== undefined));
  if (plan.manageServices) lines.push(serviceControlLine(facts.serviceControl));
  if (facts.recovery !== undefined) lines.push(recoveryLine(facts.recovery));
  if (facts.failoverProperties !== undefined) lines.push(...propertiesLines(plan, facts.failoverProperties));
  const join = plan.platform === "windows" ? "\\" : "/";
  for (const dir of plan.dirs) {
    const found = facts.dirs.find((d) => d.dir === dir);
    if (found === undefined) {
      lines.push(`✗ ${dir}: not reported by the runner`);
      continue;
    }
    const conflict =
      found.linkPath === "link-elsewhere" || found.linkPath === "junction" || found.linkPath === "file";
    const share = found.share;
    const target = `${plan.share}${join}${dir}`;
    const shareWords = share.exists
      ? `${share.writable ? "writable" : "NOT writable"}, ${share.empty ? "empty" : "holds data"}`
      : "missing";
    const shareOk = !share.exists || share.writable;
    // The primary's share dir holding data was compared with its real directory (share-sync.ts).
    const compared =
      hostPlan.role === "primary" && found.linkPath === "directory" && share.exists && !share.empty;
    const inSync = !compared || share.sync?.inSync === true;
    const chosen =
      compared && !inSync && plan.shareData !== undefined ? `; share-data=${plan.shareData}` : "";
    const syncWords = compared ? `, ${describeSync(share.sync)}${chosen}` : "";
    const symbol = !conflict && shareOk && inSync ? "✓" : !conflict && shareOk && chosen !== "" ? "⚠" : "✗";
    lines.push(
      `${symbol} ${dir}: ${linkPathWords(found.linkPath, found.currentTarget)}; share ${target}: ${shareWords}${syncWords}`,
    );
  }
  return lines.join("\n");
}

/** Whose access the runner proved: the EM's own only when both run as the same account. */
function accountLine(account: AccountFacts | undefined, checkedByHand: boolean): string {
  const byHand = checkedByHand
    ? "; share-access=checked-by-hand: the team checked the EM's account on the share by hand (recorded in this change)"
    : "";
  if (account === undefined)
    return `${checkedByHand ? "⚠" : "?"} the EM service's logon account was not reported${byHand}`;
  const em = printable(account.em ?? "?");
  if (account.same === true) {
    return `✓ the EM service runs as ${em}, like the runner: the runner's write test on the share proves the EM's access`;
  }
  if (account.same === false) {
    return `${checkedByHand ? "⚠" : "✗"} the EM runs as ${em}; the runner (${printable(account.runner ?? "?")}) could prove only its own access${byHand}`;
  }
  return `${checkedByHand ? "⚠" : "?"} the EM service's account unknown: ${printable(account.detail)}${byHand}`;
}

/** The change ticket and the reason the requester gave, one line each (nothing when not given). */
export function renderTicketAndReason(plan: Pick<Plan, "ticket" | "reason">): string[] {
  const lines: string[] = [];
  if (plan.ticket !== undefined) lines.push(`ticket ${plan.ticket}`);
  if (plan.reason !== undefined) lines.push(`reason: ${printable(plan.reason)}`);
  return lines;
}

/** The decisions a person recorded in the plan (choice keys), each with what it means. */
export function renderChoices(plan: Plan): string[] {
  const lines: string[] = [];
  if (plan.shareData !== undefined) {
    lines.push(`share-data=${plan.shareData} (recorded): ${CHOICE_MEANING["share-data"][plan.shareData]}`);
  }
  if (plan.shareAccess !== undefined) {
    lines.push(
      `share-access=${plan.shareAccess} (recorded): ${CHOICE_MEANING["share-access"][plan.shareAccess]}`,
    );
  }
  if (plan.manageServices) lines.push(`services=manage (recorded): ${CHOICE_MEANING.services.manage}`);
  if (plan.setFailoverProperties) {
    lines.push(`failover-properties=set (recorded): ${CHOICE_MEANING["failover-properties"].set}`);
  }
  return lines;
}

function linkPathWords(state: LinkPathState, currentTarget: string | undefined): string {
  switch (state) {
    case "missing":
      return "nothing there yet";
    case "directory":
      return "a real directory";
    case "link-to-target":
      return "already a link to the target";
    case "link-elsewhere":
      return `a link to ${printable(currentTarget ?? "?")} (conflict)`;
    case "junction":
      return "a junction (conflict)";
    case "file":
      return "a file (conflict)";
    default: {
      const unhandled: never = state;
      throw new Error(`unhandled link path state ${String(unhandled)}`);
    }
  }
}

function printable(text: string): string {
  const cleaned = text.replace(/\p{Cc}/gu, "?");
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}...` : cleaned;
}
