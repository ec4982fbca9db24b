// `/momlink plan key=value ...`: parsed and validated before the ack (pure and quick), so a
// refusal goes out in the ack itself; a valid plan is written to the inbox (change/inbox.ts), acked, and
// planned after the ack: a bot killed after "Planning…" still posts the plan at its next start.
// `/momlink plan` alone opens the form (views/plan-modal.ts).
import { parsePlanText } from "../../domain/grammar.ts";
import { describeProblems } from "../../domain/problem.ts";
import { durable } from "../inbox.ts";
import { escapeMrkdwn } from "../mrkdwn.ts";
import { planOutcomeText } from "../plan-outcome.ts";
import { openPlanModal } from "../views/plan-modal.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export const runPlan: Subcommand = async ({ args, slack, bot }) => {
  const { command } = slack;
  if (args.trim() === "") {
    await slack.ack();
    await openPlanModal(slack.client, command.trigger_id, command.channel_id, bot);
    return;
  }
  const parsed = parsePlanText(args, { allowedDirs: bot.allowedDirs, ticketPattern: bot.ticketPattern });
  if (!parsed.ok) {
    await slack.ack(ephemeral(escapeMrkdwn(describeProblems(parsed.problems))));
    return;
  }
  const spec = parsed.value;
  const request = durable(bot, slack.body, {
    kind: "plan",
    changeId: null,
    actor: command.user_id,
    channel: command.channel_id,
    source: { text: args },
  });
  const planning = ephemeral(
    `Planning ${escapeMrkdwn(spec.primary)} + ${escapeMrkdwn(spec.secondary)}: the preview will be posted in this channel for approval.`,
  );
  if (!(await bot.changes.receive(request, () => slack.ack(planning)))) return;
  const tell = planOutcomeText(
    await bot.changes.plan({
      spec,
      requester: command.user_id,
      channel: command.channel_id,
      requestKey: request.key,
    }),
  );
  if (tell !== null) await slack.respond(ephemeral(tell));
  await bot.changes.finish(request.key);
};
