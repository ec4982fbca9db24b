// Builds the Bolt App for the configured mode. The same registerMomlink() runs in every mode:
// Socket Mode and HTTP mode talk to Slack; the console talks to the in-process LocalSlackApi
// through a receiver that hands typed lines to Bolt as Slack would.
import { App, type AppOptions, type Receiver } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import type { Config } from "../config.ts";
import { boltLogLevel, type Logger, toBoltLogger } from "../log.ts";
import { type MomlinkDeps, type MomlinkHandle, registerMomlink } from "./app.ts";

export type BoltApp = App;

export interface SlackRuntime {
  app: BoltApp;
  momlink: MomlinkHandle;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once no Slack request is being handled (acked or not): a stop waits for it. */
  idle(): Promise<void>;
}

/**
 * The first global middleware: counts requests in flight, from arrival until their listener is
 * done (HTTP mode acks before that), so a process that must stop lets each finish its answer.
 */
function trackInFlight(app: BoltApp): () => Promise<void> {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  app.use(async ({ next }) => {
    inFlight += 1;
    try {
      await next();
    } finally {
      inFlight -= 1;
      if (inFlight === 0) for (const resolve of waiting.splice(0)) resolve();
    }
  });
  return () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve)));
}

/**
 * A 429 is the caller's to wait out: the WebClient's default pauses every call of the app for the
 * Retry-After and then resends the same (by then stale) render. The change messages' gate
 * (update-scheduler.ts) waits for their channel only and sends the latest render; any other call
 * fails at once and says so. Network errors and 5xx are still retried by the WebClient.
 */
const RATE_LIMITS_TO_CALLER = { rejectRateLimitedCalls: true } as const;

/**
 * Every Slack call is bounded: 10 s each, tried at most three times (the WebClient default is no
 * timeout and ten retries over half an hour). A change message's update holds the message's lock
 * in the store while it runs (render-claim.ts), which the database frees after RENDER_HOLD_MS
 * (60 s): the call must end well within it, or an older render could land after the next one.
 */
const SLACK_CALL_BOUNDS = {
  timeout: 10_000,
  retryConfig: { retries: 2, factor: 2, minTimeout: 1000, maxTimeout: 4000 },
} as const;

/** Options shared by every mode: never retry for half an hour (the WebClient default) inside a chat-ops bot. */
function commonOptions(logger: Logger, config: Config): Partial<AppOptions> {
  return {
    logger: toBoltLogger(logger),
    logLevel: boltLogLevel(config.logLevel),
    // Bolt calls auth.test per request without these; they are filled by one auth.test at start.
    tokenVerificationEnabled: false,
  };
}

/** One auth.test at start: fails fast on a bad token instead of on the first slash command. */
async function identify(token: string, apiUrl: string | undefined) {
  const client = new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 2 },
  });
  const auth = await client.auth.test();
  if (!auth.ok || !auth.user_id || !auth.bot_id) {
    throw new Error(`auth.test failed (${auth.error ?? "no bot identity"}): check SLACK_BOT_TOKEN`);
  }
  return { botUserId: auth.user_id, botId: auth.bot_id };
}

export async function createSlackRuntime(
  config: Config,
  deps: MomlinkDeps,
  consoleReceiver?: { receiver: Receiver; options: Partial<AppOptions> },
): Promise<SlackRuntime> {
  let app: BoltApp;
  let startApp: () => Promise<unknown>;
  switch (config.mode) {
    case "socket": {
      const ids = await identify(config.slack.botToken, config.slack.apiUrl);
      const clientOptions = {
        ...RATE_LIMITS_TO_CALLER,
        ...SLACK_CALL_BOUNDS,
        ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      };
      app = new App({
        ...commonOptions(deps.logger, config),
        ...ids,
        token: config.slack.botToken,
        appToken: config.slack.appToken,
        socketMode: true,
        clientOptions,
        installerOptions: { clientOptions },
      });
      startApp = () => app.start();
      break;
    }
    case "http": {
      const ids = await identify(config.slack.botToken, config.slack.apiUrl);
      app = new App({
        ...commonOptions(deps.logger, config),
        ...ids,
        token: config.slack.botToken,
        signingSecret: config.slack.signingSecret,
        clientOptions: {
          ...RATE_LIMITS_TO_CALLER,
          ...SLACK_CALL_BOUNDS,
          ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
        },
      });
      const port = config.slack.port;
      startApp = () => app.start(port);
      break;
    }
    case "console": {
      if (!consoleReceiver) throw new Error("console mode needs the console receiver");
      app = new App({
        ...commonOptions(deps.logger, config),
        ...consoleReceiver.options,
        receiver: consoleReceiver.receiver,
      });
      startApp = () => app.start();
      break;
    }
    default: {
      const unreachable: never = config;
      throw new Error(`unknown mode ${String(unreachable)}`);
    }
  }
  const idle = trackInFlight(app);
  const momlink = await registerMomlink(app, deps);
  return {
    app,
    momlink,
    idle,
    start: async () => {
      await startApp();
    },
    stop: async () => {
      await app.stop();
    },
  };
}
