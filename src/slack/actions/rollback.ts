// Roll back: the button wherever the state machine allows a rollback. One approval of the undo,
// bound to the plan hash the button's block carries; approvers only and four-eyes, as for the
// change, and as many as the policy requires: the state machine decides; a refusal goes to the
// clicker only, progress ("rollback: 1 of 2") to the message and its thread. Like Approve, the
// click is in the inbox before its ack (inbox.ts).
import { durable, finishRequest, receiveThenAck } from "../inbox.ts";
import { readRollbackClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function rollbackAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readRollbackClick(args);
    if (!click.ok) {
      await args.ack();
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor, hash, channel } = click.value;
    const request = durable(svc, args.body, { kind: "rollback", changeId, actor, channel, hash });
    if (!(await receiveThenAck(svc, request, () => args.ack()))) return;
    const outcome = await svc.rollback({ changeId, actor, hash, requestKey: request.key });
    if (!outcome.ok) await tellClicker(args, `Your rollback was not started: ${outcome.reason}`);
    finishRequest(svc, request.key);
  };
}
