// The Slack presenter: what the change layer asks to be shown (change/ports/presenter.ts), as Slack
// messages. The change's message is rendered from the record each time (blocks.ts), so Slack stays
// a view of the store; updates of one message go out one at a time, each rendered when its turn
// comes, so a runner's progress and a click cannot overtake each other and leave an older view.
// Thread replies say what happened (news.ts); a request finished after a restart is answered
// privately in its channel. Nothing here decides anything, and nothing throws: a Slack failure is
// logged, and refreshMessage can redo it.
import type { webApi } from "@slack/bolt";
import type { DurableRequest } from "../change/inbox.ts";
import type { RecoveredAnswer } from "../change/outcomes.ts";
import type { MessageRenders } from "../change/ports/message-renders.ts";
import type { Audience, ChangeView, Presenter, Shown } from "../change/ports/presenter.ts";
import type { HostOutcome } from "../change/ports/runners.ts";
import { allowedActions } from "../domain/actions.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { ChangeRecord } from "../domain/record.ts";
import type { Logger } from "../log.ts";
import type { MessageContext } from "./blocks.ts";
import { hostOutcomeMessage } from "./change-reports.ts";
import { type GroupIds, slackMention, slackTime } from "./mrkdwn.ts";
import { newsText, recoveredText, WHAT_WAS_ASKED } from "./news.ts";
import { planMessages } from "./plan-message.ts";
import { sendUnlessShown, stampOf } from "./render-claim.ts";
import {
  createUpdateScheduler,
  DEFAULT_SLACK_LIMITS,
  realTimers,
  type SchedulerTimers,
  type SlackLimits,
  type UpdateScheduler,
} from "./update-scheduler.ts";

export interface SlackPresenterOptions {
  client: webApi.WebClient;
  logger: Logger;
  policy: ApprovalPolicy;
  now: () => Date;
  /** Whether runners are plugged in: an approved change then waits for them, not for someone to set one up. */
  runners: boolean;
  /** The approver groups' ids by handle (slack/identity.ts): a plan's message pings the group by its id. */
  groupIds?: () => Promise<GroupIds>;
  /** Slack's write limits the change messages keep to (update-scheduler.ts); default Slack's documented ones. */
  limits?: SlackLimits;
  /** The scheduler's clock and timers, for tests. */
  timers?: SchedulerTimers;
  /**
   * The store's record of what each change message shows (ChangeStore.renders): an update is sent
   * under the message's lock and only when newer (render-claim.ts). Absent: every update is sent.
   */
  renders?: MessageRenders;
}

export interface SlackPresenter extends Presenter {
  /** Resolves once every message write asked for so far has been made (or has failed). */
  settled(): Promise<void>;
  /** What every rendering of a change needs: the policy, the time, whether runners are wired in. */
  messageContext(): MessageContext;
}

function slackError(err: unknown): string {
  return (err as { data?: { error?: string } }).data?.error ?? (err as Error).message ?? String(err);
}

/** Where the presenter writes, and what every rendering needs. */
interface Out {
  client: webApi.WebClient;
  logger: Logger;
  now: () => Date;
  messageContext(): MessageContext;
  /** Reads the groups' ids again when their cache ran out; a failure keeps the last ones (handles then show as typed). */
  freshGroupIds(): Promise<void>;
  /** Every chat.update and chat.postMessage goes through it: Slack's limits, coalescing, Retry-After. */
  gate: UpdateScheduler;
  /** What each message last showed, across replicas (render-claim.ts); none: every update is sent. */
  renders: MessageRenders | undefined;
}

export function createSlackPresenter(options: SlackPresenterOptions): SlackPresenter {
  const { client, logger, policy, now } = options;
  let groupIds: GroupIds = new Map();
  const messageContext = (): MessageContext => ({ policy, now: now(), runners: options.runners, groupIds });
  async function freshGroupIds(): Promise<void> {
    if (options.groupIds === undefined || policy.approvers.groups.length === 0) return;
    try {
      groupIds = await options.groupIds();
    } catch (err) {
      logger.warn({ err }, "could not read the user groups' ids from Slack; handles are shown as typed");
    }
  }
  const gate = createUpdateScheduler(options.limits ?? DEFAULT_SLACK_LIMITS, options.timers ?? realTimers);
  const renders = options.renders;
  const out: Out = { client, logger, now, messageContext, freshGroupIds, gate, renders };
  const messages = messageWriter(out);
  return {
    messageContext,
    settled: () => gate.settled(),
    post: messages.post,
    show: messages.show,
    tell: (record, news, audience) => tell(out, record, newsText(record, news), audience),
    hostOutcome: (record, outcome) => postHostOutcome(out, record, outcome),
    permalink: (record) => permalinkOf(out, record),
    recovered: (request, answer) => tellRecovered(out, request, answer),
  };
}

