// Execute and rollback jobs are named, not numbered: the id says which change, which run (the
// record's version when it began), which kind, which phase of the run and which host role. That
// is what lets the reactions stay stateless (see orchestrator.ts).
//
// A run with one phase per host (every plan without services=manage) keeps the ids and jobs it
// always had (`CHG-12-v5-execute-primary`, no phase in the job): a bot upgraded mid-run finds
// the jobs it queued before, and runners older than the phases still take them. A run that goes
// back and forth between the hosts numbers its phases (`CHG-12-v5-execute-3-secondary`).
import { CHANGE_ID_SOURCE } from "../../domain/change-id.ts";
import type { JobKind } from "../../domain/job.ts";
import type { HostRole } from "../../domain/outcomes.ts";
import type { Phase } from "../../domain/phases.ts";
import type { ChangeRecord } from "../../domain/record.ts";

const PHASE_ID = new RegExp(
  `^(${CHANGE_ID_SOURCE})-v([0-9]+)-(preflight|execute|rollback)(?:-([0-9]{1,2}))?-(primary|secondary)$`,
);

/** The id of one host's job in one run: derived, so a restart finds it and nothing queues it twice. */
export function phaseJobId(
  record: Pick<ChangeRecord, "id" | "version">,
  kind: JobKind,
  role: HostRole,
  phase?: number,
): string {
  const numbered = phase === undefined ? "" : `-${phase}`;
  return `${record.id}-v${record.version}-${kind}${numbered}-${role}`;
}

/** The classic run: the two hosts one after the other, each in a single phase. */
export function isClassicRun(phases: readonly Phase[]): boolean {
  return phases.length === 2 && phases[0]?.role !== phases[1]?.role;
}

/** The job id of `phase` in a run of `phases`, and the phase number the job carries (none in a classic run). */
export function runJobId(
  record: Pick<ChangeRecord, "id" | "version">,
  kind: "execute" | "rollback",
  phase: Phase,
  phases: readonly Phase[],
): { id: string; phase?: number } {
  if (isClassicRun(phases)) return { id: phaseJobId(record, kind, phase.role) };
  return { id: phaseJobId(record, kind, phase.role, phase.number), phase: phase.number };
}

export function parsePhaseJobId(
  id: string,
): { changeId: string; version: number; kind: JobKind; role: HostRole; phase?: number } | null {
  const match = PHASE_ID.exec(id);
  if (match === null) return null;
  return {
    changeId: match[1] ?? "",
    version: Number(match[2]),
    kind: match[3] as JobKind,
    role: match[5] as HostRole,
    ...(match[4] === undefined ? {} : { phase: Number(match[4]) }),
  };
}
