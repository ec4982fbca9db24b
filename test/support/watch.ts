// Waiting for something another process does (a log line written, a lock taken over) without
// sleeping a guessed time: re-check whenever a watched directory changes (inotify), with a slow
// backstop for changes that raise no file event (a lock moving), bounded by a time limit whose
// failure says what was awaited and what was last seen.
import { type FSWatcher, watch } from "node:fs";

export interface WaitOptions {
  /** Directories to watch (they must exist); every change in them triggers a check. */
  watch?: readonly string[];
  timeoutMs?: number;
  /** Backstop re-check interval. Default 100 ms. */
  everyMs?: number;
}

/**
 * Resolves with the first value `check` returns that is not undefined. Rejects after the time
 * limit with `what` and the last value `describe` gave.
 */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: WaitOptions & { describe?: () => Promise<string> | string } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const watchers: FSWatcher[] = [];
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      clearInterval(backstop);
      clearTimeout(limit);
      outcome();
    };
    const run = async () => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const value = await check();
        if (value !== undefined) finish(() => resolve(value));
      } catch (error) {
        finish(() => reject(error));
      } finally {
        running = false;
        if (again && !done) {
          again = false;
          void run();
        }
      }
    };
    for (const dir of options.watch ?? []) watchers.push(watch(dir, () => void run()));
    const backstop = setInterval(() => void run(), options.everyMs ?? 100);
    const limit = setTimeout(() => {
      void Promise.resolve(options.describe?.() ?? "").then((seen) =>
        finish(() =>
          reject(
            new Error(
              `timed out after ${options.timeoutMs ?? 10_000} ms waiting for ${what}${seen ? `; last seen:\n${seen}` : ""}`,
            ),
          ),
        ),
      );
    }, options.timeoutMs ?? 10_000);
    void run();
  });
}
