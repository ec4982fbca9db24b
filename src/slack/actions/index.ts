// Buttons on the plan message. Each listener acks at once, then asks the change layer; a refusal
// goes back to the clicker only (ephemeral), everything else shows in the re-rendered message.
import type { App, BlockButtonAction } from "@slack/bolt";
import type { BotContext } from "../context.ts";
import { failureText } from "../failures.ts";
import { readChangeClick } from "../payloads.ts";
import { ACTION_APPROVE, ACTION_REJECT, ACTION_ROLLBACK } from "../plan-buttons.ts";
import { approveAction } from "./approve.ts";
import { type ButtonArgs, tellClicker } from "./clicker.ts";
import { rejectAction } from "./reject.ts";
import { rollbackAction } from "./rollback.ts";

/** A listener whose failure after the ack is told to the clicker, not only logged. */
function guarded(listener: (args: ButtonArgs) => Promise<void>) {
  return async (args: ButtonArgs): Promise<void> => {
    try {
      await listener(args);
    } catch (err) {
      args.logger.error(
        `momlink button ${args.action.action_id} failed: ${(err as Error).stack ?? String(err)}`,
      );
      const id = readChangeClick(args).ok ? String(args.action.value) : "the change";
      await tellClicker(
        args,
        failureText(
          err,
          (message) => `momlink hit an error: ${message}. \`/momlink show ${id}\` says what was recorded.`,
        ),
      );
    }
  };
}

export function registerActions(app: App, bot: BotContext): void {
  app.action<BlockButtonAction>(ACTION_APPROVE, guarded(approveAction(bot)));
  app.action<BlockButtonAction>(ACTION_REJECT, guarded(rejectAction(bot)));
  app.action<BlockButtonAction>(ACTION_ROLLBACK, guarded(rollbackAction(bot)));
}
