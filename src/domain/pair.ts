// The validated request for one MOM failover pair: what `/momlink plan ...` and
// `momlink plan ...` both turn into. Produced only by the grammar + validators.
import type { ShareAccessChoice, ShareDataChoice } from "./choices.ts";

export const PLATFORMS = ["windows", "linux"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const DEFAULT_ALLOWED_DIRS = ["config", "data", "traces", "logs", "threaddumps"] as const;

/**
 * The keys a pair is asked with (`plan key=value ...`, the plan form's fields), defined once, in
 * the order help, rendered commands and problems show them.
 */
export const PLAN_KEYS = [
  "primary",
  "secondary",
  "em-home",
  "share",
  "dirs",
  "secondary-em-home",
  "platform",
  "share-data",
  "share-access",
  "services",
  "failover-properties",
  "ticket",
  "reason",
] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];

export interface PairSpec {
  platform: Platform;
  /** Host names as typed (case preserved), already validated. */
  primary: string;
  secondary: string;
  /** Absolute paths, trailing separator dropped, case preserved. */
  emHome: string;
  secondaryEmHome: string;
  /** UNC root on Windows (`\\host\share[\...]`), an absolute mount path on Linux; no trailing separator. */
  share: string;
  /** Directory names to link, `config` first, then in the order typed; no duplicates. */
  dirs: string[];
  /** True when the user left `config` out and momlink added it (the plan says so). */
  configAdded: boolean;
  /** `share-data=`: what to do with a share directory out of sync with the primary's (absent: such a plan is blocked). */
  shareData?: ShareDataChoice;
  /** `share-access=`: the EM's own account was checked by hand on the share (absent: pre-flight must prove it). */
  shareAccess?: ShareAccessChoice;
  /** `services=manage`: the plan stops and starts the EM services itself (absent: require-stopped, a running one blocks). */
  manageServices?: true;
  /** `failover-properties=set`: the plan edits the shared properties file (absent: check, the values are only shown). */
  setFailoverProperties?: true;
  /** `ticket=`: the change ticket (domain/ticket.ts); absent when none was given (and none is required). */
  ticket?: string;
  /** `reason=`: why the change is made, in the requester's words, for the record and the CAB. */
  reason?: string;
}
