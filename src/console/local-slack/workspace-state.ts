// What the local workspace holds — people, groups, channels, messages, views, live trigger IDs —
// and the one counter and clock every ID and `ts` is drawn from, shared by all method handlers.
import { slackTs, type ViewRecord, type Workspace } from "./payloads.ts";

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
  user: string;
  /** How many times chat.update (or replace_original) changed it, and when it last did. */
  updates: number;
  editedTs: string | undefined;
  deleted: boolean;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
  message_ts: string;
  via: "chat.postEphemeral" | "response_url";
}

export interface LocalUser {
  id: string;
  name: string;
  realName?: string;
  isAdmin?: boolean;
  isBot?: boolean;
  tz?: string;
}

export interface LocalUsergroup {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

export interface LocalChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Whether the bot is in the channel; posting elsewhere fails with `not_in_channel`, as in Slack. */
  isMember?: boolean;
}

export interface StoredView {
  view: ViewRecord;
  /** The user an App Home view was published for. */
  user?: string;
}

const CHANNEL_ID_RE = /^[CGD][A-Z0-9]{2,}$/;

export class WorkspaceState {
  readonly workspace: Workspace;
  readonly now: () => number;
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, StoredView>();
  readonly users = new Map<string, LocalUser>();
  readonly usergroups = new Map<string, LocalUsergroup>();
  readonly channels = new Map<string, LocalChannel>();
  readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  socketModeUrl: string | undefined;
  #lastTsMicros = 0;
  #counter = 0;

  constructor(workspace: Workspace, now: () => number, socketModeUrl: string | undefined) {
    this.workspace = workspace;
    this.now = now;
    this.socketModeUrl = socketModeUrl;
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Known channels, plus any well-formed ID (a test need not declare every channel it uses). */
  channel(id: string): LocalChannel | undefined {
    const known = this.channels.get(id);
    if (known !== undefined) return known;
    return CHANNEL_ID_RE.test(id) ? { id, name: id.toLowerCase() } : undefined;
  }

  findGroup(idOrHandle: string): LocalUsergroup | undefined {
    const handle = idOrHandle.replace(/^@/, "");
    return (
      this.usergroups.get(idOrHandle) ??
      [...this.usergroups.values()].find((g) => g.handle.replace(/^@/, "") === handle)
    );
  }

  /** Stores a new message from the bot, as chat.postMessage and in_channel responses do. */
  postBotMessage(
    channel: string,
    content: { text?: string; blocks?: unknown[] },
    threadTs: string | undefined,
  ): StoredMessage {
    const message: StoredMessage = {
      channel,
      ts: this.ts(),
      text: content.text ?? "",
      blocks: content.blocks,
      thread_ts: threadTs,
      user: this.workspace.botUserId,
      updates: 0,
      editedTs: undefined,
      deleted: false,
    };
    this.messages.push(message);
    return message;
  }

  /** Unique, increasing message timestamps, like Slack's (seconds.microseconds). */
  ts(): string {
    const micros = Math.max(Math.round(this.now() * 1000), this.#lastTsMicros + 1);
    this.#lastTsMicros = micros;
    return slackTs(micros / 1000);
  }

  next(): number {
    this.#counter += 1;
    return this.#counter;
  }

  id(): string {
    return `0${this.next().toString(36).toUpperCase().padStart(9, "0")}`;
  }

  hex(): string {
    return (this.next() * 2_654_435_761).toString(16).padStart(8, "0").slice(-8);
  }
}
