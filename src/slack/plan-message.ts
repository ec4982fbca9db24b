// The change's channel message: re-rendered from the record after every transition, so Slack stays
// a view of the store. The plan's scripts come verbatim from the one renderer (domain/render.ts);
// around them, the pre-flight facts the plan was built on, the runs' progress (the runners' view,
// which the record does not hold), where the change stands, and the buttons the state allows.
// Scripts too long for one message go to its thread, whole.
import type { types } from "@slack/bolt";
import type { ChangeProgress, HostRun } from "../change/ports/runners.ts";
import { allowedActions } from "../domain/actions.ts";
import type { HostPlan, Plan } from "../domain/plan.ts";
import { type ApprovalPolicy, describePolicy } from "../domain/policy.ts";
import { approvalCount, type ChangeRecord, rollbackApprovers } from "../domain/record.ts";
import {
  failoverPropertiesWhere,
  renderChoices,
  renderHostFacts,
  renderHostScript,
} from "../domain/render.ts";
import { clip, shortHash } from "../domain/shorten.ts";
import {
  annotated,
  chunkBlocks,
  codeBlocks,
  type KnownBlock,
  LIMITS,
  type MessageContext,
  mrkdwn,
  plain,
  type SlackMessage,
  section,
  stateWord,
  textBlocks,
} from "./blocks.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackTime } from "./mrkdwn.ts";
import { decisionBlock, rollbackBlock } from "./plan-buttons.ts";

const hostList = (record: ChangeRecord): string => `${record.hosts.primary}, ${record.hosts.secondary}`;
const mentions = (users: readonly string[]): string => users.map((u) => `<@${u}>`).join(", ");

/** " · rollback: 1 of 2 approvals (by @bob)" while a rollback collects approvals; "" otherwise. */
function rollbackTally(record: ChangeRecord, policy: ApprovalPolicy): string {
  if (record.state === "rolling_back" || record.state === "rolled_back") return "";
  const approvers = rollbackApprovers(record, policy);
  if (approvers.length === 0) return "";
  const n = policy.requiredApprovals;
  return ` · rollback: ${approvers.length} of ${n} approval${n === 1 ? "" : "s"} (by ${mentions(approvers)})`;
}

/** One mrkdwn line saying where the change stands, for the plan message. */
export function stateLine(record: ChangeRecord, ctx: MessageContext): string {
  return `${stateOnly(record, ctx)}${rollbackTally(record, ctx.policy)}`;
}

function stateOnly(record: ChangeRecord, ctx: MessageContext): string {
  const { policy } = ctx;
  const hosts = escapeMrkdwn(hostList(record));
  const approvers = [
    ...new Set(record.approvals.filter((a) => a.hash === record.planHash).map((a) => a.actor)),
  ];
  switch (record.state) {
    case "planned":
      return `*Pre-flight* — asking the runners on ${hosts} what is there`;
    case "awaiting_approval": {
      const n = approvalCount(record, policy);
      const by = approvers.length > 0 ? ` (approved by ${mentions(approvers)})` : "";
      return `*Awaiting approval* — ${n} of ${policy.requiredApprovals}${by}; expires ${slackTime(record.expiresAt)}`;
    }
    case "approved":
      return ctx.runners
        ? `*Approved* by ${mentions(approvers)} — handed to the runners on ${hosts}`
        : `*Approved* by ${mentions(approvers)} — waiting for runner on ${hosts}`;
    case "executing":
      return `*Executing* on ${hosts}`;
    case "rolling_back":
      return `*Rolling back* on ${escapeMrkdwn(record.hosts.secondary)}, then ${escapeMrkdwn(record.hosts.primary)}`;
    case "succeeded":
      return `*Succeeded* — links in place on ${hosts}`;
    case "failed":
      return `*Failed*${record.failure ? `: ${escapeMrkdwn(record.failure.reason)}` : ""} — ${hosts} stay locked until the change is rolled back`;
    case "rolled_back":
      return `*Rolled back* on ${hosts}`;
    case "rejected": {
      const r = record.rejection;
      return r === null
        ? "*Rejected*"
        : `*Rejected* by <@${r.actor}> at ${slackTime(r.at)}: “${escapeMrkdwn(r.reason)}”`;
    }
    case "expired":
      return `*Expired* at ${slackTime(record.expiresAt)} without enough approvals — plan it again`;
    case "cancelled": {
      const c = record.cancellation;
      if (c === null) return "*Cancelled*";
      const reason = c.reason === null ? "" : `: “${escapeMrkdwn(c.reason)}”`;
      return `*Cancelled* by <@${c.actor}> at ${slackTime(c.at)}${reason}`;
    }
    case "needs_verification":
      return `*Needs verification* — lost the runner${record.lostRunner ? ` on ${escapeMrkdwn(record.lostRunner.host)}` : ""} mid-change; ${hosts} stay locked`;
    default: {
      const unhandled: never = record.state;
      throw new Error(`unhandled state ${String(unhandled)}`);
    }
  }
}

