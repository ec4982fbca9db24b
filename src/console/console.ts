// The local console: `npm start` without Slack tokens. Typed lines become the payloads Slack would
// send (through LocalSlackApi's builders), delivered to the REAL Bolt app by ConsoleReceiver; the
// app's Web API calls land in the same in-process LocalSlackApi and are printed as text. Nothing
// here decides anything about changes: it only plays the part of Slack and of its users.
import { createInterface } from "node:readline";
import type { AppOptions, Receiver, ReceiverEvent } from "@slack/bolt";
import { findElement, LOCAL_CHANNEL } from "./local-slack/payloads.ts";
import type { LocalSlackApi, RecordedCall } from "./local-slack/web-api.ts";

type Json = Record<string, unknown>;
type BoltAppLike = { processEvent(event: ReceiverEvent): Promise<void> };

/** Hands a payload to Bolt as a receiver does, and returns what the listener acked with. */
export class ConsoleReceiver implements Receiver {
  #app: BoltAppLike | undefined;

  init(app: BoltAppLike): void {
    this.#app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async deliver(body: Json): Promise<unknown> {
    if (!this.#app) throw new Error("the console receiver is not attached to an app");
    let acked: unknown;
    await this.#app.processEvent({
      body,
      ack: async (response?: unknown) => {
        acked = response;
      },
    });
    return acked;
  }
}

/** App options that point Bolt's WebClient at the in-process API: no network, no port. */
export function consoleAppOptions(api: LocalSlackApi, receiver: ConsoleReceiver): Partial<AppOptions> {
  return {
    receiver,
    token: "xoxb-local-console",
    botId: api.workspace.botId,
    botUserId: api.workspace.botUserId,
    clientOptions: {
      slackApiUrl: "http://slack.local/api/",
      fetch: api.fetch,
      retryConfig: { retries: 0 },
      // As in Slack modes (boot.ts): a 429 is the message gate's to wait out.
      rejectRateLimitedCalls: true,
    },
  };
}

export interface ConsoleUser {
  id: string;
  name: string;
}

/** A stable Slack-shaped user id for a console name, so approver lists can name console users. */
export function consoleUserId(name: string): string {
  const letters = name.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return `U${letters}`.padEnd(9, "0").slice(0, 11);
}

export const CONSOLE_HELP = `Type what a Slack user would type, or a console command:
  /momlink <subcommand> ...   e.g. /momlink help, /momlink plan primary=... (the same grammar as Slack)
  /as @name                   act as another user (e.g. /as @bob to approve someone else's plan)
  click <approve|reject> CHG-n   press a button on a change's message
  submit key=value ...        submit the open modal (keys are the field ids shown); or submit <text> for one field
  messages                    show the channel again
  help, quit`;

/** Text for one Block Kit surface: enough to read a message or a modal in a terminal. */
export function blocksToText(blocks: readonly unknown[] | undefined, fallback = ""): string {
  if (!blocks || blocks.length === 0) return fallback;
  const out: string[] = [];
  const text = (t: unknown): string => (t && typeof t === "object" ? String((t as Json).text ?? "") : "");
  for (const raw of blocks) {
    const block = raw as Json;
    switch (block.type) {
      case "header":
        out.push(`== ${text(block.text)} ==`);
        break;
      case "section": {
        if (block.text) out.push(text(block.text));
        if (Array.isArray(block.fields)) out.push(block.fields.map(text).join("  |  "));
        break;
      }
      case "context":
        out.push(((block.elements as unknown[]) ?? []).map(text).join("  "));
        break;
      case "divider":
        out.push("----");
        break;
      case "actions": {
        const buttons = ((block.elements as Json[]) ?? []).map(
          (e) =>
            `[${text(e.text)}]${e.value ? ` (click ${String(e.action_id).replace(/^momlink_/, "")} ${String(e.value)})` : ""}`,
        );
        out.push(buttons.join(" "));
        break;
      }
      case "input":
        out.push(`${text(block.label)}: <${String(block.block_id)}>${block.optional ? " (optional)" : ""}`);
        break;
      default:
        if (block.text) out.push(text(block.text));
    }
  }
  return out.join("\n");
}

/**
 * Slack mrkdwn as a terminal shows it: entities decoded, user mentions by console name, a date
 * token as its fallback (the UTC date and time: the console's reader has no Slack time zone).
 */
function readable(text: string, users: Map<string, string>): string {
  return text
    .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => users.get(id) ?? `@${id}`)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, "$1")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

