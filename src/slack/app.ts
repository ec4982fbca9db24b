// momlink on a Bolt App: registers the listeners (one folder per Slack surface) over the change
// service, and returns the handle the caller uses for the sweeper and for re-rendering messages.
// The App itself is built elsewhere (boot.ts for socket/http/console, the test harness in tests),
// so this module never decides how momlink talks to Slack.
import type { AnyMiddlewareArgs, App, Middleware } from "@slack/bolt";
import type { ChangeNotify, RunnerHooks } from "../dispatch/hooks.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import type { Logger } from "../log.ts";
import type { ChangeStore } from "../store/store.ts";
import { registerActions } from "./actions/index.ts";
import { registerCommands } from "./commands/index.ts";
import { registerEvents } from "./events/index.ts";
import { createIdentity } from "./identity.ts";
import { createService } from "./service.ts";
import { registerViews } from "./views/index.ts";

export type { ChangeNotify, RunnerHooks } from "../dispatch/hooks.ts";

export interface MomlinkDeps {
  store: ChangeStore;
  policy: ApprovalPolicy;
  allowedDirs: readonly string[];
  now: () => Date;
  logger: Logger;
  /**
   * Absent: no pre-flight; approved changes say "waiting for runner on <hosts>". A function is
   * called once with the notifier the runner side reports through (the orchestrator's `notify`).
   */
  runners?: RunnerHooks | ((notify: ChangeNotify) => RunnerHooks);
}

export interface MomlinkHandle {
  /** Run at start and on an interval by the caller. */
  sweepExpired(): Promise<number>;
  /** Re-render the channel message from the record. */
  refreshMessage(changeId: string): Promise<void>;
  /** What the runner side reports through. */
  notify: ChangeNotify;
}

export function registerMomlink(app: App, deps: MomlinkDeps): MomlinkHandle {
  const logger = deps.logger.child({ component: "momlink-slack" });
  const identity = createIdentity({ client: app.client, policy: deps.policy, now: deps.now, logger });
  const service = createService({ ...deps, logger, client: app.client, identity });
  app.use(ignoreRedeliveries(deps.now, logger));
  registerCommands(app, service);
  registerActions(app, service);
  registerViews(app, service);
  registerEvents(app, service);
  return {
    sweepExpired: () => service.sweepExpired(),
    refreshMessage: (changeId) => service.refreshMessage(changeId),
    notify: service.notify,
  };
}

/** How long a request's key is remembered; Slack redelivers within minutes. */
const REDELIVERY_WINDOW_MS = 15 * 60_000;

/**
 * A stable key for a request as Slack would redeliver it (same trigger, same click, same event),
 * or undefined for requests that need no deduplication.
 */
export function requestKey(body: Record<string, unknown>): string | undefined {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const command = str(body.command);
  if (command !== undefined) {
    const trigger = str(body.trigger_id);
    return trigger === undefined ? undefined : `command:${trigger}`;
  }
  switch (body.type) {
    case "block_actions": {
      const user = (body.user as { id?: unknown } | undefined)?.id;
      const action = Array.isArray(body.actions)
        ? (body.actions[0] as { action_ts?: unknown } | undefined)
        : undefined;
      const ts = str(action?.action_ts);
      return ts === undefined || typeof user !== "string" ? undefined : `action:${user}:${ts}`;
    }
    case "view_submission": {
      const trigger = str(body.trigger_id);
      return trigger === undefined ? undefined : `view:${trigger}`;
    }
    case "event_callback": {
      const id = str(body.event_id);
      return id === undefined ? undefined : `event:${id}`;
    }
    default:
      return undefined;
  }
}

/**
 * Global middleware: a request Slack sends again (`x-slack-retry-num` over HTTP, `retry_attempt`
 * in Socket Mode, or simply the same trigger twice) is acked and dropped when it was already seen,
 * so nothing is acted on twice. The check runs before any listener and costs a map lookup.
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
