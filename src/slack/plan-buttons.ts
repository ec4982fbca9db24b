// The plan message's buttons: Approve and Reject while the plan can be decided, Roll back wherever
// the state machine allows one. The actions blocks' ids carry the plan hash the message showed,
// so a click on a stale message cannot decide (or roll back) a plan that changed since;
// payloads.ts reads the hash back. Which buttons appear is domain/actions.ts's answer.
import type { types } from "@slack/bolt";
import type { ButtonAction } from "../domain/actions.ts";
import type { HostPlan, Step } from "../domain/plan.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { clip, shortHash } from "../domain/shorten.ts";
import { LIMITS, plain } from "./blocks.ts";

export const ACTION_APPROVE = "momlink_approve";
export const ACTION_REJECT = "momlink_reject";
export const ACTION_ROLLBACK = "momlink_rollback";
/**
 * The actions blocks' ids carry the plan hash the message showed: a stale message cannot approve
 * (or roll back) a plan that changed. One prefix per block, since both name the same hash.
 */
const DECIDE_PREFIX = "momlink_decide:";
const UNDO_PREFIX = "momlink_undo:";

export function decisionBlockId(hash: string): string {
  return `${DECIDE_PREFIX}${hash}`;
}

export function rollbackBlockId(hash: string): string {
  return `${UNDO_PREFIX}${hash}`;
}

function hashAfter(prefix: string, blockId: string | undefined): string | undefined {
  if (blockId === undefined || !blockId.startsWith(prefix)) return undefined;
  const hash = blockId.slice(prefix.length);
  return hash === "" ? undefined : hash;
}

/** The plan hash a clicked message showed, or undefined for a block that is not ours. */
export function hashFromDecisionBlockId(blockId: string | undefined): string | undefined {
  return hashAfter(DECIDE_PREFIX, blockId);
}

/** The plan hash a clicked Roll back button's message showed, or undefined for a block that is not ours. */
export function hashFromRollbackBlockId(blockId: string | undefined): string | undefined {
  return hashAfter(UNDO_PREFIX, blockId);
}

/** Steps that change something on the host (verify lines are read-backs, no-ops are not run). */
function commandCount(host: HostPlan): string {
  const runs = host.steps.filter((s: Step) => !s.noop && s.kind !== "verify-link");
  const n = runs.length;
  const noun = `${n} command${n === 1 ? "" : "s"}`;
  return runs.some((s) => s.when !== undefined) ? `up to ${noun}` : noun;
}

export function decisionBlock(record: ChangeRecord, offered: readonly ButtonAction[]): types.ActionsBlock {
  const [primary, secondary] = record.plan.hosts;
  const approve: types.Button = {
    type: "button",
    action_id: ACTION_APPROVE,
    style: "primary",
    text: plain("Approve"),
    value: record.id,
    confirm: {
      title: plain(clip(`Approve ${record.id}?`, LIMITS.confirmTitle)),
      text: plain(
        clip(
          `This runs ${commandCount(primary)} on ${primary.host} and ${commandCount(secondary)} on ${secondary.host}, ` +
            `exactly as shown (plan hash ${shortHash(record.planHash)}).`,
          LIMITS.confirmText,
        ),
      ),
      confirm: plain("Approve"),
      deny: plain("Back"),
    },
  };
  const reject: types.Button = {
    type: "button",
    action_id: ACTION_REJECT,
    style: "danger",
    text: plain("Reject"),
    value: record.id,
  };
  // A blocked plan cannot be approved (the state machine says so); offering the button would only invite a denial.
  return {
    type: "actions",
    block_id: decisionBlockId(record.planHash),
    elements: offered.includes("approve") ? [approve, reject] : [reject],
  };
}

/** The undo button, wherever the state machine allows a rollback. Approvers only: the state machine decides. */
export function rollbackBlock(record: ChangeRecord): types.ActionsBlock {
  const [primary, secondary] = record.plan.hosts;
  const undo = (h: HostPlan) => h.rollback.filter((s) => !s.noop).length;
  return {
    type: "actions",
    block_id: rollbackBlockId(record.planHash),
    elements: [
      {
        type: "button",
        action_id: ACTION_ROLLBACK,
        style: "danger",
        text: plain("Roll back"),
        value: record.id,
        confirm: {
          title: plain(clip(`Roll back ${record.id}?`, LIMITS.confirmTitle)),
          text: plain(
            clip(
              `This runs up to ${undo(secondary)} undo step(s) on ${secondary.host}, then up to ${undo(primary)} on ${primary.host}: ` +
                "each link is removed (never its target) and the moved-aside directory put back. Steps already undone are skipped.",
              LIMITS.confirmText,
            ),
          ),
          confirm: plain("Roll back"),
          deny: plain("Back"),
        },
      },
    ],
  };
}
