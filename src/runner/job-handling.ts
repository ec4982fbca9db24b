// One job the bot handed over: checked against the key the runner pinned at registration, refused
// when this process already took it, run once by the executor (the worker side), its step events
// and result reported through delivery.ts. Nothing here retries a mutating step.
import type { KeyObject } from "node:crypto";
import type { HostFacts } from "../domain/facts.ts";
import type { HostEvidence } from "../domain/failover-evidence.ts";
import type { Job, StepEvent } from "../domain/job.ts";
import type { Logger } from "../log.ts";
import { JobRefusedError } from "../protocol/refusal.ts";
import { verifySignedJob } from "../protocol/signing.ts";
import { type JobResult, jobIdSchema } from "../protocol/wire.ts";
import type { RunnerConfig } from "./credentials.ts";
import type { Delivery } from "./delivery.ts";

/**
 * The worker side (runner/executor.ts), injected so the listener knows nothing about hosts. Either
 * method may throw a JobRefusedError before anything runs: that is reported as a refusal.
 */
export interface JobExecutor {
  preflight(job: Job): Promise<HostFacts>;
  run(
    job: Job,
    onEvent: (event: Omit<StepEvent, "jobId" | "at">) => void,
  ): Promise<{ ok: boolean; failedIndex?: number; facts?: HostFacts; evidence?: HostEvidence }>;
}

/** What handling one job needs of the runner: who it is, the key it pinned, what it already took. */
export interface JobHandling {
  config: RunnerConfig;
  pinned: KeyObject;
  /** Jobs this process accepted, until their expiry: a job is never run twice, whoever re-sends it. */
  accepted: Map<string, number>;
  logger: Logger;
  clock: () => Date;
  delivery: Delivery;
  executor: JobExecutor;
}

/** One handed-over job: verified against the pinned key, run once, its events and result reported. */
export async function handleJob(wire: unknown, leaseMs: number, on: JobHandling): Promise<void> {
  const { config, pinned, accepted, logger, clock, delivery, executor } = on;
  const { report } = delivery;
  const now = clock();
  for (const [id, until] of accepted) if (until < now.getTime()) accepted.delete(id);
  const verdict = verifySignedJob(wire, pinned, { now, runnerName: config.name, host: config.host });
  if (!verdict.ok) {
    const jobId = jobIdOf(wire);
    logger.error({ jobId, code: verdict.code, reason: verdict.reason }, "refused a job; nothing was run");
    if (jobId !== undefined) {
      await report(jobId, {
        ok: false,
        refused: true,
        error: `refused (${verdict.code}): ${verdict.reason}`,
      });
    }
    return;
  }
  const job = verdict.job;
  if (accepted.has(job.id)) {
    logger.error({ jobId: job.id }, "the bot sent a job this runner already took; not running it again");
    await report(job.id, {
      ok: false,
      refused: true,
      error: "refused (repeat): this runner already took this job",
    });
    return;
  }
  accepted.set(job.id, Date.parse(job.expiresAt));
  logger.info({ jobId: job.id, kind: job.kind, changeId: job.changeId }, "running job");
  const stopHeartbeat = delivery.startHeartbeat(job.id, leaseMs);
  const events = delivery.eventSender(job.id);
  let result: JobResult;
  try {
    result = await execute(executor, job, events.push);
  } catch (err) {
    if (err instanceof JobRefusedError) {
      // The executor rebuilt the plan and found it wanting (policy, host, hash, blockers):
      // nothing ran on the host, which the bot must know apart from a step that failed.
      logger.error({ jobId: job.id, reasons: err.reasons }, "refused a job; nothing was run");
      result = {
        ok: false,
        refused: true,
        error: bounded(`refused (executor): ${err.reasons.join("; ")}`),
      };
    } else {
      result = { ok: false, error: bounded(`the runner failed: ${(err as Error).message}`) };
    }
  } finally {
    await events.drain();
    stopHeartbeat();
  }
  logger.info({ jobId: job.id, ok: result.ok }, "job finished");
  await report(job.id, result);
}

/** What the executor answered, as the job result the bot reads. */
async function execute(
  executor: JobExecutor,
  job: Job,
  onEvent: (e: Omit<StepEvent, "jobId" | "at">) => void,
): Promise<JobResult> {
  switch (job.kind) {
    case "preflight":
      return { ok: true, facts: await executor.preflight(job) };
    case "execute":
    case "rollback":
    case "verify": {
      const out = await executor.run(job, onEvent);
      return {
        ok: out.ok,
        ...(out.failedIndex === undefined ? {} : { failedIndex: out.failedIndex }),
        ...(out.facts === undefined ? {} : { facts: out.facts }),
        ...(out.evidence === undefined ? {} : { evidence: out.evidence }),
      };
    }
    default: {
      const never: never = job.kind;
      return never;
    }
  }
}

function jobIdOf(wire: unknown): string | undefined {
  if (typeof wire !== "object" || wire === null) return undefined;
  const job = (wire as { job?: unknown }).job;
  if (typeof job !== "object" || job === null) return undefined;
  const parsed = jobIdSchema.safeParse((job as { id?: unknown }).id);
  return parsed.success ? parsed.data : undefined;
}

function bounded(text: string): string {
  return text.length <= 4000 ? text : `${text.slice(0, 4000)}…`;
}
