// Approve: one approver's approval, bound to the plan hash they saw. The state machine decides
// (policy, four-eyes, hash, expiry, blockers); the approval that makes enough hands the change to
// the runners. The message is re-rendered from the record and the thread says who approved.
import { approvalCount } from "../domain/record.ts";
import { type ChangeDeps, decideAs, reshow } from "./deps.ts";
import { requesterAudience } from "./notices.ts";
import type { Decided, Outcome } from "./outcomes.ts";

export interface ApproveRequest extends Decided {
  changeId: string;
  actor: string;
  hash: string;
}

export async function approve(deps: ChangeDeps, request: ApproveRequest): Promise<Outcome> {
  const { changeId, actor, hash } = request;
  const decided = await decideAs(deps, request, (actorGroups) => ({
    type: "approve",
    actor,
    actorGroups,
    hash,
  }));
  if (!decided.ok) return decided;
  const { record } = decided;
  deps.logger.info({ changeId, actor, state: record.state }, "approval recorded");
  await reshow(deps, record);
  const required = deps.policy.requiredApprovals;
  await deps.presenter.tell(
    record,
    record.state === "approved"
      ? { kind: "approved", actor, hash }
      : { kind: "approval", actor, hash, count: approvalCount(record, deps.policy), required },
    requesterAudience(deps, record, actor),
  );
  if (record.state === "approved" && deps.runners !== undefined) {
    // Queuing the jobs (signing, storing) waits for the acks still pending too.
    await deps.afterPendingAcks();
    try {
      await deps.runners.approved(record);
    } catch (err) {
      deps.logger.error({ changeId, err }, "the runner dispatcher refused the approved change");
    }
  }
  return decided;
}
