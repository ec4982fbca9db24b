// Which buttons a change's message offers, decided by the state machine itself: each action is
// offered exactly when record.ts would accept it from someone entitled to it (an approver who is
// not the requester, against the plan hash shown, with a reason). There is no second list of
// states here to drift from record.ts: the answer is a dry run of transition(). Pure.
import type { ApprovalPolicy } from "./policy.ts";
import { type ChangeEvent, type ChangeRecord, transition } from "./record.ts";

export const BUTTON_ACTIONS = ["approve", "reject", "rollback"] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

/** Someone the state machine never mistakes for the requester or a named person. */
const PROBE = "momlink:probe";
/** Everyone may approve: only the record's state (and its plan) can then refuse. */
const ANYONE: ApprovalPolicy = {
  approvers: { users: [], groups: [] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 1,
};

function probe(action: ButtonAction, record: ChangeRecord): ChangeEvent {
  const who = { actor: PROBE, actorGroups: [] };
  switch (action) {
    case "approve":
      return { type: "approve", ...who, hash: record.planHash };
    case "reject":
      return { type: "reject", ...who, reason: "probe" };
    case "rollback":
      return { type: "rollback", ...who, hash: record.planHash };
    default: {
      const unhandled: never = action;
      throw new Error(`unhandled action ${String(unhandled)}`);
    }
  }
}

/** The actions an entitled person could take on `record` at `now`, in button order. */
export function allowedActions(record: ChangeRecord, now: Date): ButtonAction[] {
  return BUTTON_ACTIONS.filter(
    (action) => transition(record, probe(action, record), { now, policy: ANYONE }).ok,
  );
}
