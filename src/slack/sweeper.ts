// Expires plans whose TTL ran out, then re-renders their messages (buttons gone, "expired"). The
// caller runs it at start-up, for plans that expired while the bot was down, and on an interval.
// The clock is a dependency, so a test moves time instead of waiting for it.
import { plainPhrase } from "../domain/phrase.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeRecord } from "../domain/record.ts";
import type { Logger } from "../log.ts";
import type { ChangeStore } from "../store/store.ts";

export interface SweeperDeps {
  store: ChangeStore;
  policy: ApprovalPolicy;
  now: () => Date;
  logger: Logger;
}

/** Expires every due change (each its own transition) and returns how many it expired. */
export async function sweepExpired(
  deps: SweeperDeps,
  onExpired: (record: ChangeRecord) => Promise<void>,
): Promise<number> {
  const now = deps.now();
  let expired = 0;
  for (const due of deps.store.dueForExpiry(now)) {
    const result = deps.store.apply(
      due.id,
      { type: "expire", actor: "system" },
      { now, policy: deps.policy },
    );
    if (!result.ok) {
      // Approved or cancelled between the query and the transition: nothing to expire.
      deps.logger.debug({ changeId: due.id, reason: plainPhrase(result.reason) }, "not expired");
      continue;
    }
    expired += 1;
    deps.logger.info({ changeId: due.id }, "plan expired");
    await onExpired(result.record);
  }
  return expired;
}
