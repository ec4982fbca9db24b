// Which runner may take a host's job: asked by every phase, pre-flight and verify, so the
// refusal wording is the same wherever a runner is missing.
import type { RunnerJobs } from "../ports/runner-jobs.ts";
import type { RunnerInfo } from "../ports/runners.ts";

/** What the runner on `host` is, or why there is none that can take this plan. */
export async function runnerOf(
  jobs: Pick<RunnerJobs, "runnerFor">,
  host: string,
  platform: string,
): Promise<{ runner: RunnerInfo } | { problem: string }> {
  const runner = await jobs.runnerFor(host);
  if (runner === null) {
    return { problem: `no runner is registered for ${host} (momlink runners add <name> --host ${host})` };
  }
  if (runner.platform !== platform) {
    return {
      problem: `runner ${runner.name} on ${host} is a ${runner.platform} runner, and this is a ${platform} plan`,
    };
  }
  return { runner };
}
