// Approve: the button's value names the change; the actions block's id carries the plan hash the
// message showed, so a click on a stale message cannot approve a plan that changed since.

import { readDecisionClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function approveAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readDecisionClick(args);
    await args.ack();
    if (!click.ok) {
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor, hash } = click.value;
    const outcome = await svc.approve({ changeId, actor, hash });
    if (!outcome.ok) await tellClicker(args, `Your approval was not recorded: ${outcome.reason}`);
  };
}
