// One queue per change: what is asked for a change runs after everything asked before it for
// the same change, and never at the same time; different changes do not wait for each other.
// The reactions to runner events read the store and the jobs, then write; with async ports two
// reactions of one change (two job ends in one tick, a resume beside a job's end) would otherwise
// read the same rows and both act on them. The chat side's renders and replies keep their order
// the same way (notifications.ts). A failure is logged and stops nothing after it: callers of
// `run` are never rejected, so nothing they start floats as an unhandled rejection.
import type { Logger } from "../../log.ts";

export interface PerChange {
  /** Runs `fn` once everything queued before it for `changeId` has run; resolves when it has (logged, never rejected). */
  run(changeId: string, what: string, fn: () => Promise<void> | void): Promise<void>;
  /** Resolves once nothing is queued or running, for any change. */
  idle(): Promise<void>;
}

export function createPerChange(logger: Pick<Logger, "error">): PerChange {
  const chains = new Map<string, Promise<void>>();

  function run(changeId: string, what: string, fn: () => Promise<void> | void): Promise<void> {
    const previous = chains.get(changeId) ?? Promise.resolve();
    const next = previous
      .then(fn)
      .catch((err: unknown) => logger.error({ changeId, err }, `could not ${what}`))
      .finally(() => {
        if (chains.get(changeId) === next) chains.delete(changeId);
      });
    chains.set(changeId, next);
    return next;
  }

  async function idle(): Promise<void> {
    while (chains.size > 0) await Promise.all(chains.values());
  }

  return { run, idle };
}
