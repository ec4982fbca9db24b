// Which host plan a role means, and which runner may take a host's job: asked by every phase,
// so the refusal wording is the same wherever a runner is missing.
import type { HostPlan } from "../../domain/plan.ts";
import type { ChangeRecord } from "../../domain/record.ts";
import type { Dispatcher } from "../dispatcher.ts";
import type { HostRole } from "../hooks.ts";
import type { RunnerInfo } from "../registry.ts";

export function planOf(record: Pick<ChangeRecord, "plan">, role: HostRole): HostPlan {
  return role === "primary" ? record.plan.hosts[0] : record.plan.hosts[1];
}

/** What the runner on `host` is, or why there is none that can take this plan. */
export function runnerOf(
  dispatcher: Pick<Dispatcher, "runnerFor">,
  host: string,
  platform: string,
): { runner: RunnerInfo } | { problem: string } {
  const runner = dispatcher.runnerFor(host);
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
