// The change store's rows decoded and checked (store/rows.ts reads each column), for every engine:
// a change with its approvals and plan, an audit entry, a state, an inbox request. The database is
// ours, but a wrong type here means it was altered: say so.
import type { Plan } from "../domain/plan.ts";
import {
  type Approval,
  type ChangeRecord,
  type ChangeState,
  type RollbackApproval,
  STATES,
} from "../domain/record.ts";
import { int, jsonObject, type Row, text, textOrNull } from "./rows.ts";
import type { ChangeRow, StoredAuditEntry, StoredRequest } from "./store.ts";

/**
 * A change's record from its row, its approval rows (in the order they were written) and its
 * plan's JSON text (null when plans has none under the row's hash: an altered database).
 */
export function toChangeRecord(
  raw: Row,
  approvalRows: readonly Row[],
  planJson: string | null,
): ChangeRecord {
  const row = toChangeRow(raw);
  const approvals: Approval[] = [];
  const rollbackApprovals: RollbackApproval[] = [];
  for (const a of approvalRows) {
    const approval = { actor: text(a, "actor"), at: text(a, "at"), hash: text(a, "hash") };
    const kind = text(a, "kind");
    if (kind === "change") approvals.push(approval);
    else if (kind === "rollback") rollbackApprovals.push({ ...approval, round: int(a, "round") });
    else throw new Error(`${row.id} has an approval of unknown kind "${kind}" in the database`);
  }
  if (planJson === null) {
    throw new Error(`${row.id}: its plan ${row.plan_hash} is not in the database; the database was altered`);
  }
  const plan: Plan = JSON.parse(planJson);
  if (plan.hash !== row.plan_hash) {
    throw new Error(
      `${row.id}: the stored plan does not carry the stored plan hash; the database was altered`,
    );
  }
  return {
    id: row.id,
    state: toState(row.state, row.id),
    requester: row.requester,
    channel: row.channel,
    messageTs: row.message_ts,
    hosts: { primary: row.primary_host, secondary: row.secondary_host },
    planHash: row.plan_hash,
    plan,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    approvals,
    rollbackApprovals,
    rollbacksStarted: row.rollbacks_started,
    rejection: parseOrNull(row.rejection_json),
    cancellation: parseOrNull(row.cancellation_json),
    failure: parseOrNull(row.failure_json),
    lostRunner: parseOrNull(row.lost_runner_json),
    version: row.version,
  };
}

/** An inbox row as the port speaks it. */
export function toStoredRequest(row: Row): StoredRequest {
  return {
    key: text(row, "request_key"),
    kind: text(row, "kind"),
    changeId: textOrNull(row, "change_id"),
    actor: text(row, "actor"),
    channel: textOrNull(row, "channel"),
    payload: jsonObject(row, "payload_json"),
    receivedAt: text(row, "received_at"),
    decidedAt: textOrNull(row, "decided_at"),
    outcome: row.outcome_json === null ? null : jsonObject(row, "outcome_json"),
  };
}

function parseOrNull<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

export function toChangeRow(row: Row): ChangeRow {
  return {
    seq: int(row, "seq"),
    id: text(row, "id"),
    state: text(row, "state"),
    requester: text(row, "requester"),
    channel: textOrNull(row, "channel"),
    message_ts: textOrNull(row, "message_ts"),
    primary_host: text(row, "primary_host"),
    secondary_host: text(row, "secondary_host"),
    primary_key: text(row, "primary_key"),
    secondary_key: text(row, "secondary_key"),
    plan_hash: text(row, "plan_hash"),
    created_at: text(row, "created_at"),
    updated_at: text(row, "updated_at"),
    expires_at: text(row, "expires_at"),
    rejection_json: textOrNull(row, "rejection_json"),
    cancellation_json: textOrNull(row, "cancellation_json"),
    failure_json: textOrNull(row, "failure_json"),
    lost_runner_json: textOrNull(row, "lost_runner_json"),
    version: int(row, "version"),
    rollbacks_started: int(row, "rollbacks_started"),
  };
}

export function toAuditEntry(row: Row): StoredAuditEntry {
  const changeId = text(row, "change_id");
  const from = textOrNull(row, "from_state");
  const details = jsonObject(row, "details_json");
  return {
    seq: int(row, "seq"),
    changeId,
    at: text(row, "at"),
    actor: text(row, "actor"),
    event: text(row, "event"),
    fromState: from === null ? null : toState(from, changeId),
    toState: toState(text(row, "to_state"), changeId),
    planHash: text(row, "plan_hash"),
    details,
  };
}

export function toState(value: string, id: string): ChangeState {
  const state = STATES.find((s) => s === value);
  if (state === undefined) throw new Error(`${id} has an unknown state "${value}" in the database`);
  return state;
}
