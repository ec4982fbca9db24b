// What the state machine says when it refuses an event: where the change stands, in one clause,
// and why the event does not apply there. People are named as mentions (phrase.ts), never in a
// chat's markup, so Slack shows names and the CLI shows ids. Pure; record.ts builds its denials
// from these.
import { instant, type Phrase, phrase, userMention } from "./phrase.ts";
import { type ChangeRecord, type DenialCode, type EventType, isTerminal } from "./record-model.ts";
import { shortHash } from "./shorten.ts";

const PARTICIPLE: Record<EventType, string> = {
  "preflight-complete": "given pre-flight results",
  approve: "approved",
  reject: "rejected",
  cancel: "cancelled",
  expire: "expired",
  "start-execution": "started",
  succeed: "marked succeeded",
  fail: "marked failed",
  "runner-lost": "marked as having lost its runner",
  rollback: "rolled back",
  "rolled-back": "marked rolled back",
  "rollback-failed": "marked as a failed rollback",
  verified: "marked verified",
};

/** The refusal of an event that does not apply to the record's state (closed: terminal). */
export function notInThisState(
  record: ChangeRecord,
  event: EventType,
): { code: Extract<DenialCode, "closed" | "wrong-state">; reason: Phrase } {
  const closed = isTerminal(record.state);
  const tail = closed ? "any more" : "now";
  return {
    code: closed ? "closed" : "wrong-state",
    reason: phrase(describeState(record), `: it cannot be ${PARTICIPLE[event]} ${tail}`),
  };
}

/** Where a change stands, in one clause: "CHG-4 expired at <instant>". */
export function describeState(record: ChangeRecord): Phrase {
  const id = record.id;
  switch (record.state) {
    case "planned":
      return `${id} is waiting for pre-flight facts from the runners`;
    case "awaiting_approval":
      return [`${id} is waiting for approval until `, instant(record.expiresAt)];
    case "approved":
      return `${id} is already approved`;
    case "executing":
      return `${id} is running on ${record.hosts.primary} and ${record.hosts.secondary}`;
    case "rolling_back":
      return `${id} is being rolled back on ${record.hosts.secondary} and ${record.hosts.primary}`;
    case "succeeded":
      return `${id} already succeeded`;
    case "failed":
      return `${id} failed${record.failure ? ` (${record.failure.reason})` : ""} and still holds its hosts`;
    case "rolled_back":
      return `${id} was rolled back`;
    case "rejected": {
      const r = record.rejection;
      if (r === null) return `${id} was rejected`;
      const why = r.reason ? `: "${r.reason}"` : "";
      return [`${id} was rejected by `, userMention(r.actor), " at ", instant(r.at), why];
    }
    case "expired":
      return [`${id} expired at `, instant(record.expiresAt)];
    case "cancelled": {
      const c = record.cancellation;
      if (c === null) return `${id} was cancelled`;
      return [`${id} was cancelled by `, userMention(c.actor), " at ", instant(c.at)];
    }
    case "needs_verification": {
      const where = record.lostRunner ? ` on ${record.lostRunner.host}` : "";
      return `${id} lost its runner${where} mid-change and needs verification`;
    }
    default: {
      const unhandled: never = record.state;
      throw new Error(`unhandled state ${String(unhandled)}`);
    }
  }
}

/** A plan hash inside a denial, one clause among others: 8 characters and an ellipsis. */
export function denialHash(hash: string): string {
  return hash.length > 8 ? `${shortHash(hash, 8)}…` : hash;
}
