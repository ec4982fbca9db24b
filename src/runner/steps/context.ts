// What every step is given, and what it gives back. Steps do one thing each; they reach the host
// only through the platform layer.
import type { ShareDataChoice } from "../../domain/choices.ts";
import type { ServiceControlFacts } from "../../domain/facts.ts";
import type { HostEvidence, LogPattern } from "../../domain/failover-evidence.ts";
import type { HostPlan, Step, StepKind } from "../../domain/plan.ts";
import {
  clip,
  describePathState,
  type PathState,
  type Platform,
  type ServiceControl,
} from "../platform/platform.ts";

export interface StepContext {
  platform: Platform;
  emHome: string;
  /** The share root of the plan (UNC on Windows, a mount path on Linux). */
  share: string;
  changeId: string;
  /** This host's part in the pair: only the primary compares the share with its own directories. */
  role: HostPlan["role"];
  /** The plan's share-data choice: with reseed, a seed may copy into a share dir that holds data. */
  shareData?: ShareDataChoice;
  serviceName: string;
  /** How to count a service the runner cannot find or query (see ExecutorOptions). */
  unknownServiceIsStopped: boolean;
  outputLimit: number;
  timeoutMs(kind: StepKind): number;
  /** This runner's host name, as the failover evidence names it. */
  host: string;
  /** The EM service's control: what stop-service and start-service run, and how the state is read. */
  service: ServiceControl;
  /** What this runner reports of its service control (pre-flight): an approved service line must be built from it. */
  serviceFacts: ServiceControlFacts;
  /** services=manage: momlink stops and starts the service, so an unknown state is never counted as stopped. */
  manageServices: boolean;
  /** The failover properties the plan requires (set-failover-properties sets them). */
  failoverProperties: readonly { key: string; value: string }[];
  /** The EM log lines the failover evidence looks for (the plan's, i.e. this runner's reported ones). */
  logPatterns: readonly LogPattern[];
  /** The runner's own configured patterns, when not the defaults: pre-flight reports them. */
  reportedLogPatterns?: LogPattern[];
  /** How often a bounded wait looks again. */
  pollMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** What one job's steps hand on to the next ones (a start's log position to its check). */
  job: JobScratch;
}

/** Per job, written by one step and read by a later one of the same job. */
export interface JobScratch {
  /** Where the EM log ended right before this job started the service. */
  logMark?: { path: string; size: number };
  /** A stop-service step of this job saw the service stopped. */
  serviceStopped?: boolean;
}

export interface StepOutcome {
  status: "succeeded" | "failed" | "skipped";
  /** What was found, what ran, what it said, what was read back. */
  output: string;
  /** check-failover: the evidence it decided on, for the bot and the record. */
  evidence?: HostEvidence;
}

export interface DirPaths {
  /** `<EM_HOME>/<dir>`: where the link goes. */
  local: string;
  /** `<share>/<dir>`: what the link points at, exactly as the plan writes it. */
  target: string;
  asideName: string;
  /** `<EM_HOME>/<dir>.pre-<change>`: where the real directory waits. */
  aside: string;
}

export function pathsOf(ctx: StepContext, dir: string): DirPaths {
  const asideName = `${dir}.pre-${ctx.changeId}`;
  return {
    local: ctx.platform.join(ctx.emHome, dir),
    target: ctx.platform.join(ctx.share, dir),
    asideName,
    aside: ctx.platform.join(ctx.emHome, asideName),
  };
}

export function isLinkTo(ctx: StepContext, state: PathState, target: string): boolean {
  return state.kind === "symlink" && ctx.platform.samePath(state.target, target);
}

export const describe = describePathState;

export function succeeded(...lines: string[]): StepOutcome {
  return { status: "succeeded", output: clip(lines.filter(Boolean).join("\n")) };
}
export function failed(...lines: string[]): StepOutcome {
  return { status: "failed", output: clip(lines.filter(Boolean).join("\n")) };
}
export function skipped(...lines: string[]): StepOutcome {
  return { status: "skipped", output: clip(lines.filter(Boolean).join("\n")) };
}

/**
 * A step whose precondition no longer holds: with a `when` (a worst-case plan) it is skipped;
 * without one, the approved facts said it held, so the world changed since approval.
 */
export function notNow(step: Step, found: string): StepOutcome {
  return step.when === undefined
    ? failed(`not run: the facts changed since approval (${found}); run pre-flight again and re-plan`)
    : skipped(`skipped: [${step.when}] does not hold now (${found})`);
}

/** Runs the approved command for `step`; `report` says what ran and what it printed. */
export async function runApproved(ctx: StepContext, step: Step): Promise<{ ok: boolean; report: string }> {
  const outcome = await ctx.platform.run(step, {
    cwd: ctx.emHome,
    timeoutMs: ctx.timeoutMs(step.kind),
    outputLimit: ctx.outputLimit,
  });
  // Windows shows the approved line (a builtin's is run as is, robocopy's is its argv's); Linux the argv.
  const shown = ctx.platform.name === "windows" ? step.line : step.argv.join(" ");
  if (outcome.refused !== undefined) {
    return { ok: false, report: `refused before starting: ${outcome.refused}` };
  }
  const status = outcome.timedOut
    ? "timed out"
    : `exit code ${outcome.exitCode === null ? "none" : String(outcome.exitCode)}`;
  const text = outcome.output.trim();
  const program = ctx.platform.name === "windows" && outcome.program ? `program: ${outcome.program}` : "";
  return {
    ok: outcome.ok,
    report: [`ran: ${shown} (${status})`, program, text].filter(Boolean).join("\n"),
  };
}
