// momlink's real Bolt app against the shared harness, with the people of a small ops team, an
// injected clock and a completion signal: a first global middleware observes every request, so a
// test awaits the app's follow-up work (HTTP mode acks before it) instead of sleeping.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type types } from "@slack/bolt";
import type { NoticeSettings } from "../../src/change/notices.ts";
import type { RateLimits, StoredMessage } from "../../src/console/local-slack/web-api.ts";
import type { ApprovalPolicy } from "../../src/domain/policy.ts";
import type { TicketPattern } from "../../src/domain/ticket.ts";
import { createLogger, toBoltLogger } from "../../src/log.ts";
import { type MomlinkDeps, type MomlinkHandle, registerMomlink } from "../../src/slack/app.ts";
import type { SchedulerTimers, SlackLimits } from "../../src/slack/update-scheduler.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import {
  type FakeSlack,
  httpAppOptions,
  interactiveBody,
  type PostSignedOptions,
  postSigned,
  slashCommandBody,
  socketAppOptions,
  startFakeSlack,
  startHttpApp,
  TEST_SIGNING_SECRET,
} from "../harness/index.ts";
import { type DrivenClock, drivenClock } from "../support/clock.ts";

export const ALICE = "U0ALICE01"; // requester, not an approver
export const BOB = "U0BOB0001"; // approver (in @mom-approvers)
export const CAROL = "U0CAROL01"; // approver (in @mom-approvers)
export const DAVE = "U0DAVE001"; // neither
export const CHANNEL = "C0LOCAL01";
export const APPROVERS_GROUP = { id: "S0APPROVE1", handle: "mom-approvers" };

export const PLAN_TEXT =
  'plan primary=mom-a secondary=mom-b em-home="D:\\Introscope\\EM" share=\\\\san-server\\mom-failover';

export const T0 = new Date("2025-03-04T10:12:00.000Z");

export type Clock = DrivenClock;

/** The shared driven clock (test/support/clock.ts), at this file's T0 unless told otherwise. */
export function testClock(start = T0): Clock {
  return drivenClock(start);
}

export const GROUP_POLICY: ApprovalPolicy = {
  approvers: { users: [], groups: [`@${APPROVERS_GROUP.handle}`] },
  requiredApprovals: 1,
  fourEyes: true,
  ttlMinutes: 30,
};

export interface StartOptions {
  mode?: "http" | "socket";
  policy?: ApprovalPolicy;
  allowedDirs?: readonly string[];
  /** MOMLINK_TICKET_PATTERN, compiled. */
  ticketPattern?: TicketPattern;
  /** Reminders and direct messages (default: a reminder at half the TTL, no DMs). */
  notices?: NoticeSettings;
  /** Hooks, or a factory given the notifier (the orchestrator). */
  runners?: MomlinkDeps["runners"];
  /** Share a Slack (and a DB file) with an earlier instance, as a restarted bot does. */
  fake?: FakeSlack;
  dbPath?: string;
  /** An already open store over dbPath (closed by stop()), when something else must share it. */
  store?: ChangeStore;
  clock?: Clock;
  /** The fake answers writes over these with 429 (src/console/local-slack/rate-limits.ts). */
  slackRateLimits?: RateLimits;
  /** The limits the bot's gate keeps to (default Slack's: src/slack/update-scheduler.ts). */
  slackLimits?: SlackLimits;
  /** The gate's clock and timers (default the real ones). */
  slackTimers?: SchedulerTimers;
}

export interface Momlink {
  fake: FakeSlack;
  app: App;
  store: ChangeStore;
  handle: MomlinkHandle;
  clock: Clock;
  dbPath: string;
  logs: Array<Record<string, unknown>>;
  /** Resolves when every request received so far has been fully handled. */
  drain(): Promise<void>;
  /** `/momlink <text>` as `user`, signed (HTTP) or as an envelope (Socket Mode); waits for follow-ups. */
  command(text: string, user?: string, options?: { channelId?: string }): Promise<Reply>;
  /** Sends an already built payload (to send the very same request twice, or a forged one). */
  send(
    kind: "command" | "interactive" | "event",
    payload: object,
    post?: Partial<PostSignedOptions>,
  ): Promise<Reply>;
  click(messageTs: string, actionId: string, user: string): Promise<Reply>;
  submit(viewId: string, values: Record<string, Record<string, string>>, user: string): Promise<Reply>;
  event(event: Record<string, unknown>): Promise<Reply>;
  /** Stops the app and closes the store; then, unless kept or borrowed, the fake and the DB directory. */
  stop(options?: { keepFake?: boolean }): Promise<void>;
}

export interface Reply {
  status: number;
  /** The ack's payload: parsed JSON, the raw text, or undefined for an empty ack. */
  body: unknown;
}

