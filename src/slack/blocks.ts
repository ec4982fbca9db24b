// Block Kit for momlink: the plan message (re-rendered from the record after every transition, so
// Slack stays a view of the store), the ephemeral change details, and the shared pieces. Scripts
// come verbatim from the one renderer (domain/render.ts); this module only escapes and lays them
// out, splitting long ones at line boundaries within Slack's limits instead of cutting them.
import type { types } from "@slack/bolt";
import type { ChangeProgress, HostOutcome, HostRun, VerifyReport } from "../change/ports/runners.ts";
import { allowedActions, type ButtonAction } from "../domain/actions.ts";
import type { HostPlan, Plan, Step } from "../domain/plan.ts";
import { type ApprovalPolicy, describePolicy, formatUtc } from "../domain/policy.ts";
import { approvalCount, type ChangeRecord, type ChangeState, rollbackApprovers } from "../domain/record.ts";
import {
  failoverPropertiesWhere,
  renderChoices,
  renderHostFacts,
  renderHostScript,
  renderPlanText,
} from "../domain/render.ts";
import { clip, shortHash } from "../domain/shorten.ts";
import type { StoredAuditEntry } from "../store/store.ts";
import { escapeMrkdwn, mrkdwnPhrase } from "./mrkdwn.ts";

type KnownBlock = types.KnownBlock;

export const ACTION_APPROVE = "momlink_approve";
export const ACTION_REJECT = "momlink_reject";
export const ACTION_ROLLBACK = "momlink_rollback";
/**
 * The actions blocks' ids carry the plan hash the message showed: a stale message cannot approve
 * (or roll back) a plan that changed. One prefix per block, since both name the same hash.
 */
const DECIDE_PREFIX = "momlink_decide:";
const UNDO_PREFIX = "momlink_undo:";

/** Slack's limits (https://docs.slack.dev/reference/block-kit/blocks), as the local fake enforces them. */
export const LIMITS = {
  sectionText: 3000,
  contextText: 3000,
  headerText: 150,
  messageBlocks: 50,
  viewBlocks: 100,
  confirmTitle: 100,
  confirmText: 300,
} as const;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface MessageContext {
  policy: ApprovalPolicy;
  now: Date;
  /** Whether runner hooks are plugged in: an approved change then waits for them, not for someone to set one up. */
  runners: boolean;
}

export function decisionBlockId(hash: string): string {
  return `${DECIDE_PREFIX}${hash}`;
}

export function rollbackBlockId(hash: string): string {
  return `${UNDO_PREFIX}${hash}`;
}

function hashAfter(prefix: string, blockId: string | undefined): string | undefined {
  if (blockId === undefined || !blockId.startsWith(prefix)) return undefined;
  const hash = blockId.slice(prefix.length);
  return hash === "" ? undefined : hash;
}

/** The plan hash a clicked message showed, or undefined for a block that is not ours. */
export function hashFromDecisionBlockId(blockId: string | undefined): string | undefined {
  return hashAfter(DECIDE_PREFIX, blockId);
}

/** The plan hash a clicked Roll back button's message showed, or undefined for a block that is not ours. */
export function hashFromRollbackBlockId(blockId: string | undefined): string | undefined {
  return hashAfter(UNDO_PREFIX, blockId);
}

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: "mrkdwn", text });
const plain = (text: string): types.PlainTextElement => ({ type: "plain_text", text });
const section = (text: string): types.SectionBlock => ({ type: "section", text: mrkdwn(text) });

/**
 * Splits lines into groups whose joined, escaped length plus `overhead` stays within `limit`.
 * A line too long for any group on its own (impossible for validated plans: paths stay under
 * MAX_PATH) is wrapped rather than dropped.
 */
function packLines(lines: readonly string[], limit: number, overhead: (index: number) => number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  const room = () => limit - overhead(groups.length);
  const flush = () => {
    groups.push(current);
    current = [];
    size = 0;
  };
  for (const line of lines) {
    for (const piece of wrap(line, room())) {
      const length = escapeMrkdwn(piece).length;
      if (current.length > 0 && size + 1 + length > room()) flush();
      size += (current.length > 0 ? 1 : 0) + length;
      current.push(piece);
    }
  }
  if (current.length > 0 || groups.length === 0) flush();
  return groups;
}

/** Length of a character once escaped for mrkdwn. */
const escapedLength = (ch: string): number => (ch === "&" ? 5 : ch === "<" || ch === ">" ? 4 : ch.length);

function wrap(line: string, room: number): string[] {
  if (escapeMrkdwn(line).length <= room) return [line];
  const pieces: string[] = [];
  let piece = "";
  let size = 0;
  for (const ch of line) {
    if (size + escapedLength(ch) > room) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += ch;
    size += escapedLength(ch);
  }
  pieces.push(piece);
  return pieces;
}

