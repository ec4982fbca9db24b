// The keys a plan was built from, read back out of it: what `/momlink plan` would need to plan the
// same change again (the expiry announcement) and what the runner checks before it rebuilds the
// plan itself (runner/rederive.ts). Pure; the rest of a plan (steps, facts, the hash) is derived.
import type { PairSpec } from "./pair.ts";
import type { HostPlan, Plan } from "./plan.ts";

type HostKeys = Pick<HostPlan, "host" | "emHome">;
/** What of a plan its keys said: the rest (steps, facts, the hash) was derived from them. */
export type PlanKeys = Pick<
  Plan,
  | "platform"
  | "share"
  | "dirs"
  | "configAdded"
  | "shareData"
  | "shareAccess"
  | "manageServices"
  | "setFailoverProperties"
  | "ticket"
  | "reason"
> & { hosts: readonly [HostKeys, HostKeys] };

/**
 * The pair a plan was built from, as its keys say it (unchecked: the runner checks it again before
 * it rebuilds the plan, and `/momlink plan` with it plans the same change again).
 */
export function specOfPlan(plan: PlanKeys): PairSpec {
  const [primary, secondary] = plan.hosts;
  return {
    platform: plan.platform,
    primary: primary.host,
    secondary: secondary.host,
    emHome: primary.emHome,
    secondaryEmHome: secondary.emHome,
    share: plan.share,
    dirs: plan.dirs,
    configAdded: plan.configAdded,
    ...(plan.shareData === undefined ? {} : { shareData: plan.shareData }),
    ...(plan.shareAccess === undefined ? {} : { shareAccess: plan.shareAccess }),
    ...(plan.manageServices ? { manageServices: true as const } : {}),
    ...(plan.setFailoverProperties ? { setFailoverProperties: true as const } : {}),
    ...(plan.ticket === undefined ? {} : { ticket: plan.ticket }),
    ...(plan.reason === undefined ? {} : { reason: plan.reason }),
  };
}
