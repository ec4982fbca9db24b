// What every `momlink serve` process does on its own, every MOMLINK_SWEEP_SECONDS (default 30 s):
// expire plans whose TTL ran out, remind approvers, and, with replicas on PostgreSQL, catch up on
// what a replica that died left behind (changes left between two steps, requests it acked but did
// not finish). None of it needs a leader: each task claims its rows in the store (docs/postgres.md,
// "Timers across replicas"), so every replica runs the same sweep.
//
// It must keep true: a task that fails (the database restarting) is logged and does not keep the
// others from running, and the sweep after it runs as usual; two sweeps of one process never
// overlap (a slow one makes the next tick skip, not pile up); stop() waits for a running sweep.
import type { Orchestrator } from "./change/runs/orchestrator.ts";
import type { Logger } from "./log.ts";
import type { MomlinkHandle } from "./slack/app.ts";

export interface SweepTask {
  /** For the log line when it fails. */
  name: string;
  run(): Promise<unknown>;
}

/**
 * What serve sweeps. Expiry is also checked on every approval; the sweep tidies messages and sends
 * due reminders. Replicas on PostgreSQL also renew their requests' leases first (before anything
 * slow) and take over a dead replica's, and catch up on changes another replica left between two
 * steps when it died (approved but not handed over); alone on SQLite, the start covered both.
 */
export function sweepTasks(
  momlink: Pick<MomlinkHandle, "sweepExpired" | "sweepReminders" | "takeOverRequests">,
  orchestrator: Pick<Orchestrator, "catchUp"> | undefined,
  options: { replicas: boolean },
): SweepTask[] {
  const tasks: SweepTask[] = [];
  if (options.replicas) {
    tasks.push({ name: "take over requests a dead replica left", run: () => momlink.takeOverRequests() });
  }
  tasks.push(
    { name: "expire plans", run: () => momlink.sweepExpired() },
    { name: "send reminders", run: () => momlink.sweepReminders() },
  );
  if (options.replicas && orchestrator !== undefined) {
    tasks.push({ name: "catch up on changes left between two steps", run: () => orchestrator.catchUp() });
  }
  return tasks;
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
