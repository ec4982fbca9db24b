// The order a run goes across the two hosts, as a sequence of phases: each phase is one host's
// runner doing a run of consecutive steps of its own host plan, and the next phase starts only
// once it succeeded. With services=manage the KB's procedure interleaves the hosts (stop the
// secondary, stop the primary and link it, link the secondary, start the primary, start the
// secondary); without it a run is the two hosts one after the other, as it always was.
//
// What it must keep true:
// - Derived from the plan alone (pure), so the bot and the runner compute the same phases: the
//   bot names one phase's job after its number, the runner runs exactly that phase's steps of
//   the plan it rebuilt itself.
// - Every step of a host plan belongs to exactly one phase, in the host plan's own order: a host
//   plan lists its steps stage by stage (stop, then link, then start), and each stage of a host
//   is one phase or part of one.
// - Every host has a phase in every run, even with no step in it: its runner still re-checks the
//   host and reports.
import type { HostPlan, Plan, StepKind } from "./plan.ts";

export type RunKind = "execute" | "rollback";
export type Role = HostPlan["role"];

/** What part of the procedure a step is: the service going down, the links, the service coming up. */
export type Stage = "stop" | "link" | "start";

export interface Phase {
  /** 1-based place in the run; the job of this phase is named after it. */
  number: number;
  role: Role;
  /** The stages this phase covers on its host, in order. */
  stages: Stage[];
  /** Indices into the host plan's steps (execute) or rollback steps (rollback), consecutive. */
  indices: number[];
}

export function stageOf(kind: StepKind): Stage {
  switch (kind) {
    case "stop-service":
      return "stop";
    case "start-service":
    case "check-failover":
      return "start";
    case "seed-share":
    case "move-aside":
    case "mklink":
    case "verify-link":
    case "set-failover-properties":
    case "remove-link":
    case "restore":
    case "restore-properties":
      return "link";
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled step kind ${String(unhandled)}`);
    }
  }
}

/**
 * The KB's order. Execute: the secondary stops first (the shared state gets one writer at a
 * time), the primary stops and is linked, the secondary is linked, then the primary starts (it
 * must take the primary lock) before the secondary (which must stand by). Rollback: both stop the
 * same way, the links are undone secondary first, then the services start in the same order.
 */
const ORDER: Readonly<Record<RunKind, readonly (readonly [Role, Stage])[]>> = {
  execute: [
    ["secondary", "stop"],
    ["primary", "stop"],
    ["primary", "link"],
    ["secondary", "link"],
    ["primary", "start"],
    ["secondary", "start"],
  ],
  rollback: [
    ["secondary", "stop"],
    ["primary", "stop"],
    ["secondary", "link"],
    ["primary", "link"],
    ["primary", "start"],
    ["secondary", "start"],
  ],
};

/** The phases of a run, in order; consecutive stages of one host are one phase. */
export function runPhases(plan: Pick<Plan, "hosts">, kind: RunKind): Phase[] {
  const phases: Phase[] = [];
  for (const [role, stage] of ORDER[kind]) {
    const hostPlan = role === "primary" ? plan.hosts[0] : plan.hosts[1];
    const steps = kind === "execute" ? hostPlan.steps : hostPlan.rollback;
    const indices = steps.flatMap((step, index) => (stageOf(step.kind) === stage ? [index] : []));
    // The link stage stands for the host even when empty; stop and start exist only with steps.
    if (indices.length === 0 && stage !== "link") continue;
    const last = phases.at(-1);
    if (last !== undefined && last.role === role) {
      last.stages.push(stage);
      last.indices.push(...indices);
      continue;
    }
    phases.push({ number: phases.length + 1, role, stages: [stage], indices });
  }
  return phases;
}

/** The first phase of `role` in a run: the one that re-checks the host against the approved facts. */
export function firstPhaseOf(phases: readonly Phase[], role: Role): Phase | undefined {
  return phases.find((p) => p.role === role);
}
