// How far a run has got, step by step, as the change's message shows it live: one line per step of
// a host's phase, marked as its runner reported it. Part of the one renderer (render.ts re-exports
// it): the lines come from the plan, the marks from the runner's step events.
import type { StepEvent } from "./job.ts";
import type { Phase } from "./phases.ts";
import type { HostPlan, Step } from "./plan.ts";

export type StepMark = "done" | "running" | "failed" | "skipped" | "pending";

/** The latest status a runner reported for each step index (-1: the job-level re-check). */
export function stepStatuses(events: readonly Pick<StepEvent, "index" | "status">[]): Map<number, StepMark> {
  const marks = new Map<number, StepMark>();
  for (const event of events) {
    const mark: StepMark =
      event.status === "succeeded"
        ? "done"
        : event.status === "started"
          ? "running"
          : event.status === "failed"
            ? "failed"
            : "skipped";
    marks.set(event.index, mark);
  }
  return marks;
}

const MARK_SYMBOL: Record<StepMark, string> = {
  done: "✓",
  running: "▶",
  failed: "✗",
  skipped: "⏭",
  pending: "·",
};

/** What progress reads of a step event; the output only for a failover check's verdict. */
export type ProgressEvent = Pick<StepEvent, "index" | "status"> & { output?: string };

/**
 * One line per step of a host's execute (or rollback) job, marked as the runner reported it:
 * ✓ done, ▶ running, ✗ failed, ⏭ skipped (already in place), · not reached yet.
 */
export function renderHostProgress(
  hostPlan: HostPlan,
  kind: "execute" | "rollback",
  events: readonly ProgressEvent[],
  phase?: Pick<Phase, "indices">,
): string {
  const steps = kind === "execute" ? hostPlan.steps : hostPlan.rollback;
  const marks = stepStatuses(events);
  const lines: string[] = [];
  if (marks.get(-1) === "failed") {
    lines.push(`${MARK_SYMBOL.failed} re-check before the first step: the host changed since approval`);
  }
  const shown = phase?.indices ?? [...steps.keys()];
  for (const index of shown) {
    const step = steps[index];
    if (step === undefined) continue;
    const mark = marks.get(index) ?? "pending";
    const name = step.dir === "" ? step.kind : `${step.kind} ${step.dir}`;
    lines.push(`${MARK_SYMBOL[mark]} ${name}${verdictOf(step, mark, events, index)}`);
  }
  if (shown.length === 0) lines.push(`nothing to ${kind === "execute" ? "do" : "undo"} on this host`);
  return lines.join("\n");
}

/** A finished failover check says what it proved (the first line of its report): "primary active: ...". */
function verdictOf(step: Step, mark: StepMark, events: readonly ProgressEvent[], index: number): string {
  if (step.kind !== "check-failover" || (mark !== "done" && mark !== "failed")) return "";
  const report = events.findLast((e) => e.index === index && e.status !== "started")?.output ?? "";
  const first = report.split("\n")[0]?.trim() ?? "";
  return first === "" ? "" : `: ${printable(first)}`;
}

function printable(text: string): string {
  const cleaned = text.replace(/\p{Cc}/gu, "?");
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}...` : cleaned;
}