function factsBlocks(plan: Plan, host: HostPlan): KnownBlock[] {
  if (host.facts === null) return [];
  const [title = "", ...facts] = renderHostFacts(plan, host).split("\n");
  const heading = `${title.charAt(0).toUpperCase()}${title.slice(1)}`;
  return annotated(facts.join("\n"), `*${escapeMrkdwn(heading)}*`);
}

const RUN_WORDS: Record<HostRun["status"], string> = {
  pending: "not started",
  queued: "queued for its runner",
  running: "running",
  succeeded: "done",
  failed: "failed",
  refused: "refused by the runner, nothing ran",
  lost: "runner lost: unknown until verified",
  expired: "never picked up",
};

export function progressBlocks(record: ChangeRecord, progress: ChangeProgress | undefined): KnownBlock[] {
  if (progress === undefined) return [];
  const active =
    (record.state === "executing" && progress.runs.some((r) => r.kind === "execute")) ||
    record.state === "rolling_back";
  return progress.runs.flatMap((run) => {
    const waiting =
      run.status === "pending" &&
      active &&
      run.kind === (record.state === "executing" ? "execute" : "rollback");
    const status = waiting
      ? "waiting for its turn"
      : run.status === "pending"
        ? "did not run"
        : RUN_WORDS[run.status];
    const verb = run.kind === "execute" ? "Execute" : "Rollback";
    const phase = run.phase === undefined ? "" : ` ${run.phase.number}/${run.phase.of}`;
    const what = run.phase === undefined ? "" : ` — ${escapeMrkdwn(run.phase.title)}`;
    return annotated(
      run.steps,
      `*${verb}${phase} on ${escapeMrkdwn(run.host)}* (${run.role})${what}: ${status}`,
    );
  });
}

/** services=manage: what the failover evidence says so far (the pair's verdict once both started). */
function failoverBlocks(progress: ChangeProgress | undefined): KnownBlock[] {
  if (progress?.failover === null || progress?.failover === undefined) return [];
  return textBlocks([`*Failover:* ${escapeMrkdwn(progress.failover)}`]);
}

function hostTitle(host: HostPlan): string {
  return `*Apply on ${escapeMrkdwn(host.host)}* (${host.role}) · EM_HOME \`${escapeMrkdwn(host.emHome)}\``;
}

function summaryBlock(record: ChangeRecord, notes: readonly string[]): types.SectionBlock {
  const plan = record.plan;
  const lines = [
    `*Requested by* <@${record.requester}> · *Platform* ${plan.platform} · *Dirs* ${plan.dirs.join(", ")}`,
    `*Share* \`${escapeMrkdwn(plan.share)}\``,
  ];
  const cab = [
    ...(plan.ticket === undefined ? [] : [`*Ticket* ${escapeMrkdwn(plan.ticket)}`]),
    ...(plan.reason === undefined ? [] : [`*Reason* “${escapeMrkdwn(plan.reason)}”`]),
  ];
  if (cab.length > 0) lines.push(cab.join(" · "));
  if (plan.configAdded)
    lines.push("_config was added: the failover lock files live in it, so it is always linked._");
  for (const choice of renderChoices(plan)) lines.push(`_${escapeMrkdwn(choice)}_`);
  if (plan.hosts.some((h) => h.facts === null)) {
    lines.push("_No pre-flight facts from a runner yet: the steps marked [if …] show the worst case._");
  }
  for (const note of notes) lines.push(`_Pre-flight: ${escapeMrkdwn(note)}_`);
  return section(clip(lines.join("\n"), LIMITS.sectionText));
}

function blockersBlock(record: ChangeRecord): KnownBlock[] {
  const blockers = record.plan.hosts.flatMap((h) =>
    h.blockers.map((b) => `• ${escapeMrkdwn(h.host)}: ${escapeMrkdwn(b)}`),
  );
  if (blockers.length === 0) return [];
  return textBlocks([
    `*Blocked* — pre-flight found ${blockers.length} problem(s) to resolve, then plan again:`,
    ...blockers,
  ]);
}

function propertiesBlock(record: ChangeRecord): KnownBlock {
  const properties = record.plan.failoverProperties.map((p) => `${p.key}=${p.value}`).join("  ");
  return {
    type: "context",
    elements: [
      mrkdwn(
        clip(
          `Failover properties to set ${escapeMrkdwn(failoverPropertiesWhere(record.plan))}: \`${escapeMrkdwn(properties)}\``,
          LIMITS.contextText,
        ),
      ),
    ],
  };
}

/** "Approved by @bob at <time>, @carol at <time>": who approved the plan as hashed, and when. */
function approvalsLine(record: ChangeRecord): string | null {
  const approvals = record.approvals.filter((a) => a.hash === record.planHash);
  if (approvals.length === 0) return null;
  return `Approved by ${approvals.map((a) => `<@${a.actor}> at ${slackTime(a.at)}`).join(", ")}`;
}

/**
 * The hash, and what still applies: the policy and its expiry while the plan collects approvals;
 * once decided, who approved it and when (a closed change does not expire any more).
 */
