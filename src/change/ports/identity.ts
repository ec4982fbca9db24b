// The identity port of the change layer: which of the policy's approver groups a person belongs
// to, asked before each decision that the policy gates (approve, reject, cancel, roll back). The
// Slack implementation asks usergroups.* and caches briefly (slack/identity.ts).

export interface ActorGroups {
  /** The configured groups (as configured: `S…` id or `@handle`, plus the id) the user is in. */
  groups: string[];
  /** Set when some group could not be read: a denial should say so. */
  error?: string;
}

export interface GroupMembership {
  groupsOf(user: string): Promise<ActorGroups>;
}
