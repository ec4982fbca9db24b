// Whose access the runner's write tests prove: the EM service's own logon account against the
// account this runner runs as. Windows reads both; Linux does not check (no AccountFacts).
import type { AccountFacts } from "../../domain/facts.ts";
import type { StepContext } from "./context.ts";

export interface AccountsCheck {
  accounts: AccountFacts | null;
  detail: string;
}

export async function checkAccounts(ctx: StepContext): Promise<AccountsCheck> {
  const accounts = await ctx.platform.serviceAccount(ctx.serviceName);
  return {
    accounts,
    detail: accounts === null ? "the EM service's account is not checked on this platform" : accounts.detail,
  };
}
