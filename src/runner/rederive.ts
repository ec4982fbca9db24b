// Before a runner touches anything it rebuilds the plan itself: the job's plan is only a claim.
// From the plan's inputs (platform, hosts, EM_HOMEs, share, dirs, facts) it reconstructs the
// PairSpec, validates it with the same domain schema the bot uses, runs the same plan builder,
// and requires the result to be the very plan that was approved (same canonical JSON, same hash,
// the hash the job is bound to). Only the REBUILT plan's steps ever run.
import { z } from "zod";
import { canonicalJson } from "../domain/canonical.ts";
import { SHARE_ACCESS_CHOICES, SHARE_DATA_CHOICES } from "../domain/choices.ts";
import { hostFactsSchema } from "../domain/facts.ts";
import { sameMachine } from "../domain/host.ts";
import { type Job, jobSchema } from "../domain/job.ts";
import { DEFAULT_ALLOWED_DIRS, type PairSpec, PLATFORMS } from "../domain/pair.ts";
import { makePairSpecSchema } from "../domain/pair-schema.ts";
import { buildPlan, type HostPlan, type Plan } from "../domain/plan.ts";
import { specOfPlan } from "../domain/plan-keys.ts";
import type { PlatformName } from "./platform/platform.ts";
import { outsideRoots, type RootPolicy } from "./policy.ts";

// Only what the plan builder takes as input is read here; everything else is compared whole below.
const planInputsSchema = z.object({
  changeId: z.string().nullable(),
  platform: z.enum(PLATFORMS),
  share: z.string(),
  dirs: z.array(z.string()),
  configAdded: z.boolean(),
  shareData: z.enum(SHARE_DATA_CHOICES).optional(),
  shareAccess: z.enum(SHARE_ACCESS_CHOICES).optional(),
  manageServices: z.literal(true).optional(),
  setFailoverProperties: z.literal(true).optional(),
  ticket: z.string().optional(),
  reason: z.string().optional(),
  hash: z.string(),
  hosts: z.tuple([
    z.object({
      role: z.literal("primary"),
      host: z.string(),
      emHome: z.string(),
      facts: hostFactsSchema.nullable(),
    }),
    z.object({
      role: z.literal("secondary"),
      host: z.string(),
      emHome: z.string(),
      facts: hostFactsSchema.nullable(),
    }),
  ]),
});

export interface RederiveContext {
  platform: PlatformName;
  /** This runner's host name, as registered. */
  runnerHost: string;
  /** This host's own limits: `--allow-em-home` and `--allow-share` roots. */
  policy: { emHome: RootPolicy; share: RootPolicy };
  /** The dir names this runner accepts (default: the domain's default allow-list). */
  allowedDirs?: readonly string[];
  now: Date;
}

export interface Rederived {
  job: Job;
  plan: Plan;
  spec: PairSpec;
  hostPlan: HostPlan;
  hostIndex: 0 | 1;
}

export type RederiveResult = { ok: true; value: Rederived } | { ok: false; reasons: string[] };

