// Pre-flight facts the tests share: the account fact of the documented Windows set-up, where the
// EM service and the runner both run as LocalSystem (so the runner's write test is the EM's).
import type { AccountFacts, HostFacts, ShareSync } from "../../src/domain/facts.ts";

export const BOTH_LOCAL_SYSTEM: AccountFacts = {
  em: "LocalSystem",
  runner: "LocalSystem (S-1-5-18)",
  same: true,
  detail: "the EM service runs as LocalSystem, like this runner (LocalSystem (S-1-5-18))",
};

/** A share directory pre-flight compared with the primary's and found a complete, current copy. */
export const IN_SYNC: ShareSync = {
  inSync: true,
  missing: 0,
  differing: 0,
  extra: 0,
  examples: [],
  detail: "compared the 3 files of the primary's directory with the share by size and modification time",
};

/** What pre-flight finds on a host ready for the change: EM stopped, links possible, the shares empty and writable. */
export function readyHostFacts(host: string, dirs: readonly string[]): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs: dirs.map((dir) => ({
      dir,
      linkPath: "directory" as const,
      share: { exists: true, writable: true, empty: true },
    })),
  };
}
