// What the dispatcher reads and writes, behind one async interface with an implementation per
// engine: SQLite (dispatch/sqlite-store.ts, the embedded default) and PostgreSQL
// (store/postgres/dispatch-store.ts, several bot replicas on one database). Both are the same
// scripts (dispatch/runner-scripts.ts, enrolment.ts, queue.ts) run by each engine's driver, so a
// rule (a job's lifecycle, a token's refusals) is decided once whichever engine holds the rows.
//
// What it keeps true: each method is one transaction, committed before its promise resolves, so a
// job is on disk before anyone is told of it; a method that hands out work (insertJob's lease,
// take, sweep) claims each row it returns for this caller alone, even with another replica
// claiming at the same instant; a failure of the engine is a StoreUnavailableError (nothing was
// written, the request may be tried again), and a refusal is a value or a DispatchError.
import type { Job, StepEvent } from "../../domain/job.ts";
import type { JobDenialCode, JobState } from "../../domain/job-lifecycle.ts";
import type { SignedJob } from "../../protocol/signing.ts";
import type { JobResult, RegisterRequest } from "../../protocol/wire.ts";
import type { RunnerToAdd } from "../enrolment.ts";
import type { RunnerRow } from "../rows.ts";

export interface StoredJob {
  job: Job;
  /** Exactly what the database holds, sent as is: the runner, not the bot, judges it. */
  wire: unknown;
  state: JobState;
  attempts: number;
}

/** A job as `job()` reads it: its row, its result and its lease. */
export type JobView = StoredJob & { result: JobResult | null; leaseUntil: string | null };

/** Why the queue did not take a runner's report: the job is unknown to it, or the lifecycle refused. */
export type QueueDenialCode = "not-found" | JobDenialCode;

/** The queue's answer to a runner's report; server.ts maps a denial's code to an HTTP status. */
export type QueueOutcome<T> = { ok: true; value: T } | { ok: false; code: QueueDenialCode; error: string };

export interface SweepResult {
  lost: Job[];
  requeued: Job[];
  expired: Job[];
}

/** A registration token to keep: its hash (never the token) and its expiry. */
export interface NewToken {
  hash: string;
  createdAt: string;
  expiresMs: number;
}

/** What exchanging a token did: the refusal, or the runner it registered. */
export type Registration =
  | { ok: true; runner: RunnerRow }
  | { ok: false; code: "bad-token" | "mismatch"; error: string };

/** Whose a credential is, and whether it was revoked (with its runner or replaced by a newer one). */
export interface CredentialOwner {
  runner: RunnerRow;
  credentialRevoked: boolean;
}

/** Hands a queued job out: to which runner, for which hosts, for how long. */
export interface LeaseRequest {
  runner: string;
  serves: (host: string) => boolean;
  nowMs: number;
  leaseMs: number;
}

export interface DispatchStore {
  /** Adds (or re-adds a revoked) runner with a registration token; throws DispatchError when taken. */
  addRunner(input: RunnerToAdd, token: NewToken): Promise<void>;
  /** Exchanges a token for the credential whose hash is given, once across every replica. */
  register(
    tokenHash: string,
    body: RegisterRequest,
    credentialHash: string,
    now: Date,
  ): Promise<Registration>;
  credentialOwner(credentialHash: string): Promise<CredentialOwner | null>;
  /** Revokes a runner, its credentials and its unused tokens; false when it was not active. */
  revoke(name: string, at: Date): Promise<boolean>;
  touch(name: string, seenMs: number): Promise<void>;
  runners(): Promise<RunnerRow[]>;
  runner(name: string): Promise<RunnerRow | null>;
  /** Registered, unrevoked runners whose host has this hostKey, by name. */
  activeRunnersOn(hostKey: string): Promise<RunnerRow[]>;

  /**
   * Queues a signed job (DispatchError `duplicate-job` when its id exists) and, given a lease,
   * leases the runner's oldest queued job for a waiter in the same commit.
   */
  insertJob(signed: SignedJob, nowMs: number, lease?: LeaseRequest): Promise<StoredJob | null>;
  /** Leases the runner's oldest live queued job for a host it serves, or null. */
  take(lease: LeaseRequest): Promise<StoredJob | null>;
  /** Which of `runners` have a job queued (the tick's fallback for a signal that never came). */
  runnersWithQueuedJobs(runners: readonly string[]): Promise<string[]>;
  recordEvent(
    runner: string,
    jobId: string,
    seq: number,
    event: StepEvent,
    nowMs: number,
    leaseMs: number,
  ): Promise<QueueOutcome<{ duplicate: boolean; job: Job }>>;
  heartbeat(
    runner: string,
    jobId: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<QueueOutcome<{ leaseUntil: string }>>;
  finish(
    runner: string,
    jobId: string,
    result: JobResult,
    nowMs: number,
  ): Promise<QueueOutcome<{ duplicate: boolean; job: Job }>>;
  /**
   * Runs out leases and expiries as of `nowMs`; each job it returns was moved by this call alone.
   * Given `renewLeasesUntilMs` (the first sweep after the store was unreachable), every leased job
   * whose lease ends sooner is first given until then: its runner could not report either.
   */
  sweep(nowMs: number, renewLeasesUntilMs?: number): Promise<SweepResult>;
  job(jobId: string): Promise<JobView | null>;
  /** Every job of one change, oldest first, with its state and result. */
  jobsOf(changeId: string): Promise<(StoredJob & { result: JobResult | null })[]>;
  /** The step events recorded for a job's latest attempt, in order. */
  events(jobId: string): Promise<StepEvent[]>;
  /** Closes what this store opened (a database path, a pool); an adopted one stays open. */
  close(): Promise<void>;
}
