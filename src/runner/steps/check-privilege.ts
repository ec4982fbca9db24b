// Windows: SeCreateSymbolicLinkPrivilege (an elevated Administrator); Linux: write access to EM_HOME.
// An answer the runner could not get stays unknown (null): neither a yes nor a no.
import type { StepContext } from "./context.ts";

export interface PrivilegeCheck {
  canCreateSymlinks: boolean | null;
  detail: string;
}

export async function checkPrivilege(ctx: StepContext): Promise<PrivilegeCheck> {
  const probe = await ctx.platform.symlinkPrivilege(ctx.emHome);
  return { canCreateSymlinks: probe.ok, detail: probe.detail };
}
