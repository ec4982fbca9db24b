// The port of what each change message last showed in the front end, across every bot replica
// sharing the store (issue 12): a per-message lock held while one replica renders and sends, and
// the stamp (domain/render-order.ts) of the render it sent. The presenter's update path takes it
// (slack/presenter.ts); the store implements it on both engines (store/sqlite-renders.ts,
// store/postgres/renders.ts).
//
// What an implementation keeps true:
// - `withMessage` runs `fn` holding the message's lock across every process on the store: a
//   second caller for the same message waits until the first's `fn` settled and its record is
//   written, then sees that record as `shown`;
// - the hold is bounded (`RenderLockOptions.holdMs`): a send that hangs cannot keep the message
//   locked for good, and a dead process's lock is released with it;
// - `record` never moves a message back: a stamp older than the one stored is ignored;
// - it throws RenderLockUnavailable when the lock could not be had (the database unreachable,
//   the wait ran out) before `fn` ran, so the caller can send without it rather than show nothing.
import type { RenderStamp } from "../../domain/render-order.ts";

export type { RenderStamp, RenderVerdict } from "../../domain/render-order.ts";

/**
 * How long one update may hold its message's lock (and a waiter wait for it), by default: longer
 * than a Slack call may take with its retries (slack/boot.ts SLACK_CALL_BOUNDS: 3 × 10 s + waits).
 */
export const RENDER_HOLD_MS = 60_000;

/** A change's message, as the front end names it. */
export interface MessageKey {
  changeId: string;
  channel: string;
  ts: string;
}

/** Inside the message's lock: what it last showed, and how to say what it shows now. */
export interface MessageClaim {
  /** The stamp of the render last recorded for this message; null when none was. */
  readonly shown: RenderStamp | null;
  /** Records `stamp` as shown, kept once `fn` returns (not when it throws); a stamp older than the stored one is ignored. */
  record(stamp: RenderStamp): Promise<void>;
}

/** `fn` never ran: the lock could not be had. `cause` says why. */
export class RenderLockUnavailable extends Error {}

export interface MessageRenders {
  withMessage<T>(message: MessageKey, fn: (claim: MessageClaim) => Promise<T>): Promise<T>;
}
