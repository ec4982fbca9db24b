// Approve: the button's value names the change; the actions block's id carries the plan hash the
// message showed, so a click on a stale message cannot approve a plan that changed since. The
// click is in the inbox before its ack (inbox.ts): deciding it may wait on Slack for group
// membership, and a bot killed meanwhile still decides it at its next start.
import { durable, finishRequest, receiveThenAck } from "../inbox.ts";
import { readDecisionClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function approveAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readDecisionClick(args);
    if (!click.ok) {
      await args.ack();
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor, hash, channel } = click.value;
    const request = durable(svc, args.body, { kind: "approve", changeId, actor, channel, hash });
    if (!(await receiveThenAck(svc, request, () => args.ack()))) return;
    const outcome = await svc.approve({ changeId, actor, hash, requestKey: request.key });
    if (!outcome.ok) await tellClicker(args, `Your approval was not recorded: ${outcome.reason}`);
    finishRequest(svc, request.key);
  };
}
