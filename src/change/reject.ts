// Reject: an approver turns a plan down with a reason (checked by domain/reason.ts). `checkReject`
// is the same decision as a dry run, asked before the front end asks for the reason, so a person
// who may not reject is told so at once and nothing is written.
import { phrase } from "../domain/phrase.ts";
import { transition } from "../domain/record.ts";
import { type ChangeDeps, decideAs, reshow, transitionContext } from "./deps.ts";
import { requesterAudience } from "./notices.ts";
import type { Decided, Outcome } from "./outcomes.ts";

export interface RejectRequest extends Decided {
  changeId: string;
  actor: string;
  reason: string;
}

/** Whether `actor` may reject the change now, without changing anything. */
export async function checkReject(
  deps: ChangeDeps,
  request: { changeId: string; actor: string },
): Promise<Outcome> {
  const { changeId, actor } = request;
  const record = await deps.store.get(changeId);
  if (record === null) return { ok: false, reason: `there is no change ${changeId}` };
  const { groups, error } = await deps.identity.groupsOf(actor);
  // A dry run of the real transition: the same words as the real refusal, nothing written.
  const dry = transition(
    record,
    { type: "reject", actor, actorGroups: groups, reason: "-" },
    transitionContext(deps),
  );
  if (dry.ok) return { ok: true, record };
  const note = dry.code === "not-approver" && error !== undefined ? ` (note: ${error})` : "";
  return { ok: false, reason: phrase(dry.reason, note) };
}

export async function reject(deps: ChangeDeps, request: RejectRequest): Promise<Outcome> {
  const { changeId, actor, reason } = request;
  const decided = await decideAs(deps, request, (actorGroups) => ({
    type: "reject",
    actor,
    actorGroups,
    reason,
  }));
  if (!decided.ok) return decided;
  const { record } = decided;
  deps.logger.info({ changeId, actor }, "change rejected");
  await reshow(deps, record);
  await deps.presenter.tell(
    record,
    { kind: "rejected", actor, reason: record.rejection?.reason ?? reason },
    requesterAudience(deps, record, actor),
  );
  return decided;
}
