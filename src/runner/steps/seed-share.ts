// Primary only: fill an empty (or missing) share directory with the local directory's content
// (robocopy /E /COPY:DAT on Windows, cp -a on Linux). Into a share dir that holds data only with
// share-data=reseed, and then only when it is not in sync: the same copy brings over what the
// share lacks or holds in another version, and deletes nothing there. Read back by comparing the
// two trees: every file of the primary must be on the share.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  notNow,
  pathsOf,
  runApproved,
  type StepContext,
  type StepOutcome,
  skipped,
  succeeded,
} from "./context.ts";

/** Time for the comparison that reads a seed back (ten minutes: the share was just written). */
const READ_BACK_MS = 10 * 60_000;

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
  if (source.kind !== "directory" || targetEntries === null) return notNow(step, found);
  if (targetEntries.length > 0) {
    if (ctx.shareData !== "reseed") return notNow(step, found);
    const before = await platform.compareTree(local, target);
    if (before.inSync === true) return skipped(`nothing to reseed: ${found}; ${before.detail}`);
  }

  const ran = await runApproved(ctx, step);
  if (!ran.ok) return failed(`before: ${found}`, ran.report);

  // The read back may take as long as a big tree needs: the copy itself is done.
  const after = await platform.compareTree(local, target, READ_BACK_MS);
  if (after.inSync === null) {
    return failed(`before: ${found}`, ran.report, `read back: ${after.detail}`);
  }
  if (after.missing > 0) {
    return failed(
      `before: ${found}`,
      ran.report,
      `read back: ${target} lacks ${after.missing} files of ${local}: ${after.examples.join(", ")}`,
    );
  }
  const notes = [
    after.differing > 0
      ? `${after.differing} files are in another size or time than on ${local} (a share that keeps times coarsely?): ${after.examples.join(", ")}`
      : "",
    after.extra > 0 ? `${after.extra} extra files on the share were left as they are` : "",
  ].filter(Boolean);
  return succeeded(
    `before: ${found}`,
    ran.report,
    `read back: ${target} holds every file of ${local}${notes.length > 0 ? `; ${notes.join("; ")}` : ""}`,
  );
}
