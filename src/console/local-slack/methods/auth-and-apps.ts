// auth.test and apps.connections.open: who the bot is, and where Socket Mode connects.
import { fail, type MethodHandler } from "../protocol.ts";
import type { WorkspaceState } from "../workspace-state.ts";

export function authAndAppMethods(state: WorkspaceState): Record<string, MethodHandler> {
  const { workspace } = state;
  return {
    "auth.test": () => ({
      ok: true,
      url: `https://${workspace.teamDomain}.slack.com/`,
      team: workspace.teamName,
      user: workspace.botName,
      team_id: workspace.teamId,
      user_id: workspace.botUserId,
      bot_id: workspace.botId,
      is_enterprise_install: false,
    }),

    "apps.connections.open": () =>
      state.socketModeUrl === undefined
        ? fail("socket_mode_url_not_set") // local only: call setSocketModeUrl() first
        : { ok: true, url: `${state.socketModeUrl}?ticket=${state.hex()}&app_id=${workspace.appId}` },
  };
}