/**
 * The change's channel message: posted once (a second post while one is under way does nothing),
 * then updated through the gate (update-scheduler.ts): at most once a second per message, each
 * update rendered from the store when it goes, so a burst of progress is one update of the newest
 * view and a click's re-render and a runner's progress cannot leave an older view behind.
 */
function messageWriter(out: Out): Pick<Presenter, "post" | "show"> {
  const { client, logger } = out;
  /** Changes whose message is being posted right now: a concurrent refresh must not post a second. */
  const posting = new Set<string>();
  const clickable = clickableShown(out);

  const failed = (changeId: string, err: unknown): Shown => {
    logger.error(
      { changeId, err },
      "could not render the change message in Slack; refreshMessage can redo it",
    );
    return { ok: false, error: slackError(err) };
  };

  /** Updates the posted message of `view`'s change with what `current` holds when the update goes. */
  async function update(view: ChangeView, current: () => Promise<ChangeView | null>): Promise<Shown> {
    const { record } = view;
    if (record.channel === null || record.messageTs === null)
      return { ok: false, error: "the change has no message (yet)" };
    const { channel, messageTs: ts } = record;
    try {
      const render = async () => {
        const latest = (await current()) ?? view;
        await out.freshGroupIds();
        const { message } = planMessages(latest.record, out.messageContext(), latest.progress);
        return { message, view: latest, stamp: stampOf(latest.record.version, message) };
      };
      const send = async () => {
        const key = { changeId: record.id, channel, ts };
        const { verdict, rendered } = await sendUnlessShown(out, key, render, async (message) => {
          await client.chat.update({ channel, ts, ...message });
        });
        if (verdict !== "older") clickable.shown(channel, ts, rendered.view.record);
      };
      await out.gate.update(channel, ts, send, clickable.changes(channel, ts, record));
      return { ok: true };
    } catch (err) {
      return failed(record.id, err);
    }
  }

  /**
   * Posts the message of `view` when it was never posted (a new plan, or a refresh after a failed
   * post), says where it stands (`posted`) before the thread parts, or updates it when it was.
   */
  async function post(
    view: ChangeView,
    posted?: (channel: string, ts: string) => Promise<void>,
  ): Promise<Shown> {
    const { record } = view;
    if (record.channel === null) return { ok: false, error: "the change has no channel" };
    if (record.messageTs !== null) return update(view, async () => view);
    if (posted === undefined || posting.has(record.id))
      return { ok: false, error: "the change has no message (yet)" };
    const target = record.channel;
    posting.add(record.id);
    try {
      await out.freshGroupIds();
      const { message, threadScripts } = planMessages(record, out.messageContext(), view.progress);
      const sent = await out.gate.post(target, () =>
        client.chat.postMessage({ channel: target, ...message }),
      );
      const ts = sent.ts;
      if (ts === undefined) throw new Error("chat.postMessage returned no ts");
      const channel = sent.channel ?? target;
      clickable.shown(channel, ts, record);
      await posted(channel, ts);
      for (const part of threadScripts) {
        await out.gate.post(channel, () => client.chat.postMessage({ channel, thread_ts: ts, ...part }));
      }
      return { ok: true };
    } catch (err) {
      return failed(record.id, err);
    } finally {
      posting.delete(record.id);
    }
  }

  return {
    post,
    show: async (changeId, current) => {
      const view = await current();
      return view === null ? { ok: false, error: `there is no change ${changeId}` } : update(view, current);
    },
  };
}

/** Messages whose last shown buttons are remembered: more than the changes open on a busy day. */
const CLICKABLE_MESSAGES = 1000;

/**
 * What a person can click on each change message as it was last sent: the plan hash its buttons
 * carry and which buttons show (domain/actions.ts). An update that would change it is urgent in
 * the gate (update-scheduler.ts): it goes ahead of progress-only updates, so a click is made on
 * the message as the store now stands, not on buttons it moved past (an Approve still showing
 * after the approval, a hash pre-flight replaced). A message not remembered (after a restart)
 * counts as changed.
 */
