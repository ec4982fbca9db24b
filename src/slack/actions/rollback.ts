// Roll back: the button on a failed (or unverified) change. Approver-only and four-eyes, as an
// approval: the state machine decides; a refusal goes to the clicker only.
import type { MomlinkService } from "../service.ts";
import { type ButtonArgs, tellClicker } from "./index.ts";

export function rollbackAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const changeId = args.action.value;
    if (changeId === undefined) {
      await tellClicker(
        args,
        "This button does not belong to a momlink change message; nothing was rolled back.",
      );
      return;
    }
    const outcome = await svc.rollback({ changeId, actor: args.body.user.id });
    if (!outcome.ok) await tellClicker(args, `Your rollback was not started: ${outcome.reason}`);
  };
}
