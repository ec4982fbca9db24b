// The App Home tab, for the person who opened it: the approval policy, then what awaits their
// approval (with a link to each message, where the buttons are), then their own recent changes,
// then the latest changes of everyone. Rendered from the store each time it is opened.
import type { types } from "@slack/bolt";
import { describeApprovers, isOpenPolicy } from "../../domain/policy.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { shortHash } from "../../domain/shorten.ts";
import { LIMITS, type MessageContext, stateWord } from "../blocks.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackTime } from "../mrkdwn.ts";

/** How many changes each section lists: three sections of this stay within a view's 100 blocks. */
export const HOME_CHANGES = 10;

/** A change awaiting the viewer's approval, with the link to its message (null: none could be had). */
export interface AwaitingChange {
  record: ChangeRecord;
  link: string | null;
}

export interface HomeSections {
  awaiting: readonly AwaitingChange[];
  /** The viewer's own changes, newest first. */
  mine: readonly ChangeRecord[];
  /** Everyone's, newest first. */
  latest: readonly ChangeRecord[];
}

function changeRow(r: ChangeRecord, link: string | null = null): types.KnownBlock {
  const open = link === null ? "" : ` · <${link}|open the message to approve or reject>`;
  return {
    type: "section",
    text: {
      type: "mrkdwn",
      text:
        `*${r.id}* · *${stateWord(r.state)}* · ${escapeMrkdwn(r.hosts.primary)} + ${escapeMrkdwn(r.hosts.secondary)}\n` +
        `requested by <@${r.requester}> at ${slackTime(r.createdAt)} · plan \`${shortHash(r.planHash)}\`${open}`,
    },
  };
}

function heading(text: string): types.KnownBlock {
  return { type: "section", text: { type: "mrkdwn", text } };
}

export function homeView(sections: HomeSections, ctx: MessageContext): types.HomeView {
  const { policy } = ctx;
  const n = policy.requiredApprovals;
  const who = isOpenPolicy(policy)
    ? "anyone but the requester (no approvers configured)"
    : mrkdwnPhrase(describeApprovers(policy.approvers), ctx.groupIds);
  const awaiting = sections.awaiting.slice(0, HOME_CHANGES);
  const mine = sections.mine.slice(0, HOME_CHANGES);
  const latest = sections.latest.slice(0, HOME_CHANGES);
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
    heading(
      awaiting.length === 0 ? "*Awaiting your approval*: nothing right now." : "*Awaiting your approval*",
    ),
    ...awaiting.map((a) => changeRow(a.record, a.link)),
    { type: "divider" },
    heading(mine.length === 0 ? "*Your recent changes*: none yet." : "*Your recent changes*"),
    ...mine.map((r) => changeRow(r)),
    { type: "divider" },
    heading(
      latest.length === 0
        ? "No changes yet. `/momlink plan` in an ops channel starts one."
        : "*Latest changes*",
    ),
    ...latest.map((r) => changeRow(r)),
  ];
  return { type: "home", blocks: blocks.slice(0, LIMITS.viewBlocks) };
}
