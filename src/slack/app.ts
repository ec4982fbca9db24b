// momlink on a Bolt App: the change layer wired to Slack (identity, presenter), the listeners (one
// folder per Slack surface) over it, and the handle the caller uses for the sweeper, for
// re-rendering messages and for finishing what a restart left.
// The App itself is built elsewhere (boot.ts for socket/http/console, the test harness in tests),
// so this module never decides how momlink talks to Slack.
import type { AnyMiddlewareArgs, App, Middleware } from "@slack/bolt";
import { createChanges } from "../change/index.ts";
import type { NoticeSettings } from "../change/notices.ts";
import type { ChangeNotify, Runners } from "../change/ports/runners.ts";
import type { ChangeStore } from "../change/ports/store.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { TicketPattern } from "../domain/ticket.ts";
import type { Logger } from "../log.ts";
import { ackFirstQueue } from "./ack-queue.ts";
import { registerActions } from "./actions/index.ts";
import { registerCommands } from "./commands/index.ts";
import type { BotContext } from "./context.ts";
import { registerEvents } from "./events/index.ts";
import { createIdentity } from "./identity.ts";
import { requestKey } from "./payloads.ts";
import { createSlackPresenter } from "./presenter.ts";
import type { SchedulerTimers, SlackLimits } from "./update-scheduler.ts";
import { registerViews } from "./views/index.ts";

export type { ChangeNotify, Runners as RunnerHooks } from "../change/ports/runners.ts";
export { requestKey } from "./payloads.ts";

export interface MomlinkDeps {
  store: ChangeStore;
  policy: ApprovalPolicy;
  allowedDirs: readonly string[];
  /** MOMLINK_TICKET_PATTERN, when set: every plan needs a matching ticket=. */
  ticketPattern?: TicketPattern | undefined;
  /** Reminders and direct messages; absent: a reminder at half the TTL, no DMs (change/notices.ts). */
  notices?: NoticeSettings | undefined;
  now: () => Date;
  logger: Logger;
  /**
   * Absent: no pre-flight; approved changes say "waiting for runner on <hosts>". A function is
   * called once with the notifier the runner side reports through (the orchestrator's `notify`).
   */
  runners?: Runners | ((notify: ChangeNotify) => Runners);
  /** The write limits the change messages keep to (slack/update-scheduler.ts); default Slack's. */
  slackLimits?: SlackLimits | undefined;
  /** The gate's clock and timers (default the real ones), for tests that decide when a wait ends. */
  slackTimers?: SchedulerTimers | undefined;
  /**
   * Which requests an earlier process left this start claims (RequestInbox.takeOver): on SQLite
   * (default) every other owner's, since one process serves the file; with replicas on PostgreSQL
   * only those whose lease ran out, never a living replica's.
   */
  takeOverAtStart?: "lapsed" | "any-other" | undefined;
}

export interface MomlinkHandle {
  /** Run at start and on an interval by the caller. */
  sweepExpired(): Promise<number>;
  /** Reminds the approvers of plans half-way through their TTL, once each; run with the expiry sweep. */
  sweepReminders(): Promise<number>;
  /** Re-render the channel message from the record. */
  refreshMessage(changeId: string): Promise<void>;
  /** What the runner side reports through. */
  notify: ChangeNotify;
  /**
   * Finishes the requests an earlier process received (acked) and did not finish (change/inbox.ts,
   * read when the app was registered, before it took any request). Run once at start.
   */
  finishReceived(): Promise<number>;
  /** Renews this replica's requests and finishes those of a replica that died; run on every sweep (PostgreSQL). */
  takeOverRequests(): Promise<number>;
}

/**
 * The change layer (change/) with Slack as its identity and its presenter, and the listeners that
 * translate Slack requests into its use-cases, one folder per Slack surface.
 */
export async function registerMomlink(app: App, deps: MomlinkDeps): Promise<MomlinkHandle> {
  const logger = deps.logger.child({ component: "momlink-slack" });
  // Claimed now, before any listener is registered; what this process receives is its own anyway.
  const leftovers = await deps.store.inbox.takeOver(deps.now(), deps.takeOverAtStart ?? "any-other");
  const { store, policy, allowedDirs, now } = deps;
  const ticketPattern = deps.ticketPattern;
  const identity = createIdentity({ client: app.client, policy, now, logger });
  const presenter = createSlackPresenter({
    ...(deps.slackLimits === undefined ? {} : { limits: deps.slackLimits }),
    ...(deps.slackTimers === undefined ? {} : { timers: deps.slackTimers }),
    client: app.client,
    logger,
    policy,
    now,
    runners: deps.runners !== undefined,
    groupIds: identity.groupIds,
    renders: store.renders,
  });
  const changes = createChanges({
    store,
    policy,
    allowedDirs,
    ticketPattern,
    now,
    logger,
    identity,
    notices: deps.notices,
    presenter,
    afterPendingAcks: ackFirstQueue(),
    leftovers,
    ...(deps.runners === undefined ? {} : { runners: deps.runners }),
  });
  const bot: BotContext = {
    changes,
    allowedDirs,
    ticketPattern,
    logger,
    messageContext: presenter.messageContext,
    permalink: presenter.permalink,
  };
  app.use(ignoreRedeliveries(now, logger));
  registerCommands(app, bot);
  registerActions(app, bot);
  registerViews(app, bot);
  registerEvents(app, bot);
  return {
    sweepExpired: () => changes.expireDue(),
    sweepReminders: () => changes.remindDue(),
    refreshMessage: (changeId) => changes.refreshMessage(changeId),
    notify: changes.notify,
    finishReceived: () => changes.finishReceived(),
    takeOverRequests: () => changes.takeOverRequests(),
  };
}

/** How long a request's key is remembered; Slack redelivers within minutes. */
const REDELIVERY_WINDOW_MS = 15 * 60_000;

/**
 * Global middleware: a request Slack sends again (`x-slack-retry-num` over HTTP, `retry_attempt`
 * in Socket Mode, or simply the same trigger twice) is acked and dropped when it was already seen,
 * so nothing is acted on twice. The check runs before any listener and costs a map lookup. It
 * remembers this process's requests only; the requests that decide something are also keyed in
 * the store's inbox (change/inbox.ts), which still knows them after a restart.
 */
export function ignoreRedeliveries(now: () => Date, logger: Logger): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, number>();
  return async (args) => {
    const key = requestKey(args.body as unknown as Record<string, unknown>);
    if (key === undefined) {
      await args.next();
      return;
    }
    const t = now().getTime();
    for (const [old, until] of seen) {
      if (until > t) break; // insertion order ≈ expiry order: stop at the first live entry
      seen.delete(old);
    }
    if (seen.has(key)) {
      logger.info(
        { key, retryNum: args.context.retryNum, retryReason: args.context.retryReason },
        "redelivered request ignored",
      );
      if ("ack" in args && typeof args.ack === "function") await args.ack();
      return;
    }
    seen.set(key, t + REDELIVERY_WINDOW_MS);
    await args.next();
  };
}
