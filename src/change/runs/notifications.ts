// What the chat side is told, in order per change: a re-render of the change's message when it
// moved, and a thread reply when a host finished its part. A burst of step events asks for one
// render at a time (a render asked for while one waits is the same render); how often a message
// is actually updated in Slack, and within which budget, is the presenter's one gate
// (slack/update-scheduler.ts), which sends the newest render when the message's turn comes.
import type { HostOutcome } from "../../domain/outcomes.ts";
import type { Logger } from "../../log.ts";
import type { ChangeNotify } from "../ports/runners.ts";
import { createPerChange } from "./per-change.ts";

export interface Notifications {
  /** The change moved: re-render its message (coalesced, never dropped). */
  progress(changeId: string): void;
  /** One host finished its part of a run: a thread reply, after what was asked before it. */
  tell(changeId: string, outcome: HostOutcome): void;
  /** Resolves once every message update and thread reply asked for so far has been sent. */
  settled(): Promise<void>;
}

export function createNotifications(options: { notify: ChangeNotify; logger: Logger }): Notifications {
  const { notify, logger } = options;
  const chains = createPerChange(logger);
  const renderQueued = new Set<string>();
  /** Renders handed to the presenter and not yet sent: they do not hold up the thread replies. */
  const rendering = new Set<Promise<void>>();

  /**
   * Re-render once for everything that happened before the render starts. The render is handed
   * to the presenter in turn, and a thread reply asked for after it does not wait for it to be
   * sent: the gate may hold a message's update for its interval, and posts the reply meanwhile.
   */
  function progress(changeId: string): void {
    if (renderQueued.has(changeId)) return;
    renderQueued.add(changeId);
    void chains.run(changeId, "update the change message", () => {
      renderQueued.delete(changeId);
      const sent = Promise.resolve(notify.progress(changeId))
        .catch((err: unknown) => logger.error({ changeId, err }, "could not update the change message"))
        .finally(() => rendering.delete(sent));
      rendering.add(sent);
    });
  }

  function tell(changeId: string, outcome: HostOutcome): void {
    void chains.run(changeId, "post a host's outcome", () => notify.hostOutcome(changeId, outcome));
  }

  async function settled(): Promise<void> {
    await chains.idle();
    while (rendering.size > 0) {
      await Promise.all(rendering);
      await chains.idle();
    }
  }

  return { progress, tell, settled };
}
