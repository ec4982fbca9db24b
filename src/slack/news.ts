// The words of the thread replies and private answers the presenter posts: who did what to a change
// and when (mentions, the plan hash they saw), and what became of a request received before a
// restart. Data in (change/ports/presenter.ts), mrkdwn out.

import type { DurableRequest } from "../change/inbox.ts";
import type { RecoveredAnswer } from "../change/outcomes.ts";
import type { ChangeNews, OutcomeEvent } from "../change/ports/presenter.ts";
import { renderPairText } from "../domain/grammar.ts";
import { specOfPlan } from "../domain/plan-keys.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { shortHash } from "../domain/shorten.ts";
import { stateWord } from "./blocks.ts";
import { verifyLines } from "./change-reports.ts";
import { escapeMrkdwn, mrkdwnPhrase, slackTime } from "./mrkdwn.ts";
import { planOutcomeText } from "./plan-outcome.ts";

/** One reply in the change's thread, for what happened (the record is as it is after it). */
export function newsText(record: ChangeRecord, news: ChangeNews): string {
  const at = slackTime(record.updatedAt);
  const by = (actor: string) => `by <@${actor}> at ${at}`;
  const against = (hash: string) => `against plan hash ${shortHash(hash)}…`;
  switch (news.kind) {
    case "approved":
      return `approved ${by(news.actor)} ${against(news.hash)}`;
    case "approval":
      return `approval ${news.count} of ${news.required} ${by(news.actor)} ${against(news.hash)}`;
    case "rejected":
      return `rejected ${by(news.actor)}: “${escapeMrkdwn(news.reason)}”`;
    case "cancelled": {
      const why = news.reason ? `: “${escapeMrkdwn(news.reason)}”` : "";
      return `cancelled ${by(news.actor)}${why}`;
    }
    case "rollback-approval": {
      const approvals = `approval${news.required === 1 ? "" : "s"}`;
      return `rollback: ${news.count} of ${news.required} ${approvals} ${by(news.actor)} ${against(news.hash)}`;
    }
    case "rollback-started":
      return (
        `rollback approved ${by(news.actor)}: undoing on ${escapeMrkdwn(record.hosts.secondary)}, ` +
        `then ${escapeMrkdwn(record.hosts.primary)}`
      );
    case "verified":
      return verifyLines(record, news.report, news.actor, news.at).join("\n");
    case "reminder":
      return (
        `⏰ ${record.id} still awaits approval (${news.count} of ${news.required}); it expires ` +
        `${slackTime(record.expiresAt)}. Approve or reject it on the message above.`
      );
    case "outcome":
      return outcomeText(record, news.event);
    default: {
      const unhandled: never = news;
      throw new Error(`unhandled news ${JSON.stringify(unhandled)}`);
    }
  }
}

/** How a change ended up, for its requester: what it means for the hosts and what to do next. */
function outcomeText(record: ChangeRecord, event: OutcomeEvent): string {
  const hosts = `${escapeMrkdwn(record.hosts.primary)} and ${escapeMrkdwn(record.hosts.secondary)}`;
  const reason = record.failure === null ? "" : `: ${escapeMrkdwn(record.failure.reason)}`;
  switch (event) {
    case "succeed":
      return `✅ ${record.id} succeeded: the links are in place on ${hosts}`;
    case "fail":
    case "rollback-failed":
      return `❌ ${record.id} failed${reason}. ${hosts} stay locked until it is rolled back (the Roll back button on the message)`;
    case "rolled-back":
      return `↩ ${record.id} is rolled back on ${hosts}: the links are gone and the moved-aside directories back`;
    case "runner-lost":
      return `⚠ ${record.id} lost its runner mid-change: nothing is known of ${hosts} until \`/momlink verify ${record.id}\` checks them`;
    case "expire": {
      const again = escapeMrkdwn(renderPairText(specOfPlan(record.plan)));
      return (
        `⌛ ${record.id} expired at ${slackTime(record.expiresAt)} without enough approvals; nothing was changed. ` +
        `To plan it again: \`/momlink plan ${again}\``
      );
    }
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled outcome ${String(unhandled)}`);
    }
  }
}

/** What each kind of request is called when its maker is told about it. */
export const WHAT_WAS_ASKED: Record<DurableRequest["kind"], string> = {
  approve: "approval",
  reject: "rejection",
  cancel: "cancellation",
  rollback: "approval of the rollback",
  plan: "plan",
};

/** What became of a request received before a restart, as the clause after "…: ". */
export function recoveredText(answer: RecoveredAnswer): string {
  switch (answer.kind) {
    case "refused":
      return `it was not recorded: ${mrkdwnPhrase(answer.reason)}`;
    case "not-planned":
      return `it was not planned: ${answer.problems}`;
    case "recorded":
      return answer.record === null
        ? "it is recorded"
        : `it is recorded, and ${answer.record.id} is now ${stateWord(answer.record.state)}`;
    case "plan": {
      const { outcome } = answer;
      if (outcome.kind === "posted") return `${outcome.record.id} is posted in this channel for approval`;
      return planOutcomeText(outcome) ?? "it was not posted";
    }
    default: {
      const unhandled: never = answer;
      throw new Error(`unhandled answer ${JSON.stringify(unhandled)}`);
    }
  }
}