export async function startMomlink(options: StartOptions = {}): Promise<Momlink> {
  const fake =
    options.fake ??
    (await startFakeSlack({
      users: [
        { id: ALICE, name: "alice" },
        { id: BOB, name: "bob" },
        { id: CAROL, name: "carol" },
        { id: DAVE, name: "dave" },
      ],
      usergroups: [{ ...APPROVERS_GROUP, users: [BOB, CAROL] }],
      ...(options.slackRateLimits === undefined ? {} : { rateLimits: options.slackRateLimits }),
    }));
  const dir = options.dbPath === undefined ? mkdtempSync(join(tmpdir(), "momlink-slack-")) : undefined;
  const dbPath = options.dbPath ?? join(dir ?? "", "momlink.db");
  const store = options.store ?? openSqliteStore(dbPath);
  const clock = options.clock ?? testClock();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const mode = options.mode ?? "http";
  // Bolt logs through the same redacting logger as momlink does in production.
  const overrides = { logger: toBoltLogger(logger) };
  const app = new App(mode === "http" ? httpAppOptions(fake, overrides) : socketAppOptions(fake, overrides));

  const pending: Promise<unknown>[] = [];
  app.use(async ({ next }) => {
    const done = next();
    pending.push(done.catch(() => {}));
    await done;
  });
  const handle = await registerMomlink(app, {
    store,
    policy: options.policy ?? GROUP_POLICY,
    allowedDirs: options.allowedDirs ?? ["config", "data", "traces", "logs", "threaddumps"],
    ...(options.ticketPattern === undefined ? {} : { ticketPattern: options.ticketPattern }),
    ...(options.notices === undefined ? {} : { notices: options.notices }),
    now: clock.now,
    logger,
    ...(options.runners === undefined ? {} : { runners: options.runners }),
    ...(options.slackLimits === undefined ? {} : { slackLimits: options.slackLimits }),
    ...(options.slackTimers === undefined ? {} : { slackTimers: options.slackTimers }),
  });

  let url = "";
  if (mode === "http") ({ url } = await startHttpApp(app));
  else {
    await app.start();
    await fake.socket.connected();
  }

  let appStopped = false;

  async function drain(): Promise<void> {
    let seen = -1;
    while (seen !== pending.length) {
      seen = pending.length;
      await Promise.all(pending);
    }
  }

  async function send(
    kind: "command" | "interactive" | "event",
    payload: object,
    post: Partial<PostSignedOptions> = {},
  ): Promise<Reply> {
    let reply: Reply;
    if (mode === "http") {
      const body =
        kind === "command"
          ? slashCommandBody(payload as Record<string, string>)
          : kind === "interactive"
            ? interactiveBody(payload)
            : JSON.stringify(payload);
      const response = await postSigned(url, body, { secret: TEST_SIGNING_SECRET, ...post });
      const text = await response.text();
      let parsed: unknown = text === "" ? undefined : text;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      reply = { status: response.status, body: parsed };
    } else {
      const ack =
        kind === "command"
          ? await fake.socket.slashCommand(payload)
          : kind === "interactive"
            ? await fake.socket.interactive(payload)
            : await fake.socket.event(payload);
      const p = ack.payload;
      reply = { status: 200, body: p === undefined || Object.keys(p).length === 0 ? undefined : p };
    }
    await drain();
    return reply;
  }

  return {
    fake,
    app,
    store,
    handle,
    clock,
    dbPath,
    logs,
    drain,
    send,
    command: (text, user = ALICE, options = {}) =>
      send("command", fake.api.slashCommand({ text, userId: user, ...options })),
    click: (messageTs, actionId, user) =>
      send("interactive", fake.api.blockActions({ messageTs, actionId, userId: user })),
    submit: (viewId, values, user) =>
      send("interactive", fake.api.viewSubmission({ viewId, values, userId: user })),
    event: (event) => send("event", fake.api.eventCallback(event)),
    stop: async (stopOptions = {}) => {
      // Idempotent: a restarted bot's first instance is stopped early and cleaned up last.
      if (!appStopped) {
        appStopped = true;
        await app.stop();
        await store.close();
      }
      if (!stopOptions.keepFake && options.fake === undefined) {
        await fake.close();
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The id of the modal the app opened last. */
export function openedViewId(fake: FakeSlack): string {
  const opened = fake.api.callsTo("views.open").at(-1);
  const view = opened?.response.view as { id?: string } | undefined;
  if (view?.id === undefined) throw new Error(`no modal was opened: ${JSON.stringify(opened?.response)}`);
  return view.id;
}

/** The channel messages momlink posted (thread replies excluded). */
export function planMessagesIn(fake: FakeSlack): StoredMessage[] {
  return fake.api.messages.filter((m) => m.thread_ts === undefined);
}

export function threadReplies(fake: FakeSlack, ts: string): StoredMessage[] {
  return fake.api.messages.filter((m) => m.thread_ts === ts);
}

type Block = Record<string, unknown> & { type: string; block_id?: string };

export function blocksOf(message: { blocks?: unknown[] | undefined }): Block[] {
  return (message.blocks ?? []) as Block[];
}

/** Every mrkdwn / plain text in a message's blocks, joined: what a reader sees. */
export function visibleText(message: { blocks?: unknown[] | undefined }): string {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object" && value !== null) {
      const v = value as Record<string, unknown>;
      if (
        (v.type === "mrkdwn" || v.type === "plain_text" || v.type === "text") &&
        typeof v.text === "string"
      ) {
        texts.push(v.text);
      }
      for (const [key, inner] of Object.entries(v))
        if (key !== "text" || typeof inner !== "string") walk(inner);
    }
  };
  walk(message.blocks ?? []);
  return texts.join("\n");
}

export function actionsBlock(message: { blocks?: unknown[] | undefined }): types.ActionsBlock | undefined {
  return blocksOf(message).find((b) => b.type === "actions") as types.ActionsBlock | undefined;
}

/** The code inside a message's script sections, unescaped, in order: what an operator would copy. */
export function codeIn(blocks: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const b of blocks as Block[]) {
    if (b.type !== "section") continue;
    const text = (b.text as { text?: string } | undefined)?.text ?? "";
    const match = /```\n([\s\S]*)\n```$/.exec(text);
    if (match?.[1] !== undefined)
      out.push(match[1].replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"));
  }
  return out;
}
