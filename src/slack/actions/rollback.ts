// Roll back: the button wherever the state machine allows a rollback. One approval of the undo,
// bound to the plan hash the button's block carries; approvers only and four-eyes, as for the
// change, and as many as the policy requires: the state machine decides; a refusal goes to the
// clicker only, progress ("rollback: 1 of 2") to the message and its thread.
import { readRollbackClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function rollbackAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readRollbackClick(args);
    await args.ack();
    if (!click.ok) {
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor, hash } = click.value;
    const outcome = await svc.rollback({ changeId, actor, hash });
    if (!outcome.ok) await tellClicker(args, `Your rollback was not started: ${outcome.reason}`);
  };
}
