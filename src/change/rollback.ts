// Roll back: one approver's approval of undoing the change, against the plan hash they saw. The
// state machine counts the approvals of this attempt (the policy's number, four-eyes); the one
// that makes enough moves the change to rolling_back and hands it to the runners, secondary first.
import { rollbackApprovers } from "../domain/record.ts";
import { type ChangeDeps, decideAs, refused, reshow } from "./deps.ts";
import { requesterAudience } from "./notices.ts";
import type { Decided, Outcome } from "./outcomes.ts";

export interface RollbackRequest extends Decided {
  changeId: string;
  actor: string;
  hash: string;
}

export async function rollback(deps: ChangeDeps, request: RollbackRequest): Promise<Outcome> {
  const { changeId, actor, hash, requestKey } = request;
  const runners = deps.runners;
  if (runners?.rollback === undefined) {
    return refused(
      deps,
      `this momlink runs without runners (MOMLINK_RUNNER_PORT is not set), so nothing can undo ${changeId} here; an approver can close it with /momlink cancel ${changeId} after undoing it by hand`,
      requestKey,
    );
  }
  const decided = await decideAs(deps, request, (actorGroups) => ({
    type: "rollback",
    actor,
    actorGroups,
    hash,
  }));
  if (!decided.ok) return decided;
  const { record } = decided;
  await reshow(deps, record);
  if (record.state !== "rolling_back") {
    const count = rollbackApprovers(record, deps.policy).length;
    const required = deps.policy.requiredApprovals;
    deps.logger.info({ changeId, actor, approvals: count, required }, "rollback approval recorded");
    await deps.presenter.tell(
      record,
      { kind: "rollback-approval", actor, hash, count, required },
      requesterAudience(deps, record, actor),
    );
    return { ok: true, record };
  }
  deps.logger.info({ changeId, actor }, "rollback approved");
  await deps.presenter.tell(
    record,
    { kind: "rollback-started", actor },
    requesterAudience(deps, record, actor),
  );
  try {
    await runners.rollback(record);
  } catch (err) {
    deps.logger.error({ changeId, err }, "the runner dispatcher refused the rollback");
  }
  return { ok: true, record };
}
