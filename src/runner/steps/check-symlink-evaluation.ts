// Windows: a local link to a share is only followed when SymlinkEvaluation allows L2R. The probe
// tests it directly against the share root when it can, else reads the registry; an answer it
// could not get stays unknown (null), never a no or a yes.
import type { StepContext } from "./context.ts";

export interface SymlinkEvaluationCheck {
  symlinkL2R: boolean | null;
  detail: string;
}

export async function checkSymlinkEvaluation(ctx: StepContext): Promise<SymlinkEvaluationCheck> {
  const probe = await ctx.platform.symlinkL2R(ctx.share);
  return { symlinkL2R: probe.ok, detail: probe.detail };
}
