// Rollback: move `<dir>.pre-<change>` back to `<dir>`.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  pathsOf,
  runApproved,
  type StepContext,
  type StepOutcome,
  skipped,
  succeeded,
} from "./context.ts";

export async function restore(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, aside } = pathsOf(ctx, step.dir);
  const before = await platform.inspect(local);
  const asideBefore = await platform.inspect(aside);
  const found = `${aside} is ${describe(asideBefore)}, ${local} is ${describe(before)}`;
  if (asideBefore.kind === "missing" && (before.kind === "directory" || step.when !== undefined)) {
    // The change stopped before moving this directory aside: it is where it always was.
    return skipped(`nothing to restore: ${found}`);
  }
  if (asideBefore.kind !== "directory" || before.kind !== "missing") {
    return failed(`not run: ${found}; restoring needs the moved-aside directory and a free ${local}`);
  }

  const ran = await runApproved(ctx, step);
  const after = await platform.inspect(local);
  const asideAfter = await platform.inspect(aside);
  const readBack = `read back: ${local} is ${describe(after)}, ${aside} is ${describe(asideAfter)}`;
  if (!ran.ok || after.kind !== "directory" || asideAfter.kind !== "missing") {
    return failed(`before: ${found}`, ran.report, readBack);
  }
  return succeeded(`before: ${found}`, ran.report, readBack);
}
