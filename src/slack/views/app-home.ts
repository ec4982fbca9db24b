// The App Home tab: the approval policy and the latest changes with their states.
import type { types } from "@slack/bolt";
import { describeApprovers, isOpenPolicy } from "../../domain/policy.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { shortHash } from "../../domain/shorten.ts";
import { LIMITS, type MessageContext, stateWord } from "../blocks.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackTime } from "../mrkdwn.ts";

export const HOME_CHANGES = 20;

export function homeView(records: readonly ChangeRecord[], ctx: MessageContext): types.HomeView {
  const { policy } = ctx;
  const n = policy.requiredApprovals;
  const who = isOpenPolicy(policy)
    ? "anyone but the requester (no approvers configured)"
    : mrkdwnPhrase(describeApprovers(policy.approvers));
  const rows: types.KnownBlock[] = records.slice(0, HOME_CHANGES).map((r) => ({
    type: "section",
    text: {
      type: "mrkdwn",
      text:
        `*${r.id}* · *${stateWord(r.state)}* · ${escapeMrkdwn(r.hosts.primary)} + ${escapeMrkdwn(r.hosts.secondary)}\n` +
        `requested by <@${r.requester}> at ${slackTime(r.createdAt)} · plan \`${shortHash(r.planHash)}\``,
    },
  }));
  const blocks: types.KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "momlink — MOM failover links" } },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `Approval: ${n} from ${who}; plans expire after ${policy.ttlMinutes} min. Type \`/momlink help\` in a channel for the commands.`,
        },
      ],
    },
    { type: "divider" },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text:
          records.length === 0
            ? "No changes yet. `/momlink plan` in an ops channel starts one."
            : "*Latest changes*",
      },
    },
    ...rows,
  ];
  return { type: "home", blocks: blocks.slice(0, LIMITS.viewBlocks) };
}
