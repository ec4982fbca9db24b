// Why a host's pre-flight facts block a plan, each as a sentence a user can act on: the facts
// came from another machine, EM_HOME is not an EM's, the EM service runs (without services=manage)
// or its state is unknown, links may not be created or followed, the EM's account could not be
// proven on the share, a link path or share directory conflicts with the plan.
//
// What it must keep true: pure (no I/O); an unknown fact blocks like a no and says what settles it
// (UNKNOWN_SETTLES, the words the facts render shows too); runner-reported text is shown printable.

import { propertiesFile } from "./em-files.ts";
import type { DirFacts, HostFacts } from "./facts.ts";
import { sameMachine } from "./host.ts";
import type { PairSpec } from "./pair.ts";
import type { HostPlan } from "./plan.ts";

export function hostBlockers(
  spec: PairSpec,
  role: HostPlan["role"],
  host: string,
  emHome: string,
  facts: HostFacts,
): string[] {
  const { platform } = spec;
  const blockers: string[] = [];
  const key = role === "primary" ? "em-home" : "secondary-em-home";
  if (!sameMachine(facts.host, host)) {
    blockers.push(
      `the pre-flight facts came from ${printable(facts.host)}, not ${host}: run pre-flight on ${host}`,
    );
  }
  if (!facts.emHomeExists) {
    blockers.push(`EM_HOME ${emHome} does not exist on ${host}: check ${key}`);
  } else if (!facts.emHomeHoldsEm) {
    const props = propertiesFile(platform);
    blockers.push(`${emHome} on ${host} has no ${props}: it does not look like an EM_HOME; check ${key}`);
  }
  const why = (detail: string | undefined) => (detail === undefined ? "" : ` (${printable(detail)})`);
  if (facts.serviceStopped === false && !spec.manageServices) {
    blockers.push(
      `the Enterprise Manager service is running on ${host}: stop it on both hosts before the change, or plan with services=manage to have momlink stop and start it`,
    );
  } else if (facts.serviceStopped === null) {
    blockers.push(
      `the state of the Enterprise Manager service on ${host} is unknown${why(facts.details?.service)}: ${UNKNOWN_SETTLES.service}`,
    );
  }
  if (facts.canCreateSymlinks === false) {
    blockers.push(
      platform === "windows"
        ? `the runner on ${host} lacks SeCreateSymbolicLinkPrivilege: run it elevated, as an Administrator`
        : `the runner on ${host} cannot create symbolic links in ${emHome}: give its account write access there`,
    );
  } else if (facts.canCreateSymlinks === null) {
    blockers.push(
      `the runner on ${host} could not tell whether it may create symbolic links${why(facts.details?.privilege)}: ${UNKNOWN_SETTLES.privilege}`,
    );
  }
  if (facts.symlinkL2R === false) {
    blockers.push(
      `SymlinkEvaluation L2R is disabled on ${host}, so a local link to a share cannot be followed${why(facts.details?.symlinkL2R)}: enable it with fsutil behavior set SymlinkEvaluation L2R:1 (or in the group policy "Selectively allow the evaluation of a symbolic link", which wins)`,
    );
  } else if (facts.symlinkL2R === null) {
    blockers.push(
      `SymlinkEvaluation L2R on ${host} is unknown${why(facts.details?.symlinkL2R)}: ${UNKNOWN_SETTLES.symlinkL2R}`,
    );
  }
  return blockers;
}

/**
 * Windows: the runner's write tests prove the EM's access to the share only when both run as the
 * same account. Otherwise someone checks the EM's account by hand and says so (share-access).
 */
export function accountBlockers(spec: PairSpec, host: string, facts: HostFacts): string[] {
  if (spec.platform !== "windows" || spec.shareAccess === "checked-by-hand") return [];
  const account = facts.emAccount;
  if (account?.same === true) return [];
  const who =
    account?.em === null || account?.em === undefined ? "the EM service's account" : printable(account.em);
  const check = `check by hand that ${who} has Modify on ${spec.share} (the EM takes its lock in config\\internal\\server there), then plan again with share-access=checked-by-hand`;
  if (account === undefined) {
    return [
      `the runner on ${host} did not report the EM service's logon account, so its write test proves only its own access: ${check}`,
    ];
  }
  if (account.same === false) {
    return [
      `the EM service on ${host} runs as ${who}, the runner as ${printable(account.runner ?? "?")}: the runner could prove only its own access to the share; ${check}`,
    ];
  }
  return [
    `the EM service's logon account on ${host} could not be compared with the runner's (${printable(account.detail)}): ${check}`,
  ];
}

/** What settles each fact a runner could not establish: the words the facts and the blockers both show. */
export const UNKNOWN_SETTLES = {
  service:
    "the runner must see it stopped; give the runner the EM's service name (--service-name, e.g. IScopeEM; not the display name), or start it with --unknown-service-is-stopped where the EM does not run as a service, then plan again",
  privilege: "run the runner elevated, as an Administrator or LocalSystem, then plan again",
  symlinkL2R:
    'set it explicitly with fsutil behavior set SymlinkEvaluation L2R:1 (which writes the registry value momlink reads) or in the group policy "Selectively allow the evaluation of a symbolic link", then plan again',
} as const;

export function conflictOf(found: DirFacts, host: string, target: string): string | null {
  const { dir } = found;
  const current = found.currentTarget === undefined ? "" : ` to ${printable(found.currentTarget)}`;
  switch (found.linkPath) {
    case "missing":
    case "directory":
    case "link-to-target":
      return null;
    case "link-elsewhere":
      return `${dir} on ${host} is already a link${current}, not to ${target}: remove it by hand or choose another dir`;
    case "junction":
      return `${dir} on ${host} is a junction${current}: remove it by hand or choose another dir`;
    case "file":
      return `${dir} on ${host} is a file, not a directory: move it away by hand or choose another dir`;
    default: {
      const unhandled: never = found.linkPath;
      throw new Error(`unhandled link path state ${String(unhandled)}`);
    }
  }
}

/** Problems with the share directory a link would point at, as seen from this host. */
export function targetBlockers(
  found: DirFacts,
  host: string,
  dir: string,
  target: string,
  filled: boolean,
): string[] {
  if (found.share.exists && !found.share.writable) {
    return [`${target} is not writable from ${host}: the EM service account must be able to write there`];
  }
  if (!found.share.exists && !filled) {
    return [
      `${target} does not exist and nothing in this plan fills it: the link would dangle; create it on the share first`,
    ];
  }
  if (dir === "config" && !filled) {
    return [`${target} is empty and no host seeds it: the EM would start with no configuration`];
  }
  return [];
}

/** Runner-reported text (a link's current target) shown in a sentence: no control characters or backquotes. */
function printable(text: string): string {
  const cleaned = text.replace(/[\p{Cc}`]/gu, "?");
  return cleaned.length > 300 ? `${cleaned.slice(0, 300)}...` : cleaned;
}