/** Rebuilds and checks the plan of `job`; every reason it is refused, or the rebuilt plan. */
export function rederive(input: unknown, ctx: RederiveContext): RederiveResult {
  const refuse = (...reasons: string[]): RederiveResult => ({ ok: false, reasons });

  const parsedJob = jobSchema.safeParse(input);
  if (!parsedJob.success) return refuse(...issues("job", parsedJob.error));
  const job = parsedJob.data;

  if (Date.parse(job.expiresAt) <= ctx.now.getTime()) {
    return refuse(`job ${job.id} expired at ${job.expiresAt}: ask for it again`);
  }
  if (!sameMachine(job.host, ctx.runnerHost)) {
    return refuse(`job ${job.id} is for host ${job.host}, and this runner is ${ctx.runnerHost}`);
  }

  const inputs = planInputsSchema.safeParse(job.plan);
  if (!inputs.success) return refuse(...issues("plan", inputs.error));
  const claimed = inputs.data;
  const [primary, secondary] = claimed.hosts;

  if (claimed.platform !== ctx.platform) {
    return refuse(`the plan is for ${claimed.platform} hosts, and this runner runs on ${ctx.platform}`);
  }
  if (claimed.changeId !== job.changeId) {
    return refuse(`the plan belongs to ${String(claimed.changeId)}, the job to ${job.changeId}`);
  }

  const spec: PairSpec = specOfPlan(claimed);
  const checked = makePairSpecSchema(ctx.allowedDirs ?? DEFAULT_ALLOWED_DIRS).safeParse(spec);
  if (!checked.success) return refuse(...issues("plan", checked.error));

  let rebuilt: Plan;
  try {
    rebuilt = buildPlan({
      spec: checked.data,
      changeId: job.changeId,
      facts: { primary: primary.facts, secondary: secondary.facts },
    });
  } catch (error) {
    return refuse(`the plan cannot be rebuilt: ${error instanceof Error ? error.message : String(error)}`);
  }

  const reasons = bindingProblems(job, claimed, rebuilt);
  if (reasons.length > 0) return refuse(...reasons);

  const hostIndex = job.role === "primary" ? 0 : 1;
  const hostPlan = rebuilt.hosts[hostIndex];
  if (!sameMachine(hostPlan.host, job.host)) {
    return refuse(`the job names ${job.host} as ${job.role}, and the plan's ${job.role} is ${hostPlan.host}`);
  }
  // The share is where seeding writes and the links point: a signed plan cannot aim them elsewhere.
  const outside = [
    outsideRoots(ctx.policy.emHome, hostPlan.emHome),
    outsideRoots(ctx.policy.share, rebuilt.share),
  ].filter((reason) => reason !== null);
  if (outside.length > 0) return refuse(...outside);
  if (hostPlan.facts !== null && !sameMachine(hostPlan.facts.host, ctx.runnerHost)) {
    return refuse(`the plan's facts for ${hostPlan.host} were reported by ${hostPlan.facts.host}`);
  }
  return { ok: true, value: { job, plan: rebuilt, spec: checked.data, hostPlan, hostIndex } };
}

type PlanInputs = z.infer<typeof planInputsSchema>;

/** Why the job is not bound to the plan rebuilt here: each hash, and the first difference. */
function bindingProblems(job: Job, claimed: PlanInputs, rebuilt: Plan): string[] {
  const reasons: string[] = [];
  if (rebuilt.hash !== job.planHash) {
    reasons.push(
      `the plan rebuilt here hashes to ${rebuilt.hash.slice(0, 12)}, the job is bound to ${job.planHash.slice(0, 12)}`,
    );
  }
  if (claimed.hash !== job.planHash) {
    reasons.push(
      `the plan carries hash ${claimed.hash.slice(0, 12)}, the job is bound to ${job.planHash.slice(0, 12)}`,
    );
  }
  const difference = firstDifference(job.plan, rebuilt);
  if (difference !== null) {
    reasons.push(`the job's plan is not the plan rebuilt from its inputs: it differs at ${difference}`);
  }
  return reasons;
}

function issues(what: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = issue.path.length > 0 ? `${what}.${issue.path.map(String).join(".")}` : what;
    return `${at}: ${issue.message}`;
  });
}

/** The JSON path of the first place two values differ (in canonical form), or null when equal. */
export function firstDifference(claimed: unknown, rebuilt: unknown, at = "plan"): string | null {
  if (claimed === undefined && rebuilt === undefined) return null;
  let a: string;
  let b: string;
  try {
    a = canonicalJson(claimed);
    b = canonicalJson(rebuilt);
  } catch {
    return at;
  }
  if (a === b) return null;
  if (isRecord(claimed) && isRecord(rebuilt) && Array.isArray(claimed) === Array.isArray(rebuilt)) {
    const keys = [...new Set([...Object.keys(claimed), ...Object.keys(rebuilt)])].sort();
    for (const key of keys) {
      const found = firstDifference(
        claimed[key],
        rebuilt[key],
        Array.isArray(claimed) ? `${at}[${key}]` : `${at}.${key}`,
      );
      if (found !== null) return found;
    }
  }
  return at;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
