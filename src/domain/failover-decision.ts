// Which EM of a pair is active, from the evidence of both hosts (failover-evidence.ts): per host
// "primary active", "standing by", "not started" or unknown; for the pair, the same plus "both
// claim primary" (a split brain, loudly a failure) and roles the wrong way round; and for the
// procedure's two waits (after starting the primary, after starting the secondary) whether the
// wait is proven, still pending, or has failed.
//
// What it must keep true:
// - The lock decides. A log line alone never makes a verdict unless the caller opts in
//   (`logOnlyVerdicts`, for a platform whose lock probe cannot answer); then the basis says
//   "log only". A held lock whose holder the probe cannot name counts for this EM only when this
//   EM's own log (its lines since its start) says it took that lock.
// - Disagreements are kept as warnings next to the verdict, never silently resolved.
// - Pure: evidence in, verdicts and sentences out. The runner's bounded wait turns a "pending"
//   that outlasts its time limit into the failure, with the last reason.
import {
  DEFAULT_LOG_PATTERNS,
  type EvidenceFact,
  evidenceFacts,
  type HostEvidence,
  type LockObservation,
  type LogPattern,
  logClaim,
  matchLog,
} from "./failover-evidence.ts";

export type HostVerdict = "primary-active" | "standing-by" | "not-started" | "unknown";

export interface HostAssessment {
  host: string;
  verdict: HostVerdict;
  /** What the verdict rests on. */
  basis: "lock" | "lock and log" | "log only" | "service" | "none";
  /** One sentence: why this verdict. */
  reason: string;
  facts: EvidenceFact[];
  warnings: string[];
}

export interface DecisionOptions {
  patterns?: readonly LogPattern[];
  /** Let the log decide when neither lock can be read (a platform without a lock probe). */
  logOnlyVerdicts?: boolean;
}

const heldBy = (lock: LockObservation, holder: "this-em" | "unidentified") =>
  lock.state === "held" && lock.holder === holder;

export function assessHost(evidence: HostEvidence, options: DecisionOptions = {}): HostAssessment {
  const matches = evidence.log ? matchLog(evidence.log, options.patterns ?? DEFAULT_LOG_PATTERNS) : [];
  const { claim, match } = logClaim(matches);
  const facts = evidenceFacts(evidence, matches);
  const warnings: string[] = [];
  const verdict = (v: HostVerdict, basis: HostAssessment["basis"], reason: string): HostAssessment => {
    portWarnings(evidence, v, warnings);
    return { host: evidence.host, verdict: v, basis, reason, facts, warnings };
  };
  const { primaryLock: primary, secondaryLock: secondary, service } = evidence;
  const logSays = match
    ? `the log says \`${match.text}\` (line ${match.line})`
    : "the log shows no failover line";

  if (service.state === "stopped") {
    if (heldBy(primary, "this-em") || heldBy(secondary, "this-em")) {
      return verdict(
        "unknown",
        "none",
        "the service reports stopped, yet a lock is held by its EM: the probes disagree",
      );
    }
    return verdict("not-started", "service", "the EM service is stopped");
  }
  if (heldBy(primary, "this-em")) {
    if (claim === "standby") warnings.push(`${logSays}, but this EM holds primary_em.lck: the lock wins`);
    return verdict(
      "primary-active",
      claim === "primary" ? "lock and log" : "lock",
      "this EM holds primary_em.lck",
    );
  }
  if (heldBy(primary, "unidentified") && claim === "primary") {
    return verdict("primary-active", "lock and log", `primary_em.lck is held and ${logSays}`);
  }
  if (heldBy(secondary, "this-em")) {
    if (claim === "primary")
      warnings.push(`${logSays}, but this EM holds secondary_em.lck and not the primary lock`);
    return verdict(
      "standing-by",
      claim === "standby" ? "lock and log" : "lock",
      "this EM holds secondary_em.lck and waits",
    );
  }
  if (heldBy(secondary, "unidentified") && claim === "standby") {
    return verdict("standing-by", "lock and log", `secondary_em.lck is held and ${logSays}`);
  }
  if (primary.state === "unknown" && secondary.state === "unknown") {
    if (options.logOnlyVerdicts && claim !== "none") {
      return verdict(
        claim === "primary" ? "primary-active" : "standing-by",
        "log only",
        `${logSays}; the locks could not be read`,
      );
    }
    return verdict(
      "unknown",
      "none",
      `the locks could not be read (${primary.detail}); ${logSays}, which is no proof on its own`,
    );
  }
  if (claim !== "none") warnings.push(`${logSays}, but the locks show this EM holds neither`);
  if (service.state === "running") {
    return verdict(
      "unknown",
      "none",
      "the EM is running but holds neither lock: still starting, or failover is not enabled in the properties",
    );
  }
  return verdict("unknown", "none", `the EM service state is unknown (${service.detail})`);
}

function portWarnings(evidence: HostEvidence, verdict: HostVerdict, warnings: string[]): void {
  const port = evidence.agentPort;
  if (!port || port.listening === null) return;
  if (verdict === "primary-active" && !port.listening) {
    warnings.push(`the active EM does not listen on agent port ${port.port} (yet): agents cannot connect`);
  }
  if (verdict === "standing-by" && port.listening) {
    warnings.push(
      `something listens on agent port ${port.port} although this EM stands by: another EM on this host?`,
    );
  }
}

