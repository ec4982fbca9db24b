// users.info, usergroups.* and conversations.info: the directory lookups momlink's approval
// policy and channel checks read.
import { fail, flag, type MethodHandler, missing, str } from "../protocol.ts";
import type { WorkspaceState } from "../workspace-state.ts";

export function userAndChannelMethods(state: WorkspaceState): Record<string, MethodHandler> {
  const { workspace } = state;
  return {
    "usergroups.list": (params) => ({
      ok: true,
      usergroups: [...state.usergroups.values()].map((g) => ({
        id: g.id,
        team_id: workspace.teamId,
        handle: g.handle.replace(/^@/, ""),
        name: g.name ?? g.handle.replace(/^@/, ""),
        user_count: g.users.length,
        ...(flag(params, "include_users") ? { users: [...g.users] } : {}),
      })),
    }),

    "usergroups.users.list": (params) => {
      const id = str(params, "usergroup");
      if (id === undefined) return missing("usergroup");
      const group = state.usergroups.get(id);
      return group === undefined ? fail("no_such_subteam") : { ok: true, users: [...group.users] };
    },

    "users.info": (params) => {
      const id = str(params, "user");
      if (id === undefined) return missing("user");
      const user = state.users.get(id);
      if (user === undefined) return fail("user_not_found");
      const realName = user.realName ?? user.name;
      return {
        ok: true,
        user: {
          id: user.id,
          team_id: workspace.teamId,
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
      const channel = state.channel(id);
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
}
