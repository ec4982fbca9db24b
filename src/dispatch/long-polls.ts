// The long-polls runners hold open (GET /v1/jobs/next?wait=...), parked in memory until a job is
// queued for them or their wait runs out: a queued job reaches a waiting runner at once, never at
// its next poll. Whoever queues a job (enqueue, or a JobSignals wake-up from another process)
// claims it here for the runner's newest live waiter. A claim is the database work only, so it may
// run inside the transaction that queued the job; its answer goes out with deliver() once that is
// committed: the row first, then the wire.

import { sameMachine } from "../domain/host.ts";
import type { Job } from "../domain/job.ts";
import type { StoredJob } from "./queue.ts";
import type { AuthOutcome, RunnerInfo } from "./registry.ts";
import type { Scheduler } from "./scheduler.ts";
import type { PollAnswer } from "./server.ts";

interface Waiter {
  runner: string;
  credential: string;
  alive: () => boolean;
  finish: (answer: PollAnswer) => void;
}

/** A queued job leased for a parked waiter, not yet answered. */
export interface Claim {
  waiter: Waiter;
  stored: StoredJob;
}

export interface LongPollOptions {
  /** Re-checks a waiter's credential before a hand-over: a revocation by another process stops it too. */
  authenticate: (credential: string) => AuthOutcome;
  /** Leases the runner's oldest queued job for a host it serves (queue.ts take). */
  take: (runner: string, serves: (host: string) => boolean) => StoredJob | null;
  scheduler: Pick<Scheduler, "after">;
  leaseMs: number;
  /** A job went out to a waiter (for the log and the dispatcher's events). */
  handedOver: (job: Job, runner: string) => void;
}

/** The hosts a runner may be handed jobs for: the machine it was registered for, however spelled. */
export const servesHost = (runner: RunnerInfo) => (host: string) => sameMachine(host, runner.host);

/** The parked waiters by runner name, newest last, and what the long-polls were given. */
interface LongPollState {
  options: LongPollOptions;
  waiters: Map<string, Waiter[]>;
}

export function createLongPolls(options: LongPollOptions) {
  const state: LongPollState = { options, waiters: new Map() };
  const claim = (name: string) => claimFor(state, name);
  const deliver = (claimed: Claim | null) => deliverClaim(state, claimed);
  return {
    handOver: (stored: StoredJob) => handOver(state, stored),
    park: (p: ParkRequest) => park(state, p),
    claim,
    deliver,
    wake: (name: string) => deliver(claim(name)),
    end: (answer: PollAnswer, name?: string) => end(state, answer, name),
    isPolling: (name: string) => (state.waiters.get(name)?.length ?? 0) > 0,
    /** The runners holding a long-poll open now. */
    runners: () => [...state.waiters.keys()],
  };
}

interface ParkRequest {
  runner: string;
  credential: string;
  waitMs: number;
  alive: () => boolean;
  answer: (a: PollAnswer) => void;
}

function handOver(state: LongPollState, stored: StoredJob): PollAnswer {
  return { type: "job", wire: stored.wire, leaseMs: state.options.leaseMs };
}

function remove(state: LongPollState, waiter: Waiter): void {
  const list = state.waiters.get(waiter.runner);
  if (list === undefined) return;
  const at = list.indexOf(waiter);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) state.waiters.delete(waiter.runner);
}

/** Parks a long-poll for `waitMs`; answered `nothing` when it runs out. Returns what to call when the client goes. */
function park(state: LongPollState, p: ParkRequest): () => void {
  let cancelTimer = () => {};
  const waiter: Waiter = {
    runner: p.runner,
    credential: p.credential,
    alive: p.alive,
    finish: (a) => {
      cancelTimer();
      p.answer(a);
    },
  };
  const list = state.waiters.get(p.runner) ?? [];
  list.push(waiter);
  state.waiters.set(p.runner, list);
  cancelTimer = state.options.scheduler.after(p.waitMs, () => {
    remove(state, waiter);
    p.answer({ type: "nothing" });
  });
  return () => {
    remove(state, waiter);
    cancelTimer();
  };
}

/** Leases `name`'s oldest queued job for its newest live waiter, if both exist (database work only). */
function claimFor(state: LongPollState, name: string): Claim | null {
  const list = state.waiters.get(name);
  while (list !== undefined && list.length > 0) {
    const waiter = list[list.length - 1]!;
    if (!waiter.alive()) {
      remove(state, waiter);
      continue;
    }
    const auth = state.options.authenticate(waiter.credential);
    if (!auth.ok) {
      remove(state, waiter);
      waiter.finish({ type: "refused", error: auth.error });
      continue;
    }
    const stored = state.options.take(name, servesHost(auth.runner));
    if (stored === null) return null;
    remove(state, waiter);
    return { waiter, stored };
  }
  return null;
}

/** Answers a claim's waiter with its job; call once the claim's transaction is committed. */
function deliverClaim(state: LongPollState, claimed: Claim | null): void {
  if (claimed === null) return;
  const { waiter, stored } = claimed;
  waiter.finish(handOver(state, stored));
  state.options.handedOver(stored.job, waiter.runner);
}

/** Ends every long-poll of `name` (revoked), or of everyone (the bot stopping). */
function end(state: LongPollState, answer: PollAnswer, name?: string): void {
  const lists = name === undefined ? [...state.waiters.values()] : [state.waiters.get(name) ?? []];
  for (const list of lists) {
    for (const waiter of [...list]) {
      remove(state, waiter);
      waiter.finish(answer);
    }
  }
}

export type LongPolls = ReturnType<typeof createLongPolls>;
