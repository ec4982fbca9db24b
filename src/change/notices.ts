// Who is told what about a change without having asked: the requester hears each decision and
// outcome in the thread (a mention; a failure also in the channel; a direct message when
// MOMLINK_NOTIFY_DM is on), and the approvers get one reminder while a plan still waits. Decided
// here, worded by the presenter. What nobody clicked (a run's end, an expiry, a reminder) is
// claimed in the store before it is sent (ChangeStore.claimNotice), so it goes out once, also
// across a restart and with several bot processes sweeping the same store.
import { groupMention, type Mention, userMention } from "../domain/phrase.ts";
import { isOpenPolicy } from "../domain/policy.ts";
import type { ChangeRecord } from "../domain/record.ts";
import { DEFAULT_REMINDER, type ReminderTiming, reminderDue } from "../domain/reminder.ts";
import type { ChangeDeps } from "./deps.ts";
import type { Audience, OutcomeEvent } from "./ports/presenter.ts";

export interface NoticeSettings {
  /** When a plan awaiting approval is reminded of; null: never. */
  reminder: ReminderTiming | null;
  /** Also tell the requester in a direct message about each decision and outcome. */
  directMessages: boolean;
}

export const DEFAULT_NOTICES: NoticeSettings = { reminder: DEFAULT_REMINDER, directMessages: false };

/** Every plan awaiting approval is looked at by one sweep; more than this many at once is not a real team. */
const AWAITING_LIMIT = 1000;

function settings(deps: ChangeDeps): NoticeSettings {
  return deps.notices ?? DEFAULT_NOTICES;
}

/**
 * The requester, for news about their change: mentioned unless they made it happen themselves
 * (cancelling their own plan needs no ping), in the channel too when `broadcast`.
 */
export function requesterAudience(
  deps: ChangeDeps,
  record: ChangeRecord,
  actor: string | null,
  broadcast = false,
): Audience {
  const own = actor === record.requester;
  return {
    mentions: own ? [] : [userMention(record.requester)],
    broadcast,
    direct: !own && settings(deps).directMessages ? record.requester : null,
  };
}

/** The approvers of the policy, as mentions (nobody under the open policy: it names no one). */
function approverMentions(deps: ChangeDeps): Mention[] {
  const { policy } = deps;
  if (isOpenPolicy(policy)) return [];
  return [...policy.approvers.users.map(userMention), ...policy.approvers.groups.map(groupMention)];
}

/** Reminds the approvers of each plan whose reminder is due, once each; returns how many it sent. */
export async function remindDue(deps: ChangeDeps): Promise<number> {
  const timing = settings(deps).reminder;
  if (timing === null) return 0;
  const now = deps.now();
  let sent = 0;
  for (const record of await deps.store.list({ states: ["awaiting_approval"], limit: AWAITING_LIMIT })) {
    if (record.messageTs === null || !reminderDue(record, timing, now)) continue;
    if (!(await deps.store.claimNotice(record.id, "reminder", now))) continue;
    sent += 1;
    deps.logger.info({ changeId: record.id }, "approvers reminded");
    const count = record.approvals.filter((a) => a.hash === record.planHash).length;
    await deps.presenter.tell(
      record,
      { kind: "reminder", count, required: deps.policy.requiredApprovals },
      { mentions: approverMentions(deps), broadcast: false, direct: null },
    );
  }
  return sent;
}

const OUTCOMES: Record<OutcomeEvent, { broadcast: boolean }> = {
  succeed: { broadcast: false },
  "rolled-back": { broadcast: false },
  expire: { broadcast: false },
  fail: { broadcast: true },
  "rollback-failed": { broadcast: true },
  "runner-lost": { broadcast: true },
};

function outcomeEvent(event: string): OutcomeEvent | null {
  return Object.hasOwn(OUTCOMES, event) ? (event as OutcomeEvent) : null;
}

/**
 * After the runners or the clock moved a change: when its latest transition is an outcome the
 * requester has not been told about, it is claimed and told (a message refresh after it says
 * nothing again).
 */
export async function announceOutcome(deps: ChangeDeps, record: ChangeRecord): Promise<void> {
  const last = (await deps.store.audit(record.id)).at(-1);
  const event = last === undefined ? null : outcomeEvent(last.event);
  if (last === undefined || event === null || last.toState !== record.state) return;
  if (!(await deps.store.claimNotice(record.id, `outcome:${last.seq}`, deps.now()))) return;
  deps.logger.info({ changeId: record.id, event }, "requester told the outcome");
  await deps.presenter.tell(
    record,
    { kind: "outcome", event },
    requesterAudience(deps, record, null, OUTCOMES[event].broadcast),
  );
}
