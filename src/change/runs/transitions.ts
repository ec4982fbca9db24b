// Every move of a record goes through here, so each one is logged and re-rendered and a refused
// one (the state machine said no) stops the caller without an exception.
import type { ApprovalPolicy } from "../../domain/policy.ts";
import type { ChangeEvent, ChangeRecord } from "../../domain/record.ts";
import type { Logger } from "../../log.ts";
import type { ChangeStore } from "../ports/store.ts";

/** The record after the event, or null when the transition was refused. */
export type Apply = (record: ChangeRecord, event: ChangeEvent) => Promise<ChangeRecord | null>;

export function createApply(options: {
  store: ChangeStore;
  policy: ApprovalPolicy;
  now: () => Date;
  logger: Logger;
  progress: (changeId: string) => void;
}): Apply {
  const { store, policy, now, logger, progress } = options;
  return async (record, event) => {
    const result = await store.apply(record.id, event, { now: now(), policy });
    if (!result.ok) {
      logger.warn({ changeId: record.id, event: event.type, reason: result.reason }, "transition refused");
      return null;
    }
    logger.info({ changeId: record.id, event: event.type, state: result.record.state }, "change moved");
    progress(record.id);
    return result.record;
  };
}
