// When a plan still awaiting approval gets its one reminder: at a share of its TTL (half by
// default), and no later than a lead time before it expires (5 minutes by default), so an
// approver who sees the reminder still has time to act. Pure: the change layer asks this of each
// awaiting record, and the store's notice claim makes sure it is sent once.
import type { ChangeRecord } from "./record-model.ts";

export interface ReminderTiming {
  /** The share of the TTL after which the reminder is due, in percent (1–99). */
  percent: number;
  /** The reminder is due at the latest this many minutes before the plan expires. */
  leadMinutes: number;
}

export const DEFAULT_REMINDER: ReminderTiming = { percent: 50, leadMinutes: 5 };

/** The instant the reminder of `record` is due: never before the plan was made, never after it expires. */
export function reminderDueAt(
  record: Pick<ChangeRecord, "createdAt" | "expiresAt">,
  timing: ReminderTiming,
): Date {
  const created = Date.parse(record.createdAt);
  const expires = Date.parse(record.expiresAt);
  const share = created + ((expires - created) * timing.percent) / 100;
  const latest = expires - timing.leadMinutes * 60_000;
  return new Date(Math.max(created, Math.min(share, latest)));
}

/** Whether `record` awaits approval, is not expired yet, and its reminder is due at `now`. */
export function reminderDue(record: ChangeRecord, timing: ReminderTiming, now: Date): boolean {
  if (record.state !== "awaiting_approval") return false;
  if (now.getTime() >= Date.parse(record.expiresAt)) return false;
  return now.getTime() >= reminderDueAt(record, timing).getTime();
}
