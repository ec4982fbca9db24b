// Rollback: remove the link this change created (rmdir / rm without -r: the link only, never
// what it points at). Anything else at the path is left alone.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  isLinkTo,
  pathsOf,
  runApproved,
  type StepContext,
  type StepOutcome,
  skipped,
  succeeded,
} from "./context.ts";

export async function removeLink(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, target } = pathsOf(ctx, step.dir);
  const before = await platform.inspect(local);
  const found = `${local} is ${describe(before)}`;
  // A change that failed part-way leaves some links uncreated: rolling back is still possible.
  if (before.kind === "missing") return skipped(`nothing to remove: ${found}`);
  if (before.kind === "directory") return skipped(`nothing to remove: ${found}, this change never linked it`);
  if (!isLinkTo(ctx, before, target)) {
    return failed(
      `not run: ${found}, not the link to ${target} this change creates; left alone, resolve by hand`,
    );
  }

  const ran = await runApproved(ctx, step);
  const after = await platform.inspect(local);
  const readBack = `read back: ${local} is ${describe(after)}`;
  if (!ran.ok || after.kind !== "missing") return failed(`before: ${found}`, ran.report, readBack);
  return succeeded(`before: ${found}`, ran.report, readBack);
}
