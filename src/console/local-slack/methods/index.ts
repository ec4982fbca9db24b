// Every Web API method the model implements, by name; anything else is `unknown_method`.
import type { MethodHandler } from "../protocol.ts";
import type { WorkspaceState } from "../workspace-state.ts";
import { authAndAppMethods } from "./auth-and-apps.ts";
import { chatMethods } from "./chat.ts";
import { userAndChannelMethods } from "./users-and-channels.ts";
import { viewMethods } from "./views.ts";

export function webApiMethods(state: WorkspaceState): Record<string, MethodHandler> {
  return {
    ...authAndAppMethods(state),
    ...chatMethods(state),
    ...viewMethods(state),
    ...userAndChannelMethods(state),
  };
}
