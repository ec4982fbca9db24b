// The evidence a runner collects on one MOM host after starting its EM, and what each piece says
// as a fact with its source. Hot failover (Broadcom KB 143526): the active EM holds an exclusive
// `FileChannel.lock` on `config/internal/server/primary_em.lck`; the one that waits holds
// `secondary_em.lck` and polls the primary lock; the shared log says so in `[Manager.HotFailover]`
// lines. failover-decision.ts turns this evidence into "primary active", "standing by", ...
//
// What it must keep true:
// - Every observation carries its source (which probe, which file, which line) and says
//   "unknown" when the probe could not tell: an unknown is never shown as a definite fact.
// - The lock is the primary evidence; log lines and the agent port only support it. Log wording
//   differs between EM versions, so the patterns are data (DEFAULT_LOG_PATTERNS, configurable),
//   matched as plain case-insensitive substrings (no regular expressions from configuration).
// - The log lines given are the ones written since the EM was started (the runner notes the
//   log's size before the start): a shared log holds both EMs' lines, and older lines say
//   nothing about this start.
// - `hostEvidenceSchema` is the one shape check where evidence crosses from runner to bot.
//
// Use: the runner fills `HostEvidence` (service probe, lock probe per lock file, log tail,
// optional port probe); the bot validates it with `hostEvidenceSchema` and calls
// failover-decision.ts.
import { z } from "zod";

/** Relative to EM_HOME, with `/` (the runner joins them for its platform). */
export const LOCK_FILES = {
  primary: "config/internal/server/primary_em.lck",
  secondary: "config/internal/server/secondary_em.lck",
} as const;

const text = (max: number) => z.string().max(max);

/** A matched log line is cut here, and a runner sends at most this many (the latest). */
export const MATCHED_LINE_MAX = 500;
export const MATCHED_LINES_MAX = 40;

/**
 * Who holds a lock, as far as the probe can tell. `this-em`: a process of this host's EM service
 * (the service's process or one of its children). `another-process`: someone else (on a real host,
 * a second EM or a stray process; in the one-machine sandbox, the other host's EM).
 * `unidentified`: held, holder unknown (e.g. a Windows read that fails with a lock violation
 * sees any holder, on either host).
 */
export const LOCK_HOLDERS = ["this-em", "another-process", "unidentified"] as const;

export const lockObservationSchema = z.discriminatedUnion("state", [
  z.strictObject({
    state: z.literal("held"),
    holder: z.enum(LOCK_HOLDERS),
    pid: z.number().int().positive().nullable(),
    source: text(500),
    detail: text(1000),
  }),
  z.strictObject({ state: z.literal("not-held"), source: text(500), detail: text(1000) }),
  z.strictObject({ state: z.literal("unknown"), source: text(500), detail: text(1000) }),
]);
export type LockObservation = z.infer<typeof lockObservationSchema>;

export const serviceObservationSchema = z.strictObject({
  state: z.enum(["running", "stopped", "unknown"]),
  source: text(500),
  detail: text(1000),
});
export type ServiceObservation = z.infer<typeof serviceObservationSchema>;

export const logObservationSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("read"),
    path: text(4096),
    /** 1-based line number of `lines[0]` in the file. */
    firstLine: z.number().int().min(1),
    lines: z.array(text(4000)).max(5000),
  }),
  /**
   * What a runner sends: only the lines since the start (from byte `fromByte`) that match a
   * failover pattern, numbered from there, the latest ones when there are many. The log itself may
   * be hundreds of megabytes; these lines are what the decision reads.
   */
  z.strictObject({
    kind: z.literal("matched"),
    path: text(4096),
    fromByte: z.number().int().min(0),
    /** Lines read since `fromByte`. */
    scanned: z.number().int().min(0),
    matches: z
      .array(z.strictObject({ line: z.number().int().min(1), text: text(MATCHED_LINE_MAX) }))
      .max(MATCHED_LINES_MAX),
  }),
  z.strictObject({ kind: z.literal("unreadable"), path: text(4096), reason: text(1000) }),
]);
export type LogObservation = z.infer<typeof logObservationSchema>;

