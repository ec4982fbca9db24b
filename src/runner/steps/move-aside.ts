// Move the real directory aside to `<dir>.pre-<change>`: never deleted, restored by rollback.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  notNow,
  pathsOf,
  runApproved,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "./context.ts";

export async function moveAside(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, aside } = pathsOf(ctx, step.dir);
  const before = await platform.inspect(local);
  const asideBefore = await platform.inspect(aside);
  const found = `${local} is ${describe(before)}, ${aside} is ${describe(asideBefore)}`;
  if (asideBefore.kind !== "missing") {
    // Moving onto an existing name would move the directory INTO it: never, `when` or not.
    return failed(`not run: ${found}; the moved-aside name is taken, resolve it by hand`);
  }
  if (before.kind !== "directory") return notNow(step, found);

  const ran = await runApproved(ctx, step);
  const after = await platform.inspect(local);
  const asideAfter = await platform.inspect(aside);
  const readBack = `read back: ${local} is ${describe(after)}, ${aside} is ${describe(asideAfter)}`;
  if (!ran.ok || after.kind !== "missing" || asideAfter.kind !== "directory") {
    return failed(`before: ${found}`, ran.report, readBack);
  }
  return succeeded(`before: ${found}`, ran.report, readBack);
}
