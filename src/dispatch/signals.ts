// How a queued job wakes the long-poll waiting for it: the seam between the queue and the parked
// waiters. In one process the dispatcher hands a job to its own waiter as it enqueues, and tells
// these signals only when no waiter of its own took it. With several bot processes on one database
// (issue 12: PostgreSQL, whose LISTEN/NOTIFY plugs in here) the process that queued the job is not
// the one holding the runner's long-poll: the signal crosses over, and that one claims it at once.
// Nothing relies on a signal arriving: the dispatcher's tick still looks for queued jobs every
// second, so a lost notification costs a second, never a job.

export interface JobSignals {
  /**
   * A job was queued for `runner` and no waiter of this process took it: wake whoever holds its
   * long-poll. May do I/O (a NOTIFY); the dispatcher does not wait for it and logs a failure.
   */
  queued(runner: string): void | Promise<void>;
  /** Calls `wake(runner)` for every job queued for a runner, here or elsewhere. Returns the unsubscribe. */
  subscribe(wake: (runner: string) => void): () => void;
}

/** Signals within one process: every subscriber hears every queued job, synchronously. */
export function inProcessJobSignals(): JobSignals {
  const subscribers = new Set<(runner: string) => void>();
  return {
    queued(runner) {
      for (const wake of [...subscribers]) wake(runner);
    },
    subscribe(wake) {
      subscribers.add(wake);
      return () => subscribers.delete(wake);
    },
  };
}
