// A change's message outside a person's request: re-rendered when asked (a runner's progress, a
// restart finishing a decided request, an operator redoing a failed update), and what the runner
// side tells (ChangeNotify). A change still in pre-flight gets its message from plan.ts when the
// plan is ready; one that was never posted otherwise (a failed post) is posted now.

import { type ChangeDeps, reshow } from "./deps.ts";
import { announceOutcome } from "./notices.ts";
import { postMessage } from "./plan.ts";
import type { ChangeNotify } from "./ports/runners.ts";

export async function refreshMessage(deps: ChangeDeps, changeId: string): Promise<void> {
  const record = await deps.store.get(changeId);
  if (record === null) {
    deps.logger.warn({ changeId }, "refreshMessage: no such change");
    return;
  }
  if (record.messageTs === null) {
    if (record.state !== "planned") await postMessage(deps, record);
    return;
  }
  await reshow(deps, record);
  // The runners finished (or lost) a run: the requester hears how it ended, once.
  await announceOutcome(deps, record);
}

/** What the runner side reports through: the message re-rendered, one host's outcome in the thread. */
export function runnerNotify(deps: ChangeDeps): ChangeNotify {
  return {
    progress: (changeId) => refreshMessage(deps, changeId),
    hostOutcome: async (changeId, outcome) => {
      const record = await deps.store.get(changeId);
      if (record !== null) await deps.presenter.hostOutcome(record, outcome);
    },
  };
}
