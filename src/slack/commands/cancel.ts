// `/momlink cancel CHG-n [reason]`: by the requester or an approver (the state machine decides).
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";
import { parseChangeId } from "./show.ts";

export const runCancel: Subcommand = async ({ args, slack, svc }) => {
  const [first = "", ...rest] = args.trim().split(/\s+/);
  const changeId = parseChangeId(first);
  if (changeId === undefined) {
    await slack.ack(
      ephemeral("Usage: `/momlink cancel CHG-n [reason]`, e.g. `/momlink cancel CHG-12 wrong share`."),
    );
    return;
  }
  await slack.ack();
  const reason = rest.join(" ").trim();
  const outcome = await svc.cancel({
    changeId,
    actor: slack.command.user_id,
    ...(reason === "" ? {} : { reason }),
  });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? `${changeId} is cancelled; its hosts are free for a new plan.`
        : `momlink did not cancel ${changeId}: ${outcome.reason}`,
    ),
  );
};
