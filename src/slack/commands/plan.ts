// `/momlink plan key=value ...`: parsed and validated before the ack (pure and quick), so a
// refusal goes out in the ack itself; a valid plan is written to the inbox (inbox.ts), acked, and
// planned after the ack: a bot killed after "Planning…" still posts the plan at its next start.
// `/momlink plan` alone opens the form (views/plan-modal.ts).
import { parsePlanText } from "../../domain/grammar.ts";
import { describeProblems } from "../../domain/problem.ts";
import type { ChangeState } from "../../domain/record.ts";
import { stateWord } from "../blocks.ts";
import { durable, finishRequest, receiveThenAck } from "../inbox.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import type { PlanOutcome } from "../service.ts";
import { openPlanModal } from "../views/plan-modal.ts";
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";

export const runPlan: Subcommand = async ({ args, slack, svc }) => {
  const { command } = slack;
  if (args.trim() === "") {
    await slack.ack();
    await openPlanModal(slack.client, command.trigger_id, command.channel_id, svc);
    return;
  }
  const parsed = parsePlanText(args, { allowedDirs: svc.allowedDirs });
  if (!parsed.ok) {
    await slack.ack(ephemeral(escapeMrkdwn(describeProblems(parsed.problems))));
    return;
  }
  const spec = parsed.value;
  const request = durable(svc, slack.body, {
    kind: "plan",
    changeId: null,
    actor: command.user_id,
    channel: command.channel_id,
    source: { text: args },
  });
  const planning = ephemeral(
    `Planning ${escapeMrkdwn(spec.primary)} + ${escapeMrkdwn(spec.secondary)}: the preview will be posted in this channel for approval.`,
  );
  if (!(await receiveThenAck(svc, request, () => slack.ack(planning)))) return;
  const tell = planOutcomeText(
    await svc.plan({
      spec,
      requester: command.user_id,
      channel: command.channel_id,
      requestKey: request.key,
    }),
  );
  if (tell !== null) await slack.respond(ephemeral(tell));
  finishRequest(svc, request.key);
};

/** How an open change of each state lets go of its hosts. */
function unlockHint(state: ChangeState, id: string): string {
  switch (state) {
    case "failed":
      return `roll it back (\`/momlink rollback ${id}\`), or an approver closes it with \`/momlink cancel ${id}\``;
    case "needs_verification":
      return `check the hosts with \`/momlink verify ${id}\`, then roll it back if they are not as approved`;
    case "executing":
    case "rolling_back":
      return "let it finish";
    default:
      return `let it finish, or cancel it with \`/momlink cancel ${id}\``;
  }
}

/** What the requester should hear about a plan, or null when the channel message says it all. */
export function planOutcomeText(outcome: PlanOutcome): string | null {
  switch (outcome.kind) {
    case "posted":
      return null;
    case "locked": {
      const c = outcome.conflict;
      const ref = outcome.link === null ? c.id : `<${outcome.link}|${c.id}>`;
      const hosts = outcome.hosts.map(escapeMrkdwn).join(" and ");
      return (
        `momlink refused the plan: ${hosts} ${outcome.hosts.length === 1 ? "has" : "have"} an open change, ${ref} ` +
        `(${stateWord(c.state)}, requested by <@${c.requester}>). One open change per MOM host: ${unlockHint(c.state, c.id)}.`
      );
    }
    case "not-posted":
      return (
        `momlink could not post the plan ${outcome.record.id} in this channel (${escapeMrkdwn(outcome.error)}). ` +
        `If the bot is not in this channel, invite it (\`/invite @momlink\`) and plan again. ${outcome.record.id} was ` +
        "cancelled so it does not hold the hosts."
      );
    default: {
      const unhandled: never = outcome;
      throw new Error(`unhandled plan outcome ${JSON.stringify(unhandled)}`);
    }
  }
}
