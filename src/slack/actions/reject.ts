// Reject: checked first (an approver, a change still awaiting approval), then a modal asks why;
// the rejection itself is recorded on its submission (views/reject-modal.ts).
import type { BotContext } from "../context.ts";
import { mrkdwnPhrase } from "../mrkdwn.ts";
import { readChangeClick } from "../payloads.ts";
import { rejectModalView } from "../views/reject-modal.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./clicker.ts";

export function rejectAction(bot: BotContext) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readChangeClick(args);
    await args.ack();
    if (!click.ok) {
      await refuseClick(args, bot.logger, click.problems);
      return;
    }
    const { changeId, actor } = click.value;
    const check = await bot.changes.checkReject({ changeId, actor });
    if (!check.ok) {
      await tellClicker(args, `You cannot reject ${changeId}: ${mrkdwnPhrase(check.reason)}`);
      return;
    }
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: rejectModalView(check.record) });
  };
}
