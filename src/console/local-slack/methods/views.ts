// views.*: modals opened from a trigger, updated by id or external id, and App Home tabs, each
// checked against Slack's view rules before it is stored.
import { checkView } from "../block-rules.ts";
import type { ViewRecord } from "../payloads.ts";
import {
  fail,
  isObject,
  type MethodHandler,
  missing,
  type Params,
  type SlackResponse,
  str,
} from "../protocol.ts";
import type { StoredView, WorkspaceState } from "../workspace-state.ts";

const TRIGGER_TTL_MS = 3_000;

export function viewMethods(state: WorkspaceState): Record<string, MethodHandler> {
  const { workspace } = state;

  function storeView(
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
      [...state.views.values()].some((v) => v !== existing && v.view.external_id === externalId)
    ) {
      return fail("duplicate_external_id");
    }
    const id = existing?.view.id ?? `V${state.id()}`;
    const record: ViewRecord = {
      id,
      team_id: workspace.teamId,
      type: surface,
      blocks: Array.isArray(view.blocks) ? view.blocks : [],
      private_metadata: typeof view.private_metadata === "string" ? view.private_metadata : "",
      callback_id: typeof view.callback_id === "string" ? view.callback_id : "",
      state: { values: {} },
      hash: `${Math.floor(state.now() / 1000)}.${state.hex()}`,
      title: view.title ?? null,
      close: view.close ?? null,
      submit: view.submit ?? null,
      clear_on_close: view.clear_on_close === true,
      notify_on_close: view.notify_on_close === true,
      external_id: externalId ?? "",
      root_view_id: existing?.view.root_view_id ?? id,
      previous_view_id: null,
      app_id: workspace.appId,
      app_installed_team_id: workspace.teamId,
      bot_id: workspace.botId,
    };
    state.views.set(id, user === undefined ? { view: record } : { view: record, user });
    return { ok: true, view: record };
  }

  return {
    "views.open": (params) => {
      const triggerId = str(params, "trigger_id");
      if (triggerId === undefined) return missing("trigger_id");
      const trigger = state.triggers.get(triggerId);
      // Triggers this workspace issued are checked like Slack's: one use, three seconds.
      if (trigger !== undefined) {
        if (trigger.used || state.now() - trigger.issuedAt > TRIGGER_TTL_MS)
          return fail("expired_trigger_id");
        trigger.used = true;
      }
      return storeView(params, "modal", undefined, undefined);
    },

    "views.update": (params) => {
      const viewId = str(params, "view_id");
      const externalId = str(params, "external_id");
      if (viewId === undefined && externalId === undefined) return missing("view_id");
      const existing =
        viewId !== undefined
          ? state.views.get(viewId)
          : [...state.views.values()].find((v) => v.view.external_id === externalId);
      if (existing === undefined) return fail("not_found");
      const hash = str(params, "hash");
      if (hash !== undefined && hash !== existing.view.hash) return fail("hash_conflict");
      return storeView(params, existing.view.type === "home" ? "home" : "modal", existing, existing.user);
    },

    "views.publish": (params) => {
      const user = str(params, "user_id");
      if (user === undefined) return missing("user_id");
      if (!state.users.has(user)) return fail("user_not_found");
      const existing = [...state.views.values()].find((v) => v.user === user);
      const hash = str(params, "hash");
      if (hash !== undefined && existing !== undefined && hash !== existing.view.hash)
        return fail("hash_conflict");
      return storeView(params, "home", existing, user);
    },
  };
}
