// An in-memory model of the Slack Web API methods momlink uses. One implementation, three ways in:
//  - `listen()` serves it over HTTP (the test harness points Bolt's `slackApiUrl` at it);
//  - `fetch` is a WHATWG fetch for Bolt's `clientOptions.fetch` (the local console, no port);
//  - `call()` for direct use.
// It behaves like Slack where momlink could notice the difference: token types, error codes,
// `ts` assignment, Block Kit limits, response URLs. Every call is recorded and announced, so a
// test awaits the call it expects instead of sleeping.
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkMessageBlocks, checkView } from "./block-rules.ts";
import {
  type BlockActionInput,
  blockActionsPayload,
  eventCallbackPayload,
  LOCAL_CHANNEL,
  LOCAL_USER,
  LOCAL_WORKSPACE,
  type SlashCommandInput,
  type SlashCommandPayload,
  slackTs,
  slashCommandPayload,
  type ViewRecord,
  type ViewSubmissionInput,
  viewSubmissionPayload,
  type Workspace,
} from "./payloads.ts";

export type Params = Record<string, unknown>;
export type SlackResponse = { ok: boolean; error?: string } & Record<string, unknown>;

export interface RecordedCall {
  /** Position in the call log, from 0; pass `api.mark()` as `since` to ignore earlier calls. */
  seq: number;
  /** The Web API method, or `response_url` for posts to a response URL. */
  method: string;
  params: Params;
  token: string | undefined;
  status: number;
  response: SlackResponse;
}

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

export interface LocalSlackOptions {
  workspace?: Partial<Workspace>;
  /** When set, the only bot token accepted; otherwise any `xoxb-` token is. */
  botToken?: string;
  /** When set, the only app-level token accepted; otherwise any `xapp-` token is. */
  appToken?: string;
  /** What apps.connections.open returns (the Socket Mode WebSocket URL). */
  socketModeUrl?: string;
  users?: LocalUser[];
  usergroups?: LocalUsergroup[];
  channels?: LocalChannel[];
  /** Clock in milliseconds, for message `ts`, trigger expiry and response-URL expiry. */
  now?: () => number;
}

export interface FailOptions {
  /** HTTP status. Default 200 (Slack reports errors in the body), 429 for `ratelimited`. */
  status?: number;
  /** Seconds, sent as Retry-After with a 429. WebClient waits this long before giving up. Default 0. */
  retryAfter?: number;
}

export interface WaitOptions {
  /** Only calls with `seq >= since` count (see `mark()`). Default 0: every call so far counts. */
  since?: number;
  /** Reject after this long with a list of what did arrive. Default 5000. */
  timeoutMs?: number;
}

export interface LocalServer {
  /** Base for Bolt's `clientOptions.slackApiUrl`, e.g. `http://127.0.0.1:40123/api/`. */
  url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: SlackResponse;
}

interface ResponseUrlTarget {
  channel: string;
  user: string;
  messageTs?: string;
  issuedAt: number;
  uses: number;
}

interface StoredView {
  view: ViewRecord;
  /** The user an App Home view was published for. */
  user?: string;
}

const TRIGGER_TTL_MS = 3_000;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;
const MAX_TEXT = 40_000;
/** Form fields Slack decodes from JSON strings (WebClient JSON-encodes every object argument). */
const JSON_FIELDS = new Set(["blocks", "attachments", "view", "metadata", "unfurls"]);
const CHANNEL_ID_RE = /^[CGD][A-Z0-9]{2,}$/;
const USER_ID_RE = /^[UW][A-Z0-9]{2,}$/;

