// Roll back: the button on a failed (or unverified) change. Approver-only and four-eyes, as an
// approval: the state machine decides; a refusal goes to the clicker only.
import { readChangeClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function rollbackAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readChangeClick(args);
    await args.ack();
    if (!click.ok) {
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor } = click.value;
    const outcome = await svc.rollback({ changeId, actor });
    if (!outcome.ok) await tellClicker(args, `Your rollback was not started: ${outcome.reason}`);
  };
}
