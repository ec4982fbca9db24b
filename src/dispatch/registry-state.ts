// What the registry's functions share: the store, the keys, the clock and its settings, and the
// last-seen times kept in memory. A runner row reads as the RunnerInfo callers see only here
// (runnerInfo), so its status and whether it is online are decided once.
import type { RunnerInfo, RunnerStatus } from "../change/ports/runners.ts";
import type { SigningKeys } from "../protocol/signing.ts";
import type { DispatchStore } from "./ports/dispatch-store.ts";
import type { RunnerRow } from "./rows.ts";

export interface RegistryState {
  store: DispatchStore;
  keys: SigningKeys;
  clock: () => Date;
  tokenTtlMs: number;
  onlineWindowMs: number;
  /** Whether the runner holds a long-poll open to this process right now (the long-polls know). */
  isPolling: (name: string) => boolean;
  /**
   * last_seen is written at most every TOUCH_WRITE_MS per runner (every request would be a
   * commit on the hot path); the exact time this process saw is kept here. It is only a time:
   * whether a runner may act is read from the store at every request.
   */
  seen: Map<string, number>;
  /** When each runner's last_seen was last written. */
  written: Map<string, number>;
}

export function runnerInfo(state: RegistryState, row: RunnerRow): RunnerInfo {
  const name = row.name;
  const lastSeenMs = Math.max(row.last_seen_ms ?? -1, state.seen.get(name) ?? -1);
  const status: RunnerStatus =
    row.revoked_at !== null ? "revoked" : row.registered_at !== null ? "active" : "pending";
  const recent = lastSeenMs >= 0 && state.clock().getTime() - lastSeenMs <= state.onlineWindowMs;
  const polling = status === "active" && state.isPolling(name);
  return {
    name,
    host: row.host,
    platform: row.platform,
    status,
    version: row.version,
    hostname: row.hostname,
    registeredAt: row.registered_at,
    lastSeen: lastSeenMs < 0 ? null : new Date(lastSeenMs).toISOString(),
    online: status === "active" && (recent || polling),
    polling,
  };
}
