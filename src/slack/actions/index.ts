// Buttons on the plan message. Each listener acks at once, then asks the service; a refusal goes
// back to the clicker only (ephemeral), everything else shows in the re-rendered message.
import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { ACTION_APPROVE, ACTION_REJECT, ACTION_ROLLBACK } from "../blocks.ts";
import { failureText } from "../failures.ts";
import { clickRefusal, logRefusal, type PayloadProblem, readChangeClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { approveAction } from "./approve.ts";
import { rejectAction } from "./reject.ts";
import { rollbackAction } from "./rollback.ts";

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Tells the clicker something only they see: through the response URL, else chat.postEphemeral. */
export async function tellClicker(args: ButtonArgs, text: string): Promise<void> {
  const { body } = args;
  try {
    if (body.response_url !== undefined && body.response_url !== "") {
      await args.respond({ response_type: "ephemeral", replace_original: false, text });
    } else if (body.channel?.id !== undefined) {
      await args.client.chat.postEphemeral({ channel: body.channel.id, user: body.user.id, text });
    }
  } catch (err) {
    args.logger.error(`could not tell ${body.user.id} privately: ${(err as Error).message}`);
  }
}

/** An unreadable click (payloads.ts): logged once, and the clicker told that nothing was recorded. */
export async function refuseClick(
  args: ButtonArgs,
  svc: MomlinkService,
  problems: readonly PayloadProblem[],
): Promise<void> {
  logRefusal(svc.logger, `button ${String(args.action.action_id).slice(0, 64)}`, problems);
  await tellClicker(args, clickRefusal(problems));
}

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

export function registerActions(app: App, svc: MomlinkService): void {
  app.action<BlockButtonAction>(ACTION_APPROVE, guarded(approveAction(svc)));
  app.action<BlockButtonAction>(ACTION_REJECT, guarded(rejectAction(svc)));
  app.action<BlockButtonAction>(ACTION_ROLLBACK, guarded(rollbackAction(svc)));
}
