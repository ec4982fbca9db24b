// At start: finishes every request an earlier process received (and acked) but did not finish
// (inbox.ts). An undecided one is decided now, exactly as it would have been (the same use-case,
// marking the same inbox row); a decided one gets what its decision was still owed: the plan's
// pre-flight and message, or the change's message re-rendered from the store. Either way the
// person is told (the presenter's `recovered`), since the front end's way back to them may be
// gone. A row this build cannot read is reported and set aside, never retried forever; a row
// whose decision throws stays unfinished for the next start.
//
// With replicas (PostgreSQL), a request belongs to the replica that received it, under a lease it
// renews on every sweep (createTakeOver): a sweep takes over, once across replicas, only the
// requests whose lease ran out (their replica died), and never one a living replica is finishing.
import { parsePlanText } from "../domain/grammar.ts";
import type { PairSpec } from "../domain/pair.ts";
import { describeProblems } from "../domain/problem.ts";
import { validatePair } from "../domain/validate.ts";
import { approve } from "./approve.ts";
import { cancel } from "./cancel.ts";
import type { ChangeDeps } from "./deps.ts";
import { type DurableRequest, finishRequest, fromStored, type PlanSource, refusalOf } from "./inbox.ts";
import { refreshMessage } from "./message.ts";
import type { Outcome, RecoveredAnswer } from "./outcomes.ts";
import { plan, resumePlan } from "./plan.ts";
import type { StoredRequest } from "./ports/store.ts";
import { reject } from "./reject.ts";
import { rollback } from "./rollback.ts";

/** Finished requests are kept this long, so that their keys still dedupe redeliveries. */
const KEEP_FINISHED_MS = 24 * 60 * 60_000;

/**
 * Finishes `rows` (read before the front end took any request), one at a time; returns how many.
 * Once: a second call finds nothing left to do.
 */
export function createRecovery(deps: ChangeDeps, rows: readonly StoredRequest[]): () => Promise<number> {
  const waiting = [...rows];
  return async () => {
    const leftovers = waiting.splice(0);
    await deps.store.inbox.pruneFinished(new Date(deps.now().getTime() - KEEP_FINISHED_MS));
    return finishAll(deps, leftovers, "before the restart");
  };
}

/**
 * One sweep's take-over of the requests replicas that died left: renews this replica's own leases
 * first (after a sweep that failed, e.g. the database restarting, every lease that ran out
 * meanwhile: no replica could renew), then claims the lapsed ones and finishes them. Returns how many.
 */
export function createTakeOver(deps: ChangeDeps): () => Promise<number> {
  let failedBefore = false;
  return async () => {
    try {
      await deps.store.inbox.renewLeases(deps.now(), failedBefore ? "all" : "own");
      failedBefore = false;
      const lapsed = await deps.store.inbox.takeOver(deps.now(), "lapsed");
      return await finishAll(deps, lapsed, "by a replica that stopped");
    } catch (error) {
      failedBefore = true;
      throw error;
    }
  };
}

async function finishAll(deps: ChangeDeps, rows: readonly StoredRequest[], leftBy: string): Promise<number> {
  let finished = 0;
  for (const row of rows) {
    try {
      if (await finishOne(deps, row)) finished += 1;
    } catch (err) {
      deps.logger.error(
        { key: row.key, kind: row.kind, err },
        `could not finish a request received ${leftBy}`,
      );
    }
  }
  if (rows.length > 0) {
    deps.logger.info({ finished, left: rows.length - finished }, `finished requests received ${leftBy}`);
  }
  return finished;
}

async function finishOne(deps: ChangeDeps, row: StoredRequest): Promise<boolean> {
  const request = fromStored(row);
  if ("problem" in request) {
    deps.logger.error(
      { key: row.key, kind: row.kind, problem: request.problem },
      "an unreadable request was set aside",
    );
    await finishRequest(deps, row.key);
    return false;
  }
  const answer =
    row.decidedAt === null ? await decideNow(deps, request) : await completeDecided(deps, request, row);
  await deps.presenter.recovered(request, answer);
  await finishRequest(deps, request.key);
  return true;
}

/** The decision the earlier process never made, made the same way (and marked on the same row). */
async function decideNow(deps: ChangeDeps, r: DurableRequest): Promise<RecoveredAnswer> {
  const requestKey = r.key;
  const { actor } = r;
  switch (r.kind) {
    case "approve":
      return changeAnswer(
        deps,
        await approve(deps, { changeId: r.changeId, actor, hash: r.hash, requestKey }),
      );
    case "reject":
      return changeAnswer(
        deps,
        await reject(deps, { changeId: r.changeId, actor, reason: r.reason, requestKey }),
      );
    case "cancel": {
      const reason = r.reason === null ? {} : { reason: r.reason };
      return changeAnswer(deps, await cancel(deps, { changeId: r.changeId, actor, ...reason, requestKey }));
    }
    case "rollback":
      return changeAnswer(
        deps,
        await rollback(deps, { changeId: r.changeId, actor, hash: r.hash, requestKey }),
      );
    case "plan": {
      const spec = specOf(deps, r.source);
      if ("problems" in spec) {
        await deps.store.inbox.decide(r.key, { ok: false, reason: spec.problems }, deps.now());
        return { kind: "not-planned", problems: spec.problems };
      }
      const outcome = await plan(deps, { spec, requester: actor, channel: r.channel, requestKey });
      return { kind: "plan", outcome };
    }
    default: {
      const unhandled: never = r;
      throw new Error(`unhandled request ${JSON.stringify(unhandled)}`);
    }
  }
}

/** A decided request whose follow-up may not have happened: the plan shown, the message re-rendered. */
async function completeDecided(
  deps: ChangeDeps,
  r: DurableRequest,
  row: StoredRequest,
): Promise<RecoveredAnswer> {
  const outcome = row.outcome ?? {};
  if (outcome.ok !== true) return { kind: "refused", reason: refusalOf(outcome) };
  if (r.changeId === null) return { kind: "recorded", record: null };
  if (r.kind === "plan") {
    const spec = specOf(deps, r.source);
    return { kind: "plan", outcome: await resumePlan(deps, r.changeId, "problems" in spec ? null : spec) };
  }
  await refreshMessage(deps, r.changeId);
  return { kind: "recorded", record: await deps.store.get(r.changeId) };
}

async function changeAnswer(deps: ChangeDeps, outcome: Outcome): Promise<RecoveredAnswer> {
  if (!outcome.ok) return { kind: "refused", reason: outcome.reason };
  return { kind: "recorded", record: (await deps.store.get(outcome.record.id)) ?? outcome.record };
}

/** The plan as asked, read again with today's rules (the one parser, the one validator). */
function specOf(deps: ChangeDeps, source: PlanSource): PairSpec | { problems: string } {
  const result =
    "text" in source
      ? parsePlanText(source.text, { allowedDirs: deps.allowedDirs, ticketPattern: deps.ticketPattern })
      : validatePair(source.fields, { allowedDirs: deps.allowedDirs, ticketPattern: deps.ticketPattern });
  return result.ok ? result.value : { problems: describeProblems(result.problems) };
}
