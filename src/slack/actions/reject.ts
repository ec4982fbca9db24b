// Reject: checked first (an approver, a change still awaiting approval), then a modal asks why;
// the rejection itself is recorded on its submission (views/reject-modal.ts).
import type { MomlinkService } from "../service.ts";
import { rejectModalView } from "../views/reject-modal.ts";
import { type ButtonArgs, tellClicker } from "./index.ts";

export function rejectAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const { action, body } = args;
    const changeId = action.value;
    if (changeId === undefined) {
      await tellClicker(args, "This button does not belong to a momlink plan message; nothing was rejected.");
      return;
    }
    const check = await svc.checkReject({ changeId, actor: body.user.id });
    if (!check.ok) {
      await tellClicker(args, `You cannot reject ${changeId}: ${check.reason}`);
      return;
    }
    await args.client.views.open({ trigger_id: body.trigger_id, view: rejectModalView(check.record) });
  };
}
