// chat.*: posting, ephemeral messages, updates and permalinks, with Slack's channel rules.
import { messageContent } from "../message-content.ts";
import { fail, type MethodHandler, missing, type Params, type SlackResponse, str } from "../protocol.ts";
import type { StoredMessage, WorkspaceState } from "../workspace-state.ts";

const USER_ID_RE = /^[UW][A-Z0-9]{2,}$/;

export function chatMethods(state: WorkspaceState): Record<string, MethodHandler> {
  const { workspace } = state;

  function postableChannel(params: Params): string | SlackResponse {
    const requested = str(params, "channel");
    if (requested === undefined) return fail("channel_not_found");
    // Posting to a user ID opens the app's DM with that user.
    if (USER_ID_RE.test(requested))
      return state.users.has(requested) ? `D${requested.slice(1)}` : fail("channel_not_found");
    const byName = requested.startsWith("#")
      ? [...state.channels.values()].find((c) => `#${c.name}` === requested)
      : state.channel(requested);
    if (byName === undefined) return fail("channel_not_found");
    if (byName.isMember === false) return fail("not_in_channel");
    return byName.id;
  }

  function messageJson(message: StoredMessage): Record<string, unknown> {
    return {
      type: "message",
      user: message.user,
      bot_id: workspace.botId,
      app_id: workspace.appId,
      team: workspace.teamId,
      ts: message.ts,
      text: message.text,
      ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
      ...(message.thread_ts !== undefined ? { thread_ts: message.thread_ts } : {}),
      ...(message.editedTs !== undefined ? { edited: { user: message.user, ts: message.editedTs } } : {}),
    };
  }

  return {
    "chat.postMessage": (params) => {
      const channel = postableChannel(params);
      if (typeof channel !== "string") return channel;
      const content = messageContent(params, true);
      if ("ok" in content) return content;
      const message = state.postBotMessage(channel, content, str(params, "thread_ts"));
      return { ok: true, channel, ts: message.ts, message: messageJson(message) };
    },

    "chat.postEphemeral": (params) => {
      const channel = postableChannel(params);
      if (typeof channel !== "string") return channel;
      const user = str(params, "user");
      if (user === undefined) return missing("user");
      if (!state.users.has(user)) return fail("user_not_found");
      const content = messageContent(params, true);
      if ("ok" in content) return content;
      const message_ts = state.ts();
      state.ephemerals.push({
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
      const message = state.message(channel, ts);
      if (message === undefined || message.deleted) return fail("message_not_found");
      if (message.user !== workspace.botUserId) return fail("cant_update_message");
      const content = messageContent(params, true);
      if ("ok" in content) return content;
      // Slack keeps the old blocks when `blocks` is absent; an empty array removes them.
      if (content.text !== undefined) message.text = content.text;
      if (content.blocks !== undefined)
        message.blocks = content.blocks.length === 0 ? undefined : content.blocks;
      message.updates += 1;
      message.editedTs = state.ts();
      return { ok: true, channel, ts, text: message.text, message: messageJson(message) };
    },

    "chat.getPermalink": (params) => {
      const channel = str(params, "channel");
      const ts = str(params, "message_ts");
      if (channel === undefined) return fail("channel_not_found");
      if (ts === undefined) return missing("message_ts");
      const message = state.message(channel, ts);
      if (message === undefined || message.deleted) return fail("message_not_found");
      const base = `https://${workspace.teamDomain}.slack.com/archives/${channel}/p${ts.replace(".", "")}`;
      const permalink =
        message.thread_ts !== undefined ? `${base}?thread_ts=${message.thread_ts}&cid=${channel}` : base;
      return { ok: true, channel, permalink };
    },
  };
}