function hashAndPolicyBlock(record: ChangeRecord, ctx: MessageContext): KnownBlock {
  const open = record.state === "planned" || record.state === "awaiting_approval";
  const approved = approvalsLine(record);
  const policy = mrkdwnPhrase(describePolicy(ctx.policy, record.expiresAt), ctx.groupIds);
  const elements = [
    mrkdwn(`Plan hash \`${shortHash(record.planHash)}\` (sha256 ${record.planHash})`),
    ...(open ? [mrkdwn(clip(policy, LIMITS.contextText))] : []),
    ...(approved === null ? [] : [mrkdwn(clip(`${approved} against this hash`, LIMITS.contextText))]),
  ];
  return { type: "context", elements };
}

/** What the header shows first: where the change stands, readable in a phone's notification list. */
const STATUS_EMOJI: Record<ChangeRecord["state"], string> = {
  planned: "⏳",
  awaiting_approval: "⏳",
  approved: "▶",
  executing: "▶",
  rolling_back: "↩",
  succeeded: "✅",
  failed: "❌",
  rolled_back: "↩",
  rejected: "🚫",
  expired: "⌛",
  cancelled: "🚫",
  needs_verification: "⚠",
};

/** "✅ CHG-1: mom-a → mom-b" within the header's limit, both host names kept (the longer cut first). */
export function headerText(record: ChangeRecord): string {
  const [primary, secondary] = record.plan.hosts;
  const head = `${STATUS_EMOJI[record.state]} ${record.id}: `;
  const arrow = " → ";
  const whole = `${head}${primary.host}${arrow}${secondary.host}`;
  if (whole.length <= LIMITS.headerText) return whole;
  const room = LIMITS.headerText - head.length - arrow.length;
  // Each host gets half the room; a host shorter than its half leaves the rest to the other.
  const half = Math.floor(room / 2);
  const first = Math.min(primary.host.length, Math.max(half, room - secondary.host.length));
  return `${head}${clip(primary.host, first)}${arrow}${clip(secondary.host, room - first)}`;
}

/** The channel message and, when the scripts do not fit in one message, the thread replies holding them. */
export interface PlanMessages {
  message: SlackMessage;
  /** Empty when the scripts fit in the message itself. */
  threadScripts: SlackMessage[];
}

/**
 * The channel message for a change: the plan, the pre-flight facts it was built on, the runs'
 * progress (when `progress` is given: the runners' view, which the record does not hold) and the
 * buttons the state allows.
 */
export function planMessages(
  record: ChangeRecord,
  ctx: MessageContext,
  progress?: ChangeProgress,
): PlanMessages {
  const plan = record.plan;
  const [primary, secondary] = plan.hosts;
  const header: types.HeaderBlock = { type: "header", text: plain(headerText(record)) };
  // For a phone: who asked, where it stands, the policy and the buttons come first; what the
  // runners are doing and what blocks it next; the facts and the scripts (long) after them.
  const head: KnownBlock[] = [
    header,
    summaryBlock(record, progress?.preflightNotes ?? []),
    section(stateLine(record, ctx)),
    hashAndPolicyBlock(record, ctx),
  ];
  // The buttons are the actions the state machine would accept now (domain/actions.ts).
  const offered = allowedActions(record, ctx.now);
  if (offered.includes("approve") || offered.includes("reject")) head.push(decisionBlock(record, offered));
  if (offered.includes("rollback")) head.push(rollbackBlock(record));
  head.push(
    ...progressBlocks(record, progress),
    ...failoverBlocks(progress),
    ...blockersBlock(record),
    ...plan.hosts.flatMap((h) => factsBlocks(plan, h)),
  );
  const scripts = plan.hosts.map((h) => codeBlocks(renderHostScript(plan, h), hostTitle(h)));
  const tail: KnownBlock[] = [propertiesBlock(record)];
  const text = `${STATUS_EMOJI[record.state]} ${record.id} ${primary.host} + ${secondary.host}: ${stateWord(record.state)}`;

  const inline = [...head, ...scripts.flat(), ...tail];
  if (inline.length <= LIMITS.messageBlocks) return { message: { text, blocks: inline }, threadScripts: [] };

  // Too long for one message: the scripts go to the thread, whole, and the message says so.
  const lines = plan.hosts.map(
    (h) => `${escapeMrkdwn(h.host)} ${renderHostScript(plan, h).split("\n").length} lines`,
  );
  const pointer = section(
    `*The scripts are in this message's thread* (${lines.join(", ")}): too long for one Slack message.`,
  );
  const threadScripts = plan.hosts.flatMap((h, i) => {
    const parts = chunkBlocks(scripts[i] ?? []);
    return parts.map((blocks, part) => ({
      text: `${record.id} script for ${h.host} (${h.role}), part ${part + 1} of ${parts.length}`,
      blocks,
    }));
  });
  return { message: { text, blocks: [...head, pointer, ...tail] }, threadScripts };
}

export function planMessage(
  record: ChangeRecord,
  ctx: MessageContext,
  progress?: ChangeProgress,
): SlackMessage {
  return planMessages(record, ctx, progress).message;
}
