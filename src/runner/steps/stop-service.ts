// services=manage: stop the EM service with this runner's own service control and wait, bounded,
// until it is really stopped. A service already stopped is left alone (skipped); a state the
// runner cannot read stops the change: nothing may be relinked under an EM that may be running.
import type { Step } from "../../domain/plan.ts";
import { failed, type StepContext, type StepOutcome, skipped, succeeded } from "./context.ts";
import { commandThenWait, describeState, serviceLineProblem } from "./service-wait.ts";

export async function stopService(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const problem = serviceLineProblem(ctx, step, "stop");
  if (problem !== null) return failed(problem);
  const before = await ctx.service.state();
  const found = `before: the EM service is ${describeState(before)}`;
  if (before.state === "stopped") {
    ctx.job.serviceStopped = true;
    return skipped(found, "already stopped: nothing to run");
  }
  if (before.state === "unknown") {
    return failed(
      found,
      "not run: the runner cannot tell whether the EM service runs, so it cannot see it stop",
    );
  }
  const done = await commandThenWait(ctx, step, "stop", found, 120);
  if (!done.reached) return done.outcome;
  ctx.job.serviceStopped = true;
  return succeeded(...done.lines);
}