/**
 * A script as code blocks, each section within Slack's 3000 characters, split only between
 * lines. `title` (mrkdwn) heads the first block. Text holding a code fence of its own is shown as
 * preformatted rich text instead, where no character can end the block early.
 */
export function codeBlocks(script: string, title?: string): KnownBlock[] {
  const head = title === undefined ? "" : `${title}\n`;
  const fence = "```\n\n```".length;
  const groups = packLines(
    script.split("\n"),
    LIMITS.sectionText,
    (i) => fence + (i === 0 ? head.length : 0),
  );
  return groups.map((lines, i): KnownBlock => {
    const body = lines.join("\n");
    const prefix = i === 0 ? head : "";
    if (body.includes("```")) {
      return {
        type: "rich_text",
        elements: [
          ...(prefix === ""
            ? []
            : [{ type: "rich_text_section" as const, elements: [{ type: "text" as const, text: prefix }] }]),
          { type: "rich_text_preformatted", elements: [{ type: "text", text: body }] },
        ],
      };
    }
    return section(`${prefix}\`\`\`\n${escapeMrkdwn(body)}\n\`\`\``);
  });
}

/** Plain mrkdwn lines (already escaped where needed) as sections within the limit. */
export function textBlocks(lines: readonly string[]): KnownBlock[] {
  return packLines(lines, LIMITS.sectionText, () => 0).map((group) => section(group.join("\n")));
}

/** Blocks as several messages of at most `perMessage` blocks each. */
export function chunkBlocks(
  blocks: readonly KnownBlock[],
  perMessage = LIMITS.messageBlocks,
): KnownBlock[][] {
  const chunks: KnownBlock[][] = [];
  for (let i = 0; i < blocks.length; i += perMessage) chunks.push(blocks.slice(i, i + perMessage));
  return chunks;
}

const STATE_WORDS: Record<ChangeState, string> = {
  planned: "pre-flight",
  awaiting_approval: "awaiting approval",
  approved: "approved",
  executing: "executing",
  rolling_back: "rolling back",
  succeeded: "succeeded",
  failed: "failed",
  rolled_back: "rolled back",
  rejected: "rejected",
  expired: "expired",
  cancelled: "cancelled",
  needs_verification: "needs verification",
};

export function stateWord(state: ChangeState): string {
  return STATE_WORDS[state];
}

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
  const { now, policy } = ctx;
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
      return `*Awaiting approval* — ${n} of ${policy.requiredApprovals}${by}; expires ${formatUtc(record.expiresAt, now)}`;
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
        : `*Rejected* by <@${r.actor}> at ${formatUtc(r.at, now)}: “${escapeMrkdwn(r.reason)}”`;
    }
    case "expired":
      return `*Expired* at ${formatUtc(record.expiresAt, now)} without enough approvals — plan it again`;
    case "cancelled": {
      const c = record.cancellation;
      if (c === null) return "*Cancelled*";
      const reason = c.reason === null ? "" : `: “${escapeMrkdwn(c.reason)}”`;
      return `*Cancelled* by <@${c.actor}> at ${formatUtc(c.at, now)}${reason}`;
    }
    case "needs_verification":
      return `*Needs verification* — lost the runner${record.lostRunner ? ` on ${escapeMrkdwn(record.lostRunner.host)}` : ""} mid-change; ${hosts} stay locked`;
    default: {
      const unhandled: never = record.state;
      throw new Error(`unhandled state ${String(unhandled)}`);
    }
  }
}

/** Steps that change something on the host (verify lines are read-backs, no-ops are not run). */
function commandCount(host: HostPlan): string {
  const runs = host.steps.filter((s: Step) => !s.noop && s.kind !== "verify-link");
  const n = runs.length;
  const noun = `${n} command${n === 1 ? "" : "s"}`;
  return runs.some((s) => s.when !== undefined) ? `up to ${noun}` : noun;
}

function decisionBlock(record: ChangeRecord, offered: readonly ButtonAction[]): types.ActionsBlock {
  const [primary, secondary] = record.plan.hosts;
  const approve: types.Button = {
    type: "button",
    action_id: ACTION_APPROVE,
    style: "primary",
    text: plain("Approve"),
    value: record.id,
    confirm: {
      title: plain(clip(`Approve ${record.id}?`, LIMITS.confirmTitle)),
      text: plain(
        clip(
          `This runs ${commandCount(primary)} on ${primary.host} and ${commandCount(secondary)} on ${secondary.host}, ` +
            `exactly as shown (plan hash ${shortHash(record.planHash)}).`,
          LIMITS.confirmText,
        ),
      ),
      confirm: plain("Approve"),
      deny: plain("Back"),
    },
  };
  const reject: types.Button = {
    type: "button",
    action_id: ACTION_REJECT,
    style: "danger",
    text: plain("Reject"),
    value: record.id,
  };
  // A blocked plan cannot be approved (the state machine says so); offering the button would only invite a denial.
  return {
    type: "actions",
    block_id: decisionBlockId(record.planHash),
    elements: offered.includes("approve") ? [approve, reject] : [reject],
  };
}

