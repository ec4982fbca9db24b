// What a change's message shows beyond the record, read from its runner jobs rather than kept in
// memory, so the message after a restart shows the same.
import type { StepEvent } from "../../domain/job.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { renderHostProgress } from "../../domain/render.ts";
import type { Dispatcher } from "../dispatcher.ts";
import type { HostRole, HostRun, RunKind, RunStatus } from "../hooks.ts";
import type { JobState } from "../queue.ts";
import type { JobResult } from "../wire.ts";
import { clip, REASON_OUTPUT } from "./clip.ts";
import { planOf, runnerOf } from "./hosts.ts";
import { parsePhaseJobId, phaseJobId } from "./job-ids.ts";

type Jobs = Pick<Dispatcher, "job" | "jobsFor" | "events" | "runnerFor">;

/** Why a host has no pre-flight facts, while the plan awaits approval. */
export function preflightNotes(dispatcher: Jobs, change: ChangeRecord, timeoutMs: number): string[] {
  if (change.state !== "planned" && change.state !== "awaiting_approval") return [];
  const seconds = Math.round(timeoutMs / 1000);
  return change.plan.hosts.flatMap((h) => {
    if (h.facts !== null) return [];
    const stored = dispatcher.job(phaseJobId({ id: change.id, version: 1 }, "preflight", h.role));
    if (stored === null) {
      const found = runnerOf(dispatcher, h.host, change.plan.platform);
      if ("problem" in found) return [found.problem];
      return [`runner ${found.runner.name} on ${h.host} was offline when this was planned`];
    }
    const name = stored.job.runner;
    switch (stored.state) {
      case "queued":
      case "leased":
        return [`runner ${name} on ${h.host} did not answer within ${seconds} s`];
      case "lost":
        return [`runner ${name} on ${h.host} stopped answering during pre-flight`];
      case "expired":
        return [`runner ${name} on ${h.host} did not pick up the pre-flight job`];
      case "done":
        return stored.result?.ok
          ? [
              `runner ${name} on ${h.host} answered after the ${seconds} s pre-flight wait: plan again to use its facts`,
            ]
          : [
              `runner ${name} on ${h.host} could not run pre-flight: ${clip(stored.result?.error ?? "no reason given", REASON_OUTPUT)}`,
            ];
      default: {
        const never: never = stored.state;
        return [String(never)];
      }
    }
  });
}

/** The latest execute and rollback run of each host, step by step, in the order they run. */
export function runsOf(dispatcher: Jobs, change: ChangeRecord): HostRun[] {
  const latest = new Map<
    string,
    { version: number; id: string; state: JobState; result: JobResult | null }
  >();
  for (const stored of dispatcher.jobsFor(change.id)) {
    const phase = parsePhaseJobId(stored.job.id);
    if (phase === null || (phase.kind !== "execute" && phase.kind !== "rollback")) continue;
    const key = `${phase.kind} ${phase.role}`;
    const previous = latest.get(key);
    if (previous !== undefined && previous.version > phase.version) continue;
    latest.set(key, {
      version: phase.version,
      id: stored.job.id,
      state: stored.state,
      result: stored.result,
    });
  }
  const runs: HostRun[] = [];
  const kinds: [RunKind, HostRole[], boolean][] = [
    ["execute", ["primary", "secondary"], change.state === "executing"],
    ["rollback", ["secondary", "primary"], change.state === "rolling_back"],
  ];
  for (const [kind, order, active] of kinds) {
    // The rollback on show is the latest attempt: the one started at the highest version.
    const version = Math.max(-1, ...order.map((r) => latest.get(`${kind} ${r}`)?.version ?? -1));
    if (version < 0 && !active) continue;
    for (const role of order) {
      const hostPlan = planOf(change, role);
      const found = latest.get(`${kind} ${role}`);
      const current = found !== undefined && found.version === version ? found : undefined;
      const events = current === undefined ? [] : dispatcher.events(current.id);
      runs.push({
        host: hostPlan.host,
        role,
        kind,
        status: current === undefined ? "pending" : runStatus(current.state, current.result, events),
        steps: renderHostProgress(hostPlan, kind, events),
      });
    }
  }
  return runs;
}

function runStatus(state: JobState, result: JobResult | null, events: readonly StepEvent[]): RunStatus {
  switch (state) {
    case "queued":
      return "queued";
    case "leased":
      return "running";
    case "lost":
      return "lost";
    case "expired":
      return "expired";
    case "done":
      if (result?.ok === true) return "succeeded";
      if (
        result?.failedIndex === undefined &&
        (result?.refused === true || !events.some((e) => e.index >= 0))
      )
        return "refused";
      return "failed";
    default: {
      const never: never = state;
      return never;
    }
  }
}
