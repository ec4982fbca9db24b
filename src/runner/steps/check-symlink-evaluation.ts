// Windows: a local link to a share is only followed when SymlinkEvaluation allows L2R.
import type { StepContext } from "./context.ts";

export interface SymlinkEvaluationCheck {
  symlinkL2R: boolean;
  detail: string;
}

export async function checkSymlinkEvaluation(ctx: StepContext): Promise<SymlinkEvaluationCheck> {
  const probe = await ctx.platform.symlinkL2R();
  return { symlinkL2R: probe.ok === true, detail: probe.detail };
}
