// Reject: checked first (an approver, a change still awaiting approval), then a modal asks why;
// the rejection itself is recorded on its submission (views/reject-modal.ts).
import { readChangeClick } from "../payloads.ts";
import type { MomlinkService } from "../service.ts";
import { rejectModalView } from "../views/reject-modal.ts";
import { type ButtonArgs, refuseClick, tellClicker } from "./index.ts";

export function rejectAction(svc: MomlinkService) {
  return async (args: ButtonArgs): Promise<void> => {
    const click = readChangeClick(args);
    await args.ack();
    if (!click.ok) {
      await refuseClick(args, svc, click.problems);
      return;
    }
    const { changeId, actor } = click.value;
    const check = await svc.checkReject({ changeId, actor });
    if (!check.ok) {
      await tellClicker(args, `You cannot reject ${changeId}: ${check.reason}`);
      return;
    }
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: rejectModalView(check.record) });
  };
}
