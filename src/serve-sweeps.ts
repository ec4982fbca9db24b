// What every `momlink serve` process does on its own, every MOMLINK_SWEEP_SECONDS (default 30 s):
// expire plans whose TTL ran out, remind approvers, and, with replicas on PostgreSQL, catch up on
// what a replica that died left behind (changes left between two steps, requests it acked but did
// not finish). None of it needs a leader: each task claims its rows in the store (docs/postgres.md,
// "Timers across replicas"), so every replica runs the same sweep.
//
// It must keep true: a task that fails (the database restarting) is logged and does not keep the
// others from running, and the sweep after it runs as usual; two sweeps of one process never
// overlap (a slow one makes the next tick skip, not pile up); stop() waits for a running sweep.
import type { Logger } from "./log.ts";

export interface SweepTask {
  /** For the log line when it fails. */
  name: string;
  run(): Promise<unknown>;
}

export interface Sweeps {
  /** Runs one sweep now (the start's, or a test's), after any sweep already running. */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export function startSweeps(
  tasks: readonly SweepTask[],
  options: { intervalMs: number; logger: Logger },
): Sweeps {
  const { logger } = options;
  let running: Promise<void> | null = null;
  const once = async () => {
    for (const task of tasks) {
      try {
        await task.run();
      } catch (error) {
        logger.error(
          { err: error, task: task.name },
          `the sweep could not ${task.name}; the next sweep tries again`,
        );
      }
    }
  };
  const sweep = (): Promise<void> => {
    const after = running ?? Promise.resolve();
    const next = after.then(once).finally(() => {
      if (running === next) running = null;
    });
    running = next;
    return next;
  };
  const timer = setInterval(() => {
    if (running === null) void sweep();
  }, options.intervalMs);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
