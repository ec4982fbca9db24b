// Read the link back: a directory link (not a junction) whose target is exactly the planned
// path, which resolves to a directory, and through which this process can write. Not a command:
// the runner looks for itself.
import type { Step } from "../../domain/plan.ts";
import {
  describe,
  failed,
  isLinkTo,
  pathsOf,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "./context.ts";

export interface VerifyOptions {
  /** Write (and remove) a probe file through the link; off for read-only verify jobs. */
  writeProbe: boolean;
}

export async function verifyLink(ctx: StepContext, step: Step, options: VerifyOptions): Promise<StepOutcome> {
  const { platform } = ctx;
  const { local, target } = pathsOf(ctx, step.dir);
  const state = await platform.inspect(local);
  const lines = [`${local} is ${describe(state)}`];
  if (!isLinkTo(ctx, state, target)) {
    return failed(...lines, `expected a directory link to exactly ${target}`);
  }
  if (!(await platform.isDirectory(local))) {
    return failed(
      ...lines,
      `the link does not resolve to a directory: is ${target} reachable from this host?`,
    );
  }
  if (options.writeProbe) {
    const probe = await platform.writeProbe(local);
    lines.push(probe.detail);
    if (probe.ok !== true) return failed(...lines);
  } else {
    const writable = await platform.writable(local);
    lines.push(writable ? "writable through the link" : "not writable through the link");
    if (!writable) return failed(...lines);
  }
  return succeeded(...lines);
}
