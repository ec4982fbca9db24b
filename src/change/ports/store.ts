// The persistence port of the change layer: what the use-cases (and, until they move in, the
// runner dispatch) read and write. The store is the truth (Slack is a view): every accepted
// transition is one transaction that writes the record, its new approvals (the change's and its
// rollbacks', apart) and its audit entry together, or nothing. Implementations live in store/:
// sqlite.ts (node:sqlite, the embedded default) and postgres/ (several bot replicas).
//
// Every method returns a promise, because PostgreSQL's client (pg) is async only; the SQLite
// store answers at once underneath. What a caller must keep true: await each call before acting
// on what it wrote (write, then render), and never leave one floating. An implementation keeps
// each transaction whole: nothing of another request runs between its BEGIN and its COMMIT.
import type { Plan } from "../../domain/plan.ts";
import type {
  AuditEntry,
  ChangeEvent,
  ChangeHosts,
  ChangeRecord,
  ChangeState,
  DenialCode,
  JsonObject,
  TransitionContext,
  TransitionResult,
} from "../../domain/record.ts";
import type { MessageRenders } from "./message-renders.ts";

export interface CreateChangeInput {
  requester: string;
  channel: string | null;
  /**
   * The plan, or a function building it from the allocated change id: the plan embeds the id
   * (`config.pre-CHG-12`, the script's REM line), so it can only be built once the id is known.
   * The function runs inside the creating transaction; it must be pure and quick. A plan whose
   * `changeId` is set to another id is a bug and throws.
   */
  plan: Plan | ((changeId: string) => Plan);
  hosts: ChangeHosts;
  now: Date;
  ttlMinutes: number;
}

export type CreateChangeResult =
  | { ok: true; record: ChangeRecord }
  /** A host of the new plan already has an open change: this one (the newest, if several). */
  | { ok: false; conflict: ChangeRecord };

export interface ListQuery {
  /** Changes touching this machine (either role), matched by hostKey: any spelling of its name. */
  host?: string;
  /**
   * Changes this person asked for, newest first (App Home's "Your recent changes"): read from an
   * index by requester, so a person's changes are found however many others came after them.
   * Not combined with `host` or `states`.
   */
  requester?: string;
  /** Default 20. */
  limit?: number;
  states?: readonly ChangeState[];
}

export type ApplyResult = TransitionResult | { ok: false; code: "not-found"; reason: string };
export type ApplyDenialCode = DenialCode | "not-found";

/** An audit entry as stored: `seq` orders the whole log and lets an export resume. */
export interface StoredAuditEntry extends AuditEntry {
  seq: number;
}

/** A person's request (a Slack click, form or command) as received, before its ack: what it asks, of which change. */
export interface NewRequest {
  /** The front end's redelivery key for the request (Slack's: same click, same trigger): unique. */
  key: string;
  /** What it asks; the change layer names and decodes the kinds (change/inbox.ts), the store keeps them as text. */
  kind: string;
  changeId: string | null;
  actor: string;
  /** Where to answer the actor when the original response URL is gone (after a restart). */
  channel: string | null;
  /** The rest of what the request carries (a hash, a reason, the plan's text), as checked at receipt. */
  payload: JsonObject;
  receivedAt: Date;
}

export interface StoredRequest extends Omit<NewRequest, "receivedAt"> {
  receivedAt: string;
  /** When its decision was recorded (a transition, or a refusal); null while it waits for one. */
  decidedAt: string | null;
  /** `{ ok: true }` or `{ ok: false, reason }` (a phrase, domain/phrase.ts), once decided. */
  outcome: JsonObject | null;
}

/**
 * The durable inbox of requests: a request is received before its ack, decided (in the same
 * transaction as the change it made, see `apply`/`createChange`), and finished once the person
 * was told. What a crash leaves unfinished, the next start finishes.
 */
export interface RequestInbox {
  /** Records a request before its ack; "duplicate" when its key was received before (a redelivery). */
  receive(request: NewRequest): Promise<"received" | "duplicate">;
  /** Records a decision that wrote no transition (a refusal); a decided request keeps its first decision. */
  decide(key: string, outcome: JsonObject, at: Date): Promise<void>;
  /** The request is handled: decided, shown, answered. */
  finish(key: string, at: Date): Promise<void>;
  /** Requests received and not finished, oldest first. */
  unfinished(): Promise<StoredRequest[]>;
  /**
   * Each request is received with an owner (this store: one per process) and a lease, which the
   * owner renews while it lives (`own`). After the store was unreachable, `all` renews every
   * unfinished request whose lease ran out meanwhile: its owner could not renew either. Returns how many.
   */
  renewLeases(now: Date, scope: "own" | "all"): Promise<number>;
  /**
   * Claims, for this store, the unfinished requests another owner left: `lapsed`, those whose
   * lease ran out (a replica that died; across replicas each row is claimed by one caller);
   * `any-other`, every one not this store's own (a start on SQLite, whose serve lock proves every
   * other owner ended). Oldest first; the caller finishes them.
   */
  takeOver(now: Date, scope: "lapsed" | "any-other"): Promise<StoredRequest[]>;
  /** Forgets finished requests older than `before` (their keys no longer dedupe); returns how many. */
  pruneFinished(before: Date): Promise<number>;
}

export interface ChangeStore {
  /** Requests received, decided and finished (see RequestInbox). */
  readonly inbox: RequestInbox;
  /** What each change message last showed, and the lock its updates take across processes (ports/message-renders.ts). */
  readonly renders: MessageRenders;
  /**
   * Allocates the next `CHG-<n>` and creates the record in `planned`, unless a host of the plan
   * (case-insensitive, either role) belongs to an open change: then nothing is written and that
   * change comes back. Check and insert are one transaction; with `decides`, it also marks that
   * inbox request decided and names the new change in it.
   */
  createChange(input: CreateChangeInput, decides?: string): Promise<CreateChangeResult>;
  get(id: string): Promise<ChangeRecord | null>;
  /** Newest first. */
  list(query?: ListQuery): Promise<ChangeRecord[]>;
  /**
   * Runs the domain transition on the record as it is in the store at this instant, inside one
   * write transaction, and persists the outcome. A denial writes nothing at all (not even an
   * audit row): the caller shows the reason ephemerally and may log it. With `decides`, the
   * accepted transition also marks that inbox request decided, in the same transaction.
   */
  apply(id: string, event: ChangeEvent, ctx: TransitionContext, decides?: string): Promise<ApplyResult>;
  /** Where the plan message was posted (not a transition: no version bump, no audit entry). */
  setMessage(id: string, channel: string, ts: string): Promise<ChangeRecord | null>;
  /** Records in `planned` or `awaiting_approval` whose expiry is at or before `now`, oldest first. */
  dueForExpiry(now: Date): Promise<ChangeRecord[]>;
  /**
   * Claims a notice about a change (`reminder`, `outcome:<audit seq>`) and marks it sent, in one
   * statement: true for the one caller that claimed it, false when it was claimed before (by this
   * process or another one). The caller sends after claiming: a crash in between loses that one
   * notice rather than sending it twice.
   */
  claimNotice(changeId: string, notice: string, at: Date): Promise<boolean>;
  /** One change's audit trail, in order. */
  audit(id: string): Promise<StoredAuditEntry[]>;
  /** Every audit entry of every change, in the order written (streamed in pages by seq, never loaded at once). */
  exportAudit(): AsyncIterable<StoredAuditEntry>;
  close(): Promise<void>;
}