function str(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function flag(params: Params, key: string): boolean {
  const value = params[key];
  return value === true || value === "true" || value === "1" || value === 1;
}

function fail(error: string, extra: Record<string, unknown> = {}): SlackResponse {
  return { ok: false, error, ...extra };
}

function missing(field: string): SlackResponse {
  return fail("invalid_arguments", {
    response_metadata: { messages: [`[ERROR] missing required field: ${field}`] },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Decodes a request body as Slack does: form-encoded or JSON, JSON fields of a form decoded. */
export function decodeBody(
  contentType: string | undefined,
  raw: string,
): Params | "invalid_json" | "invalid_form_data" {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (raw === "") return {};
  if (type === "application/json") {
    try {
      const parsed: unknown = JSON.parse(raw);
      return isObject(parsed) ? parsed : "invalid_json";
    } catch {
      return "invalid_json";
    }
  }
  if (type !== "" && type !== "application/x-www-form-urlencoded") return "invalid_form_data";
  const params: Params = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value);
      } catch {
        params[key] = value; // left as text: the method reports it as malformed
      }
    } else {
      params[key] = value;
    }
  }
  return params;
}

function bearer(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

export class LocalSlackApi {
  readonly workspace: Workspace;
  /** Where response URLs point; `listen()` sets it to the served address. */
  baseUrl = "http://slack.local/";

  readonly #options: LocalSlackOptions;
  readonly #now: () => number;
  readonly #events = new EventEmitter<{ call: [RecordedCall] }>();
  readonly #calls: RecordedCall[] = [];
  readonly #messages: StoredMessage[] = [];
  readonly #ephemerals: StoredEphemeral[] = [];
  readonly #views = new Map<string, StoredView>();
  readonly #users = new Map<string, LocalUser>();
  readonly #usergroups = new Map<string, LocalUsergroup>();
  readonly #channels = new Map<string, LocalChannel>();
  readonly #triggers = new Map<string, { issuedAt: number; used: boolean }>();
  readonly #responseUrls = new Map<string, ResponseUrlTarget>();
  readonly #failures = new Map<string, Array<{ error: string } & FailOptions>>();
  #socketModeUrl: string | undefined;
  #lastTsMicros = 0;
  #counter = 0;

  constructor(options: LocalSlackOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.workspace = { ...LOCAL_WORKSPACE, ...options.workspace };
    this.#socketModeUrl = options.socketModeUrl;
    const bot: LocalUser = { id: this.workspace.botUserId, name: this.workspace.botName, isBot: true };
    for (const user of [bot, { ...LOCAL_USER }, ...(options.users ?? [])]) this.addUser(user);
    for (const group of options.usergroups ?? []) this.addUsergroup(group);
    for (const channel of [{ ...LOCAL_CHANNEL }, ...(options.channels ?? [])]) this.addChannel(channel);
  }

  // ---- state a test or the console sets up -------------------------------------------------

  addUser(user: LocalUser): void {
    this.#users.set(user.id, user);
  }

  addUsergroup(group: LocalUsergroup): void {
    this.#usergroups.set(group.id, { ...group, users: [...group.users] });
  }

  /** Replaces a group's members; `idOrHandle` is `S…` or `@handle`. */
  setUsergroupMembers(idOrHandle: string, users: string[]): void {
    const group = this.#findGroup(idOrHandle);
    if (group === undefined) throw new Error(`No user group ${idOrHandle}`);
    group.users = [...users];
  }

  addChannel(channel: LocalChannel): void {
    this.#channels.set(channel.id, channel);
  }

  setSocketModeUrl(url: string): void {
    this.#socketModeUrl = url;
  }

  /** Makes the next call to `method` fail with `error` (queue several by calling again). */
  failNext(method: string, error: string, options: FailOptions = {}): void {
    const queue = this.#failures.get(method) ?? [];
    queue.push({ error, ...options });
    this.#failures.set(method, queue);
  }

  /** A trigger ID as Slack puts in an interaction; views.open accepts it once, within 3 seconds. */
  issueTriggerId(): string {
    const id = `${this.#next()}.${this.workspace.teamId.slice(1)}.${this.#hex()}`;
    this.#triggers.set(id, { issuedAt: this.#now(), used: false });
    return id;
  }

  /** A response URL for an interaction in `channel` by `user` (about `messageTs` for message actions). */
  issueResponseUrl(target: { channel: string; user: string; messageTs?: string }): string {
    const id = `${this.workspace.teamId}/${this.#next()}/${this.#hex()}`;
    this.#responseUrls.set(id, { ...target, issuedAt: this.#now(), uses: 0 });
    return `${this.baseUrl}response/${id}`;
  }

  // ---- payloads Slack would send the app, with IDs issued by this workspace -----------------

  slashCommand(
    input: Partial<Omit<SlashCommandInput, "triggerId" | "responseUrl">> = {},
  ): SlashCommandPayload {
    const channel = input.channelId ?? LOCAL_CHANNEL.id;
    const user = input.userId ?? LOCAL_USER.id;
    return slashCommandPayload(this.workspace, {
      ...input,
      triggerId: this.issueTriggerId(),
      responseUrl: this.issueResponseUrl({ channel, user }),
    });
  }

  /** A click on `actionId` in a stored message (by ts) or view (by id). */
  blockActions(
    input: Omit<BlockActionInput, "triggerId" | "responseUrl" | "now" | "message" | "view"> &
      ({ messageTs: string } | { viewId: string }),
  ): Record<string, unknown> {
    const user = input.userId ?? LOCAL_USER.id;
    if ("messageTs" in input) {
      const message = this.#messages.find((m) => m.ts === input.messageTs && !m.deleted);
      if (message === undefined) throw new Error(`No message with ts ${input.messageTs}`);
      return blockActionsPayload(this.workspace, {
        ...input,
        message,
        triggerId: this.issueTriggerId(),
        responseUrl: this.issueResponseUrl({ channel: message.channel, user, messageTs: message.ts }),
        now: this.#now(),
      });
    }
    const stored = this.#views.get(input.viewId);
    if (stored === undefined) throw new Error(`No view ${input.viewId}`);
    return blockActionsPayload(this.workspace, {
      ...input,
      view: stored.view,
      triggerId: this.issueTriggerId(),
      now: this.#now(),
    });
  }

  /** The user pressing Submit on a stored modal with `values` filled in. */
  viewSubmission(
    input: Omit<ViewSubmissionInput, "triggerId" | "view"> & { viewId: string },
  ): Record<string, unknown> {
    const stored = this.#views.get(input.viewId);
    if (stored === undefined) throw new Error(`No view ${input.viewId}`);
    return viewSubmissionPayload(this.workspace, {
      ...input,
      view: stored.view,
      triggerId: this.issueTriggerId(),
    });
  }

  eventCallback(event: Record<string, unknown>): Record<string, unknown> {
    return eventCallbackPayload(this.workspace, event, `Ev${this.#id()}`, this.#now());
  }

  // ---- what happened ----------------------------------------------------------------------

  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }

  callsTo(method: string): RecordedCall[] {
    return this.#calls.filter((c) => c.method === method);
  }

  /** Calls to methods this model does not implement: a test should expect none. */
  unknownCalls(): RecordedCall[] {
    return this.#calls.filter((c) => c.response.error === "unknown_method");
  }

  /** The `seq` the next call will get: `waitFor(..., { since: mark })` then ignores older calls. */
  mark(): number {
    return this.#calls.length;
  }

  get messages(): readonly StoredMessage[] {
    return this.#messages;
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.#messages.find((m) => m.channel === channel && m.ts === ts);
  }

  get ephemerals(): readonly StoredEphemeral[] {
    return this.#ephemerals;
  }

  view(id: string): ViewRecord | undefined {
    return this.#views.get(id)?.view;
  }

  homeView(user: string): ViewRecord | undefined {
    return [...this.#views.values()].find((v) => v.user === user)?.view;
  }

  onCall(listener: (call: RecordedCall) => void): () => void {
    this.#events.on("call", listener);
    return () => this.#events.off("call", listener);
  }

  /** Resolves with the first call to `method` matching `predicate`, already made or still to come. */
  waitFor(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<RecordedCall> {
    const since = options.since ?? 0;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const matches = (call: RecordedCall) => call.method === method && call.seq >= since && predicate(call);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        outcome();
      };
      const check = (call: RecordedCall) => {
        try {
          if (matches(call)) finish(() => resolve(call));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const off = this.onCall(check);
      const timer = setTimeout(() => {
        const seen = this.callsTo(method).map((c) =>
          JSON.stringify({ seq: c.seq, params: c.params, error: c.response.error }),
        );
        finish(() =>
          reject(
            new Error(
              `No matching ${method} call within ${timeoutMs} ms. Calls to ${method}: ${seen.join("\n") || "none"}`,
            ),
          ),
        );
      }, timeoutMs);
      for (const call of this.#calls) check(call);
    });
  }

  // ---- the three ways in --------------------------------------------------------------------

  /** Calls a method in-process; `token` as the Authorization header would carry it. */
  async call(method: string, params: Params = {}, token?: string): Promise<SlackResponse> {
    return this.#dispatch(method, params, token).body;
  }

  /** A WHATWG fetch serving `/api/<method>` and response URLs: Bolt's `clientOptions.fetch`. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const raw = await request.text();
    const reply = this.#route(
      request.method,
      url,
      request.headers.get("content-type") ?? undefined,
      raw,
      request.headers.get("authorization"),
    );
    const body =
      reply.status === 404 && reply.body.error === "not_found" ? "not found" : JSON.stringify(reply.body);
    return new Response(body, { status: reply.status, headers: reply.headers });
  };

  /** Node HTTP handler serving the same routes. */
  handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", this.baseUrl);
      const raw = Buffer.concat(chunks).toString("utf8");
      const reply = this.#route(
        req.method ?? "GET",
        url,
        req.headers["content-type"],
        raw,
        req.headers.authorization,
      );
      res.writeHead(reply.status, reply.headers);
      res.end(JSON.stringify(reply.body));
    });
  }

  /** Serves this API over HTTP; the returned `url` is Bolt's `slackApiUrl`. */
  listen(port = 0, host = "127.0.0.1"): Promise<LocalServer> {
    const server = createServer((req, res) => this.handleHttp(req, res));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo;
        const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
        this.baseUrl = `http://${hostPart}:${address.port}/`;
        resolve({
          url: `${this.baseUrl}api/`,
          close: () =>
            new Promise<void>((done) => {
              server.closeAllConnections();
              server.close(() => done());
            }),
        });
      });
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  #route(
    httpMethod: string,
    url: URL,
    contentType: string | undefined,
    raw: string,
    authorization: string | null | undefined,
  ): Reply {
    const json = { "content-type": "application/json; charset=utf-8" };
    const api = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
    const response = /^\/response\/(.+)$/.exec(url.pathname);
    if (api?.[1] !== undefined) {
      const decoded = httpMethod === "GET" ? {} : decodeBody(contentType, raw);
      if (typeof decoded === "string") return { status: 200, headers: json, body: fail(decoded) };
      const params: Params = { ...Object.fromEntries(url.searchParams), ...decoded };
      // Slack takes the token from the Authorization header, or from a `token` field.
      const token = bearer(authorization) ?? str(params, "token");
      delete params.token;
      return this.#dispatch(api[1], params, token);
    }
    if (response?.[1] !== undefined && httpMethod === "POST") {
      const decoded = decodeBody(contentType ?? "application/json", raw);
      const params = typeof decoded === "string" ? {} : decoded;
      return this.#respond(response[1], params);
    }
    return { status: 404, headers: json, body: fail("not_found") };
  }

  #dispatch(method: string, params: Params, token: string | undefined): Reply {
    const failure = this.#failures.get(method)?.shift();
    let reply: Reply;
    if (failure !== undefined) {
      const status = failure.status ?? (failure.error === "ratelimited" ? 429 : 200);
      const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
      if (status === 429) headers["retry-after"] = String(failure.retryAfter ?? 0);
      reply = { status, headers, body: fail(failure.error) };
    } else {
      reply = {
        status: 200,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: this.#handle(method, params, token),
      };
    }
    this.#record(method, params, token, reply);
    return reply;
  }

  #record(method: string, params: Params, token: string | undefined, reply: Reply): void {
    const call: RecordedCall = {
      seq: this.#calls.length,
      method,
      params,
      token,
      status: reply.status,
      response: reply.body,
    };
    this.#calls.push(call);
    this.#events.emit("call", call);
  }

  #handle(method: string, params: Params, token: string | undefined): SlackResponse {
    const handler = this.#methods[method];
    if (handler === undefined) return fail("unknown_method");
    const denied = this.#authorize(method, token);
    if (denied !== undefined) return denied;
    return handler(params);
  }

  #authorize(method: string, token: string | undefined): SlackResponse | undefined {
    if (token === undefined) return fail("not_authed");
    const wantsAppToken = method === "apps.connections.open";
    const isAppToken = token.startsWith("xapp-");
    if (wantsAppToken !== isAppToken) return fail("not_allowed_token_type");
    if (isAppToken) {
      return this.#options.appToken === undefined || token === this.#options.appToken
        ? undefined
        : fail("invalid_auth");
    }
    const expected = this.#options.botToken;
    if (expected !== undefined ? token !== expected : !token.startsWith("xoxb-")) return fail("invalid_auth");
    return undefined;
  }

  readonly #methods: Record<string, (params: Params) => SlackResponse> = {
    "auth.test": () => ({
      ok: true,
      url: `https://${this.workspace.teamDomain}.slack.com/`,
      team: this.workspace.teamName,
      user: this.workspace.botName,
      team_id: this.workspace.teamId,
      user_id: this.workspace.botUserId,
      bot_id: this.workspace.botId,
      is_enterprise_install: false,
    }),

    "apps.connections.open": () =>
      this.#socketModeUrl === undefined
        ? fail("socket_mode_url_not_set") // local only: call setSocketModeUrl() first
        : { ok: true, url: `${this.#socketModeUrl}?ticket=${this.#hex()}&app_id=${this.workspace.appId}` },

    "chat.postMessage": (params) => {
      const channel = this.#postableChannel(params);
      if (typeof channel !== "string") return channel;
      const content = this.#content(params, true);
      if ("ok" in content) return content;
      const message: StoredMessage = {
        channel,
        ts: this.#ts(),
        text: content.text ?? "",
        blocks: content.blocks,
        thread_ts: str(params, "thread_ts"),
        user: this.workspace.botUserId,
        updates: 0,
        editedTs: undefined,
        deleted: false,
      };
      this.#messages.push(message);
      return { ok: true, channel, ts: message.ts, message: this.#messageJson(message) };
    },

    "chat.postEphemeral": (params) => {
      const channel = this.#postableChannel(params);
      if (typeof channel !== "string") return channel;
      const user = str(params, "user");
      if (user === undefined) return missing("user");
      if (!this.#users.has(user)) return fail("user_not_found");
      const content = this.#content(params, true);
      if ("ok" in content) return content;
      const message_ts = this.#ts();
      this.#ephemerals.push({
        channel,
        user,
        text: content.text ?? "",
        blocks: content.blocks,
        thread_ts: str(params, "thread_ts"),
        message_ts,
        via: "chat.postEphemeral",
      });
      return { ok: true, message_ts };
    },

    "chat.update": (params) => {
      const channel = str(params, "channel");
      const ts = str(params, "ts");
      if (channel === undefined) return fail("channel_not_found");
      if (ts === undefined) return missing("ts");
      const message = this.message(channel, ts);
      if (message === undefined || message.deleted) return fail("message_not_found");
      if (message.user !== this.workspace.botUserId) return fail("cant_update_message");
      const content = this.#content(params, true);
      if ("ok" in content) return content;
      // Slack keeps the old blocks when `blocks` is absent; an empty array removes them.
      if (content.text !== undefined) message.text = content.text;
      if (content.blocks !== undefined)
        message.blocks = content.blocks.length === 0 ? undefined : content.blocks;
      message.updates += 1;
      message.editedTs = this.#ts();
      return { ok: true, channel, ts, text: message.text, message: this.#messageJson(message) };
    },

    "chat.getPermalink": (params) => {
      const channel = str(params, "channel");
      const ts = str(params, "message_ts");
      if (channel === undefined) return fail("channel_not_found");
      if (ts === undefined) return missing("message_ts");
      const message = this.message(channel, ts);
      if (message === undefined || message.deleted) return fail("message_not_found");
      const base = `https://${this.workspace.teamDomain}.slack.com/archives/${channel}/p${ts.replace(".", "")}`;
      const permalink =
        message.thread_ts !== undefined ? `${base}?thread_ts=${message.thread_ts}&cid=${channel}` : base;
      return { ok: true, channel, permalink };
    },

    "views.open": (params) => {
      const triggerId = str(params, "trigger_id");
      if (triggerId === undefined) return missing("trigger_id");
      const trigger = this.#triggers.get(triggerId);
      // Triggers this workspace issued are checked like Slack's: one use, three seconds.
      if (trigger !== undefined) {
        if (trigger.used || this.#now() - trigger.issuedAt > TRIGGER_TTL_MS)
          return fail("expired_trigger_id");
        trigger.used = true;
      }
      return this.#storeView(params, "modal", undefined, undefined);
    },

    "views.update": (params) => {
      const viewId = str(params, "view_id");
      const externalId = str(params, "external_id");
      if (viewId === undefined && externalId === undefined) return missing("view_id");
      const existing =
        viewId !== undefined
          ? this.#views.get(viewId)
          : [...this.#views.values()].find((v) => v.view.external_id === externalId);
      if (existing === undefined) return fail("not_found");
      const hash = str(params, "hash");
      if (hash !== undefined && hash !== existing.view.hash) return fail("hash_conflict");
      return this.#storeView(
        params,
        existing.view.type === "home" ? "home" : "modal",
        existing,
        existing.user,
      );
    },

    "views.publish": (params) => {
      const user = str(params, "user_id");
      if (user === undefined) return missing("user_id");
      if (!this.#users.has(user)) return fail("user_not_found");
      const existing = [...this.#views.values()].find((v) => v.user === user);
      const hash = str(params, "hash");
      if (hash !== undefined && existing !== undefined && hash !== existing.view.hash)
        return fail("hash_conflict");
      return this.#storeView(params, "home", existing, user);
    },

    "usergroups.list": (params) => ({
      ok: true,
      usergroups: [...this.#usergroups.values()].map((g) => ({
        id: g.id,
        team_id: this.workspace.teamId,
        handle: g.handle.replace(/^@/, ""),
        name: g.name ?? g.handle.replace(/^@/, ""),
        user_count: g.users.length,
        ...(flag(params, "include_users") ? { users: [...g.users] } : {}),
      })),
    }),

    "usergroups.users.list": (params) => {
      const id = str(params, "usergroup");
      if (id === undefined) return missing("usergroup");
      const group = this.#usergroups.get(id);
      return group === undefined ? fail("no_such_subteam") : { ok: true, users: [...group.users] };
    },

    "users.info": (params) => {
      const id = str(params, "user");
      if (id === undefined) return missing("user");
      const user = this.#users.get(id);
      if (user === undefined) return fail("user_not_found");
      const realName = user.realName ?? user.name;
      return {
        ok: true,
        user: {
          id: user.id,
          team_id: this.workspace.teamId,
          name: user.name,
          real_name: realName,
          deleted: false,
          is_admin: user.isAdmin ?? false,
          is_bot: user.isBot ?? false,
          tz: user.tz ?? "Etc/UTC",
          profile: { real_name: realName, display_name: user.name },
        },
      };
    },

    "conversations.info": (params) => {
      const id = str(params, "channel");
      if (id === undefined) return missing("channel");
      const channel = this.#channel(id);
      if (channel === undefined) return fail("channel_not_found");
      return {
        ok: true,
        channel: {
          id: channel.id,
          name: channel.name,
          is_channel: !channel.isPrivate,
          is_group: false,
          is_im: channel.id.startsWith("D"),
          is_private: channel.isPrivate ?? false,
          is_archived: false,
          is_member: channel.isMember ?? true,
        },
      };
    },
  };

  /** Known channels, plus any well-formed ID (a test need not declare every channel it uses). */
  #channel(id: string): LocalChannel | undefined {
    const known = this.#channels.get(id);
    if (known !== undefined) return known;
    return CHANNEL_ID_RE.test(id) ? { id, name: id.toLowerCase() } : undefined;
  }

  #postableChannel(params: Params): string | SlackResponse {
    const requested = str(params, "channel");
    if (requested === undefined) return fail("channel_not_found");
    // Posting to a user ID opens the app's DM with that user.
    if (USER_ID_RE.test(requested))
      return this.#users.has(requested) ? `D${requested.slice(1)}` : fail("channel_not_found");
    const byName = requested.startsWith("#")
      ? [...this.#channels.values()].find((c) => `#${c.name}` === requested)
      : this.#channel(requested);
    if (byName === undefined) return fail("channel_not_found");
    if (byName.isMember === false) return fail("not_in_channel");
    return byName.id;
  }

  /** text/blocks of a message, checked as Slack checks them. */
  #content(params: Params, requireSome: boolean): { text?: string; blocks?: unknown[] } | SlackResponse {
    const text = typeof params.text === "string" ? params.text : undefined;
    const blocks = params.blocks;
    if (blocks !== undefined && !Array.isArray(blocks)) return fail("invalid_blocks_format");
    if (requireSome && (text === undefined || text === "") && (blocks === undefined || blocks.length === 0)) {
      if (params.attachments === undefined) return fail("no_text");
    }
    if (text !== undefined && text.length > MAX_TEXT) return fail("msg_too_long");
    if (blocks !== undefined && blocks.length > 0) {
      const problems = checkMessageBlocks(blocks);
      if (problems.length > 0)
        return fail("invalid_blocks", { errors: problems, response_metadata: { messages: problems } });
    }
    return { ...(text !== undefined ? { text } : {}), ...(blocks !== undefined ? { blocks } : {}) };
  }

  #storeView(
    params: Params,
    surface: "modal" | "home",
    existing: StoredView | undefined,
    user: string | undefined,
  ): SlackResponse {
    const view = params.view;
    if (view === undefined) return missing("view");
    if (!isObject(view))
      return fail("invalid_arguments", { response_metadata: { messages: ["[ERROR] failed to parse view"] } });
    const problems = checkView(view, surface);
    if (problems.length > 0) return fail("invalid_arguments", { response_metadata: { messages: problems } });
    const externalId = typeof view.external_id === "string" ? view.external_id : undefined;
    if (
      externalId !== undefined &&
      [...this.#views.values()].some((v) => v !== existing && v.view.external_id === externalId)
    ) {
      return fail("duplicate_external_id");
    }
    const id = existing?.view.id ?? `V${this.#id()}`;
    const record: ViewRecord = {
      id,
      team_id: this.workspace.teamId,
      type: surface,
      blocks: Array.isArray(view.blocks) ? view.blocks : [],
      private_metadata: typeof view.private_metadata === "string" ? view.private_metadata : "",
      callback_id: typeof view.callback_id === "string" ? view.callback_id : "",
      state: { values: {} },
      hash: `${Math.floor(this.#now() / 1000)}.${this.#hex()}`,
      title: view.title ?? null,
      close: view.close ?? null,
      submit: view.submit ?? null,
      clear_on_close: view.clear_on_close === true,
      notify_on_close: view.notify_on_close === true,
      external_id: externalId ?? "",
      root_view_id: existing?.view.root_view_id ?? id,
      previous_view_id: null,
      app_id: this.workspace.appId,
      app_installed_team_id: this.workspace.teamId,
      bot_id: this.workspace.botId,
    };
    this.#views.set(id, user === undefined ? { view: record } : { view: record, user });
    return { ok: true, view: record };
  }

  /** A post to a response URL: ephemeral by default, or in_channel, replace_original, delete_original. */
  #respond(id: string, params: Params): Reply {
    const json = { "content-type": "application/json; charset=utf-8" };
    const target = this.#responseUrls.get(id);
    let reply: Reply;
    if (target === undefined) {
      reply = { status: 404, headers: json, body: fail("invalid_url") };
    } else if (this.#now() - target.issuedAt > RESPONSE_URL_TTL_MS) {
      reply = { status: 404, headers: json, body: fail("expired_url") };
    } else if (target.uses >= RESPONSE_URL_MAX_USES) {
      reply = { status: 404, headers: json, body: fail("used_url") };
    } else {
      target.uses += 1;
      reply = { status: 200, headers: json, body: this.#applyResponse(target, params) };
    }
    this.#record("response_url", { ...params, response_url_id: id }, undefined, reply);
    return reply;
  }

  #applyResponse(target: ResponseUrlTarget, params: Params): SlackResponse {
    const original =
      target.messageTs !== undefined ? this.message(target.channel, target.messageTs) : undefined;
    if (flag(params, "delete_original")) {
      if (original === undefined) return fail("message_not_found");
      original.deleted = true;
      return { ok: true };
    }
    const content = this.#content(params, true);
    if ("ok" in content) return content;
    if (flag(params, "replace_original")) {
      if (original === undefined) return fail("message_not_found");
      original.text = content.text ?? "";
      original.blocks = content.blocks;
      original.updates += 1;
      original.editedTs = this.#ts();
      return { ok: true };
    }
    if (params.response_type === "in_channel") {
      this.#messages.push({
        channel: target.channel,
        ts: this.#ts(),
        text: content.text ?? "",
        blocks: content.blocks,
        thread_ts: str(params, "thread_ts"),
        user: this.workspace.botUserId,
        updates: 0,
        editedTs: undefined,
        deleted: false,
      });
      return { ok: true };
    }
    this.#ephemerals.push({
      channel: target.channel,
      user: target.user,
      text: content.text ?? "",
      blocks: content.blocks,
      thread_ts: str(params, "thread_ts"),
      message_ts: this.#ts(),
      via: "response_url",
    });
    return { ok: true };
  }

  #messageJson(message: StoredMessage): Record<string, unknown> {
    return {
      type: "message",
      user: message.user,
      bot_id: this.workspace.botId,
      app_id: this.workspace.appId,
      team: this.workspace.teamId,
      ts: message.ts,
      text: message.text,
      ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
      ...(message.thread_ts !== undefined ? { thread_ts: message.thread_ts } : {}),
      ...(message.editedTs !== undefined ? { edited: { user: message.user, ts: message.editedTs } } : {}),
    };
  }

  /** Unique, increasing message timestamps, like Slack's (seconds.microseconds). */
  #ts(): string {
    const micros = Math.max(Math.round(this.#now() * 1000), this.#lastTsMicros + 1);
    this.#lastTsMicros = micros;
    return slackTs(micros / 1000);
  }

  #next(): number {
    this.#counter += 1;
    return this.#counter;
  }

  #id(): string {
    return `0${this.#next().toString(36).toUpperCase().padStart(9, "0")}`;
  }

  #hex(): string {
    return (this.#next() * 2_654_435_761).toString(16).padStart(8, "0").slice(-8);
  }

  #findGroup(idOrHandle: string): LocalUsergroup | undefined {
    const handle = idOrHandle.replace(/^@/, "");
    return (
      this.#usergroups.get(idOrHandle) ??
      [...this.#usergroups.values()].find((g) => g.handle.replace(/^@/, "") === handle)
    );
  }
}