export type PairVerdict =
  | "primary-active-secondary-standing-by"
  | "primary-active"
  | "secondary-active"
  | "roles-swapped"
  | "both-claim-primary"
  | "not-started"
  | "unknown";

export interface PairAssessment {
  verdict: PairVerdict;
  /** One sentence for the change message, naming the hosts. */
  summary: string;
  primary: HostAssessment;
  secondary: HostAssessment;
}

export function assessPair(
  primaryHost: HostEvidence,
  secondaryHost: HostEvidence,
  options: DecisionOptions = {},
): PairAssessment {
  const primary = assessHost(primaryHost, options);
  const secondary = assessHost(secondaryHost, options);
  const p = primary.verdict;
  const s = secondary.verdict;
  const result = (verdict: PairVerdict, summary: string): PairAssessment => ({
    verdict,
    summary,
    primary,
    secondary,
  });
  if (p === "primary-active" && s === "primary-active") {
    return result(
      "both-claim-primary",
      `SPLIT BRAIN: both ${primary.host} and ${secondary.host} claim to be the active EM. The lock files are not shared (or the share does not honour locks): stop one EM now`,
    );
  }
  if (p === "primary-active" && s === "standing-by") {
    return result(
      "primary-active-secondary-standing-by",
      `${primary.host} is the active EM; ${secondary.host} stands by on secondary_em.lck`,
    );
  }
  if (s === "primary-active" && p === "standing-by") {
    return result(
      "roles-swapped",
      `${secondary.host} (the secondary) is active and ${primary.host} (the primary) stands by`,
    );
  }
  if (p === "primary-active")
    return result(
      "primary-active",
      `${primary.host} is the active EM; ${secondary.host}: ${secondary.reason}`,
    );
  if (s === "primary-active")
    return result(
      "secondary-active",
      `${secondary.host} (the secondary) is the active EM; ${primary.host}: ${primary.reason}`,
    );
  if (p === "not-started" && s === "not-started") return result("not-started", "neither EM is running");
  return result(
    "unknown",
    `no EM is proven active: ${primary.host}: ${primary.reason}; ${secondary.host}: ${secondary.reason}`,
  );
}

export type FailoverStage = "primary-started" | "secondary-started";

export interface StageJudgement {
  outcome: "proven" | "pending" | "failed";
  reason: string;
  pair: PairAssessment;
}

/** Whether a wait of the procedure is over: after starting the primary, after starting the secondary. */
export function judgeStage(stage: FailoverStage, pair: PairAssessment): StageJudgement {
  const judged = (outcome: StageJudgement["outcome"], reason: string): StageJudgement => ({
    outcome,
    reason,
    pair,
  });
  if (pair.verdict === "both-claim-primary") return judged("failed", pair.summary);
  if (pair.secondary.verdict === "primary-active") {
    return judged(
      "failed",
      `${pair.secondary.host} (the secondary) holds the primary lock: it started first, or the hosts do not share config`,
    );
  }
  switch (stage) {
    case "primary-started":
      return pair.primary.verdict === "primary-active"
        ? judged("proven", `${pair.primary.host} holds primary_em.lck: it is the active EM`)
        : judged("pending", `${pair.primary.host}: ${pair.primary.reason}`);
    case "secondary-started":
      if (pair.primary.verdict === "not-started") {
        return judged("failed", `${pair.primary.host} (the primary) stopped while the secondary started`);
      }
      if (pair.verdict === "primary-active-secondary-standing-by") return judged("proven", pair.summary);
      return judged("pending", `${pair.secondary.host}: ${pair.secondary.reason}`);
    default: {
      const unhandled: never = stage;
      throw new Error(`unknown stage ${String(unhandled)}`);
    }
  }
}

export interface HostJudgement {
  outcome: "proven" | "pending" | "failed";
  reason: string;
  assessment: HostAssessment;
}

/**
 * A host's own wait after its start, from its own evidence (the runner sees one host): the
 * primary must hold the primary lock, the secondary must stand by. Failed at once when the
 * evidence says the wait cannot end well: the primary stands by while another process holds the
 * primary lock (the secondary started first), or the secondary took the primary lock (the
 * primary is not running, or the hosts do not share config). The pair's verdict (assessPair,
 * judgeStage) is the bot's, from both hosts' evidence.
 */
export function judgeHost(
  role: "primary" | "secondary",
  assessment: HostAssessment,
  evidence: HostEvidence,
): HostJudgement {
  const judged = (outcome: HostJudgement["outcome"], reason: string): HostJudgement => ({
    outcome,
    reason,
    assessment,
  });
  const { host, verdict } = assessment;
  if (role === "primary") {
    if (verdict === "primary-active")
      return judged("proven", `${host} is the active EM: ${assessment.reason}`);
    const lock = evidence.primaryLock;
    if (verdict === "standing-by" && lock.state === "held" && lock.holder === "another-process") {
      return judged(
        "failed",
        `${host} (the primary) stands by: another EM${lock.pid === null ? "" : ` (pid ${lock.pid})`} holds primary_em.lck, so the secondary started first or a stray EM runs`,
      );
    }
    return judged("pending", `${host}: ${assessment.reason}`);
  }
  if (verdict === "standing-by") return judged("proven", `${host} stands by: ${assessment.reason}`);
  if (verdict === "primary-active") {
    return judged(
      "failed",
      `${host} (the secondary) holds the primary lock: the primary is not running, or the hosts do not share config`,
    );
  }
  return judged("pending", `${host}: ${assessment.reason}`);
}
