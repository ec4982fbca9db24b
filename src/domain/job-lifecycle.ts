// A runner job's lifecycle: the only place that decides which move of a job is legal. Pure, like
// record.ts for changes: dispatch/queue.ts reads a job's row, calls jobTransition() and writes what
// comes back (or answers the denial); it never decides a state itself.
//
//   queued ──lease (handed to its runner, before its TTL)──► leased
//   leased ──step event (the next one) | heartbeat──► leased, its lease extended
//   leased ──result──► done                  done ──the same result again──► done (a duplicate)
//   leased ──lease ran out──► lost           execute and rollback: at most once, the next pre-flight decides
//   leased ──lease ran out──► queued         the read-only re-offer: preflight or verify, first attempt, TTL not passed
//   queued ──TTL ran out──► expired
//
// A step event already recorded (a retried POST) is a duplicate in any state: the runner's retry
// is answered, not refused. Times are epoch milliseconds, passed in: the function reads no clock.
import type { JobKind } from "./job.ts";

export const JOB_STATES = ["queued", "leased", "done", "lost", "expired"] as const;
export type JobState = (typeof JOB_STATES)[number];
/** The states a job never leaves: its result was reported, its lease ran out for good, or its TTL. */
export const FINISHED_JOB_STATES: readonly JobState[] = ["done", "lost", "expired"];

/** Kinds that change nothing on the host, and may therefore be offered a second time. */
export const READ_ONLY_KINDS: readonly JobKind[] = ["preflight", "verify"];
/** Hand-overs a read-only job may have: the first, and one re-offer. */
export const MAX_READ_ONLY_ATTEMPTS = 2;

/** What the lifecycle reads and writes of a job: its row's lifecycle columns. */
export interface JobLife {
  kind: JobKind;
  state: JobState;
  /** Hand-overs so far. */
  attempts: number;
  /** The last step event recorded in this attempt (each attempt numbers its events from 1). */
  lastEventSeq: number;
  expiresAtMs: number;
  leasedAtMs: number | null;
  leaseUntilMs: number | null;
  finishedAtMs: number | null;
  /** The result as the runner reported it (its JSON text): the same report again is a duplicate. */
  report: string | null;
}

export type JobEvent =
  | { type: "lease"; now: number; leaseMs: number }
  | { type: "step"; seq: number; now: number; leaseMs: number }
  | { type: "heartbeat"; now: number; leaseMs: number }
  | { type: "result"; report: string; now: number }
  | { type: "lease-ran-out"; now: number }
  | { type: "ttl-ran-out"; now: number };

/** What an accepted event did. */
export type JobMove =
  | "leased"
  | "step-recorded"
  | "lease-extended"
  | "finished"
  | "duplicate"
  | "lost"
  | "reoffered"
  | "expired";

export type JobDenialCode =
  /** A step, heartbeat or result for a job that is not running (lost, done, expired, never handed over). */
  | "not-running"
  /** A step event ahead of the next one expected. */
  | "out-of-order"
  /** A lease of a job that is not queued, or whose TTL has passed. */
  | "not-offered"
  /** A lease or TTL that has not run out (the sweep read a row that moved meanwhile). */
  | "not-due";

export type JobTransition =
  | { ok: true; move: JobMove; life: JobLife }
  | { ok: false; code: JobDenialCode; reason: string };

/** Why a job that is not leased takes no step event, heartbeat or result; one sentence. */
export function notRunningReason(state: JobState): string {
  switch (state) {
    case "lost":
      return "the job's lease ran out and it was reported lost; the next pre-flight decides";
    case "done":
      return "the job's result was already reported";
    case "expired":
      return "the job expired before it was picked up";
    case "queued":
      return "the job was not handed to this runner";
    case "leased":
      return "the job is running";
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** Whether a job whose lease ran out at `now` is offered once more rather than reported lost. */
export function reofferable(life: JobLife, now: number): boolean {
  return (
    READ_ONLY_KINDS.includes(life.kind) && life.attempts < MAX_READ_ONLY_ATTEMPTS && life.expiresAtMs >= now
  );
}

const deny = (code: JobDenialCode, reason: string): JobTransition => ({ ok: false, code, reason });
const moved = (move: JobMove, life: JobLife): JobTransition => ({ ok: true, move, life });

export function jobTransition(life: JobLife, event: JobEvent): JobTransition {
  switch (event.type) {
    case "lease": {
      if (life.state !== "queued") return deny("not-offered", `the job is ${life.state}, not queued`);
      if (life.expiresAtMs < event.now) return deny("not-offered", "the job's TTL has passed");
      const leaseUntilMs = event.now + event.leaseMs;
      return moved("leased", {
        ...life,
        state: "leased",
        attempts: life.attempts + 1,
        leasedAtMs: event.now,
        leaseUntilMs,
      });
    }
    case "step": {
      if (event.seq <= life.lastEventSeq) return moved("duplicate", life);
      if (life.state !== "leased") return deny("not-running", notRunningReason(life.state));
      const expected = life.lastEventSeq + 1;
      if (event.seq !== expected) {
        return deny("out-of-order", `step event ${event.seq} arrived before event ${expected}`);
      }
      return moved("step-recorded", {
        ...life,
        lastEventSeq: event.seq,
        leaseUntilMs: event.now + event.leaseMs,
      });
    }
    case "heartbeat":
      if (life.state !== "leased") return deny("not-running", notRunningReason(life.state));
      return moved("lease-extended", { ...life, leaseUntilMs: event.now + event.leaseMs });
    case "result":
      if (life.state === "done" && life.report === event.report) return moved("duplicate", life);
      if (life.state !== "leased") return deny("not-running", notRunningReason(life.state));
      return moved("finished", { ...life, state: "done", finishedAtMs: event.now, report: event.report });
    case "lease-ran-out": {
      if (life.state !== "leased" || life.leaseUntilMs === null || life.leaseUntilMs >= event.now) {
        return deny("not-due", "the job holds no lease that has run out");
      }
      // A second attempt numbers its events from 1 again (events are kept per attempt).
      if (reofferable(life, event.now)) {
        return moved("reoffered", {
          ...life,
          state: "queued",
          leaseUntilMs: null,
          finishedAtMs: null,
          lastEventSeq: 0,
        });
      }
      return moved("lost", { ...life, state: "lost", leaseUntilMs: null, finishedAtMs: event.now });
    }
    case "ttl-ran-out":
      if (life.state !== "queued" || life.expiresAtMs >= event.now) {
        return deny("not-due", "the job is not a queued job past its TTL");
      }
      return moved("expired", { ...life, state: "expired", finishedAtMs: event.now });
    default: {
      const never: never = event;
      return never;
    }
  }
}
