// Which of the policy's approver groups a Slack user belongs to, asked of Slack
// (usergroups.users.list; usergroups.list to turn a configured @handle into its id) and cached
// briefly: a click must not wait on Slack twice, and a membership change should count within a
// minute. Only the groups the policy names are ever looked up.
import type { webApi } from "@slack/bolt";
import type { GroupMembership } from "../change/ports/identity.ts";
import type { ApprovalPolicy } from "../domain/policy.ts";
import { isOpenPolicy } from "../domain/policy.ts";
import type { Logger } from "../log.ts";

export interface IdentityOptions {
  client: webApi.WebClient;
  policy: ApprovalPolicy;
  now: () => Date;
  logger: Logger;
  /** How long a group's member list is trusted. Default 60 s. */
  ttlMs?: number;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

const GROUP_ID = /^S[A-Z0-9]{2,}$/;

/** The change layer's identity port, and the ids of the policy's groups for mentioning them. */
export interface SlackIdentity extends GroupMembership {
  /** `@handle` (lower-cased) → user group id, for every group of the workspace (cached like the members). */
  groupIds(): Promise<ReadonlyMap<string, string>>;
}

/** The change layer's identity port (change/ports/identity.ts), answered by Slack. */
export function createIdentity(options: IdentityOptions): SlackIdentity {
  const { client, policy, now, logger } = options;
  const ttlMs = options.ttlMs ?? 60_000;
  const members = new Map<string, Cached<ReadonlySet<string>>>();
  let handles: Cached<ReadonlyMap<string, string>> | undefined;

  // Concurrent clicks share one request per group: the promise is cached, not its result.
  function fresh<T>(entry: Cached<T> | undefined): entry is Cached<T> {
    return entry !== undefined && now().getTime() - entry.at < ttlMs;
  }

  function handleIds(): Promise<ReadonlyMap<string, string>> {
    if (fresh(handles)) return handles.value;
    const value = client.usergroups.list({}).then((result) => {
      const map = new Map<string, string>();
      for (const group of result.usergroups ?? []) {
        if (group.id !== undefined && group.handle !== undefined)
          map.set(`@${group.handle.toLowerCase()}`, group.id);
      }
      return map;
    });
    handles = { at: now().getTime(), value };
    value.catch(() => {
      if (handles?.value === value) handles = undefined;
    });
    return value;
  }

  function membersOf(id: string): Promise<ReadonlySet<string>> {
    const cached = members.get(id);
    if (fresh(cached)) return cached.value;
    const value = client.usergroups.users.list({ usergroup: id }).then((r) => new Set(r.users ?? []));
    members.set(id, { at: now().getTime(), value });
    value.catch(() => {
      if (members.get(id)?.value === value) members.delete(id);
    });
    return value;
  }

  async function idOf(group: string): Promise<string | undefined> {
    return GROUP_ID.test(group) ? group : (await handleIds()).get(group.toLowerCase());
  }

  return {
    groupIds: handleIds,
    async groupsOf(user) {
      const configured = policy.approvers.groups;
      // Nothing to ask Slack: no groups, the open policy, or the user is named directly.
      if (configured.length === 0 || isOpenPolicy(policy) || policy.approvers.users.includes(user)) {
        return { groups: [] };
      }
      const groups: string[] = [];
      const failures: string[] = [];
      await Promise.all(
        configured.map(async (group) => {
          try {
            const id = await idOf(group);
            if (id === undefined) {
              failures.push(`${group} is not a user group in this workspace`);
              return;
            }
            if ((await membersOf(id)).has(user)) groups.push(group, id);
          } catch (err) {
            const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
            logger.warn({ group, err }, "could not read a user group's members from Slack");
            failures.push(`could not read the members of ${group} from Slack (${code})`);
          }
        }),
      );
      return failures.length > 0 ? { groups, error: failures.join("; ") } : { groups };
    },
  };
}
