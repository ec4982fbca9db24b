// `/momlink cancel CHG-n [reason]`: by the requester or an approver (the state machine decides).
// In the inbox before the ack (inbox.ts), so a restart still decides it.
import { durable, finishRequest, receiveThenAck } from "../inbox.ts";
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
  const reason = rest.join(" ").trim();
  const actor = slack.command.user_id;
  const request = durable(svc, slack.body, {
    kind: "cancel",
    changeId,
    actor,
    channel: slack.command.channel_id,
    reason: reason === "" ? null : reason,
  });
  if (!(await receiveThenAck(svc, request, () => slack.ack()))) return;
  const outcome = await svc.cancel({
    changeId,
    actor,
    ...(reason === "" ? {} : { reason }),
    requestKey: request.key,
  });
  await slack.respond(
    ephemeral(
      outcome.ok
        ? `${changeId} is cancelled; its hosts are free for a new plan.`
        : `momlink did not cancel ${changeId}: ${outcome.reason}`,
    ),
  );
  finishRequest(svc, request.key);
};
