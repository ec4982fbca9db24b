// An in-memory model of the Slack Web API methods momlink uses. One implementation, three ways in:
//  - `listen()` serves it over HTTP (the test harness points Bolt's `slackApiUrl` at it);
//  - `fetch` is a WHATWG fetch for Bolt's `clientOptions.fetch` (the local console, no port);
//  - `call()` for direct use.
// It behaves like Slack where momlink could notice the difference: token types, error codes,
// `ts` assignment, Block Kit limits, response URLs. Every call is recorded and announced, so a
// test awaits the call it expects instead of sleeping.
//
// This class is the one public face: it wires the pieces beside it together —
// workspace-state.ts (what the workspace holds), methods/ (the handlers, one file per Slack
// surface), token-auth.ts, injected-failures.ts, response-urls.ts, call-log.ts and
// http-adapter.ts — and builds the payloads Slack would send the app (payloads.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { CallLog, type RecordedCall, type WaitOptions } from "./call-log.ts";
import { type LocalServer, listenHttp, type Routes, serveFetch, serveNodeRequest } from "./http-adapter.ts";
import { type FailOptions, InjectedFailures } from "./injected-failures.ts";
import { webApiMethods } from "./methods/index.ts";
import {
  type BlockActionInput,
  blockActionsPayload,
  eventCallbackPayload,
  LOCAL_CHANNEL,
  LOCAL_USER,
  LOCAL_WORKSPACE,
  type SlashCommandInput,
  type SlashCommandPayload,
  slashCommandPayload,
  type ViewRecord,
  type ViewSubmissionInput,
  viewSubmissionPayload,
  type Workspace,
} from "./payloads.ts";
import {
  fail,
  jsonHeaders,
  type MethodHandler,
  type Params,
  type Reply,
  type SlackResponse,
} from "./protocol.ts";
import { type LimitedCall, RateLimiter, type RateLimits } from "./rate-limits.ts";
import { ResponseUrls } from "./response-urls.ts";
import { type AcceptedTokens, authorize } from "./token-auth.ts";
import {
  type LocalChannel,
  type LocalUser,
  type LocalUsergroup,
  type StoredEphemeral,
  type StoredMessage,
  WorkspaceState,
} from "./workspace-state.ts";

export type { RecordedCall, WaitOptions } from "./call-log.ts";
export { decodeBody, type LocalServer } from "./http-adapter.ts";
export type { FailOptions } from "./injected-failures.ts";
export type { Params, SlackResponse } from "./protocol.ts";
export { type LimitedCall, type RateLimits, SLACK_RATE_LIMITS } from "./rate-limits.ts";
export type {
  LocalChannel,
  LocalUser,
  LocalUsergroup,
  StoredEphemeral,
  StoredMessage,
} from "./workspace-state.ts";

export interface LocalSlackOptions extends AcceptedTokens {
  workspace?: Partial<Workspace>;
  /** What apps.connections.open returns (the Socket Mode WebSocket URL). */
  socketModeUrl?: string;
  users?: LocalUser[];
  usergroups?: LocalUsergroup[];
  channels?: LocalChannel[];
  /** Clock in milliseconds, for message `ts`, trigger expiry and response-URL expiry. */
  now?: () => number;
  /**
   * Answer writes over Slack's limits with 429 and Retry-After (rate-limits.ts; SLACK_RATE_LIMITS
   * are Slack's documented figures). Absent: no limits.
   */
  rateLimits?: RateLimits;
}

export class LocalSlackApi {
  readonly workspace: Workspace;
  /** Where response URLs point; `listen()` sets it to the served address. */
  baseUrl = "http://slack.local/";

