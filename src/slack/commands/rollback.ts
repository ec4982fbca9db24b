// `/momlink rollback CHG-n`: the same approval-gated undo as the message's Roll back button.
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";
import { parseChangeId } from "./show.ts";

export const runRollback: Subcommand = async ({ args, slack, svc }) => {
  const changeId = parseChangeId(args.trim().split(/\s+/)[0] ?? "");
  if (changeId === undefined) {
    await slack.ack(ephemeral("Usage: `/momlink rollback CHG-n`, e.g. `/momlink rollback CHG-12`."));
    return;
  }
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
