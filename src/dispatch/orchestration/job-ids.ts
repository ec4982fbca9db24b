// Execute and rollback jobs are named, not numbered: the id says which change, which run (the
// record's version when it began), which kind and which host role. That is what lets the
// reactions stay stateless (see orchestrator.ts).
import { CHANGE_ID_SOURCE } from "../../domain/change-id.ts";
import type { JobKind } from "../../domain/job.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import type { HostRole } from "../hooks.ts";

const PHASE_ID = new RegExp(
  `^(${CHANGE_ID_SOURCE})-v([0-9]+)-(preflight|execute|rollback)-(primary|secondary)$`,
);

/** The id of one host's job in one run: derived, so a restart finds it and nothing queues it twice. */
export function phaseJobId(
  record: Pick<ChangeRecord, "id" | "version">,
  kind: JobKind,
  role: HostRole,
): string {
  return `${record.id}-v${record.version}-${kind}-${role}`;
}

export function parsePhaseJobId(
  id: string,
): { changeId: string; version: number; kind: JobKind; role: HostRole } | null {
  const match = PHASE_ID.exec(id);
  if (match === null) return null;
  return {
    changeId: match[1] ?? "",
    version: Number(match[2]),
    kind: match[3] as JobKind,
    role: match[4] as HostRole,
  };
}
