// Approve: the button's value names the change; the actions block's id carries the plan hash the
// message showed, so a click on a stale message cannot approve a plan that changed since.
import { hashFromDecisionBlockId } from "../blocks.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, tellClicker } from "./index.ts";

export function approveAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const { action, body } = args;
    const changeId = action.value;
    const hash = hashFromDecisionBlockId(action.block_id);
    if (changeId === undefined || hash === undefined) {
      await tellClicker(args, "This button does not belong to a momlink plan message; nothing was approved.");
      return;
    }
    const outcome = await svc.approve({ changeId, actor: body.user.id, hash });
    if (!outcome.ok) await tellClicker(args, `Your approval was not recorded: ${outcome.reason}`);
  };
}
