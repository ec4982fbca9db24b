// `/momlink rollback CHG-n`: one approval of undoing the change, as the message's Roll back button
// gives, against the plan hash the change holds now (the one `/momlink show` prints). When the
// policy needs more approvals, the answer says how many are in and what the others can do. In the
// inbox before the ack (change/inbox.ts), so a restart still decides it.

import type { Outcome } from "../../change/outcomes.ts";
import { rollbackApprovers } from "../../domain/record.ts";
import type { BotContext } from "../context.ts";
import { durable } from "../inbox.ts";
import { mrkdwnPhrase } from "../mrkdwn.ts";
import { changeIdArgument } from "./show.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export const runRollback: Subcommand = async ({ args, slack, bot }) => {
  const given = changeIdArgument(args, "Usage: `/momlink rollback CHG-n`, e.g. `/momlink rollback CHG-12`.");
  if ("refusal" in given) {
    await slack.ack(ephemeral(given.refusal));
    return;
  }
  const changeId = given.id;
  // A change that does not exist has no hash: the service says so.
  const hash = (await bot.changes.get(changeId))?.planHash ?? "";
  const actor = slack.command.user_id;
  const channel = slack.command.channel_id;
  const request = durable(bot, slack.body, { kind: "rollback", changeId, actor, channel, hash });
  if (!(await bot.changes.receive(request, () => slack.ack()))) return;
  const outcome = await bot.changes.rollback({ changeId, actor, hash, requestKey: request.key });
  await slack.respond(ephemeral(rollbackAnswer(changeId, outcome, bot)));
  await bot.changes.finish(request.key);
};

function rollbackAnswer(changeId: string, outcome: Outcome, bot: BotContext): string {
  if (!outcome.ok) return `momlink did not roll back ${changeId}: ${mrkdwnPhrase(outcome.reason)}`;
  if (outcome.record.state === "rolling_back") {
    return `Rolling back ${changeId}: the runners undo the secondary first, then the primary; the change's thread follows it.`;
  }
  const { policy } = bot.messageContext();
  const n = rollbackApprovers(outcome.record, policy).length;
  const required = policy.requiredApprovals;
  const more = required - n === 1 ? "Another approver must" : `${required - n} more approvers must`;
  return (
    `Your approval of the rollback of ${changeId} is recorded: ${n} of ${required} approvals. ` +
    `${more} approve it too (the Roll back button, or \`/momlink rollback ${changeId}\`).`
  );
}
