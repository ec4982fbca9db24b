// `/momlink verify <CHG-n|host>`: a read-only check of the live links against the approved plan.
// The runners answer in seconds; the asker gets the result, and the change's thread keeps it.
import { verifyLines } from "../change-reports.ts";
import { escapeMrkdwn, mrkdwnPhrase } from "../mrkdwn.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

export const runVerify: Subcommand = async ({ args, slack, bot }) => {
  const target = args.trim().split(/\s+/)[0] ?? "";
  if (target === "") {
    await slack.ack(
      ephemeral("Usage: `/momlink verify CHG-n` or `/momlink verify <host>`, e.g. `/momlink verify mom-a`."),
    );
    return;
  }
  await slack.ack(ephemeral(`Asking the runners to check ${escapeMrkdwn(target)}…`));
  const actor = slack.command.user_id;
  const outcome = await bot.changes.verify({ target, actor });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? verifyLines(outcome.record, outcome.report, actor, outcome.at).join("\n")
        : `momlink did not verify ${escapeMrkdwn(target)}: ${mrkdwnPhrase(outcome.reason)}`,
    ),
  );
};
