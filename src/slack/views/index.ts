// Modal submissions: the plan form and the reject reason.
import type { App } from "@slack/bolt";
import type { BotContext } from "../context.ts";
import { failureText } from "../failures.ts";
import { channelOfForm } from "../payloads.ts";
import { PLAN_MODAL, planModalSubmission } from "./plan-modal.ts";
import { REJECT_MODAL, rejectModalSubmission } from "./reject-modal.ts";
import type { ViewArgs } from "./view-args.ts";

/** A submission whose failure after the ack is told to the submitter in the channel, not only logged. */
function guarded(listener: (args: ViewArgs) => Promise<void>) {
  return async (args: ViewArgs): Promise<void> => {
    try {
      await listener(args);
    } catch (err) {
      args.logger.error(
        `momlink form ${args.view.callback_id} failed: ${(err as Error).stack ?? String(err)}`,
      );
      // The metadata was read by the listener before it failed, but read it safely here too.
      const channel = channelOfForm(args.view.private_metadata);
      if (channel === undefined) return;
      await args.client.chat
        .postEphemeral({
          channel,
          user: args.body.user.id,
          text: failureText(err, (message) => `momlink hit an error: ${message}`),
        })
        .catch(() => {});
    }
  };
}

export function registerViews(app: App, bot: BotContext): void {
  app.view(PLAN_MODAL, guarded(planModalSubmission(bot)));
  app.view(REJECT_MODAL, guarded(rejectModalSubmission(bot)));
}
