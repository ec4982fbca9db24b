// `/momlink verify <CHG-n|host>`: a read-only check of the live links against the approved plan.
// The runners answer in seconds; the asker gets the result, and the change's thread keeps it.
import { escapeMrkdwn } from "../mrkdwn.ts";
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";

export const runVerify: Subcommand = async ({ args, slack, svc }) => {
  const target = args.trim().split(/\s+/)[0] ?? "";
  if (target === "") {
    await slack.ack(
      ephemeral("Usage: `/momlink verify CHG-n` or `/momlink verify <host>`, e.g. `/momlink verify mom-a`."),
    );
    return;
  }
  await slack.ack(ephemeral(`Asking the runners to check ${escapeMrkdwn(target)}…`));
  const outcome = await svc.verify({ target, actor: slack.command.user_id });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? outcome.lines.join("\n")
        : `momlink did not verify ${escapeMrkdwn(target)}: ${outcome.reason}`,
    ),
  );
};
