// services=manage: start the EM service with this runner's own service control and wait, bounded,
// until it runs. Where the EM log ends right before the start is noted for the check that
// follows: only the lines written since this start say anything about it (a shared log holds
// the other EM's lines too).
import type { Step } from "../../domain/plan.ts";
import { failed, type StepContext, type StepOutcome, skipped, succeeded } from "./context.ts";
import { markLog } from "./em-log.ts";
import { describeState, runServiceCommand, serviceLineProblem, waitForState } from "./service-wait.ts";

export async function startService(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const problem = serviceLineProblem(ctx, step, "start");
  if (problem !== null) return failed(problem);
  const before = await ctx.service.state();
  const found = `before: the EM service is ${describeState(before)}`;
  ctx.job.logMark = await markLog(ctx);
  if (before.state === "running") return skipped(found, "already running: nothing to run");
  const ran = await runServiceCommand(ctx, step, "start");
  // A command that failed is not waited on: one look, and the state decides.
  const seconds = ran.ok ? (step.waitSeconds ?? 300) : 0;
  const waited = await waitForState(ctx, "running", seconds);
  const after = `then: ${describeState(waited.state)} after ${Math.round(waited.waitedMs / 1000)} s`;
  if (!waited.reached) {
    return failed(
      found,
      ran.report,
      after,
      ran.ok
        ? `the EM service did not start within ${seconds} s`
        : "the command failed and the service is not running",
    );
  }
  return succeeded(found, ran.report, after);
}