/** The undo button, wherever the state machine allows a rollback. Approvers only: the state machine decides. */
function rollbackBlock(record: ChangeRecord): types.ActionsBlock {
  const [primary, secondary] = record.plan.hosts;
  const undo = (h: HostPlan) => h.rollback.filter((s) => !s.noop).length;
  return {
    type: "actions",
    block_id: rollbackBlockId(record.planHash),
    elements: [
      {
        type: "button",
        action_id: ACTION_ROLLBACK,
        style: "danger",
        text: plain("Roll back"),
        value: record.id,
        confirm: {
          title: plain(clip(`Roll back ${record.id}?`, LIMITS.confirmTitle)),
          text: plain(
            clip(
              `This runs up to ${undo(secondary)} undo step(s) on ${secondary.host}, then up to ${undo(primary)} on ${primary.host}: ` +
                "each link is removed (never its target) and the moved-aside directory put back. Steps already undone are skipped.",
              LIMITS.confirmText,
            ),
          ),
          confirm: plain("Roll back"),
          deny: plain("Back"),
        },
      },
    ],
  };
}

/**
 * Text that is not one of the plan's scripts (facts, progress): mrkdwn lines under a bold title,
 * never a code block, so it is not mistaken for a script to copy and reads the same in the console.
 */
function annotated(text: string, title: string): KnownBlock[] {
  return textBlocks([title, ...text.split("\n").map((line) => escapeMrkdwn(line))]);
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

function progressBlocks(record: ChangeRecord, progress: ChangeProgress | undefined): KnownBlock[] {
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
    return annotated(run.steps, `*${verb} on ${escapeMrkdwn(run.host)}* (${run.role}): ${status}`);
  });
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

