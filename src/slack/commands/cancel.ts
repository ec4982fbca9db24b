// `/momlink cancel CHG-n [reason]`: by the requester or an approver (the state machine decides).
// In the inbox before the ack (change/inbox.ts), so a restart still decides it.
import { durable } from "../inbox.ts";
import { mrkdwnPhrase } from "../mrkdwn.ts";
import { changeIdArgument } from "./show.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export const runCancel: Subcommand = async ({ args, slack, bot }) => {
  const [, ...rest] = args.trim().split(/\s+/);
  const given = changeIdArgument(
    args,
    "Usage: `/momlink cancel CHG-n [reason]`, e.g. `/momlink cancel CHG-12 wrong share`.",
  );
  if ("refusal" in given) {
    await slack.ack(ephemeral(given.refusal));
    return;
  }
  const changeId = given.id;
  const reason = rest.join(" ").trim();
  const actor = slack.command.user_id;
  const request = durable(bot, slack.body, {
    kind: "cancel",
    changeId,
    actor,
    channel: slack.command.channel_id,
    reason: reason === "" ? null : reason,
  });
  if (!(await bot.changes.receive(request, () => slack.ack()))) return;
  const outcome = await bot.changes.cancel({
    changeId,
    actor,
    ...(reason === "" ? {} : { reason }),
    requestKey: request.key,
  });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? `${changeId} is cancelled; its hosts are free for a new plan.`
        : `momlink did not cancel ${changeId}: ${mrkdwnPhrase(outcome.reason)}`,
    ),
  );
  await bot.changes.finish(request.key);
};
