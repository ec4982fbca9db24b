// Shared Slack test harness: a local Slack (Web API + Socket Mode), signed HTTP requests, and the
// Bolt options that make a real App talk to it. Every Slack test starts here:
//
//   const fake = await startFakeSlack();
//   const app = new App(httpAppOptions(fake));            // or socketAppOptions(fake)
//   const { url } = await startHttpApp(app);              // socket: await app.start()
//   ...
//   await app.stop(); await fake.close();                 // app first: it would reconnect
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, type AppOptions, LogLevel } from "@slack/bolt";
import type { FakeSlack } from "./slack-api.ts";

export * from "./signing.ts";
export * from "./slack-api.ts";
export * from "./socket-mode.ts";

/** Well-formed test credentials; the fake accepts any `xoxb-`/`xapp-` token unless told otherwise. */
export const TEST_BOT_TOKEN = "xoxb-0000000000-0000000000000-localTestBotToken0000";
export const TEST_APP_TOKEN = "xapp-1-A0LOCALAPP-0000000000000-localtestapptoken";
export const TEST_SIGNING_SECRET = "0123456789abcdef0123456789abcdef";

export interface TestAppOverrides {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  logger?: AppOptions["logger"];
  logLevel?: LogLevel;
}

/**
 * WebClient options for the fake: its URL, no retries (the default retries span ~30 min), and a
 * 429 rejected to the caller, as in production (src/slack/boot.ts): the presenter's gate waits.
 */
export function fakeClientOptions(fake: FakeSlack): NonNullable<AppOptions["clientOptions"]> {
  return { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true };
}

function common(fake: FakeSlack, overrides: TestAppOverrides): AppOptions {
  return {
    token: overrides.botToken ?? TEST_BOT_TOKEN,
    // Known ids: Bolt then never needs auth.test (see DESIGN.md, lessons learned).
    botId: fake.api.workspace.botId,
    botUserId: fake.api.workspace.botUserId,
    clientOptions: fakeClientOptions(fake),
    ...(overrides.logger !== undefined ? { logger: overrides.logger } : {}),
    logLevel: overrides.logLevel ?? LogLevel.WARN,
  };
}

/** Bolt options for HTTP mode (HTTPReceiver at /slack/events) against the fake. */
export function httpAppOptions(fake: FakeSlack, overrides: TestAppOverrides = {}): AppOptions {
  return { ...common(fake, overrides), signingSecret: overrides.signingSecret ?? TEST_SIGNING_SECRET };
}

/** Bolt options for Socket Mode against the fake's apps.connections.open and WebSocket. */
export function socketAppOptions(fake: FakeSlack, overrides: TestAppOverrides = {}): AppOptions {
  return {
    ...common(fake, overrides),
    socketMode: true,
    appToken: overrides.appToken ?? TEST_APP_TOKEN,
    // The SocketModeClient builds its own WebClient (for apps.connections.open) from these.
    installerOptions: { clientOptions: fakeClientOptions(fake) },
  };
}

/** Starts an HTTP-mode App on 127.0.0.1 on a free port; `url` is its events endpoint. */
export async function startHttpApp(app: App): Promise<{ url: string; port: number }> {
  const server = (await app.start({ port: 0, host: "127.0.0.1" })) as Server;
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, port };
}