function footerBlocks(record: ChangeRecord, ctx: MessageContext): KnownBlock[] {
  const properties = record.plan.failoverProperties.map((p) => `${p.key}=${p.value}`).join("  ");
  return [
    {
      type: "context",
      elements: [
        mrkdwn(
          clip(
            `Failover properties to set ${escapeMrkdwn(failoverPropertiesWhere(record.plan))}: \`${escapeMrkdwn(properties)}\``,
            LIMITS.contextText,
          ),
        ),
      ],
    },
    {
      type: "context",
      elements: [
        mrkdwn(`Plan hash \`${shortHash(record.planHash)}\` (sha256 ${record.planHash})`),
        mrkdwn(clip(mrkdwnPhrase(describePolicy(ctx.policy, record.expiresAt)), LIMITS.contextText)),
      ],
    },
    section(stateLine(record, ctx)),
  ];
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
  const header: types.HeaderBlock = {
    type: "header",
    text: plain(clip(`${record.id}: ${primary.host} → ${secondary.host}`, LIMITS.headerText)),
  };
  const head: KnownBlock[] = [
    header,
    summaryBlock(record, progress?.preflightNotes ?? []),
    ...plan.hosts.flatMap((h) => factsBlocks(plan, h)),
  ];
  const scripts = plan.hosts.map((h) => codeBlocks(renderHostScript(plan, h), hostTitle(h)));
  const tail: KnownBlock[] = [
    ...progressBlocks(record, progress),
    ...blockersBlock(record),
    ...footerBlocks(record, ctx),
  ];
  // The buttons are the actions the state machine would accept now (domain/actions.ts).
  const offered = allowedActions(record, ctx.now);
  if (offered.includes("approve") || offered.includes("reject")) tail.push(decisionBlock(record, offered));
  if (offered.includes("rollback")) tail.push(rollbackBlock(record));
  const text = `${record.id} ${primary.host} + ${secondary.host}: ${stateWord(record.state)}`;

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

const OUTCOME_MARK: Record<HostOutcome["status"], string> = {
  succeeded: "✓",
  failed: "✗",
  refused: "✗",
  lost: "⚠",
  expired: "✗",
};

/** The thread reply for one host's part of a run: the outcome, and what each failed step printed. */
export function hostOutcomeMessage(changeId: string, outcome: HostOutcome): SlackMessage {
  const verb = outcome.kind === "execute" ? "Execute" : "Rollback";
  const head = `${OUTCOME_MARK[outcome.status]} ${verb} on ${outcome.host} (${outcome.role}): ${outcome.summary}`;
  const blocks: KnownBlock[] = [section(clip(escapeMrkdwn(head), LIMITS.sectionText))];
  for (const failure of outcome.failures) {
    const step =
      failure.index < 0
        ? "re-check before the first step"
        : `step ${failure.index + 1}: ${failure.kind} ${failure.dir}`;
    const body = failure.line === "" ? failure.output : `${failure.line}\n${failure.output}`;
    blocks.push(...codeBlocks(body.trim() === "" ? "(no output)" : body, `*${escapeMrkdwn(step)}* failed:`));
  }
  return { text: clip(`${changeId}: ${head}`, 3000), blocks: chunkBlocks(blocks)[0] ?? [] };
}

/** `/momlink verify`: what the runners found, one line per dir that is not as approved. */
export function verifyLines(record: ChangeRecord, report: VerifyReport, actor: string, now: Date): string[] {
  const lines: string[] = [];
  const who = `<@${actor}>`;
  switch (report.outcome) {
    case "in-place":
      lines.push(
        `✓ *Verify ${record.id}* (asked by ${who} at ${formatUtc(now.toISOString(), now)}): every link on ${escapeMrkdwn(record.hosts.primary)} and ${escapeMrkdwn(record.hosts.secondary)} points at its target, as approved`,
      );
      break;
    case "drift":
      lines.push(
        `✗ *Verify ${record.id}* (asked by ${who} at ${formatUtc(now.toISOString(), now)}): the hosts are not as approved`,
      );
      break;
    case "unknown":
      lines.push(
        `⚠ *Verify ${record.id}* (asked by ${who} at ${formatUtc(now.toISOString(), now)}): not every runner answered, so nothing is settled`,
      );
      break;
    default: {
      const never: never = report.outcome;
      throw new Error(`unhandled outcome ${String(never)}`);
    }
  }
  for (const host of report.hosts) {
    const name = `${escapeMrkdwn(host.host)} (${host.role})`;
    if (!host.answered) lines.push(`• ${name}: no answer — ${escapeMrkdwn(host.note ?? "no runner")}`);
    else if (host.drift.length === 0) lines.push(`• ${name}: every dir links to its target`);
    else for (const d of host.drift) lines.push(`• ${name}: ${escapeMrkdwn(d)}`);
  }
  if (report.recorded !== null) {
    lines.push(`_${record.id} was waiting for verification: recorded as ${report.recorded}._`);
  }
  return lines;
}

/** One line per audit entry: who did what when, against which hash. */
export function auditLines(entries: readonly StoredAuditEntry[], now: Date): string[] {
  return entries.map((e) => {
    const actor = /^[UW][A-Z0-9]+$/.test(e.actor) ? `<@${e.actor}>` : escapeMrkdwn(e.actor);
    const from = e.fromState === null ? "" : `${stateWord(e.fromState)} → `;
    const reason = typeof e.details.reason === "string" ? `: “${escapeMrkdwn(e.details.reason)}”` : "";
    return `• ${formatUtc(e.at, now)} ${actor} *${e.event}* (${from}${stateWord(e.toState)}, hash \`${shortHash(e.planHash)}\`)${reason}`;
  });
}

/** `/momlink show`: the state, the audit trail and the whole plan (rollback included), as one or more messages. */
export function changeDetails(
  record: ChangeRecord,
  audit: readonly StoredAuditEntry[],
  ctx: MessageContext,
  link: string | null,
  progress?: ChangeProgress,
): SlackMessage[] {
  const where = link === null ? "" : ` · <${link}|plan message>`;
  const blocks: KnownBlock[] = [
    section(
      `*${record.id}* · ${escapeMrkdwn(record.hosts.primary)} + ${escapeMrkdwn(record.hosts.secondary)} · requested by <@${record.requester}>${where}`,
    ),
    section(stateLine(record, ctx)),
    ...progressBlocks(record, progress),
    ...textBlocks(["*Events*", ...auditLines(audit, ctx.now)]),
    ...codeBlocks(renderPlanText(record.plan), "*The plan*"),
  ];
  return chunkBlocks(blocks).map((chunk, i) => ({
    text: i === 0 ? `${record.id}: ${stateWord(record.state)}` : `${record.id} (continued)`,
    blocks: chunk,
  }));
}

/** `/momlink history`: one line per change, newest first. */
export function historyLines(records: readonly ChangeRecord[], now: Date): string[] {
  return records.map(
    (r) =>
      `• *${r.id}* · ${stateWord(r.state)} · ${escapeMrkdwn(r.hosts.primary)} + ${escapeMrkdwn(r.hosts.secondary)} · ` +
      `by <@${r.requester}> · ${formatUtc(r.createdAt, now)}`,
  );
}