function describeCall(call: RecordedCall, users: Map<string, string>): string | null {
  const p = call.params as Json;
  const who = (id: unknown) => users.get(String(id)) ?? String(id);
  const body = () => readable(blocksToText(p.blocks as unknown[] | undefined, String(p.text ?? "")), users);
  switch (call.method) {
    case "chat.postMessage":
      return p.thread_ts
        ? `  ↳ [thread] ${body().replaceAll("\n", "\n    ")}`
        : `\n#${LOCAL_CHANNEL.name} momlink:\n${body()}`;
    case "chat.update":
      return `\n#${LOCAL_CHANNEL.name} momlink (message updated):\n${body()}`;
    case "chat.postEphemeral":
      return `(only visible to ${who(p.user)}) ${body()}`;
    case "response_url":
      if (p.replace_original === true || p.replace_original === "true")
        return `(message replaced)\n${body()}`;
      return p.response_type === "in_channel"
        ? `\n#${LOCAL_CHANNEL.name} momlink:\n${body()}`
        : `(only visible to you) ${body()}`;
    case "views.open":
    case "views.push": {
      const view = p.view as Json;
      return `\n[modal: ${String((view.title as Json | undefined)?.text ?? "")}]\n${readable(blocksToText(view.blocks as unknown[]), users)}\n(fill it with: submit <field>=<value> ...)`;
    }
    default:
      return null;
  }
}

export interface ConsoleSession {
  /** Runs one typed line; resolves when the app has finished handling it. Returns false on quit. */
  line(text: string): Promise<boolean>;
  readonly user: ConsoleUser;
  close(): void;
}

/**
 * Prints each Web API call the app makes as the terminal's Slack would show it. An update of a
 * channel message prints only its new lines, so progress reads as a log instead of the whole plan
 * again on every step.
 */
function followCalls(
  api: LocalSlackApi,
  users: Map<string, string>,
  print: (text: string) => void,
  viewOpened: (id: string) => void,
): () => void {
  const shownMessages = new Map<string, string[]>();
  return api.onCall((call) => {
    if (call.method === "views.open" && call.response.ok) viewOpened(String((call.response.view as Json).id));
    const shown = describeCall(call, users);
    const ts = String(call.params.ts ?? call.response.ts ?? "");
    if (shown && call.response.ok && call.method === "chat.update" && shownMessages.has(ts)) {
      const before = new Set(shownMessages.get(ts));
      const lines = shown.split("\n");
      shownMessages.set(ts, lines);
      const fresh = lines.slice(2).filter((line) => !before.has(line) && line.trim() !== "");
      if (fresh.length > 0) print(`#${LOCAL_CHANNEL.name} momlink (message updated):\n${fresh.join("\n")}`);
      return;
    }
    if (shown && call.response.ok && call.method === "chat.postMessage" && !call.params.thread_ts) {
      shownMessages.set(ts, shown.split("\n"));
    }
    if (shown) print(shown);
    if (!call.response.ok) print(`(Slack answered ${call.method}: ${String(call.response.error)})`);
  });
}

/** Prints what a listener acked with; true when the ack closed the open modal. */
function printAck(print: (text: string) => void, userName: string, acked: unknown): boolean {
  if (acked === undefined || acked === null || acked === "") return false;
  if (typeof acked === "string") {
    print(`(only visible to @${userName}) ${acked}`);
    return false;
  }
  const a = acked as Json;
  if (a.response_action === "errors") {
    const errors = Object.entries(a.errors as Json).map(
      ([field, message]) => `  ${field}: ${String(message)}`,
    );
    print(`(the modal shows errors)\n${errors.join("\n")}`);
    return false;
  }
  const closed = a.response_action === "clear" || a.response_action === "update";
  if (a.text || a.blocks)
    print(`(only visible to @${userName}) ${blocksToText(a.blocks as unknown[], String(a.text ?? ""))}`);
  return closed;
}

