// Response URLs as Slack hands them out with an interaction: tied to a channel and user (and a
// message, for message actions), valid for 30 minutes and 5 posts.
import { messageContent } from "./message-content.ts";
import { fail, flag, jsonHeaders, type Params, type Reply, type SlackResponse, str } from "./protocol.ts";
import type { WorkspaceState } from "./workspace-state.ts";

const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;

export interface ResponseUrlTarget {
  channel: string;
  user: string;
  messageTs?: string;
}

interface IssuedResponseUrl extends ResponseUrlTarget {
  issuedAt: number;
  uses: number;
}

export class ResponseUrls {
  readonly #state: WorkspaceState;
  readonly #issued = new Map<string, IssuedResponseUrl>();

  constructor(state: WorkspaceState) {
    this.#state = state;
  }

  /** The id a response URL ends with; the caller puts it under its base URL. */
  issue(target: ResponseUrlTarget): string {
    const id = `${this.#state.workspace.teamId}/${this.#state.next()}/${this.#state.hex()}`;
    this.#issued.set(id, { ...target, issuedAt: this.#state.now(), uses: 0 });
    return id;
  }

  /** A post to a response URL: ephemeral by default, or in_channel, replace_original, delete_original. */
  respond(id: string, params: Params): Reply {
    const target = this.#issued.get(id);
    if (target === undefined) return { status: 404, headers: jsonHeaders(), body: fail("invalid_url") };
    if (this.#state.now() - target.issuedAt > RESPONSE_URL_TTL_MS)
      return { status: 404, headers: jsonHeaders(), body: fail("expired_url") };
    if (target.uses >= RESPONSE_URL_MAX_USES)
      return { status: 404, headers: jsonHeaders(), body: fail("used_url") };
    target.uses += 1;
    return { status: 200, headers: jsonHeaders(), body: this.#apply(target, params) };
  }

  #apply(target: IssuedResponseUrl, params: Params): SlackResponse {
    const state = this.#state;
    const original =
      target.messageTs !== undefined ? state.message(target.channel, target.messageTs) : undefined;
    if (flag(params, "delete_original")) {
      if (original === undefined) return fail("message_not_found");
      original.deleted = true;
      return { ok: true };
    }
    const content = messageContent(params, true);
    if ("ok" in content) return content;
    if (flag(params, "replace_original")) {
      if (original === undefined) return fail("message_not_found");
      original.text = content.text ?? "";
      original.blocks = content.blocks;
      original.updates += 1;
      original.editedTs = state.ts();
      return { ok: true };
    }
    if (params.response_type === "in_channel") {
      state.postBotMessage(target.channel, content, str(params, "thread_ts"));
      return { ok: true };
    }
    state.ephemerals.push({
      channel: target.channel,
      user: target.user,
      text: content.text ?? "",
      blocks: content.blocks,
      thread_ts: str(params, "thread_ts"),
      message_ts: state.ts(),
      via: "response_url",
    });
    return { ok: true };
  }
}
