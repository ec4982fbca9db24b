// What the chat side is told, in order per change, with message updates coalesced: step events
// arrive one per request and Slack rate-limits chat.update.
import type { HostOutcome } from "../../domain/outcomes.ts";
import type { Logger } from "../../log.ts";
import type { Timers } from "../ports/runner-jobs.ts";
import type { ChangeNotify } from "../ports/runners.ts";

export interface Notifications {
  /** The change moved: re-render its message (coalesced, throttled, never dropped). */
  progress(changeId: string): void;
  /** One host finished its part of a run: a thread reply, after what was asked before it. */
  tell(changeId: string, outcome: HostOutcome): void;
  /** Resolves once every message update and thread reply asked for so far has been sent. */
  settled(): Promise<void>;
}

export function createNotifications(options: {
  notify: ChangeNotify;
  logger: Logger;
  scheduler: Timers;
  /** Least time between two updates of one change's message; 0: as soon as the previous one is done. */
  intervalMs: number;
}): Notifications {
  const { notify, logger, scheduler, intervalMs } = options;
  const chains = new Map<string, Promise<void>>();
  const renderQueued = new Set<string>();
  /** Changes whose message was updated less than intervalMs ago, with the update still owed (if any). */
  const cooling = new Map<string, { owed: boolean; fired: Promise<void> }>();

  function later(changeId: string, what: string, fn: () => Promise<void> | void): void {
    const previous = chains.get(changeId) ?? Promise.resolve();
    const next = previous
      .then(fn)
      .catch((err: unknown) => logger.error({ changeId, err }, `could not ${what}`))
      .finally(() => {
        if (chains.get(changeId) === next) chains.delete(changeId);
      });
    chains.set(changeId, next);
  }

  /**
   * Re-render once for everything that happened before the render starts (a burst of step events
   * is one update), and at most once per intervalMs; an update owed at the end of the interval is
   * sent then.
   */
  function progress(changeId: string): void {
    if (renderQueued.has(changeId)) return;
    const cool = cooling.get(changeId);
    if (cool !== undefined) {
      cool.owed = true;
      return;
    }
    renderQueued.add(changeId);
    later(changeId, "update the change message", async () => {
      renderQueued.delete(changeId);
      await notify.progress(changeId);
      if (intervalMs > 0) coolDown(changeId);
    });
  }

  function coolDown(changeId: string): void {
    let fire!: () => void;
    const entry = { owed: false, fired: new Promise<void>((resolve) => (fire = resolve)) };
    cooling.set(changeId, entry);
    scheduler.after(intervalMs, () => {
      cooling.delete(changeId);
      if (entry.owed) progress(changeId);
      fire();
    });
  }

  function tell(changeId: string, outcome: HostOutcome): void {
    later(changeId, "post a host's outcome", () => notify.hostOutcome(changeId, outcome));
  }

  async function settled(): Promise<void> {
    const owed = () => [...cooling.values()].filter((c) => c.owed).map((c) => c.fired);
    while (chains.size > 0 || owed().length > 0) await Promise.all([...chains.values(), ...owed()]);
  }

  return { progress, tell, settled };
}
