// The presenter port of the change layer: what people must be shown after a use-case, in the
// words and the channel of the front end. The use-cases decide and write the store first, then
// ask the presenter; a presenter never throws (the store already holds the truth, and a failed
// update can be redone). The Slack implementation is slack/presenter.ts.
import type { Mention } from "../../domain/phrase.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import type { DurableRequest } from "../inbox.ts";
import type { RecoveredAnswer } from "../outcomes.ts";
import type { ChangeProgress, HostOutcome, VerifyReport } from "./runners.ts";

/** A change as its message shows it: the record, and the runners' view of it when there is one. */
export interface ChangeView {
  record: ChangeRecord;
  progress: ChangeProgress | undefined;
}

export type Shown = { ok: true } | { ok: false; error: string };

/** What happened to a change, for its thread: each a line in the presenter's words. */
export type ChangeNews =
  /** The approval that made enough: the change is approved. */
  | { kind: "approved"; actor: string; hash: string }
  /** One approval of several the policy needs. */
  | { kind: "approval"; actor: string; hash: string; count: number; required: number }
  | { kind: "rejected"; actor: string; reason: string }
  | { kind: "cancelled"; actor: string; reason: string | null }
  /** One approval of undoing the change, of `required`. */
  | { kind: "rollback-approval"; actor: string; hash: string; count: number; required: number }
  /** Enough approvals: the runners undo it now. */
  | { kind: "rollback-started"; actor: string }
  /** What a read-only check found (`at`: when it was asked; the asker is answered the same). */
  | { kind: "verified"; actor: string; at: Date; report: VerifyReport }
  /** Still awaiting approval, half-way through its TTL (or shortly before it expires). */
  | { kind: "reminder"; count: number; required: number }
  /** Where the change ended up after the runners or the clock moved it (the record says how). */
  | { kind: "outcome"; event: OutcomeEvent };

/** The transitions nobody clicked whose outcome the requester is told about. */
export type OutcomeEvent = "succeed" | "fail" | "rolled-back" | "rollback-failed" | "runner-lost" | "expire";

/** Who a line in the thread is for: decided by the change layer, written by the presenter. */
export interface Audience {
  /** Named first in the line, so that they are notified (the requester; the approvers of a reminder). */
  mentions: readonly Mention[];
  /** Also shown in the channel, not only in the thread (a failure). */
  broadcast: boolean;
  /** Also told in a direct message (MOMLINK_NOTIFY_DM): this user, or nobody. */
  direct: string | null;
}

export interface Presenter {
  /**
   * Posts the message of a change never shown (and, when they do not fit, its scripts in the
   * thread); `posted` records where the message stands, before the thread parts go out. A second
   * post of a change while one is under way does nothing and says so.
   */
  post(view: ChangeView, posted: (channel: string, ts: string) => Promise<void>): Promise<Shown>;
  /**
   * Shows the change as `current()` says when its turn comes: updates of one message go out one
   * at a time, each rendered when it starts, so an older view never overwrites a newer one. A
   * change with no message yet is not posted here.
   */
  show(changeId: string, current: () => Promise<ChangeView | null>): Promise<Shown>;
  /** A line in the change's thread (nothing when it has no message), addressed to `audience` when given. */
  tell(record: ChangeRecord, news: ChangeNews, audience?: Audience): Promise<void>;
  /** One host finished its part of a run (or was given up on): a thread reply. */
  hostOutcome(record: ChangeRecord, outcome: HostOutcome): Promise<void>;
  /** A link to the change's message, or null. */
  permalink(record: ChangeRecord): Promise<string | null>;
  /** Tells the person what became of a request received before a restart. */
  recovered(request: DurableRequest, answer: RecoveredAnswer): Promise<void>;
}