/** `submit field=value ...` (or the bare text of a one-field modal) as the modal's state values. */
function submittedValues(
  inputs: readonly Json[],
  rest: string,
): { values: Record<string, Record<string, string>> } | { problem: string } {
  const values: Record<string, Record<string, string>> = {};
  const pairs = [...rest.matchAll(/([\w-]+)=("[^"]*"|'[^']*'|\S*)/g)];
  if (pairs.length === 0 && inputs.length === 1) {
    const only = inputs[0] as Json;
    values[String(only.block_id)] = { [String((only.element as Json).action_id)]: rest };
    return { values };
  }
  for (const [, key, value] of pairs) {
    const input = inputs.find((b) => b.block_id === key);
    if (!input || !key) {
      return {
        problem: `(the modal has no field ${key}; fields: ${inputs.map((b) => b.block_id).join(", ")})`,
      };
    }
    values[key] = { [String((input.element as Json).action_id)]: (value ?? "").replace(/^["']|["']$/g, "") };
  }
  return { values };
}

export function createConsoleSession(
  api: LocalSlackApi,
  receiver: ConsoleReceiver,
  print: (text: string) => void,
  firstUser = "alice",
): ConsoleSession {
  const users = new Map<string, string>();
  const addUser = (name: string): ConsoleUser => {
    const user = { id: consoleUserId(name), name };
    if (!users.has(user.id)) {
      api.addUser({ id: user.id, name });
      users.set(user.id, `@${name}`);
    }
    return user;
  };
  let user = addUser(firstUser);
  let openView: string | null = null;
  const unsubscribe = followCalls(api, users, print, (id) => {
    openView = id;
  });
  const deliver = async (payload: Json) => {
    if (printAck(print, user.name, await receiver.deliver(payload))) openView = null;
  };
  const submit = async (rest: string) => {
    if (!openView) return print("(no modal is open)");
    const inputs = ((api.view(openView)?.blocks ?? []) as Json[]).filter((b) => b.type === "input");
    const submitted = submittedValues(inputs, rest);
    if ("problem" in submitted) return print(submitted.problem);
    await deliver(api.viewSubmission({ viewId: openView, values: submitted.values, userId: user.id }));
  };
  const findMessageWith = (actionId: string, value: string) =>
    [...api.messages].reverse().find((m) => {
      const found = findElement(m.blocks ?? [], actionId);
      return found !== undefined && found.element.value === value;
    });

  return {
    get user() {
      return user;
    },
    close: unsubscribe,
    async line(raw: string): Promise<boolean> {
      const text = raw.trim();
      if (text === "quit" || text === "exit") return false;
      const as = /^\/as\s+@?([A-Za-z][\w.-]{0,30})$/.exec(text)?.[1];
      const click = /^click\s+(approve|reject|[a-z_]+)\s+(\S+)$/i.exec(text);
      if (text === "") return true;
      if (text === "help") print(CONSOLE_HELP);
      else if (text === "messages") {
        for (const m of api.messages.filter((m) => !m.thread_ts)) print(blocksToText(m.blocks, m.text));
      } else if (as !== undefined) {
        user = addUser(as);
        print(`(you are now @${user.name}, ${user.id})`);
      } else if (text.startsWith("/momlink")) {
        const command = text.slice("/momlink".length).trim();
        await deliver(
          api.slashCommand({ text: command, userId: user.id, userName: user.name }) as unknown as Json,
        );
      } else if (click?.[1] && click[2]) {
        const [button, value] = [click[1], click[2]];
        const actionId = `momlink_${button.toLowerCase()}`;
        const message = findMessageWith(actionId, value);
        if (!message) print(`(no message shows a ${button} button for ${value})`);
        else await deliver(api.blockActions({ messageTs: message.ts, actionId, userId: user.id }));
      } else if (text.startsWith("submit")) {
        await submit(text.slice("submit".length).trim());
      } else print(`(not understood: ${text}; type help)`);
      return true;
    },
  };
}

/** Reads lines from input until EOF or quit; each line finishes before the next is read. */
export async function runConsole(
  session: ConsoleSession,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; welcome: string },
): Promise<void> {
  const rl = createInterface({ input: io.input, terminal: false });
  const prompt = () => io.output.write(`${session.user.name}> `);
  // Ctrl-C, a `kill` or a closed terminal ends the console as `quit` does, so the caller stops the
  // sandbox's stand-in EMs: they run detached (as an EM service would) and a default signal death
  // left both running. Another signal a second or more later (a person pressing Ctrl-C again)
  // exits at once; one sooner is the same stop delivered twice (a terminal's Ctrl-C reaches both
  // npm and this process, and npm passes it on as well).
  let signalledAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalledAt !== null) {
      if (performance.now() - signalledAt >= 1000) process.exit(130);
      return;
    }
    signalledAt = performance.now();
    io.output.write(`\n${signal}: stopping the console and its sandbox…\n`);
    rl.close();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  try {
    io.output.write(`${io.welcome}\n`);
    prompt();
    for await (const text of rl) {
      if (!(await session.line(text))) break;
      prompt();
    }
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    rl.close();
  }
  io.output.write("\n");
}
