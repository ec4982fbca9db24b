// The persistence port is the change layer's (change/ports/store.ts: ChangeStore and the data it
// speaks); this module names it for the store's own modules and its other readers, and holds the
// row shapes the SQL schema (migrations.ts) keeps, which only implementations read.
export type {
  ApplyDenialCode,
  ApplyResult,
  ChangeStore,
  CreateChangeInput,
  CreateChangeResult,
  ListQuery,
  NewRequest,
  RequestInbox,
  StoredAuditEntry,
  StoredRequest,
} from "../change/ports/store.ts";

// Row shapes as the SQL schema (migrations.ts) holds them.

export interface ChangeRow {
  seq: number;
  id: string;
  state: string;
  requester: string;
  channel: string | null;
  message_ts: string | null;
  primary_host: string;
  secondary_host: string;
  /** Lower-cased host names: the lock compares these. */
  primary_key: string;
  secondary_key: string;
  /** The plan, in plans (store/plans.ts), by this hash. */
  plan_hash: string;
  created_at: string;
  updated_at: string;
  expires_at: string;
  rejection_json: string | null;
  cancellation_json: string | null;
  failure_json: string | null;
  lost_runner_json: string | null;
  version: number;
  rollbacks_started: number;
}

export interface ApprovalRow {
  change_id: string;
  /** `change` for the change's approvals, `rollback` for a rollback's. */
  kind: string;
  /** 0 for a change approval; the rollback attempt (1, 2, ...) for a rollback approval. */
  round: number;
  actor: string;
  at: string;
  hash: string;
}

export interface AuditRow {
  seq: number;
  change_id: string;
  at: string;
  actor: string;
  event: string;
  from_state: string | null;
  to_state: string;
  plan_hash: string;
  details_json: string;
}