export const portObservationSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  listening: z.boolean().nullable(),
  source: text(500),
  detail: text(1000),
});
export type PortObservation = z.infer<typeof portObservationSchema>;

export const hostEvidenceSchema = z.strictObject({
  host: z.string().min(1).max(255),
  service: serviceObservationSchema,
  primaryLock: lockObservationSchema,
  secondaryLock: lockObservationSchema,
  log: logObservationSchema.optional(),
  agentPort: portObservationSchema.optional(),
});
export type HostEvidence = z.infer<typeof hostEvidenceSchema>;

// ---------------------------------------------------------------------------------------------
// Log lines

export const LOG_EVENTS = [
  "configured-primary",
  "configured-secondary",
  "acquiring-secondary",
  "acquired-secondary",
  "acquiring-primary",
  "acquired-primary",
  "released-secondary",
  "proceeding",
  "yielding",
] as const;
export type LogEvent = (typeof LOG_EVENTS)[number];

export interface LogPattern {
  event: LogEvent;
  /** A plain substring, matched case-insensitively. */
  text: string;
}

export const logPatternsSchema = z
  .array(z.strictObject({ event: z.enum(LOG_EVENTS), text: z.string().trim().min(3).max(200) }))
  .min(1)
  .max(50);

/**
 * KB 143526's lines (EM 10.x), the primary's start in the KB's order; `configured-secondary` and
 * `yielding` are worded as in CA's own public failover test code (not in the KB: unconfirmed).
 */
export const DEFAULT_LOG_PATTERNS: readonly LogPattern[] = [
  { event: "configured-primary", text: "The Introscope Enterprise Manager is configured as a Primary EM" },
  {
    event: "configured-secondary",
    text: "The Introscope Enterprise Manager is configured as a Secondary EM",
  },
  { event: "acquiring-secondary", text: "Acquiring secondary lock" },
  { event: "acquired-secondary", text: "Acquired secondary lock" },
  { event: "acquiring-primary", text: "Acquiring primary lock" },
  { event: "acquired-primary", text: "Acquired primary lock" },
  { event: "released-secondary", text: "Released secondary lock" },
  { event: "proceeding", text: "Proceeding with startup" },
  { event: "yielding", text: "Shutting down because a Primary EM is waiting to start" },
];

export interface LogMatch {
  event: LogEvent;
  /** 1-based line in the log file. */
  line: number;
  text: string;
}

/** The failover lines of the log, in order; a line matching several patterns counts once (the first). */
export function matchLog(
  log: LogObservation,
  patterns: readonly LogPattern[] = DEFAULT_LOG_PATTERNS,
): LogMatch[] {
  if (log.kind === "unreadable") return [];
  const lowered = patterns.map((p) => ({ event: p.event, text: p.text.toLowerCase() }));
  const numbered =
    log.kind === "matched"
      ? log.matches
      : log.lines.map((line, i) => ({ line: log.firstLine + i, text: line }));
  const matches: LogMatch[] = [];
  for (const { line, text: content } of numbered) {
    const lower = content.toLowerCase();
    const found = lowered.find((p) => lower.includes(p.text));
    if (found) matches.push({ event: found.event, line, text: content.trim() });
  }
  return matches;
}

export type LogClaim = "primary" | "standby" | "none";

/** What an event says about the EM's role, when it says anything. */
function claimOf(event: LogEvent): LogClaim | null {
  switch (event) {
    case "acquired-primary":
    case "proceeding":
      return "primary";
    case "acquired-secondary":
      return "standby";
    case "yielding":
      return "none";
    case "configured-primary":
    case "configured-secondary":
    case "acquiring-secondary":
    case "acquiring-primary":
    case "released-secondary":
      return null;
    default: {
      const unhandled: never = event;
      throw new Error(`unknown log event ${String(unhandled)}`);
    }
  }
}

