// What the use-cases answer their callers (a Slack listener, the recovery at start): data, never
// chat text. A refusal's reason is a phrase (domain/phrase.ts), which each front end renders.
import type { PairSpec } from "../domain/pair.ts";
import type { Phrase } from "../domain/phrase.ts";
import type { ChangeRecord } from "../domain/record.ts";
import type { VerifyReport } from "./ports/runners.ts";

export type Outcome = { ok: true; record: ChangeRecord } | { ok: false; reason: Phrase };

export type PlanOutcome =
  | { kind: "posted"; record: ChangeRecord }
  /** A host of the new pair has an open change: `link` is its message's permalink when it has one. */
  | { kind: "locked"; conflict: ChangeRecord; hosts: string[]; link: string | null }
  /** The channel message could not be posted; the change was cancelled so it does not hold the hosts. */
  | { kind: "not-posted"; record: ChangeRecord; error: string };

export interface PlanRequest {
  spec: PairSpec;
  requester: string;
  channel: string;
  /** The inbox request this decides (inbox.ts): marked decided with the change it creates. */
  requestKey?: string;
}

/** Every decision names the inbox request it decides, when it came through the inbox. */
export interface Decided {
  requestKey?: string;
}

/** A read-only check of the live links: the record after it (a `needs_verification` one may have settled). */
export type VerifyOutcome =
  | { ok: true; record: ChangeRecord; report: VerifyReport; at: Date }
  | { ok: false; reason: Phrase };

/** What a request received before a restart came to, for the person who made it. */
export type RecoveredAnswer =
  /** Refused when it was decided (now, or before the restart). */
  | { kind: "refused"; reason: Phrase }
  /** A plan whose text no longer passes today's rules. */
  | { kind: "not-planned"; problems: string }
  /** Recorded; the change as it is now (null when it no longer exists, or the request named none). */
  | { kind: "recorded"; record: ChangeRecord | null }
  | { kind: "plan"; outcome: PlanOutcome };
