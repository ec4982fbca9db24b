// `/momlink rollback CHG-n`: the same approval-gated undo as the message's Roll back button.
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";
import { changeIdArgument } from "./show.ts";

export const runRollback: Subcommand = async ({ args, slack, svc }) => {
  const given = changeIdArgument(args, "Usage: `/momlink rollback CHG-n`, e.g. `/momlink rollback CHG-12`.");
  if ("refusal" in given) {
    await slack.ack(ephemeral(given.refusal));
    return;
  }
  const changeId = given.id;
  await slack.ack();
  const outcome = await svc.rollback({ changeId, actor: slack.command.user_id });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? `Rolling back ${changeId}: the runners undo the secondary first, then the primary; the change's thread follows it.`
        : `momlink did not roll back ${changeId}: ${outcome.reason}`,
    ),
  );
};
