// The change layer's surface for its front ends (the Slack adapter today; a CLI or a web page
// could call the same): one call per use-case, each in its own module, bound to the ports given
// here. This is the one place a person's request or a timer turns into a transition of a change;
// front ends translate their input to these calls and show what comes back.
import type { ChangeRecord } from "../domain/record.ts";
import { type ApproveRequest, approve } from "./approve.ts";
import { type CancelRequest, cancel } from "./cancel.ts";
import { type ChangeDeps, progressOf } from "./deps.ts";
import { expireDue } from "./expire.ts";
import { type DurableRequest, finishRequest, receiveThenAck } from "./inbox.ts";
import { refreshMessage, runnerNotify } from "./message.ts";
import { remindDue } from "./notices.ts";
import type { Outcome, PlanOutcome, PlanRequest, VerifyOutcome } from "./outcomes.ts";
import { plan } from "./plan.ts";
import type { ChangeNotify, ChangeProgress, RunnerInfo, Runners } from "./ports/runners.ts";
import type { ListQuery, StoredAuditEntry, StoredRequest } from "./ports/store.ts";
import { createRecovery, createTakeOver } from "./recovery.ts";
import { checkReject, type RejectRequest, reject } from "./reject.ts";
import { type RollbackRequest, rollback } from "./rollback.ts";
import { verify } from "./verify.ts";

export interface Changes {
  plan(request: PlanRequest): Promise<PlanOutcome>;
  approve(request: ApproveRequest): Promise<Outcome>;
  /** Whether the actor may reject the change now, without changing anything (before asking for a reason). */
  checkReject(request: { changeId: string; actor: string }): Promise<Outcome>;
  reject(request: RejectRequest): Promise<Outcome>;
  cancel(request: CancelRequest): Promise<Outcome>;
  rollback(request: RollbackRequest): Promise<Outcome>;
  verify(request: { target: string; actor: string }): Promise<VerifyOutcome>;
  /** Expires the plans whose TTL ran out; returns how many. */
  expireDue(): Promise<number>;
  /** Reminds the approvers of the plans half-way through their TTL (once each); returns how many. */
  remindDue(): Promise<number>;
  /** Re-renders the change's message from the record (posts it if a post failed). */
  refreshMessage(changeId: string): Promise<void>;
  /** What the runner side reports through. */
  readonly notify: ChangeNotify;
  /** Writes a request before its ack (inbox.ts); false for a redelivery, not to be acted on. */
  receive(request: DurableRequest, ack: () => Promise<void>): Promise<boolean>;
  /** The request was decided, shown and answered. */
  finish(key: string): Promise<void>;
  /** Finishes the requests an earlier process received and did not finish; run once at start. */
  finishReceived(): Promise<number>;
  /** Renews this process's requests and finishes those a replica that died left (their lease ran out); run on every sweep. */
  takeOverRequests(): Promise<number>;
  get(id: string): Promise<ChangeRecord | null>;
  list(query?: ListQuery): Promise<ChangeRecord[]>;
  audit(changeId: string): Promise<StoredAuditEntry[]>;
  /** The runners' view of a change, when runners are wired in. */
  progress(record: ChangeRecord): Promise<ChangeProgress | undefined>;
  /** The registered runners, or null when this bot runs without a runner dispatcher. */
  runners(): Promise<RunnerInfo[] | null>;
}

export interface ChangesOptions extends Omit<ChangeDeps, "runners"> {
  /**
   * Absent: no pre-flight; approved changes wait for runners. A function is called once with the
   * notifier the runner side reports through (the orchestrator's `notify`).
   */
  runners?: Runners | ((notify: ChangeNotify) => Runners);
  /** Requests an earlier process received and did not finish, read before any new one came in. */
  leftovers?: readonly StoredRequest[];
}

export function createChanges(options: ChangesOptions): Changes {
  const { runners: given, leftovers = [], ...ports } = options;
  // The runner side is built with the notifier, which reads the deps it is part of: set it last.
  const deps: ChangeDeps = { ...ports, runners: undefined };
  const notify = runnerNotify(deps);
  deps.runners = typeof given === "function" ? given(notify) : given;
  return {
    plan: (request) => plan(deps, request),
    approve: (request) => approve(deps, request),
    checkReject: (request) => checkReject(deps, request),
    reject: (request) => reject(deps, request),
    cancel: (request) => cancel(deps, request),
    rollback: (request) => rollback(deps, request),
    verify: (request) => verify(deps, request),
    expireDue: () => expireDue(deps),
    remindDue: () => remindDue(deps),
    refreshMessage: (changeId) => refreshMessage(deps, changeId),
    notify,
    receive: (request, ack) => receiveThenAck(deps, request, ack),
    finish: (key) => finishRequest(deps, key),
    finishReceived: createRecovery(deps, leftovers),
    takeOverRequests: createTakeOver(deps),
    get: (id) => deps.store.get(id),
    list: (query) => deps.store.list(query),
    audit: (changeId) => deps.store.audit(changeId),
    progress: (record) => progressOf(deps, record),
    runners: async () => (await deps.runners?.listRunners?.()) ?? null,
  };
}
