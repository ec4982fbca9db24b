// What every use-case is given: its ports (store, runners, presenter, identity), the policy, the
// clock and a logger; and the few steps they share: refusing (and deciding the inbox request with
// the refusal), deciding a person's event with their groups asked first (a refusal on an expired
// plan expires it on the spot), and the view of a change the presenter shows.
import { type Phrase, phrase, plainPhrase } from "../domain/phrase.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeEvent, ChangeRecord, TransitionContext } from "../domain/record.ts";
import type { TicketPattern } from "../domain/ticket.ts";
import type { Logger } from "../log.ts";
import { phraseJson } from "./inbox.ts";
import { announceOutcome, type NoticeSettings } from "./notices.ts";
import type { Outcome } from "./outcomes.ts";
import type { GroupMembership } from "./ports/identity.ts";
import type { ChangeView, Presenter } from "./ports/presenter.ts";
import type { ChangeProgress, Runners } from "./ports/runners.ts";
import type { ChangeStore } from "./ports/store.ts";

export type Clock = () => Date;

export interface ChangeDeps {
  store: ChangeStore;
  policy: ApprovalPolicy;
  /** The plan form's and the grammar's allowed dirs: a plan received before a restart is read again with them. */
  allowedDirs: readonly string[];
  /** MOMLINK_TICKET_PATTERN, when set: a plan received before a restart needs a matching ticket= too. */
  ticketPattern?: TicketPattern | undefined;
  /** Reminders and direct messages (notices.ts); absent: the defaults (a reminder at half the TTL, no DMs). */
  notices?: NoticeSettings | undefined;
  now: Clock;
  logger: Logger;
  identity: GroupMembership;
  presenter: Presenter;
  /** Absent: no pre-flight, nothing runs on the hosts; approved changes wait for runners. */
  runners: Runners | undefined;
  /** Resolves when the requests already waiting for their acknowledgement have had their turn. */
  afterPendingAcks: () => Promise<void>;
}

export function transitionContext(deps: ChangeDeps): TransitionContext {
  return { now: deps.now(), policy: deps.policy };
}

/** The runners' view of the change (pre-flight notes, per-host progress); never fails a render. */
export async function progressOf(
  deps: ChangeDeps,
  record: ChangeRecord,
): Promise<ChangeProgress | undefined> {
  if (deps.runners?.progress === undefined) return undefined;
  try {
    return await deps.runners.progress(record);
  } catch (err) {
    deps.logger.error({ changeId: record.id, err }, "could not read the change's progress from the runners");
    return undefined;
  }
}

export async function viewOf(deps: ChangeDeps, record: ChangeRecord): Promise<ChangeView> {
  return { record, progress: await progressOf(deps, record) };
}

/** After a transition: the message shows the record as it is now (a runner may already have moved it on). */
export async function reshow(deps: ChangeDeps, record: ChangeRecord): Promise<void> {
  await deps.presenter.show(record.id, async () => viewOf(deps, (await deps.store.get(record.id)) ?? record));
}

/** A refusal that wrote no transition: its inbox request (if any) is decided with the reason. */
export async function refused(
  deps: ChangeDeps,
  reason: Phrase,
  requestKey: string | undefined,
): Promise<Outcome> {
  if (requestKey !== undefined) {
    await deps.store.inbox.decide(requestKey, { ok: false, reason: phraseJson(reason) }, deps.now());
  }
  return { ok: false, reason };
}

/** Who is deciding, about which change, for which inbox request (if it came through the inbox). */
export interface PersonDecides {
  changeId: string;
  actor: string;
  requestKey?: string | undefined;
}

/**
 * A person's event on a change, with their groups asked first; accepted, it decides the inbox
 * request in the same transaction. Refused, it writes nothing: the refusal is logged, an expired
 * plan is expired on the spot (its buttons go away), a click on a message showing an older plan
 * hash re-renders that message, and the inbox request is decided with the
 * reason, which notes a group that could not be read when that may be why.
 */
export async function decideAs(
  deps: ChangeDeps,
  who: PersonDecides,
  event: (groups: string[]) => ChangeEvent,
): Promise<Outcome> {
  const { changeId, actor, requestKey } = who;
  // Decided after the requests still waiting for their ack (slack/ack-queue.ts): a burst of clicks
  // is acked first, and each then decided in turn.
  await deps.afterPendingAcks();
  const { groups, error } = await deps.identity.groupsOf(actor);
  const result = await deps.store.apply(changeId, event(groups), transitionContext(deps), requestKey);
  if (result.ok) return { ok: true, record: result.record };
  deps.logger.info(
    { changeId, actor, code: result.code, reason: plainPhrase(result.reason) },
    "request denied",
  );
  if (result.code === "hash-mismatch") {
    // The clicked message shows the buttons of a plan the store moved past: it is shown as it now
    // stands before the refusal (which says to look at it) is read.
    const current = await deps.store.get(changeId);
    if (current !== null) await reshow(deps, current);
  }
  if (result.code === "expired") {
    // Expired but not yet swept: expire it now so the buttons go away too.
    const expired = await deps.store.apply(
      changeId,
      { type: "expire", actor: "system" },
      transitionContext(deps),
    );
    if (expired.ok) {
      await reshow(deps, expired.record);
      await announceOutcome(deps, expired.record);
    }
  }
  const note = result.code === "not-approver" && error !== undefined ? ` (note: ${error})` : "";
  return refused(deps, phrase(result.reason, note), requestKey);
}
