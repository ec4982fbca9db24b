// What a read-only check (a verify job) found against the approved plan: every dir of the plan
// must be a link to exactly its target on the share; anything else is drift, named in one line
// the thread and the record can show. Pure: the runner's facts come in, words come out.
import type { HostFacts } from "./facts.ts";
import type { HostPlan, Plan } from "./plan.ts";
import { clip } from "./runner-output.ts";

/** Each dir of the plan must be a link to exactly its target; anything else is drift, named. */
export function driftFromPlan(change: { plan: Plan }, hostPlan: HostPlan, facts: HostFacts): string[] {
  const sep = change.plan.platform === "windows" ? "\\" : "/";
  const drift: string[] = [];
  for (const dir of change.plan.dirs) {
    const target = `${change.plan.share}${sep}${dir}`;
    const found = facts.dirs.find((d) => d.dir === dir);
    if (found === undefined) {
      drift.push(`${dir}: the runner did not report it`);
      continue;
    }
    if (found.linkPath === "link-to-target") continue;
    const now =
      found.linkPath === "missing"
        ? "missing"
        : found.linkPath === "directory"
          ? "a real directory"
          : found.linkPath === "link-elsewhere"
            ? `a link to ${clip(found.currentTarget ?? "?", 200).replace(/\p{Cc}/gu, "?")}`
            : found.linkPath === "junction"
              ? "a junction"
              : "a file";
    drift.push(`${dir} in ${hostPlan.emHome} is ${now}, not a link to ${target}`);
  }
  return drift;
}
