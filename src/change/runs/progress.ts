// What a change's message shows beyond the record, read from its runner jobs rather than kept in
// memory, so the message after a restart shows the same.
import { failoverOutcome } from "../../domain/failover-record.ts";
import { phaseLabel, type RunKind, runStatus } from "../../domain/outcomes.ts";
import { runPhases } from "../../domain/phases.ts";
import { type HostPlan, planOf } from "../../domain/plan.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import { renderHostProgress } from "../../domain/render.ts";
import { clip, REASON_OUTPUT } from "../../domain/runner-output.ts";
import type { RunnerJobs } from "../ports/runner-jobs.ts";
import type { HostRun } from "../ports/runners.ts";
import { runnerOf } from "./hosts.ts";
import { parsePhaseJobId, phaseJobId, runJobId } from "./job-ids.ts";
import { runEvidence } from "./run-phases.ts";

type Jobs = Pick<RunnerJobs, "job" | "jobsFor" | "events" | "runnerFor">;

/** Why a host has no pre-flight facts, while the plan awaits approval. */
export async function preflightNotes(jobs: Jobs, change: ChangeRecord, timeoutMs: number): Promise<string[]> {
  if (change.state !== "planned" && change.state !== "awaiting_approval") return [];
  const notes = await Promise.all(change.plan.hosts.map((h) => preflightNote(jobs, change, h, timeoutMs)));
  return notes.flat();
}

/** Why one host has no pre-flight facts (nothing when it has them). */
async function preflightNote(
  jobs: Jobs,
  change: ChangeRecord,
  h: HostPlan,
  timeoutMs: number,
): Promise<string[]> {
  const seconds = Math.round(timeoutMs / 1000);
  if (h.facts !== null) return [];
  const stored = await jobs.job(phaseJobId({ id: change.id, version: 1 }, "preflight", h.role));
  if (stored === null) {
    const found = await runnerOf(jobs, h.host, change.plan.platform);
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
}

/** The latest execute and rollback run, phase by phase, step by step, in the order they run. */
export async function runsOf(jobs: Jobs, change: ChangeRecord): Promise<HostRun[]> {
  const runs: HostRun[] = [];
  const kinds: [RunKind, boolean][] = [
    ["execute", change.state === "executing"],
    ["rollback", change.state === "rolling_back"],
  ];
  for (const [kind, active] of kinds) {
    // The run on show is the latest attempt: the one started at the highest version.
    const version = await latestVersion(jobs, change, kind);
    if (version < 0 && !active) continue;
    const phases = runPhases(change.plan, kind);
    for (const phase of phases) {
      const hostPlan = planOf(change, phase.role);
      const current =
        version < 0 ? null : await jobs.job(runJobId({ id: change.id, version }, kind, phase, phases).id);
      const events = current === null ? [] : await jobs.events(current.job.id);
      const label = phaseLabel(change, kind, phase);
      runs.push({
        host: hostPlan.host,
        role: phase.role,
        kind,
        ...(label === undefined ? {} : { phase: label }),
        status: current === null ? "pending" : runStatus(current.state, current.result, events),
        steps: renderHostProgress(hostPlan, kind, events, phase),
      });
    }
  }
  return runs;
}

/** The version the latest run of `kind` began at, or -1 when there was none. */
async function latestVersion(jobs: Jobs, change: ChangeRecord, kind: RunKind): Promise<number> {
  let version = -1;
  for (const stored of await jobs.jobsFor(change.id)) {
    const phase = parsePhaseJobId(stored.job.id);
    if (phase?.kind === kind && phase.version > version) version = phase.version;
  }
  return version;
}

/** services=manage: what the latest execute run's failover evidence says, once a start phase reported. */
export async function failoverSummary(jobs: Jobs, change: ChangeRecord): Promise<string | null> {
  if (!change.plan.manageServices) return null;
  const version = await latestVersion(jobs, change, "execute");
  if (version < 0) return null;
  return failoverOutcome(change.plan, await runEvidence(jobs, change, version))?.summary ?? null;
}
