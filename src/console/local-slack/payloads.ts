// What Slack sends to an app, built the way Slack builds it: slash command fields, interactive
// payloads (block_actions, view_submission) and Events API callbacks. The local console and the
// tests both use these, so a listener sees the same shapes it will see from a real workspace.
// Pure: trigger IDs and response URLs are passed in (LocalSlackApi issues them).

export interface Workspace {
  teamId: string;
  teamDomain: string;
  teamName: string;
  appId: string;
  botId: string;
  botUserId: string;
  botName: string;
}

export const LOCAL_WORKSPACE: Workspace = {
  teamId: "T0LOCAL01",
  teamDomain: "momlink-local",
  teamName: "momlink (local)",
  appId: "A0LOCALAPP",
  botId: "B0LOCALBOT",
  botUserId: "U0LOCALBOT",
  botName: "momlink",
};

/** The person at the local console, and the default actor in tests. */
export const LOCAL_USER = { id: "U0LOCAL01", name: "operator" } as const;
export const LOCAL_CHANNEL = { id: "C0LOCAL01", name: "mom-ops" } as const;

/** The deprecated verification token Slack still sends in every payload; Bolt ignores it. */
const VERIFICATION_TOKEN = "local-verification-token";

export interface SlashCommandPayload {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  trigger_id: string;
}

export interface SlashCommandInput {
  text?: string;
  command?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  triggerId: string;
  responseUrl: string;
}

