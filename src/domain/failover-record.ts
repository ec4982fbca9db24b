// What a change keeps of the proof of failover: after a services=manage run, the bot holds each
// started host's evidence (the runners sent it with their start phases) and decides the pair's
// verdict from both (assessPair, judgeStage): "mom-a is the active EM; mom-b stands by", or why
// not (the secondary started first, both claim primary...). The record keeps that verdict, each
// host's assessment with its facts and sources, and the raw evidence, in the audit event that
// ends the run, so `records show --json` shows what the outcome rests on.
//
// What it must keep true:
// - Pure: evidence in, the record's JSON out; the same decision code the runner waited on.
// - A run that stopped before both hosts proved their part keeps what there was: the primary's
//   evidence alone when its check failed.
import { assessHost, assessPair, type HostAssessment, judgeHost, judgeStage } from "./failover-decision.ts";
import { DEFAULT_LOG_PATTERNS, type HostEvidence } from "./failover-evidence.ts";
import type { Plan } from "./plan.ts";
import type { Json, JsonObject } from "./record.ts";

export interface FailoverOutcome {
  /** proven: the primary active and the secondary standing by; failed: the evidence says otherwise; incomplete: not both hosts got that far. */
  outcome: "proven" | "failed" | "incomplete";
  /** The pair's verdict (assessPair) when both hosts were checked. */
  verdict: string | null;
  /** One sentence for the message and the record. */
  summary: string;
  /** The record's JSON: verdict, summary, each host's assessment and its evidence. */
  record: JsonObject;
}

export function failoverOutcome(
  plan: Pick<Plan, "platform" | "hosts">,
  evidence: { primary?: HostEvidence; secondary?: HostEvidence },
): FailoverOutcome | null {
  const options = {
    patterns: plan.hosts[0].facts?.logPatterns ?? DEFAULT_LOG_PATTERNS,
    // Windows' lock probe cannot always tell: the log and the service state decide there.
    logOnlyVerdicts: plan.platform === "windows",
  };
  const { primary, secondary } = evidence;
  if (primary === undefined) return null;
  if (secondary === undefined) {
    const assessment = assessHost(primary, options);
    const judged = judgeHost("primary", assessment, primary);
    const outcome = judged.outcome === "failed" ? "failed" : "incomplete";
    const summary =
      judged.outcome === "proven"
        ? `${judged.reason}; ${plan.hosts[1].host} is not checked yet`
        : judged.reason;
    return build(outcome, null, summary, [["primary", assessment, primary]]);
  }
  const pair = assessPair(primary, secondary, options);
  const judged = judgeStage("secondary-started", pair);
  const outcome =
    judged.outcome === "proven" ? "proven" : judged.outcome === "failed" ? "failed" : "incomplete";
  return build(outcome, pair.verdict, judged.outcome === "proven" ? pair.summary : judged.reason, [
    ["primary", pair.primary, primary],
    ["secondary", pair.secondary, secondary],
  ]);
}

function build(
  outcome: FailoverOutcome["outcome"],
  verdict: string | null,
  summary: string,
  hosts: ["primary" | "secondary", HostAssessment, HostEvidence][],
): FailoverOutcome {
  const record: JsonObject = {
    outcome,
    verdict,
    summary,
    hosts: hosts.map(([role, assessment, evidence]) =>
      toJsonObject({
        host: assessment.host,
        role,
        verdict: assessment.verdict,
        basis: assessment.basis,
        reason: assessment.reason,
        warnings: assessment.warnings,
        facts: assessment.facts,
        evidence,
      }),
    ),
  };
  return { outcome, verdict, summary, record };
}

/** A value as JSON for the record: fields left undefined are dropped, nothing that JSON cannot hold kept. */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") return toJsonObject(value);
  return null;
}

function toJsonObject(value: object): JsonObject {
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = toJson(field);
  return out;
}
