// Pre-flight facts the tests share: the account fact of the documented Windows set-up, where the
// EM service and the runner both run as LocalSystem (so the runner's write test is the EM's).
import type { AccountFacts, ShareSync } from "../../src/domain/facts.ts";

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
