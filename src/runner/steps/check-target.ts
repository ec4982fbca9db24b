// The share directory a link will point at: does it exist, can we write there, is it empty?
// (Empty decides seeding: only an empty or missing share dir is filled from the primary.) On the
// primary, a share dir that holds data is also compared with the local real directory: a partial
// or stale copy is reported as such, never trusted as a seed.
import type { DirFacts } from "../../domain/facts.ts";
import { pathsOf, type StepContext } from "./context.ts";

export interface TargetCheck {
  share: DirFacts["share"];
  detail: string;
}

export async function checkTarget(
  ctx: StepContext,
  dir: string,
  options: { compare: boolean } = { compare: false },
): Promise<TargetCheck> {
  const { platform } = ctx;
  const { local, target } = pathsOf(ctx, dir);
  const state = await platform.inspect(target);
  if (state.kind === "missing") {
    return { share: { exists: false, writable: false, empty: true }, detail: `${target} does not exist` };
  }
  if (!(await platform.isDirectory(target))) {
    // A file (or a dangling link) where the directory should be: never "empty", never seeded.
    return {
      share: { exists: false, writable: false, empty: false },
      detail: `${target} is not a directory`,
    };
  }
  const writable = await platform.writable(target);
  const entries = await platform.list(target);
  // Unlistable counts as not empty: seeding over content nobody could see is the worse mistake.
  const empty = entries !== null && entries.length === 0;
  const content =
    entries === null ? "cannot be listed" : empty ? "is empty" : `holds ${entries.length} entries`;
  const detail = `${target} ${content}${writable ? "" : ", not writable"}`;
  if (!options.compare || empty) return { share: { exists: true, writable, empty }, detail };
  const sync = await platform.compareTree(local, target);
  return { share: { exists: true, writable, empty, sync }, detail: `${detail}; ${sync.detail}` };
}
