// The change operations behind the Slack listeners. Listeners translate Slack to these calls and
// the outcomes back to Slack; the decisions are the domain's (record.ts, policy.ts) and the store
// is the truth: every operation writes its transition first, then re-renders the channel message
// from the record. A Slack failure after the write is logged and can be redone (refreshMessage).
import type { webApi } from "@slack/bolt";
import type { ChangeNotify, ChangeProgress, HostOutcome, RunnerHooks } from "../dispatch/hooks.ts";
import type { RunnerInfo } from "../dispatch/registry.ts";
import { looksLikeChangeId, parseChangeId } from "../domain/change-id.ts";
import type { PairSpec } from "../domain/pair.ts";
import { plainPhrase } from "../domain/phrase.ts";
import { formatUtc } from "../domain/policy.ts";
import {
  approvalCount,
  type ChangeEvent,
  type ChangeRecord,
  rollbackApprovers,
  transition,
} from "../domain/record.ts";
import { shortHash } from "../domain/shorten.ts";
import type { Logger } from "../log.ts";
import type { ApplyResult, ChangeStore, StoredAuditEntry } from "../store/store.ts";
import type { MomlinkDeps } from "./app.ts";
import { hostOutcomeMessage, type MessageContext, planMessages, verifyLines } from "./blocks.ts";
import type { Identity } from "./identity.ts";
import { escapeMrkdwn, mrkdwnPhrase } from "./mrkdwn.ts";
import { createPlanFlow } from "./plan-flow.ts";
import { sweepExpired } from "./sweeper.ts";

export type Outcome = { ok: true; record: ChangeRecord } | { ok: false; reason: string };

export type PlanOutcome =
  | { kind: "posted"; record: ChangeRecord }
  /** A host of the new pair has an open change: `link` is its message's permalink when it has one. */
  | { kind: "locked"; conflict: ChangeRecord; hosts: string[]; link: string | null }
  /** The channel message could not be posted; the change was cancelled so it does not hold the hosts. */
  | { kind: "not-posted"; record: ChangeRecord; error: string };

export interface PlanRequest {
  spec: PairSpec;
  requester: string;
  channel: string;
  /** The inbox request this decides (slack/inbox.ts): marked decided with the change it creates. */
  requestKey?: string;
}

/** Every decision names the inbox request it decides, when it came through the inbox. */
interface Decided {
  requestKey?: string;
}

export interface MomlinkService {
  readonly store: ChangeStore;
  readonly allowedDirs: readonly string[];
  readonly logger: Logger;
  messageContext(): MessageContext;
  /** The runners' view of a change (pre-flight notes, per-host progress), when runners are wired in. */
  progress(record: ChangeRecord): ChangeProgress | undefined;
  plan(request: PlanRequest): Promise<PlanOutcome>;
  /**
   * Finishes a plan whose change was created but not yet shown (a restart in between): the
   * pre-flight (with `spec`, when it can still be read) and the channel message.
   */
  resumePlan(changeId: string, spec: PairSpec | null): Promise<PlanOutcome>;
  approve(request: { changeId: string; actor: string; hash: string } & Decided): Promise<Outcome>;
  /** Whether `actor` may reject the change now, without changing anything (before asking for a reason). */
  checkReject(request: { changeId: string; actor: string }): Promise<Outcome>;
  reject(request: { changeId: string; actor: string; reason: string } & Decided): Promise<Outcome>;
  cancel(request: { changeId: string; actor: string; reason?: string } & Decided): Promise<Outcome>;
  /**
   * One approver's approval of undoing the change, against the plan hash they saw; the approval
   * that makes enough moves it to rolling_back and hands it to the runners.
   */
  rollback(request: { changeId: string; actor: string; hash: string } & Decided): Promise<Outcome>;
  /**
   * Read-only check of a change's live links (`target`: CHG-n, or a host: its change waiting for
   * verification, else its last succeeded one). Posts the drift in the change's thread and returns
   * the same lines for the asker.
   */
  verify(request: {
    target: string;
    actor: string;
  }): Promise<{ ok: true; lines: string[] } | { ok: false; reason: string }>;
  /** The registered runners, or null when this bot runs without a runner dispatcher. */
  runners(): RunnerInfo[] | null;
  /** What the runner side calls to update Slack. */
  readonly notify: ChangeNotify;
  permalink(record: ChangeRecord): Promise<string | null>;
  audit(changeId: string): StoredAuditEntry[];
  refreshMessage(changeId: string): Promise<void>;
  sweepExpired(): Promise<number>;
}

export interface ServiceDeps extends Omit<MomlinkDeps, "runners"> {
  client: webApi.WebClient;
  identity: Identity;
  /** Hooks, or a factory given the service's notifier (the orchestrator needs one, the service needs it). */
  runners?: MomlinkDeps["runners"];
}