/**
 * The role the log claims: the last event that says one. A primary logs `Acquired secondary lock`
 * before `Acquired primary lock` (KB 143526), and a standby that takes over logs the primary
 * lines after its secondary ones, so the last claim is the current one.
 */
export function logClaim(matches: readonly LogMatch[]): { claim: LogClaim; match?: LogMatch } {
  for (let i = matches.length - 1; i >= 0; i -= 1) {
    const match = matches[i] as LogMatch;
    const claim = claimOf(match.event);
    if (claim !== null) return { claim, match };
  }
  return { claim: "none" };
}

// ---------------------------------------------------------------------------------------------
// Facts

export interface EvidenceFact {
  host: string;
  about: "service" | "primary-lock" | "secondary-lock" | "log" | "agent-port";
  says: string;
  source: string;
  /** `primary`: the lock, what the verdict rests on; `supporting`: everything else. */
  weight: "primary" | "supporting";
}

function lockFact(
  host: string,
  about: "primary-lock" | "secondary-lock",
  lock: LockObservation,
): EvidenceFact {
  const file = about === "primary-lock" ? "primary_em.lck" : "secondary_em.lck";
  const says = (() => {
    switch (lock.state) {
      case "held":
        switch (lock.holder) {
          case "this-em":
            return `${file} is held by this host's EM${lock.pid === null ? "" : ` (pid ${lock.pid})`}`;
          case "another-process":
            return `${file} is held by ${lock.pid === null ? "a process" : `pid ${lock.pid}`}, not this host's EM`;
          case "unidentified":
            return `${file} is held (the probe cannot tell by whom)`;
          default: {
            const unhandled: never = lock.holder;
            return String(unhandled);
          }
        }
      case "not-held":
        return `${file} is not held`;
      case "unknown":
        return `${file}: cannot tell (${lock.detail})`;
      default: {
        const unhandled: never = lock;
        return String(unhandled);
      }
    }
  })();
  return { host, about, says, source: lock.source, weight: "primary" };
}

/** Each observation of one host as a fact a person can check at its source. */
export function evidenceFacts(evidence: HostEvidence, matches: readonly LogMatch[]): EvidenceFact[] {
  const { host, service } = evidence;
  const facts: EvidenceFact[] = [
    {
      host,
      about: "service",
      says:
        service.state === "unknown"
          ? `EM service state unknown (${service.detail})`
          : `EM service ${service.state}`,
      source: service.source,
      weight: "supporting",
    },
    lockFact(host, "primary-lock", evidence.primaryLock),
    lockFact(host, "secondary-lock", evidence.secondaryLock),
  ];
  const log = evidence.log;
  if (log?.kind === "unreadable") {
    facts.push({
      host,
      about: "log",
      says: `the EM log could not be read (${log.reason})`,
      source: log.path,
      weight: "supporting",
    });
  } else if (log) {
    const shown = matches.slice(-3);
    facts.push({
      host,
      about: "log",
      says:
        shown.length === 0
          ? "the EM log shows none of the failover lines since the start"
          : `the EM log says ${shown.map((m) => `\`${m.text}\` (line ${m.line})`).join(", ")}`,
      source:
        log.kind === "matched"
          ? `${log.path}, from byte ${log.fromByte} (where it ended before this start; lines counted from there)`
          : log.path,
      weight: "supporting",
    });
  }
  const port = evidence.agentPort;
  if (port) {
    facts.push({
      host,
      about: "agent-port",
      says:
        port.listening === null
          ? `agent port ${port.port}: cannot tell (${port.detail})`
          : `agent port ${port.port} is ${port.listening ? "" : "not "}listening`,
      source: port.source,
      weight: "supporting",
    });
  }
  return facts;
}
