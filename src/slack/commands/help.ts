// `/momlink help` (and the answer to an unknown subcommand): the commands, the plan grammar and
// the approval policy in force. Static text, so it goes out in the ack itself.
import { PLAN_USAGE } from "../../domain/grammar.ts";
import { describeApprovers, isOpenPolicy } from "../../domain/policy.ts";
import type { BotContext } from "../context.ts";
import { escapeMrkdwn, mrkdwnPhrase } from "../mrkdwn.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export function helpText(bot: BotContext): string {
  const { policy } = bot.messageContext();
  const n = policy.requiredApprovals;
  const approvers = isOpenPolicy(policy)
    ? "anyone but the requester (no approvers configured)"
    : mrkdwnPhrase(describeApprovers(policy.approvers));
  return [
    "*momlink* plans MKLINK /D links for an Introscope MOM failover pair, posts the exact scripts for approval and keeps the change record.",
    "• `/momlink plan key=value ...` preview a change in this channel for approval (`/momlink plan` alone opens a form)",
    "• `/momlink show CHG-n` a change's state, events and full plan (rollback included)",
    "• `/momlink history [host]` the latest changes, optionally for one host",
    "• `/momlink cancel CHG-n [reason]` cancel a change (its requester or an approver)",
    "• `/momlink rollback CHG-n` approve undoing a failed, unverified or succeeded change on both hosts (approvers, not its requester; as many as a change needs)",
    "• `/momlink verify CHG-n|host` check the live links against the approved plan (read-only)",
    "• `/momlink runners` the runner agents on the MOM hosts, online or not",
    "• `/momlink help` this text",
    `*plan*:\n\`\`\`\n${escapeMrkdwn(PLAN_USAGE)}\n\`\`\``,
    `Approval: ${n} approval${n === 1 ? "" : "s"} from ${approvers}; plans expire after ${policy.ttlMinutes} min.`,
  ].join("\n");
}

export const runHelp: Subcommand = async ({ slack, bot }) => {
  await slack.ack(ephemeral(helpText(bot)));
};
