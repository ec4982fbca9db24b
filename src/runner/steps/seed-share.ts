// Primary only: fill an empty (or missing) share directory with the local directory's content
// (robocopy /E /COPY:DAT on Windows, cp -a on Linux). Never into a share dir that holds data.
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

export async function seedShare(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, target } = pathsOf(ctx, step.dir);
  const source = await platform.inspect(local);
  const targetState = await platform.inspect(target);
  const targetEntries = targetState.kind === "missing" ? [] : await platform.list(target);
  const targetText =
    targetState.kind === "missing"
      ? "missing"
      : targetEntries === null
        ? `${describe(targetState)} that cannot be listed`
        : `${describe(targetState)} with ${targetEntries.length} entries`;
  const found = `${local} is ${describe(source)}, ${target} is ${targetText}`;
  if (source.kind !== "directory" || targetEntries === null || targetEntries.length > 0) {
    return notNow(step, found);
  }

  const ran = await runApproved(ctx, step);
  if (!ran.ok) return failed(`before: ${found}`, ran.report);

  // Read back: every entry of the local directory is now in the share directory.
  const sourceNames = (await platform.list(local)) ?? [];
  const copied = await platform.list(target);
  if (copied === null) return failed(`before: ${found}`, ran.report, `read back: ${target} cannot be listed`);
  const have = new Set(copied.map((n) => (platform.name === "windows" ? n.toLowerCase() : n)));
  const missing = sourceNames.filter((n) => !have.has(platform.name === "windows" ? n.toLowerCase() : n));
  if (missing.length > 0) {
    return failed(
      `before: ${found}`,
      ran.report,
      `read back: ${target} lacks ${missing.length} of ${sourceNames.length} entries: ${missing.slice(0, 10).join(", ")}`,
    );
  }
  return succeeded(
    `before: ${found}`,
    ran.report,
    `read back: ${target} holds all ${sourceNames.length} entries of ${local}`,
  );
}
