// Queueing a job: the dispatcher's enqueue. Checks the runner and the job against the job
// contract, signs it, and queues it; when the runner holds a long-poll here the job is leased for
// it in the same commit and answered at once, otherwise the signals (signals.ts) tell the other
// processes on the database. The insert itself refuses an id already queued, so a caller deriving
// ids from what it is doing queues each at most once, across restarts and replicas.
import { sameMachine } from "../domain/host.ts";
import { type Job, type JobKind, jobSchema } from "../domain/job.ts";
import type { Plan } from "../domain/plan.ts";
import type { Logger } from "../log.ts";
import { type SignedJob, type SigningKeys, signJob } from "../protocol/signing.ts";
import { DispatchError } from "./errors.ts";
import type { LongPolls } from "./long-polls.ts";
import type { Queue } from "./queue.ts";
import type { Registry } from "./registry.ts";
import type { JobSignals } from "./signals.ts";

export interface EnqueueInput {
  kind: JobKind;
  changeId: string;
  host: string;
  role: "primary" | "secondary";
  /** execute and rollback runs with several phases on a host: which one (domain/phases.ts). */
  phase?: number;
  planHash: string;
  /** The approved plan (for a pre-flight, the worst-case preview): the job carries it, signed. */
  plan: Plan;
  /** Default: the runner registered for `host`. */
  runner?: string;
  /** Default: now + jobTtlMs. A job not picked up by then is reported `expired`. */
  expiresAt?: Date;
  /**
   * A job id chosen by the caller (default: a random one). Enqueueing an id that exists throws
   * DispatchError `duplicate-job`, so a caller that derives ids from what it is doing can enqueue
   * at most once, even across restarts.
   */
  id?: string;
}

/** What enqueue needs of the dispatcher. */
export interface EnqueueParts {
  registry: Registry;
  queue: Queue;
  polls: LongPolls;
  signals: JobSignals;
  keys: SigningKeys;
  logger: Logger;
  clock: () => Date;
  jobTtlMs: number;
  newJobId: () => string;
  closed: boolean;
}

/** Tells other processes a job is queued for `runner`; a failing signal costs a tick, not the job. */
export function signalQueued(state: EnqueueParts, runner: string): void {
  const { logger } = state;
  try {
    Promise.resolve(state.signals.queued(runner)).catch((err: unknown) =>
      logger.warn({ err, runner }, "could not signal a queued job; the next tick hands it over"),
    );
  } catch (err) {
    logger.warn({ err, runner }, "could not signal a queued job; the next tick hands it over");
  }
}

export async function enqueue(state: EnqueueParts, input: EnqueueInput): Promise<Job> {
  const { registry, logger } = state;
  if (state.closed) throw new DispatchError("closed", "the dispatcher is closed");
  const runner =
    input.runner === undefined
      ? await registry.runnerFor(input.host)
      : await registry.getRunner(input.runner);
  if (runner === null || runner.status !== "active") {
    throw new DispatchError(
      "no-runner",
      input.runner === undefined
        ? `no registered runner for host ${input.host}: add one with momlink runners add <name> --host ${input.host}`
        : `runner "${input.runner}" is not registered (or was revoked)`,
    );
  }
  if (!sameMachine(runner.host, input.host)) {
    throw new DispatchError("wrong-host", `runner "${runner.name}" serves ${runner.host}, not ${input.host}`);
  }
  const now = state.clock();
  const expiresAt = input.expiresAt ?? new Date(now.getTime() + state.jobTtlMs);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new DispatchError(
      "expired",
      `the job would expire at ${expiresAt.toISOString()}, which is not in the future`,
    );
  }
  const id = input.id ?? state.newJobId();
  const parsed = jobSchema.safeParse({
    id,
    kind: input.kind,
    changeId: input.changeId,
    runner: runner.name,
    host: input.host,
    role: input.role,
    ...(input.phase === undefined ? {} : { phase: input.phase }),
    planHash: input.planHash,
    plan: input.plan,
    issuedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new DispatchError("invalid-job", `the job does not match the job contract: ${problems}`);
  }
  const job = parsed.data;
  const signed = signJob(job, state.keys);
  await queueAndHandOver(state, signed, runner.name);
  logger.info({ jobId: job.id, kind: job.kind, changeId: job.changeId, runner: runner.name }, "job queued");
  return job;
}

/**
 * Queues `signed` and, when its runner has a long-poll here, leases it (or an older job) for that
 * waiter in the same commit: a hand-over costs one commit. Otherwise the signals tell the other
 * processes; the insert refuses a duplicate id itself (DispatchError `duplicate-job`).
 */
async function queueAndHandOver(state: EnqueueParts, signed: SignedJob, runner: string): Promise<void> {
  const { queue, polls } = state;
  let inserted = false;
  const claimed = polls.hasFreeWaiter(runner)
    ? await polls.claim(runner, (name, serves) => {
        inserted = true;
        return queue.insert(signed, { runner: name, serves });
      })
    : null;
  if (!inserted) await queue.insert(signed);
  if (claimed === null) signalQueued(state, runner);
  else polls.deliver(claimed);
}
