// `/momlink cancel CHG-n [reason]`: by the requester or an approver (the state machine decides).
import { ephemeral } from "./help.ts";
import type { Subcommand } from "./index.ts";
import { changeIdArgument } from "./show.ts";

export const runCancel: Subcommand = async ({ args, slack, svc }) => {
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
