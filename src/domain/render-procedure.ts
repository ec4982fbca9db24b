// The words for the whole failover procedure (services=manage, failover-properties=set), beside
// the one renderer (render.ts): the run order across the two hosts, what each phase does, the
// waits, the failover properties as they stand beside the required ones, and the pre-flight facts
// the procedure rests on (the runner's service control, Windows recovery actions). Plain text,
// like render.ts: it must read the same in a terminal and in Slack.
//
// What it must keep true:
// - It only lays out what the plan holds (facts, steps, phases); it decides nothing.
// - An unknown stays unknown: a properties file that could not be read is said so, never "not set".
import type { PropertiesFacts, RecoveryFacts, ServiceControlFacts } from "./facts.ts";
import { compareFailoverProperties, describeFailoverRow } from "./failover-properties.ts";
import { type Phase, type RunKind, runPhases, type Stage } from "./phases.ts";
import type { HostPlan, Plan } from "./plan.ts";

/** What one phase does on its host, in a few words: "stop the EM service, then make the links". */
export function phaseTitle(plan: Plan, kind: RunKind, phase: Phase): string {
  const hostPlan = phase.role === "primary" ? plan.hosts[0] : plan.hosts[1];
  return phase.stages.map((stage) => stageWords(plan, hostPlan, kind, stage)).join(", then ");
}

function stageWords(plan: Plan, hostPlan: HostPlan, kind: RunKind, stage: Stage): string {
  const properties = hostPlan.role === "primary" && plan.setFailoverProperties === true;
  switch (stage) {
    case "stop":
      return "stop the EM service and wait until it is stopped";
    case "link":
      if (kind === "rollback")
        return properties ? "restore the properties and undo the links" : "undo the links";
      return properties ? "make the links and set the shared failover properties" : "make the links";
    case "start":
      if (kind === "rollback") return "start the EM service again";
      return hostPlan.role === "primary"
        ? "start the EM and wait for proof that it holds the primary lock"
        : "start the EM and wait for proof that it stands by";
    default: {
      const unhandled: never = stage;
      throw new Error(`unhandled stage ${String(unhandled)}`);
    }
  }
}

/** True when a run goes back and forth between the hosts (services=manage): worth showing its order. */
export function isInterleaved(plan: Plan, kind: RunKind): boolean {
  return runPhases(plan, kind).length > 2;
}

/** "1. mom-b (secondary): stop the EM service ..." for every phase of the run. */
export function runOrderLines(plan: Plan, kind: RunKind): string[] {
  const phases = runPhases(plan, kind);
  return phases.map((phase) => {
    const hostPlan = phase.role === "primary" ? plan.hosts[0] : plan.hosts[1];
    const steps = kind === "execute" ? hostPlan.steps : hostPlan.rollback;
    const waits = phase.indices.flatMap((i) => {
      const step = steps[i];
      if (step?.waitSeconds === undefined) return [];
      const what =
        step.kind === "stop-service" ? "to stop" : step.kind === "start-service" ? "to run" : "for the proof";
      return [`up to ${step.waitSeconds} s ${what}`];
    });
    const bound = waits.length > 0 ? ` (waits ${waits.join(", ")})` : "";
    return `${phase.number}. ${hostPlan.host} (${phase.role}): ${phaseTitle(plan, kind, phase)}${bound}`;
  });
}

/** The comment that opens each phase inside a host's script, saying what runs before it elsewhere. */
export function phaseHeading(plan: Plan, kind: RunKind, phase: Phase, of: number): string {
  // No parentheses: the heading is a REM line, which must hold nothing cmd.exe acts on.
  const before =
    phase.number > 1 ? `, after phase ${phase.number - 1} on ${otherOrSame(plan, kind, phase)}` : "";
  return `-- phase ${phase.number} of ${of}${before}: ${phaseTitle(plan, kind, phase)}`;
}

function otherOrSame(plan: Plan, kind: RunKind, phase: Phase): string {
  const previous = runPhases(plan, kind)[phase.number - 2];
  const role = previous?.role ?? phase.role;
  return (role === "primary" ? plan.hosts[0] : plan.hosts[1]).host;
}

/** The line after a stop or start command: the wait is the runner's, never cmd.exe's or a shell's. */
export function waitLine(kind: "stop-service" | "start-service", seconds: number): string {
  return kind === "stop-service"
    ? `the runner then waits up to ${seconds} s until the service is stopped`
    : `the runner then waits up to ${seconds} s until the service runs`;
}

/** How the runner stops and starts the EM, for the pre-flight facts of a services=manage plan. */
export function serviceControlLine(control: ServiceControlFacts | undefined): string {
  if (control === undefined) {
    return "✗ the runner did not report how it stops and starts the EM service";
  }
  const how =
    control.via === "sc"
      ? `sc.exe stop/start "${control.name}"`
      : control.via === "systemd"
        ? `systemctl stop/start ${control.name}`
        : `its configured commands (${(control.stop ?? []).join(" ")} / ${(control.start ?? []).join(" ")})`;
  return `✓ the runner stops and starts the EM with ${how}: waits up to ${control.stopWaitSeconds} s for a stop, ${control.startWaitSeconds} s for a start and the proof of its failover role`;
}

/** Windows: whether a failure of the EM service restarts it (the yielding secondary exits with 23). */
export function recoveryLine(recovery: RecoveryFacts): string {
  if (recovery.restarts === true)
    return `✓ the EM service restarts after a failure (${clean(recovery.detail)})`;
  const what =
    recovery.restarts === false
      ? `⚠ the EM service is not restarted after a failure (${clean(recovery.detail)})`
      : `? the EM service's recovery actions are unknown (${clean(recovery.detail)})`;
  return `${what}: a secondary that yields to a returning primary exits with status 23 and stays down; set a restart, e.g. sc failure <service> reset= 86400 actions= restart/60000/restart/60000/restart/60000`;
}

/**
 * The failover properties as they stand beside the required ones (`failover.primary: mom-x →
 * mom-a`), and what becomes of a difference: set by the plan, or a warning under `check`.
 */
export function propertiesLines(plan: Plan, facts: PropertiesFacts): string[] {
  const where = `${clean(facts.file)} (${facts.source === "share" ? "the share's copy" : "the primary's own copy, which seeding brings to the share"})`;
  if (facts.keys === null) {
    return [`? the failover properties in ${where} could not be read: ${clean(facts.detail)}`];
  }
  const rows = compareFailoverProperties({ keys: facts.keys, warnings: [] }, plan.failoverProperties);
  const differ = rows.some((row) => !row.matches);
  const head = !differ
    ? `✓ the failover properties in ${where} are already as required:`
    : plan.setFailoverProperties
      ? `✓ the failover properties in ${where}, which this plan sets (failover-properties=set):`
      : `⚠ the failover properties in ${where} differ from the required ones (failover-properties=check: a warning; set them by hand after seeding, or plan with failover-properties=set):`;
  return [
    head,
    ...rows.map((row) => `  ${row.matches ? "✓" : "→"} ${clean(describeFailoverRow(row))}`),
    ...facts.warnings.map((w) => `  ⚠ ${clean(w)}`),
  ];
}

/** Runner-reported text in a sentence: no control characters or backquotes, bounded. */
function clean(text: string): string {
  const cleaned = text.replace(/[\p{Cc}`]/gu, "?");
  return cleaned.length > 300 ? `${cleaned.slice(0, 300)}...` : cleaned;
}
