// How long the runner waits before retrying the bot: exponential, capped, with jitter, and a
// sleep that an abort (the runner stopping) cuts short.
import { setTimeout as delay } from "node:timers/promises";

export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  initialMs?: number;
  /** Ceiling. Default 30 s. */
  maxMs?: number;
  /** [0, 1). Default Math.random. */
  random?: () => number;
  /** Default: a real timer, cut short by the abort signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Delay before retry number `attempt` (1, 2, ...): exponential, capped, with "equal jitter" — half
 * fixed, half random — so a fleet that lost the bot at once does not come back in lock-step, yet
 * no runner retries sooner than half the nominal delay.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const nominal = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + (nominal / 2) * random());
}

export const realSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch {
    // Aborted: the loop checks the signal itself.
  }
};
