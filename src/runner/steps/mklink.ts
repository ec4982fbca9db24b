// Create the directory link `<EM_HOME>/<dir>` -> `<share>/<dir>` and read it back.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  isLinkTo,
  notNow,
  pathsOf,
  runApproved,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "./context.ts";

export async function mklink(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, target } = pathsOf(ctx, step.dir);
  const before = await platform.inspect(local);
  // mklink happily creates a dangling link, and `ln -s` into an existing directory creates the
  // link INSIDE it: both are ruled out before running.
  const targetIsDir = await platform.isDirectory(target);
  const found = `${local} is ${describe(before)}, ${target} ${targetIsDir ? "is a directory" : "is not a reachable directory"}`;
  if (before.kind !== "missing" || !targetIsDir) return notNow(step, found);

  const ran = await runApproved(ctx, step);
  const after = await platform.inspect(local);
  const readBack = `read back: ${local} is ${describe(after)}`;
  if (!ran.ok || !isLinkTo(ctx, after, target)) {
    return failed(
      `before: ${found}`,
      ran.report,
      readBack,
      ran.ok ? `expected a directory link to ${target}` : "",
    );
  }
  return succeeded(`before: ${found}`, ran.report, readBack);
}