function slackError(err: unknown): string {
  return (err as { data?: { error?: string } }).data?.error ?? (err as Error).message ?? String(err);
}

/**
 * Work done after an ack waits its turn behind the requests already waiting to be acked: one
 * waiting step per turn of the event loop, each after the loop has taken in new requests (whose
 * acks are quick and have Slack's 3-second deadline). A burst of plans then delays the channel
 * messages a little, never another request's ack by more than one step.
 */
export function ackFirstQueue(): () => Promise<void> {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const runOne = () => {
    scheduled = false;
    waiting.shift()?.();
    // An immediate queued while immediates run waits for the next loop turn, after its I/O.
    if (waiting.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(runOne);
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      schedule();
    });
}

export function createService(deps: ServiceDeps): MomlinkService {
  const { store, policy, client, identity, logger } = deps;
  const notify: ChangeNotify = {
    progress: (changeId) => refreshMessage(changeId),
    hostOutcome: (changeId, outcome) => postOutcome(changeId, outcome),
  };
  const runners: RunnerHooks | undefined =
    typeof deps.runners === "function" ? deps.runners(notify) : deps.runners;
  const ctx = () => ({ now: deps.now(), policy });
  const messageContext = (): MessageContext => ({ policy, now: deps.now(), runners: runners !== undefined });
  const afterPendingAcks = ackFirstQueue();
  /** Changes whose message is being posted right now: a concurrent refresh must not post a second. */
  const posting = new Set<string>();

  /**
   * Re-renders the message from the record; with `post`, posts it when it was never posted (a
   * new plan, or a refresh after a failed post). Never throws: the store already holds the truth.
   */
  async function render(
    record: ChangeRecord,
    post = false,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    if (record.channel === null) return { ok: false, error: "the change has no channel" };
    if (record.messageTs === null && (!post || posting.has(record.id))) {
      return { ok: false, error: "the change has no message (yet)" };
    }
    const { message, threadScripts } = planMessages(record, messageContext(), progressOf(record));
    const posts = record.messageTs === null;
    if (posts) posting.add(record.id);
    try {
      if (record.messageTs !== null) {
        await client.chat.update({ channel: record.channel, ts: record.messageTs, ...message });
        return { ok: true };
      }
      const posted = await client.chat.postMessage({ channel: record.channel, ...message });
      const ts = posted.ts;
      if (ts === undefined) throw new Error("chat.postMessage returned no ts");
      await afterPendingAcks();
      store.setMessage(record.id, posted.channel ?? record.channel, ts);
      for (const part of threadScripts) {
        await client.chat.postMessage({ channel: posted.channel ?? record.channel, thread_ts: ts, ...part });
      }
      return { ok: true };
    } catch (err) {
      logger.error(
        { changeId: record.id, err },
        "could not render the change message in Slack; refreshMessage can redo it",
      );
      return { ok: false, error: slackError(err) };
    } finally {
      if (posts) posting.delete(record.id);
    }
  }

  /** The runners' view of the change (pre-flight notes, per-host progress); never fails a render. */
  function progressOf(record: ChangeRecord) {
    if (runners?.progress === undefined) return undefined;
    try {
      return runners.progress(record);
    } catch (err) {
      logger.error({ changeId: record.id, err }, "could not read the change's progress from the runners");
      return undefined;
    }
  }

  /**
   * Updates of one message go out one at a time, each rendered from the store when its turn
   * comes: a runner's progress and a click cannot overtake each other and leave an older view.
   */
  const updates = new Map<string, Promise<unknown>>();
  function serially<T>(changeId: string, fn: () => Promise<T>): Promise<T> {
    const previous = updates.get(changeId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => {});
    updates.set(changeId, settled);
    void settled.finally(() => {
      if (updates.get(changeId) === settled) updates.delete(changeId);
    });
    return next;
  }

  /** After a transition: the message shows the record as it is now (a runner may already have moved it on). */
  async function rerender(record: ChangeRecord): Promise<void> {
    await serially(record.id, () => render(store.get(record.id) ?? record));
  }

  async function postOutcome(changeId: string, outcome: HostOutcome): Promise<void> {
    const record = store.get(changeId);
    if (record === null || record.channel === null || record.messageTs === null) return;
    try {
      await client.chat.postMessage({
        channel: record.channel,
        thread_ts: record.messageTs,
        ...hostOutcomeMessage(changeId, outcome),
      });
    } catch (err) {
      logger.error({ changeId, err }, "could not post a host's outcome in the thread");
    }
  }

  async function permalink(record: ChangeRecord): Promise<string | null> {
    if (record.channel === null || record.messageTs === null) return null;
    try {
      const result = await client.chat.getPermalink({
        channel: record.channel,
        message_ts: record.messageTs,
      });
      return result.permalink ?? null;
    } catch (err) {
      logger.warn({ changeId: record.id, err }, "no permalink for the change message");
      return null;
    }
  }

  async function threadReply(record: ChangeRecord, text: string): Promise<void> {
    if (record.channel === null || record.messageTs === null) return;
    try {
      await client.chat.postMessage({ channel: record.channel, thread_ts: record.messageTs, text });
    } catch (err) {
      logger.error({ changeId: record.id, err }, "could not post a thread reply");
    }
  }

  async function refreshMessage(changeId: string): Promise<void> {
    const record = store.get(changeId);
    if (record === null) {
      logger.warn({ changeId }, "refreshMessage: no such change");
      return;
    }
    // A change still in pre-flight gets its message when the plan is ready, from plan() itself.
    if (record.messageTs === null) {
      await render(record, record.state !== "planned");
      return;
    }
    await serially(changeId, () => render(store.get(changeId) ?? record));
  }

  /** A refusal that wrote no transition: its inbox request (if any) is decided with the reason. */
  function refused(reason: string, requestKey: string | undefined): Outcome {
    if (requestKey !== undefined) store.inbox.decide(requestKey, { ok: false, reason }, deps.now());
    return { ok: false, reason };
  }

  async function denied(
    result: Extract<ApplyResult, { ok: false }>,
    changeId: string,
    groupError: string | undefined,
    actor: string,
    requestKey: string | undefined,
  ): Promise<Outcome> {
    // A denial writes nothing to the store (record.ts): the log is where attempts are kept.
    logger.info({ changeId, actor, code: result.code, reason: plainPhrase(result.reason) }, "request denied");
    if (result.code === "expired") {
      // Expired but not yet swept: sweep it now so the buttons go away too.
      const expired = store.apply(changeId, { type: "expire", actor: "system" }, ctx());
      if (expired.ok) await rerender(expired.record);
    }
    const note = result.code === "not-approver" && groupError !== undefined ? ` (note: ${groupError})` : "";
    return refused(`${mrkdwnPhrase(result.reason)}${note}`, requestKey);
  }

  /** The transition, with the actor's groups asked of Slack first; it decides `requestKey` if accepted. */
  async function decide(
    changeId: string,
    actor: string,
    event: (groups: string[]) => ChangeEvent,
    requestKey: string | undefined,
  ): Promise<{ result: ApplyResult; groupError?: string }> {
    const { groups, error } = await identity.groupsOf(actor);
    const result = store.apply(changeId, event(groups), ctx(), requestKey);
    return error === undefined ? { result } : { result, groupError: error };
  }

  const plans = createPlanFlow({
    store,
    policy,
    logger,
    now: deps.now,
    runners,
    afterPendingAcks,
    render,
    permalink,
    refused,
  });

  return {
    store,
    allowedDirs: deps.allowedDirs,
    logger,
    messageContext,
    refreshMessage,
    audit: (changeId) => store.audit(changeId),
    progress: progressOf,

    permalink,

    plan: plans.plan,
    resumePlan: plans.resumePlan,

    async approve({ changeId, actor, hash, requestKey }) {
      const { result, groupError } = await decide(
        changeId,
        actor,
        (actorGroups) => ({ type: "approve", actor, actorGroups, hash }),
        requestKey,
      );
      if (!result.ok) return denied(result, changeId, groupError, actor, requestKey);
      const record = result.record;
      logger.info({ changeId, actor, state: record.state }, "approval recorded");
      await rerender(record);
      const at = formatUtc(record.updatedAt, deps.now());
      const against = `against plan hash ${shortHash(hash)}…`;
      const text =
        record.state === "approved"
          ? `approved by <@${actor}> at ${at} ${against}`
          : `approval ${approvalCount(record, policy)} of ${policy.requiredApprovals} by <@${actor}> at ${at} ${against}`;
      await threadReply(record, text);
      if (record.state === "approved" && runners !== undefined) {
        try {
          runners.approved(record);
        } catch (err) {
          logger.error({ changeId, err }, "the runner dispatcher refused the approved change");
        }
      }
      return { ok: true, record };
    },

    async checkReject({ changeId, actor }) {
      const record = store.get(changeId);
      if (record === null) return { ok: false, reason: `there is no change ${changeId}` };
      const { groups, error } = await identity.groupsOf(actor);
      // A dry run of the real transition: the same words as the real refusal, nothing written.
      const dry = transition(record, { type: "reject", actor, actorGroups: groups, reason: "-" }, ctx());
      if (dry.ok) return { ok: true, record };
      const note = dry.code === "not-approver" && error !== undefined ? ` (note: ${error})` : "";
      return { ok: false, reason: `${mrkdwnPhrase(dry.reason)}${note}` };
    },

    async reject({ changeId, actor, reason, requestKey }) {
      const { result, groupError } = await decide(
        changeId,
        actor,
        (actorGroups) => ({ type: "reject", actor, actorGroups, reason }),
        requestKey,
      );
      if (!result.ok) return denied(result, changeId, groupError, actor, requestKey);
      const record = result.record;
      logger.info({ changeId, actor }, "change rejected");
      await rerender(record);
      await threadReply(
        record,
        `rejected by <@${actor}> at ${formatUtc(record.updatedAt, deps.now())}: “${escapeMrkdwn(record.rejection?.reason ?? reason)}”`,
      );
      return { ok: true, record };
    },

    async cancel({ changeId, actor, reason, requestKey }) {
      const { result, groupError } = await decide(
        changeId,
        actor,
        (actorGroups) => ({
          type: "cancel",
          actor,
          actorGroups,
          ...(reason === undefined ? {} : { reason }),
        }),
        requestKey,
      );
      if (!result.ok) return denied(result, changeId, groupError, actor, requestKey);
      const record = result.record;
      logger.info({ changeId, actor }, "change cancelled");
      await rerender(record);
      const why = record.cancellation?.reason ? `: “${escapeMrkdwn(record.cancellation.reason)}”` : "";
      await threadReply(
        record,
        `cancelled by <@${actor}> at ${formatUtc(record.updatedAt, deps.now())}${why}`,
      );
      return { ok: true, record };
    },

    async rollback({ changeId, actor, hash, requestKey }) {
      if (runners?.rollback === undefined) {
        return refused(
          `this momlink runs without runners (MOMLINK_RUNNER_PORT is not set), so nothing can undo ${changeId} here; an approver can close it with /momlink cancel ${changeId} after undoing it by hand`,
          requestKey,
        );
      }
      const { result, groupError } = await decide(
        changeId,
        actor,
        (actorGroups) => ({ type: "rollback", actor, actorGroups, hash }),
        requestKey,
      );
      if (!result.ok) return denied(result, changeId, groupError, actor, requestKey);
      const record = result.record;
      const at = formatUtc(record.updatedAt, deps.now());
      await rerender(record);
      if (record.state !== "rolling_back") {
        const n = rollbackApprovers(record, policy).length;
        const required = policy.requiredApprovals;
        logger.info({ changeId, actor, approvals: n, required }, "rollback approval recorded");
        await threadReply(
          record,
          `rollback: ${n} of ${required} approval${required === 1 ? "" : "s"} by <@${actor}> at ${at} against plan hash ${shortHash(hash)}…`,
        );
        return { ok: true, record };
      }
      logger.info({ changeId, actor }, "rollback approved");
      await threadReply(
        record,
        `rollback approved by <@${actor}> at ${at}: undoing on ${escapeMrkdwn(record.hosts.secondary)}, then ${escapeMrkdwn(record.hosts.primary)}`,
      );
      try {
        runners.rollback(record);
      } catch (err) {
        logger.error({ changeId, err }, "the runner dispatcher refused the rollback");
      }
      return { ok: true, record };
    },

    async verify({ target, actor }) {
      if (runners?.verify === undefined) {
        return {
          ok: false,
          reason:
            "this momlink runs without runners (MOMLINK_RUNNER_PORT is not set): nothing can check the hosts",
        };
      }
      const record = changeToVerify(target);
      if ("reason" in record) return { ok: false, reason: record.reason };
      const report = await runners.verify(record.change, actor);
      const after = store.get(record.change.id) ?? record.change;
      const lines = verifyLines(after, report, actor, deps.now());
      if (report.recorded !== null) await rerender(after);
      if (after.channel !== null && after.messageTs !== null) {
        await threadReply(after, lines.join("\n"));
      }
      return { ok: true, lines };
    },

    runners: () => runners?.listRunners?.() ?? null,
    notify,

    sweepExpired: () => sweepExpired(deps, async (record) => void (await rerender(record))),
  };

  /** `CHG-n`, or a host: its change waiting for verification, else the last one that succeeded. */
  function changeToVerify(target: string): { change: ChangeRecord } | { reason: string } {
    if (looksLikeChangeId(target)) {
      const id = parseChangeId(target);
      if (!id.ok) return { reason: id.reason };
      const change = store.get(id.id);
      return change === null ? { reason: `there is no change ${id.id}` } : { change };
    }
    const host = target.trim();
    const open = store.list({ host, states: ["needs_verification"], limit: 1 })[0];
    if (open !== undefined) return { change: open };
    const done = store.list({ host, states: ["succeeded"], limit: 1 })[0];
    if (done !== undefined) return { change: done };
    return {
      reason: `${host} has no succeeded change to verify against (\`/momlink history ${host}\` lists its changes)`,
    };
  }
}
