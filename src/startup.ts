// Start-up configuration shared by every long-running command (serve, console, records, runners):
// light on purpose, so `momlink records` does not load Bolt.
import { type Config, loadConfig, loadDotEnv } from "./config.ts";
import { type ApprovalPolicy, checkPolicy, parseApprovers } from "./domain/policy.ts";
import { StartError } from "./start-error.ts";

export { StartError } from "./start-error.ts";

/** Reads .env and the environment; every problem is reported at once, naming its variable. */
export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  loadDotEnv();
  const result = loadConfig(env);
  if (!result.ok) {
    throw new StartError(
      `momlink cannot start: the environment has ${result.errors.length} problem(s):\n${result.errors.map((e) => `- ${e}`).join("\n")}\n(see .env.example)`,
    );
  }
  return result.config;
}

export function policyFrom(config: Config): ApprovalPolicy {
  const approvers = parseApprovers(config.approvers.join(","));
  if (!approvers.ok) throw new StartError(`MOMLINK_APPROVERS: ${approvers.errors.join("; ")}`);
  const policy: ApprovalPolicy = {
    approvers: approvers.value,
    requiredApprovals: config.requiredApprovals,
    fourEyes: true,
    ttlMinutes: config.planTtlMinutes,
  };
  const problems = checkPolicy(policy);
  if (problems.length > 0) throw new StartError(`the approval policy cannot work: ${problems.join("; ")}`);
  return policy;
}