  readonly #options: LocalSlackOptions;
  readonly #state: WorkspaceState;
  readonly #methods: Record<string, MethodHandler>;
  readonly #log = new CallLog();
  readonly #failures = new InjectedFailures();
  readonly #responseUrls: ResponseUrls;
  readonly #limiter: RateLimiter | undefined;
  readonly #routes: Routes = {
    method: (method, params, token) => this.#dispatch(method, params, token),
    responseUrl: (id, params) => this.#respond(id, params),
  };

  constructor(options: LocalSlackOptions = {}) {
    this.#options = options;
    this.workspace = { ...LOCAL_WORKSPACE, ...options.workspace };
    this.#state = new WorkspaceState(this.workspace, options.now ?? Date.now, options.socketModeUrl);
    this.#methods = webApiMethods(this.#state);
    this.#responseUrls = new ResponseUrls(this.#state);
    this.#limiter =
      options.rateLimits === undefined
        ? undefined
        : new RateLimiter(options.rateLimits, options.now ?? Date.now);
    const bot: LocalUser = { id: this.workspace.botUserId, name: this.workspace.botName, isBot: true };
    for (const user of [bot, { ...LOCAL_USER }, ...(options.users ?? [])]) this.addUser(user);
    for (const group of options.usergroups ?? []) this.addUsergroup(group);
    for (const channel of [{ ...LOCAL_CHANNEL }, ...(options.channels ?? [])]) this.addChannel(channel);
  }

  // ---- state a test or the console sets up -------------------------------------------------

  addUser(user: LocalUser): void {
    this.#state.users.set(user.id, user);
  }

  addUsergroup(group: LocalUsergroup): void {
    this.#state.usergroups.set(group.id, { ...group, users: [...group.users] });
  }

  /** Replaces a group's members; `idOrHandle` is `S…` or `@handle`. */
  setUsergroupMembers(idOrHandle: string, users: string[]): void {
    const group = this.#state.findGroup(idOrHandle);
    if (group === undefined) throw new Error(`No user group ${idOrHandle}`);
    group.users = [...users];
  }

  addChannel(channel: LocalChannel): void {
    this.#state.channels.set(channel.id, channel);
  }

  setSocketModeUrl(url: string): void {
    this.#state.socketModeUrl = url;
  }

  /** Makes the next call to `method` fail with `error` (queue several by calling again). */
  failNext(method: string, error: string, options: FailOptions = {}): void {
    this.#failures.add(method, error, options);
  }

  /**
   * Holds every call to `method` from now on: recorded (and announced) as it arrives, never
   * answered (served over HTTP, the socket stays open until the caller gives up or the server
   * closes). `releaseCalls` answers the calls that come after it; held ones stay unanswered.
   */
  holdCalls(method: string): void {
    this.#failures.hold(method);
  }

  releaseCalls(method: string): void {
    this.#failures.release(method);
  }

  /** A trigger ID as Slack puts in an interaction; views.open accepts it once, within 3 seconds. */
  issueTriggerId(): string {
    const state = this.#state;
    const id = `${state.next()}.${this.workspace.teamId.slice(1)}.${state.hex()}`;
    state.triggers.set(id, { issuedAt: state.now(), used: false });
    return id;
  }

  /** A response URL for an interaction in `channel` by `user` (about `messageTs` for message actions). */
  issueResponseUrl(target: { channel: string; user: string; messageTs?: string }): string {
    return `${this.baseUrl}response/${this.#responseUrls.issue(target)}`;
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
      const message = this.#state.messages.find((m) => m.ts === input.messageTs && !m.deleted);
      if (message === undefined) throw new Error(`No message with ts ${input.messageTs}`);
      return blockActionsPayload(this.workspace, {
        ...input,
        message,
        triggerId: this.issueTriggerId(),
        responseUrl: this.issueResponseUrl({ channel: message.channel, user, messageTs: message.ts }),
        now: this.#state.now(),
      });
    }
    const stored = this.#state.views.get(input.viewId);
    if (stored === undefined) throw new Error(`No view ${input.viewId}`);
    return blockActionsPayload(this.workspace, {
      ...input,
      view: stored.view,
      triggerId: this.issueTriggerId(),
      now: this.#state.now(),
    });
  }

  /** The user pressing Submit on a stored modal with `values` filled in. */
  viewSubmission(
    input: Omit<ViewSubmissionInput, "triggerId" | "view"> & { viewId: string },
  ): Record<string, unknown> {
    const stored = this.#state.views.get(input.viewId);
    if (stored === undefined) throw new Error(`No view ${input.viewId}`);
    return viewSubmissionPayload(this.workspace, {
      ...input,
      view: stored.view,
      triggerId: this.issueTriggerId(),
    });
  }

  eventCallback(event: Record<string, unknown>): Record<string, unknown> {
    return eventCallbackPayload(this.workspace, event, `Ev${this.#state.id()}`, this.#state.now());
  }

  // ---- what happened ----------------------------------------------------------------------

  get calls(): readonly RecordedCall[] {
    return this.#log.calls;
  }

  callsTo(method: string): RecordedCall[] {
    return this.#log.callsTo(method);
  }

  /** The writes answered 429 because they went over the rate limits: a test should expect none. */
  get rateLimited(): readonly LimitedCall[] {
    return this.#limiter?.limited ?? [];
  }

  /** Calls to methods this model does not implement: a test should expect none. */
  unknownCalls(): RecordedCall[] {
    return this.#log.unknownCalls();
  }

  /** The `seq` the next call will get: `waitFor(..., { since: mark })` then ignores older calls. */
  mark(): number {
    return this.#log.mark();
  }

  get messages(): readonly StoredMessage[] {
    return this.#state.messages;
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.#state.message(channel, ts);
  }

  get ephemerals(): readonly StoredEphemeral[] {
    return this.#state.ephemerals;
  }

  view(id: string): ViewRecord | undefined {
    return this.#state.views.get(id)?.view;
  }

  homeView(user: string): ViewRecord | undefined {
    return [...this.#state.views.values()].find((v) => v.user === user)?.view;
  }

  onCall(listener: (call: RecordedCall) => void): () => void {
    return this.#log.onCall(listener);
  }

  /** Resolves with the first call to `method` matching `predicate`, already made or still to come. */
  waitFor(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<RecordedCall> {
    return this.#log.waitFor(method, predicate, options);
  }

  // ---- the three ways in --------------------------------------------------------------------

  /** Calls a method in-process; `token` as the Authorization header would carry it. */
  async call(method: string, params: Params = {}, token?: string): Promise<SlackResponse> {
    return this.#dispatch(method, params, token).body;
  }

  /** A WHATWG fetch serving `/api/<method>` and response URLs: Bolt's `clientOptions.fetch`. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    serveFetch(this.#routes, input, init);

  /** Node HTTP handler serving the same routes. */
  handleHttp(req: IncomingMessage, res: ServerResponse): void {
    serveNodeRequest(this.#routes, () => this.baseUrl, req, res);
  }

  /** Serves this API over HTTP; the returned `url` is Bolt's `slackApiUrl`. */
  listen(port = 0, host = "127.0.0.1"): Promise<LocalServer> {
    return listenHttp(
      (req, res) => this.handleHttp(req, res),
      port,
      host,
      (baseUrl) => {
        this.baseUrl = baseUrl;
      },
    );
  }

  // ---- internals ----------------------------------------------------------------------------

  #dispatch(method: string, params: Params, token: string | undefined): Reply {
    const reply = this.#failures.take(method) ??
      this.#limiter?.check(method, params) ?? {
        status: 200,
        headers: jsonHeaders(),
        body: this.#handle(method, params, token),
      };
    this.#log.record(method, params, token, reply);
    return reply;
  }

  #handle(method: string, params: Params, token: string | undefined): SlackResponse {
    const handler = this.#methods[method];
    if (handler === undefined) return fail("unknown_method");
    const denied = authorize(method, token, this.#options);
    if (denied !== undefined) return denied;
    return handler(params);
  }

  #respond(id: string, params: Params): Reply {
    const reply = this.#responseUrls.respond(id, params);
    this.#log.record("response_url", { ...params, response_url_id: id }, undefined, reply);
    return reply;
  }
}
