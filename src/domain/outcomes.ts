// What a finished execute or rollback job means, in words: the thread reply for the host and the
// reason the record keeps, and where a host's part of a run stands on the message. Pure: the
// caller (change/runs/) hands in the job, its result and its step events.
import type { Job, JobResult, StepEvent } from "./job.ts";
import type { JobState } from "./job-lifecycle.ts";
import { type Phase, runPhases } from "./phases.ts";
import { planOf, type Step } from "./plan.ts";
import type { ChangeRecord } from "./record.ts";
import { phaseTitle } from "./render-procedure.ts";
import { brief, clip, THREAD_OUTPUT } from "./runner-output.ts";

export type HostRole = "primary" | "secondary";
export type RunKind = "execute" | "rollback";

/** Where one host's part of a run stands. `pending`: no job yet (the other host goes first, or never got there). */
export type RunStatus =
  | "pending"
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "refused"
  | "lost"
  | "expired";

/** Where a phase sits in a run that goes back and forth between the hosts (services=manage). */
export interface PhaseLabel {
  number: number;
  of: number;
  /** What the phase does, in a few words (domain/render-procedure.ts phaseTitle). */
  title: string;
}

export interface StepFailure {
  index: number;
  kind: string;
  dir: string;
  /** The approved line of the step (empty for the re-check before the first step). */
  line: string;
  /** What the runner reported, bounded. */
  output: string;
}

/** One host's part of a run, finished (or given up on): one thread reply. */
export interface HostOutcome {
  host: string;
  role: HostRole;
  kind: RunKind;
  /** Absent in a run of one phase per host. */
  phase?: PhaseLabel;
  status: "succeeded" | "failed" | "refused" | "lost" | "expired";
  /** One sentence, plain text. */
  summary: string;
  failures: StepFailure[];
}

/** Why a host's job failed: `detail` for the thread (the reply names the host), `reason` for the record. */
export function failureOf(
  record: ChangeRecord,
  job: Job,
  result: JobResult | null,
  events: readonly StepEvent[],
): { reason: string; detail: string; status: HostOutcome["status"]; failures: StepFailure[] } {
  const kind = job.kind as RunKind;
  const hostPlan = planOf(record, job.role);
  const steps = kind === "execute" ? hostPlan.steps : hostPlan.rollback;
  const failures = failedSteps(steps, events);
  const said = (status: HostOutcome["status"], detail: string) => ({
    status,
    failures,
    detail,
    reason: `${job.host} (${job.role}): ${detail}`,
  });
  const index = result?.failedIndex;
  if (index === -1) {
    const output = failures[0]?.output ?? "the runner's re-check before the first step failed";
    return said("failed", `nothing ran there: ${brief(output)}`);
  }
  if (index !== undefined) {
    const step = steps[index];
    const failed = failures.find((f) => f.index === index);
    const name = step === undefined ? "" : step.dir === "" ? step.kind : `${step.kind} ${step.dir}`;
    const what = step === undefined ? `step ${index + 1}` : `step ${index + 1} (${name})`;
    return said("failed", `${what} failed: ${brief(failed?.output ?? result?.error ?? "no output")}`);
  }
  const ran = events.some((e) => e.index >= 0 && e.status !== "skipped");
  const error = result?.error ?? "no reason given";
  if (result?.refused === true || !ran) {
    return said("refused", `the runner refused the ${kind} job, nothing ran there: ${brief(error)}`);
  }
  return said("failed", `the runner failed mid-job: ${brief(error)}`);
}

export function outcomeOf(
  record: ChangeRecord,
  job: Job,
  result: JobResult | null,
  state: JobState,
  events: readonly StepEvent[],
): HostOutcome {
  const kind = job.kind as RunKind;
  const phase = phaseOfJob(record, job);
  const label = phaseLabel(record, kind, phase);
  const base = { host: job.host, role: job.role, kind, ...(label === undefined ? {} : { phase: label }) };
  if (state === "lost") {
    return {
      ...base,
      status: "lost",
      failures: [],
      summary: `the runner on ${job.host} stopped reporting during the ${kind}: what it did is unknown until /momlink verify ${record.id}`,
    };
  }
  if (state === "expired") {
    return {
      ...base,
      status: "expired",
      failures: [],
      summary: `the runner on ${job.host} did not pick up the ${kind} job before it expired: nothing ran there`,
    };
  }
  if (result?.ok === true) {
    const steps = planOf(record, job.role)[kind === "execute" ? "steps" : "rollback"];
    const indices = phase?.indices ?? [...steps.keys()];
    const skipped = new Set(events.filter((e) => e.status === "skipped").map((e) => e.index)).size;
    const done = indices.length - skipped;
    const ran = `${done} step${done === 1 ? "" : "s"} ran${skipped > 0 ? `, ${skipped} already in place` : ""}`;
    return {
      ...base,
      status: "succeeded",
      failures: [],
      summary: [ran, ...doneWords(kind, phase, steps, events)].join("; "),
    };
  }
  const failure = failureOf(record, job, result, events);
  return { ...base, status: failure.status, failures: failure.failures, summary: failure.detail };
}

/** Every step a runner reported failed, with the approved line it was running. */
function failedSteps(steps: readonly Step[], events: readonly StepEvent[]): StepFailure[] {
  return events
    .filter((e) => e.status === "failed")
    .map((e) => ({
      index: e.index,
      kind: e.kind,
      dir: e.dir,
      line: e.index >= 0 ? (steps[e.index]?.line ?? "") : "",
      output: clip(e.output, THREAD_OUTPUT),
    }));
}

/** The phase of the run a job is: named in the job, or the host's only phase. */
function phaseOfJob(record: ChangeRecord, job: Job): Phase | undefined {
  const phases = runPhases(record.plan, job.kind === "rollback" ? "rollback" : "execute");
  return job.phase === undefined ? phases.find((p) => p.role === job.role) : phases[job.phase - 1];
}

/** A phase's place in its run, for runs that go back and forth between the hosts. */
export function phaseLabel(
  record: Pick<ChangeRecord, "plan">,
  kind: RunKind,
  phase: Phase | undefined,
): PhaseLabel | undefined {
  const phases = runPhases(record.plan, kind);
  if (phase === undefined || phases.length <= 2) return undefined;
  return { number: phase.number, of: phases.length, title: phaseTitle(record.plan, kind, phase) };
}

/** What a finished phase leaves in place, in the words of its stages; a failover check says what it proved. */
function doneWords(
  kind: RunKind,
  phase: Phase | undefined,
  steps: readonly Step[],
  events: readonly StepEvent[],
): string[] {
  const stages = phase?.stages ?? ["link"];
  return stages.map((stage) => {
    switch (stage) {
      case "stop":
        return "the EM service is stopped";
      case "link":
        return kind === "execute"
          ? "every link read back and points at its target"
          : "the links are gone and the moved-aside directories back";
      case "start": {
        const check = (phase?.indices ?? []).find((i) => steps[i]?.kind === "check-failover");
        const proof = events
          .findLast((e) => e.index === check && e.status === "succeeded")
          ?.output.split("\n")[0];
        return proof ?? "the EM service runs again";
      }
      default: {
        const never: never = stage;
        return String(never);
      }
    }
  });
}

/** Where a host's job of a run stands, as the message shows it. */
export function runStatus(
  state: JobState,
  result: JobResult | null,
  events: readonly StepEvent[],
): RunStatus {
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
