// Windows: SeCreateSymbolicLinkPrivilege (an elevated Administrator); Linux: write access to EM_HOME.
import type { StepContext } from "./context.ts";

export interface PrivilegeCheck {
  canCreateSymlinks: boolean;
  detail: string;
}

export async function checkPrivilege(ctx: StepContext): Promise<PrivilegeCheck> {
  const probe = await ctx.platform.symlinkPrivilege(ctx.emHome);
  // An answer the runner could not get is not a yes.
  return { canCreateSymlinks: probe.ok === true, detail: probe.detail };
}
