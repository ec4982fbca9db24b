// services=manage, after a start: collect the failover evidence of this host (the service state,
// who holds primary_em.lck and secondary_em.lck, the EM log's failover lines since the start) and
// wait, bounded, until it proves what this host must be — the primary active, the secondary
// standing by — or shows it cannot be. Read-only: it never takes or tries a lock.
//
// What it must keep true:
// - The lock decides (failover-decision.ts); on Windows, where the probe cannot always tell, the
//   log and the service state decide and the verdict says "log only".
// - The evidence it ended on goes back to the bot with the outcome, proven or not: the record
//   keeps it.
import { assessHost, judgeHost } from "../../domain/failover-decision.ts";
import { type HostEvidence, LOCK_FILES } from "../../domain/failover-evidence.ts";
import type { Step } from "../../domain/plan.ts";
import { clip } from "../platform/platform.ts";
import type { StepContext, StepOutcome } from "./context.ts";
import { markLog, readLogSince } from "./em-log.ts";

export async function checkFailover(ctx: StepContext, step: Step): Promise<StepOutcome> {
  const seconds = step.waitSeconds ?? 300;
  const deadline = ctx.now() + seconds * 1000;
  const mark = ctx.job.logMark ?? (await markLog(ctx));
  const options = { patterns: ctx.logPatterns, logOnlyVerdicts: ctx.platform.name === "windows" };
  for (;;) {
    const evidence = await collectEvidence(ctx, mark);
    const judged = judgeHost(ctx.role, assessHost(evidence, options), evidence);
    const expired = ctx.now() >= deadline;
    if (judged.outcome !== "pending" || expired) {
      const { assessment } = judged;
      const head =
        judged.outcome === "proven"
          ? `${assessment.verdict === "primary-active" ? "primary active" : "standing by"}: ${judged.reason} (basis: ${assessment.basis})`
          : judged.outcome === "failed"
            ? `wrong role: ${judged.reason}`
            : `not proven within ${seconds} s: ${judged.reason}`;
      const lines = [
        head,
        ...assessment.facts.map((f) => `- ${f.says} [${f.source}]`),
        ...assessment.warnings.map((w) => `! ${w}`),
      ];
      return {
        status: judged.outcome === "proven" ? "succeeded" : "failed",
        output: clip(lines.join("\n")),
        evidence,
      };
    }
    await ctx.sleep(Math.min(ctx.pollMs, Math.max(0, deadline - ctx.now())));
  }
}

/** This host's evidence now: the probes each say what they saw, and where from. */
export async function collectEvidence(
  ctx: StepContext,
  mark: { path: string; size: number },
): Promise<HostEvidence> {
  const { platform, emHome } = ctx;
  const state = await ctx.service.state();
  const lock = (relative: string) =>
    platform.lockProbe(
      relative.split("/").reduce((path, part) => platform.join(path, part), emHome),
      state.pid,
    );
  return {
    host: ctx.host,
    service: { state: state.state, source: clip(state.source, 500), detail: clip(state.detail, 1000) },
    primaryLock: bounded(await lock(LOCK_FILES.primary)),
    secondaryLock: bounded(await lock(LOCK_FILES.secondary)),
    log: await readLogSince(mark, ctx.logPatterns),
  };
}

/** Probe texts within the evidence schema's bounds. */
function bounded<T extends { source: string; detail: string }>(observation: T): T {
  return { ...observation, source: clip(observation.source, 500), detail: clip(observation.detail, 1000) };
}
