// At start: finishes every request an earlier process received (and acked) but did not finish
// (inbox.ts). An undecided one is decided now, exactly as it would have been (the same service
// call, marking the same inbox row); a decided one gets what its decision was still owed: the
// plan's pre-flight and message, or the change's message re-rendered from the store. Either way
// the person is told, privately in the channel, since the response URL of a request from before
// the restart may be gone. A row this build cannot read is reported and set aside, never retried
// forever; a row whose decision throws stays unfinished for the next start.
import type { webApi } from "@slack/bolt";
import { parsePlanText } from "../domain/grammar.ts";
import type { PairSpec } from "../domain/pair.ts";
import { formatUtc } from "../domain/policy.ts";
import { describeProblems } from "../domain/problem.ts";
import { validatePair } from "../domain/validate.ts";
import type { StoredRequest } from "../store/store.ts";
import { stateWord } from "./blocks.ts";
import { planOutcomeText } from "./commands/plan.ts";
import { type DurableRequest, finishRequest, fromStored, type PlanSource } from "./inbox.ts";
import type { MomlinkService, Outcome, PlanOutcome } from "./service.ts";

/** Finished requests are kept this long, so that their keys still dedupe Slack's redeliveries. */
const KEEP_FINISHED_MS = 24 * 60 * 60_000;

/**
 * Finishes `leftovers` (read before the app took any request), one at a time; returns how many.
 * Once: a second call finds nothing left to do.
 */
export function createRecovery(
  svc: MomlinkService,
  client: webApi.WebClient,
  rows: readonly StoredRequest[],
): () => Promise<number> {
  const waiting = [...rows];
  return async () => {
    const leftovers = waiting.splice(0);
    const now = svc.messageContext().now;
    svc.store.inbox.pruneFinished(new Date(now.getTime() - KEEP_FINISHED_MS));
    let finished = 0;
    for (const row of leftovers) {
      try {
        if (await finishOne(svc, client, row)) finished += 1;
      } catch (err) {
        svc.logger.error(
          { key: row.key, kind: row.kind, err },
          "could not finish a request received before the restart",
        );
      }
    }
    if (leftovers.length > 0) {
      svc.logger.info(
        { finished, left: leftovers.length - finished },
        "finished requests received before the restart",
      );
    }
    return finished;
  };
}

async function finishOne(
  svc: MomlinkService,
  client: webApi.WebClient,
  row: StoredRequest,
): Promise<boolean> {
  const request = fromStored(row);
  if ("problem" in request) {
    svc.logger.error(
      { key: row.key, kind: row.kind, problem: request.problem },
      "an unreadable request was set aside",
    );
    finishRequest(svc, row.key);
    return false;
  }
  const answer =
    row.decidedAt === null ? await decideNow(svc, request) : await completeDecided(svc, request, row);
  await tell(svc, client, request, answer);
  finishRequest(svc, request.key);
  return true;
}

/** The decision the earlier process never made, made the same way (and marked on the same row). */
async function decideNow(svc: MomlinkService, r: DurableRequest): Promise<string> {
  const requestKey = r.key;
  const { actor } = r;
  switch (r.kind) {
    case "approve":
      return changeAnswer(svc, await svc.approve({ changeId: r.changeId, actor, hash: r.hash, requestKey }));
    case "reject":
      return changeAnswer(
        svc,
        await svc.reject({ changeId: r.changeId, actor, reason: r.reason, requestKey }),
      );
    case "cancel": {
      const reason = r.reason === null ? {} : { reason: r.reason };
      return changeAnswer(svc, await svc.cancel({ changeId: r.changeId, actor, ...reason, requestKey }));
    }
    case "rollback":
      return changeAnswer(svc, await svc.rollback({ changeId: r.changeId, actor, hash: r.hash, requestKey }));
    case "plan": {
      const spec = specOf(svc, r.source);
      if ("problems" in spec) {
        svc.store.inbox.decide(r.key, { ok: false, reason: spec.problems }, svc.messageContext().now);
        return `it was not planned: ${spec.problems}`;
      }
      return planAnswer(await svc.plan({ spec, requester: actor, channel: r.channel, requestKey }));
    }
    default: {
      const unhandled: never = r;
      throw new Error(`unhandled request ${JSON.stringify(unhandled)}`);
    }
  }
}

/** A decided request whose Slack side may not have happened: the plan shown, the message re-rendered. */
async function completeDecided(svc: MomlinkService, r: DurableRequest, row: StoredRequest): Promise<string> {
  const outcome = row.outcome ?? {};
  if (outcome.ok !== true) {
    const reason = typeof outcome.reason === "string" ? outcome.reason : "it was refused";
    return `it was not recorded: ${reason}`;
  }
  if (r.changeId === null) return "it is recorded";
  if (r.kind === "plan") {
    const spec = specOf(svc, r.source);
    return planAnswer(await svc.resumePlan(r.changeId, "problems" in spec ? null : spec));
  }
  await svc.refreshMessage(r.changeId);
  const record = svc.store.get(r.changeId);
  return record === null
    ? "it is recorded"
    : `it is recorded, and ${record.id} is now ${stateWord(record.state)}`;
}

function changeAnswer(svc: MomlinkService, outcome: Outcome): string {
  if (!outcome.ok) return `it was not recorded: ${outcome.reason}`;
  const record = svc.store.get(outcome.record.id) ?? outcome.record;
  return `it is recorded, and ${record.id} is now ${stateWord(record.state)}`;
}

function planAnswer(outcome: PlanOutcome): string {
  if (outcome.kind === "posted") return `${outcome.record.id} is posted in this channel for approval`;
  return planOutcomeText(outcome) ?? "it was not posted";
}

/** The plan as asked, read again with today's rules (the one parser, the one validator). */
function specOf(svc: MomlinkService, source: PlanSource): PairSpec | { problems: string } {
  const result =
    "text" in source
      ? parsePlanText(source.text, { allowedDirs: svc.allowedDirs })
      : validatePair(source.fields, { allowedDirs: svc.allowedDirs });
  return result.ok ? result.value : { problems: describeProblems(result.problems) };
}

const WHAT: Record<DurableRequest["kind"], string> = {
  approve: "approval",
  reject: "rejection",
  cancel: "cancellation",
  rollback: "approval of the rollback",
  plan: "plan",
};

async function tell(
  svc: MomlinkService,
  client: webApi.WebClient,
  r: DurableRequest,
  answer: string,
): Promise<void> {
  const of = r.changeId === null || r.kind === "plan" ? "" : ` of ${r.changeId}`;
  const when = formatUtc(r.receivedAt, svc.messageContext().now);
  const text = `momlink restarted before it had finished your ${WHAT[r.kind]}${of} (received ${when}): ${answer.replace(/\.$/, "")}.`;
  if (r.channel === null) {
    svc.logger.info({ key: r.key, actor: r.actor, text }, "no channel to tell the requester in");
    return;
  }
  try {
    await client.chat.postEphemeral({ channel: r.channel, user: r.actor, text });
  } catch (err) {
    svc.logger.warn({ key: r.key, actor: r.actor, err }, "could not tell the requester after the restart");
  }
}