function clickableShown(out: Out) {
  const shown = new Map<string, string>();
  const keyOf = (record: ChangeRecord) => `${record.planHash} ${allowedActions(record, out.now()).join(",")}`;
  return {
    shown(channel: string, ts: string, record: ChangeRecord): void {
      const message = `${channel} ${ts}`;
      shown.delete(message);
      shown.set(message, keyOf(record));
      const oldest = shown.keys().next();
      if (shown.size > CLICKABLE_MESSAGES && oldest.done !== true) shown.delete(oldest.value);
    },
    changes: (channel: string, ts: string, record: ChangeRecord): boolean =>
      shown.get(`${channel} ${ts}`) !== keyOf(record),
  };
}

/**
 * A line in the change's thread, naming its audience first so Slack notifies them; a failure is
 * also shown in the channel (reply_broadcast), and the requester may get it in a DM too.
 */
async function tell(out: Out, record: ChangeRecord, text: string, audience?: Audience): Promise<void> {
  if (record.channel === null || record.messageTs === null) return;
  const mentions = audience?.mentions ?? [];
  if (mentions.length > 0) await out.freshGroupIds();
  const groupIds = out.messageContext().groupIds;
  const to = mentions.map((m) => slackMention(m, groupIds)).join(" ");
  try {
    const reply = {
      channel: record.channel,
      thread_ts: record.messageTs,
      text: to === "" ? text : `${to}: ${text}`,
    };
    await out.gate.post(reply.channel, () =>
      out.client.chat.postMessage(audience?.broadcast === true ? { ...reply, reply_broadcast: true } : reply),
    );
  } catch (err) {
    out.logger.error({ changeId: record.id, err }, "could not post a thread reply");
  }
  if (audience?.direct != null) await tellDirectly(out, record, audience.direct, text);
}

/** The same news in the person's DM with the app, with a link to the change's message. */
async function tellDirectly(out: Out, record: ChangeRecord, user: string, text: string): Promise<void> {
  const link = await permalinkOf(out, record);
  const where = link === null ? record.id : `<${link}|${record.id}>`;
  try {
    await out.gate.post(user, () =>
      out.client.chat.postMessage({ channel: user, text: `${where}: ${text}` }),
    );
  } catch (err) {
    out.logger.warn({ changeId: record.id, user, err }, "could not send the requester a direct message");
  }
}

async function postHostOutcome(out: Out, record: ChangeRecord, outcome: HostOutcome): Promise<void> {
  if (record.channel === null || record.messageTs === null) return;
  try {
    const { channel, messageTs } = record;
    await out.gate.post(channel, () =>
      out.client.chat.postMessage({
        channel,
        thread_ts: messageTs,
        ...hostOutcomeMessage(record.id, outcome),
      }),
    );
  } catch (err) {
    out.logger.error({ changeId: record.id, err }, "could not post a host's outcome in the thread");
  }
}

async function permalinkOf(out: Out, record: ChangeRecord): Promise<string | null> {
  if (record.channel === null || record.messageTs === null) return null;
  try {
    const result = await out.client.chat.getPermalink({
      channel: record.channel,
      message_ts: record.messageTs,
    });
    return result.permalink ?? null;
  } catch (err) {
    out.logger.warn({ changeId: record.id, err }, "no permalink for the change message");
    return null;
  }
}

/** Privately in the request's channel: the response URL of a request from before the restart may be gone. */
async function tellRecovered(out: Out, request: DurableRequest, answer: RecoveredAnswer): Promise<void> {
  const of = request.changeId === null || request.kind === "plan" ? "" : ` of ${request.changeId}`;
  const when = slackTime(request.receivedAt);
  const text = `momlink restarted before it had finished your ${WHAT_WAS_ASKED[request.kind]}${of} (received ${when}): ${recoveredText(answer).replace(/\.$/, "")}.`;
  const { key, actor } = request;
  if (request.channel === null) {
    out.logger.info({ key, actor, text }, "no channel to tell the requester in");
    return;
  }
  try {
    await out.client.chat.postEphemeral({ channel: request.channel, user: actor, text });
  } catch (err) {
    out.logger.warn({ key, actor, err }, "could not tell the requester after the restart");
  }
}
