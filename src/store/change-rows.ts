// The change store's rows decoded and checked (store/rows.ts reads each column): a change, an
// audit entry, a state. The database is ours, but a wrong type here means it was altered: say so.
import { type ChangeState, STATES } from "../domain/record.ts";
import { int, jsonObject, type Row, text, textOrNull } from "./rows.ts";
import type { ChangeRow, StoredAuditEntry } from "./store.ts";

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
