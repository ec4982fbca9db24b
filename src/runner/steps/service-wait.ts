// The bounded waits of the service steps, done by the runner (never by cmd.exe or a shell): after
// a stop or start command, the service's state is read again until it is what was asked for or
// the step's approved wait is over. Shared by stop-service and start-service, with the check that
// an approved service line is exactly what this runner's own service control runs.
import { commandsFor } from "../../domain/commands.ts";
import type { Step } from "../../domain/plan.ts";
import type { ServiceState } from "../platform/platform.ts";
import { failed, type StepContext, type StepOutcome } from "./context.ts";

const TARGET = { stop: "stopped", start: "running" } as const;

/**
 * Runs the control's own command for `verb`, then waits (bounded by the step's approved wait, or
 * `defaultSeconds`) until the service is stopped or running. The one report both service steps
 * give: what was found, what ran, the state after; `failed` when the state was not reached.
 */
export async function commandThenWait(
  ctx: StepContext,
  step: Step,
  verb: "stop" | "start",
  found: string,
  defaultSeconds: number,
): Promise<{ reached: true; lines: string[] } | { reached: false; outcome: StepOutcome }> {
  const want = TARGET[verb];
  const ran = await runServiceCommand(ctx, step, verb);
  // A command that failed is not waited on: one look, and the state decides.
  const seconds = ran.ok ? (step.waitSeconds ?? defaultSeconds) : 0;
  const waited = await waitForState(ctx, want, seconds);
  const after = `then: ${describeState(waited.state)} after ${Math.round(waited.waitedMs / 1000)} s`;
  if (waited.reached) return { reached: true, lines: [found, ran.report, after] };
  const why = ran.ok
    ? `the EM service did not ${verb} within ${seconds} s`
    : `the command failed and the service is not ${want}`;
  return { reached: false, outcome: failed(found, ran.report, after, why) };
}

/** Why the approved line of a service step is not this runner's own service control's, or null. */
export function serviceLineProblem(ctx: StepContext, step: Step, verb: "stop" | "start"): string | null {
  const expected = commandsFor(ctx.platform.name).service(verb, ctx.serviceFacts);
  const same =
    expected.line === step.line &&
    expected.argv.length === step.argv.length &&
    expected.argv.every((word, i) => word === step.argv[i]);
  return same
    ? null
    : `not run: the approved line \`${step.line}\` is not what this runner's service control runs (\`${expected.line}\`): the runner's --service-name or service commands changed since pre-flight; run pre-flight again and re-plan`;
}

/** Reads the state until it is `want` or `seconds` have passed; the last state read either way. */
export async function waitForState(
  ctx: StepContext,
  want: "stopped" | "running",
  seconds: number,
): Promise<{ reached: boolean; state: ServiceState; waitedMs: number }> {
  const started = ctx.now();
  const deadline = started + seconds * 1000;
  for (;;) {
    const state = await ctx.service.state();
    if (state.state === want) return { reached: true, state, waitedMs: ctx.now() - started };
    if (ctx.now() >= deadline) return { reached: false, state, waitedMs: ctx.now() - started };
    await ctx.sleep(Math.min(ctx.pollMs, Math.max(0, deadline - ctx.now())));
  }
}

/** Runs the control's own command for `verb` and says what ran and what it printed. */
export async function runServiceCommand(
  ctx: StepContext,
  step: Step,
  verb: "stop" | "start",
): Promise<{ ok: boolean; report: string }> {
  const outcome = await ctx.service.run(verb, {
    cwd: ctx.emHome,
    timeoutMs: ctx.timeoutMs(step.kind),
    outputLimit: ctx.outputLimit,
  });
  if (outcome.refused !== undefined)
    return { ok: false, report: `refused before starting: ${outcome.refused}` };
  const status = outcome.timedOut
    ? "timed out"
    : `exit code ${outcome.exitCode === null ? "none" : String(outcome.exitCode)}`;
  const text = outcome.output.trim();
  return { ok: outcome.ok, report: [`ran: ${step.line} (${status})`, text].filter(Boolean).join("\n") };
}

export function describeState(state: ServiceState): string {
  return `${state.state}${state.pid === null ? "" : `, main pid ${state.pid}`} (${state.detail})`;
}
