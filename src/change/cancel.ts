// Cancel: the requester or an approver withdraws a change before it runs; an approver closes a
// failed one by hand. The state machine decides who may, from which state; the hosts are free
// once the record says cancelled.
import { type ChangeDeps, decideAs, reshow } from "./deps.ts";
import { requesterAudience } from "./notices.ts";
import type { Decided, Outcome } from "./outcomes.ts";

export interface CancelRequest extends Decided {
  changeId: string;
  actor: string;
  reason?: string;
}

export async function cancel(deps: ChangeDeps, request: CancelRequest): Promise<Outcome> {
  const { changeId, actor, reason } = request;
  const decided = await decideAs(deps, request, (actorGroups) => ({
    type: "cancel",
    actor,
    actorGroups,
    ...(reason === undefined ? {} : { reason }),
  }));
  if (!decided.ok) return decided;
  const { record } = decided;
  deps.logger.info({ changeId, actor }, "change cancelled");
  await reshow(deps, record);
  await deps.presenter.tell(
    record,
    {
      kind: "cancelled",
      actor,
      reason: record.cancellation?.reason ?? null,
    },
    requesterAudience(deps, record, actor),
  );
  return decided;
}
