// Start-up configuration shared by every long-running command (serve, console, records, runners):
// light on purpose, so `momlink records` does not load Bolt.
import { type Config, loadConfig, loadDotEnv } from "./config.ts";
import { approversOf } from "./config-rules.ts";
import { type ApprovalPolicy, checkPolicy, isOpenPolicy } from "./domain/policy.ts";
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

/** The variable each approval setting comes from, for refusals that name what to change. */
const POLICY_VARIABLES = {
  approvers: "MOMLINK_APPROVERS",
  requiredApprovals: "MOMLINK_REQUIRED_APPROVALS",
  ttlMinutes: "MOMLINK_PLAN_TTL_MINUTES",
} as const;

/**
 * The approval policy the bot enforces. Outside the local console it must name its approvers:
 * an open list lets any member of the workspace (but the requester) approve commands that run on
 * production MOM hosts, so connecting to a real workspace without MOMLINK_APPROVERS is refused
 * rather than started open. There is deliberately no opt-out variable: naming one user group that
 * holds the whole team is the same effect, made on purpose and visible in every plan message.
 */
export function policyFrom(config: Config): ApprovalPolicy {
  const policy: ApprovalPolicy = {
    // Checked once, by config.ts; here only sorted into users and groups.
    approvers: approversOf(config.approvers),
    requiredApprovals: config.requiredApprovals,
    fourEyes: true,
    ttlMinutes: config.planTtlMinutes,
  };
  if (config.mode !== "console" && isOpenPolicy(policy)) {
    const mode = config.mode === "socket" ? "Socket Mode" : "HTTP mode";
    throw new StartError(
      `momlink cannot start: MOMLINK_APPROVERS is not set. In ${mode} (a real Slack workspace) momlink only lets named approvers ` +
        "approve, reject or roll back a change: list their Slack user IDs and/or user groups, " +
        "e.g. MOMLINK_APPROVERS=U0123ABCD,@mom-approvers (see .env.example). " +
        "Only the local console (no Slack tokens) runs without approvers.",
    );
  }
  const problems = checkPolicy(policy, POLICY_VARIABLES);
  if (problems.length > 0) throw new StartError(`the approval policy cannot work: ${problems.join("; ")}`);
  return policy;
}
