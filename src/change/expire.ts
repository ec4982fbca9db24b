// Expire: plans whose TTL ran out, each its own transition, then their messages re-rendered
// (buttons gone, "expired"). A system timer, not a person's request: the caller runs it at start,
// for plans that expired while the bot was down, and on an interval. Approvals check expiry
// themselves (deps.ts denied), so the sweep only tidies what nobody clicked. The requester is told
// in the thread, with how to plan again (notices.ts).
import { plainPhrase } from "../domain/phrase.ts";
import { type ChangeDeps, reshow } from "./deps.ts";
import { announceOutcome } from "./notices.ts";

/** Expires every due change and returns how many it expired. */
export async function expireDue(deps: ChangeDeps): Promise<number> {
  const now = deps.now();
  let expired = 0;
  for (const due of await deps.store.dueForExpiry(now)) {
    const result = await deps.store.apply(
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
    await reshow(deps, result.record);
    await announceOutcome(deps, result.record);
  }
  return expired;
}
