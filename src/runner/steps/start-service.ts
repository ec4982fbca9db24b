// services=manage: start the EM service with this runner's own service control and wait, bounded,
// until it runs. Where the EM log ends right before the start is noted for the check that
// follows: only the lines written since this start say anything about it (a shared log holds
// the other EM's lines too).
import type { Step } from "../../domain/plan.ts";
import { failed, type StepContext, type StepOutcome, skipped, succeeded } from "./context.ts";
import { markLog } from "./em-log.ts";
import { commandThenWait, describeState, serviceLineProblem } from "./service-wait.ts";

export async function startService(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const problem = serviceLineProblem(ctx, step, "start");
  if (problem !== null) return failed(problem);
  const before = await ctx.service.state();
  const found = `before: the EM service is ${describeState(before)}`;
  ctx.job.logMark = await markLog(ctx);
  if (before.state === "running") return skipped(found, "already running: nothing to run");
  const done = await commandThenWait(ctx, step, "start", found, 300);
  return done.reached ? succeeded(...done.lines) : done.outcome;
}
