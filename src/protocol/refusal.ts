// The runner's refusal of a job before anything ran on the host (the plan does not hold up against
// this runner's policy, host or hash). The worker (executor.ts) throws it and the listener
// (client.ts) reports it as `refused: true`, which the bot tells apart from a step that failed:
// after a refusal nothing on the host changed.

/** The job was refused before anything ran on the host; `reasons` say why, one sentence each. */
export class JobRefusedError extends Error {
  readonly reasons: string[];
  constructor(jobId: string, reasons: string[]) {
    super(`job ${jobId} refused: ${reasons.join("; ")}`);
    this.name = "JobRefusedError";
    this.reasons = reasons;
  }
}
