// Pre-flight facts the tests share: the account fact of the documented Windows set-up, where the
// EM service and the runner both run as LocalSystem (so the runner's write test is the EM's).
import type { AccountFacts } from "../../src/domain/facts.ts";

export const BOTH_LOCAL_SYSTEM: AccountFacts = {
  em: "LocalSystem",
  runner: "LocalSystem (S-1-5-18)",
  same: true,
  detail: "the EM service runs as LocalSystem, like this runner (LocalSystem (S-1-5-18))",
};