export function slashCommandPayload(workspace: Workspace, input: SlashCommandInput): SlashCommandPayload {
  return {
    token: VERIFICATION_TOKEN,
    team_id: workspace.teamId,
    team_domain: workspace.teamDomain,
    channel_id: input.channelId ?? LOCAL_CHANNEL.id,
    channel_name: input.channelName ?? LOCAL_CHANNEL.name,
    user_id: input.userId ?? LOCAL_USER.id,
    user_name: input.userName ?? LOCAL_USER.name,
    command: input.command ?? "/momlink",
    text: input.text ?? "",
    api_app_id: workspace.appId,
    is_enterprise_install: "false",
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A message as Slack includes it in a block_actions payload. */
export interface MessageRef {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts?: string | undefined;
}

/** A stored view as views.open/update/publish return it (Slack's ViewOutput). */
export type ViewRecord = Json & {
  id: string;
  type: string;
  blocks: unknown[];
  callback_id: string;
  private_metadata: string;
  hash: string;
};

/** Finds the interactive element with `actionId` anywhere in `blocks` (accessories included). */
export function findElement(
  blocks: readonly unknown[],
  actionId: string,
): { blockId: string; element: Json } | undefined {
  for (const block of blocks) {
    if (!isObject(block)) continue;
    const blockId = typeof block.block_id === "string" ? block.block_id : "";
    const candidates = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      block.accessory,
      block.element,
    ].filter(isObject);
    const element = candidates.find((e) => e.action_id === actionId);
    if (element !== undefined) return { blockId, element };
  }
  return undefined;
}

export interface BlockActionInput {
  actionId: string;
  /** Defaults to the clicked element's own `value`. */
  value?: string;
  userId?: string;
  userName?: string;
  /** The message holding the button (for message buttons). */
  message?: MessageRef;
  /** The view holding the element (for modal or App Home buttons). */
  view?: ViewRecord;
  triggerId: string;
  /** Message actions only; Slack sends none for views. */
  responseUrl?: string;
  /** Milliseconds since the epoch, for `action_ts`. */
  now: number;
}

/**
 * A block_actions payload for a click on the element `actionId`. The element must exist in the
 * given message or view: a test cannot click a button the app never rendered.
 */
export function blockActionsPayload(workspace: Workspace, input: BlockActionInput): Json {
  const surface = input.message?.blocks ?? input.view?.blocks ?? [];
  const found = findElement(surface, input.actionId);
  if (found === undefined) {
    const where =
      input.message !== undefined
        ? `message ${input.message.ts}`
        : input.view !== undefined
          ? `view ${input.view.id}`
          : "no message or view";
    throw new Error(`No element with action_id "${input.actionId}" in ${where}`);
  }
  const { blockId, element } = found;
  const action: Json = {
    type: element.type,
    action_id: input.actionId,
    block_id: blockId,
    action_ts: slackTs(input.now),
  };
  if (element.text !== undefined) action.text = element.text;
  const value = input.value ?? (typeof element.value === "string" ? element.value : undefined);
  if (value !== undefined) action.value = value;
  if (element.style !== undefined) action.style = element.style;

  const user = {
    id: input.userId ?? LOCAL_USER.id,
    username: input.userName ?? LOCAL_USER.name,
    name: input.userName ?? LOCAL_USER.name,
    team_id: workspace.teamId,
  };
  const payload: Json = {
    type: "block_actions",
    user,
    api_app_id: workspace.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: input.triggerId,
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    state: { values: {} },
    actions: [action],
  };
  if (input.message !== undefined) {
    const m = input.message;
    payload.container = { type: "message", message_ts: m.ts, channel_id: m.channel, is_ephemeral: false };
    payload.channel = {
      id: m.channel,
      name: m.channel === LOCAL_CHANNEL.id ? LOCAL_CHANNEL.name : m.channel.toLowerCase(),
    };
    payload.message = {
      type: "message",
      user: workspace.botUserId,
      bot_id: workspace.botId,
      app_id: workspace.appId,
      team: workspace.teamId,
      ts: m.ts,
      text: m.text,
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    };
    if (input.responseUrl !== undefined) payload.response_url = input.responseUrl;
  } else if (input.view !== undefined) {
    payload.container = { type: "view", view_id: input.view.id };
    payload.view = input.view;
  }
  return payload;
}

/** A value typed into a modal input: a string (text, or an option value), a list of option values, or raw state. */
export type InputValue = string | readonly string[] | Json;

function optionByValue(element: Json, value: string): Json {
  const options = Array.isArray(element.options) ? element.options.filter(isObject) : [];
  const option = options.find((o) => o.value === value);
  if (option === undefined) {
    throw new Error(`Option "${value}" is not offered by ${String(element.action_id)}`);
  }
  return option;
}

function stateValue(element: Json, value: InputValue): Json {
  if (!Array.isArray(value) && typeof value === "object") return value as Json;
  const type = String(element.type);
  if (typeof value === "string") {
    if (type === "static_select" || type === "radio_buttons") {
      return { type, selected_option: optionByValue(element, value) };
    }
    if (type === "users_select") return { type, selected_user: value };
    if (type === "conversations_select") return { type, selected_conversation: value };
    if (type === "channels_select") return { type, selected_channel: value };
    return { type, value };
  }
  const values = value as readonly string[];
  return { type, selected_options: values.map((v) => optionByValue(element, v)) };
}

export interface ViewSubmissionInput {
  view: ViewRecord;
  /** `{ block_id: { action_id: value } }` for the inputs the user filled in. */
  values: Record<string, Record<string, InputValue>>;
  userId?: string;
  userName?: string;
  triggerId: string;
}

/** A view_submission payload; every block_id/action_id must be an input of the view. */
export function viewSubmissionPayload(workspace: Workspace, input: ViewSubmissionInput): Json {
  const values: Record<string, Record<string, Json>> = {};
  for (const [blockId, actions] of Object.entries(input.values)) {
    const block = input.view.blocks.filter(isObject).find((b) => b.block_id === blockId);
    if (block === undefined || block.type !== "input" || !isObject(block.element)) {
      throw new Error(`View ${input.view.id} has no input block "${blockId}"`);
    }
    const element = block.element;
    const out: Record<string, Json> = {};
    for (const [actionId, value] of Object.entries(actions)) {
      if (element.action_id !== actionId) {
        throw new Error(
          `Input block "${blockId}" has no element "${actionId}" (it has "${String(element.action_id)}")`,
        );
      }
      out[actionId] = stateValue(element, value);
    }
    values[blockId] = out;
  }
  return {
    type: "view_submission",
    team: { id: workspace.teamId, domain: workspace.teamDomain },
    user: {
      id: input.userId ?? LOCAL_USER.id,
      username: input.userName ?? LOCAL_USER.name,
      name: input.userName ?? LOCAL_USER.name,
      team_id: workspace.teamId,
    },
    api_app_id: workspace.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: input.triggerId,
    view: { ...input.view, state: { values } },
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** An Events API `event_callback` body around `event` (app_home_opened, app_mention, ...). */
export function eventCallbackPayload(workspace: Workspace, event: Json, eventId: string, now: number): Json {
  const eventTs = slackTs(now);
  return {
    token: VERIFICATION_TOKEN,
    team_id: workspace.teamId,
    api_app_id: workspace.appId,
    event: { event_ts: eventTs, ...event },
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(now / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

/** Slack's `1700000000.000100` timestamp form for a moment in milliseconds. */
export function slackTs(ms: number): string {
  const micros = Math.round(ms * 1000);
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")}`;
}
