// The answers and thread replies about a change beyond its message: one host's outcome of a run
// (with what each failed step printed), what a verify found, and the `/momlink show` and
// `/momlink history` answers (state, audit trail, the whole plan).
import type { ChangeProgress, HostOutcome, VerifyReport } from "../change/ports/runners.ts";
import type { StoredAuditEntry } from "../change/ports/store.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { renderPlanText } from "../domain/render.ts";
import { clip, shortHash } from "../domain/shorten.ts";
import {
  chunkBlocks,
  codeBlocks,
  type KnownBlock,
  LIMITS,
  type MessageContext,
  type SlackMessage,
  section,
  stateWord,
  textBlocks,
} from "./blocks.ts";
import { escapeMrkdwn, slackTime } from "./mrkdwn.ts";
import { progressBlocks, stateLine } from "./plan-message.ts";

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
  const phase = outcome.phase === undefined ? "" : ` ${outcome.phase.number}/${outcome.phase.of}`;
  const head = `${OUTCOME_MARK[outcome.status]} ${verb}${phase} on ${outcome.host} (${outcome.role}): ${outcome.summary}`;
  const blocks: KnownBlock[] = [section(clip(escapeMrkdwn(head), LIMITS.sectionText))];
  for (const failure of outcome.failures) {
    const step =
      failure.index < 0
        ? "re-check before the first step"
        : `step ${failure.index + 1}: ${failure.kind}${failure.dir === "" ? "" : ` ${failure.dir}`}`;
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
        `✓ *Verify ${record.id}* (asked by ${who} at ${slackTime(now)}): every link on ${escapeMrkdwn(record.hosts.primary)} and ${escapeMrkdwn(record.hosts.secondary)} points at its target, as approved`,
      );
      break;
    case "drift":
      lines.push(
        `✗ *Verify ${record.id}* (asked by ${who} at ${slackTime(now)}): the hosts are not as approved`,
      );
      break;
    case "unknown":
      lines.push(
        `⚠ *Verify ${record.id}* (asked by ${who} at ${slackTime(now)}): not every runner answered, so nothing is settled`,
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
export function auditLines(entries: readonly StoredAuditEntry[]): string[] {
  return entries.map((e) => {
    const actor = /^[UW][A-Z0-9]+$/.test(e.actor) ? `<@${e.actor}>` : escapeMrkdwn(e.actor);
    const from = e.fromState === null ? "" : `${stateWord(e.fromState)} → `;
    const reason = typeof e.details.reason === "string" ? `: “${escapeMrkdwn(e.details.reason)}”` : "";
    return `• ${slackTime(e.at)} ${actor} *${e.event}* (${from}${stateWord(e.toState)}, hash \`${shortHash(e.planHash)}\`)${reason}`;
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
    ...textBlocks(["*Events*", ...auditLines(audit)]),
    ...codeBlocks(renderPlanText(record.plan), "*The plan*"),
  ];
  return chunkBlocks(blocks).map((chunk, i) => ({
    text: i === 0 ? `${record.id}: ${stateWord(record.state)}` : `${record.id} (continued)`,
    blocks: chunk,
  }));
}

/** `/momlink history`: one line per change, newest first. */
export function historyLines(records: readonly ChangeRecord[]): string[] {
  return records.map(
    (r) =>
      `• *${r.id}* · ${stateWord(r.state)} · ${escapeMrkdwn(r.hosts.primary)} + ${escapeMrkdwn(r.hosts.secondary)} · ` +
      `by <@${r.requester}> · ${slackTime(r.createdAt)}`,
  );
}
