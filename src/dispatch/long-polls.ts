// The long-polls runners hold open (GET /v1/jobs/next?wait=...), parked in memory until a job is
// queued for them or their wait runs out: a queued job reaches a waiting runner at once, never at
// its next poll. Whoever queues a job (enqueue, or a JobSignals wake-up from another process)
// claims it here for the runner's newest live waiter. A claim is the database work only (enqueue
// passes the insert that queues the job, so queueing and leasing are one commit); its answer goes
// out with deliver() once that is committed: the row first, then the wire. A waiter being claimed
// is set aside while the store works (busy), so two claims at once never both lease a job for it,
// and its wait running out meanwhile answers it only if the claim found nothing.

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
  /** A claim for it is waiting on the store. */
  busy: boolean;
  /** Its wait ran out while busy: answer "nothing" if the claim finds no job. */
  timedOut: boolean;
}

/** Leases a job for a runner's waiter: the queue's take, or enqueue's insert-and-lease. */
export type Take = (runner: string, serves: (host: string) => boolean) => Promise<StoredJob | null>;

/** A queued job leased for a parked waiter, not yet answered. */
export interface Claim {
  waiter: Waiter;
  stored: StoredJob;
}

export interface LongPollOptions {
  /** Re-checks a waiter's credential before a hand-over: a revocation by another process stops it too. */
  authenticate: (credential: string) => Promise<AuthOutcome>;
  /** Leases the runner's oldest queued job for a host it serves (queue.ts take). */
  take: Take;
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
  const claim = (name: string, take?: Take) => claimFor(state, name, take ?? options.take);
  const deliver = (claimed: Claim | null) => deliverClaim(state, claimed);
  return {
    handOver: (stored: StoredJob) => handOver(state, stored),
    park: (p: ParkRequest) => park(state, p),
    claim,
    deliver,
    wake: async (name: string) => deliver(await claim(name)),
    end: (answer: PollAnswer, name?: string) => end(state, answer, name),
    isPolling: (name: string) => (state.waiters.get(name)?.length ?? 0) > 0,
    /** Whether `name` has a waiter no claim is working on (one a job could go to now). */
    hasFreeWaiter: (name: string) => freeWaiter(state, name) !== undefined,
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
    busy: false,
    timedOut: false,
  };
  const list = state.waiters.get(p.runner) ?? [];
  list.push(waiter);
  state.waiters.set(p.runner, list);
  cancelTimer = state.options.scheduler.after(p.waitMs, () => {
    if (waiter.busy) {
      waiter.timedOut = true;
      return;
    }
    remove(state, waiter);
    p.answer({ type: "nothing" });
  });
  return () => {
    remove(state, waiter);
    cancelTimer();
  };
}

/** The newest live waiter of `name` no claim is working on; dead ones are dropped on the way. */
function freeWaiter(state: LongPollState, name: string): Waiter | undefined {
  const list = state.waiters.get(name) ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const waiter = list[i]!;
    if (!waiter.alive()) {
      remove(state, waiter);
      continue;
    }
    if (!waiter.busy) return waiter;
  }
  return undefined;
}

/** Leases a job with `take` for `name`'s newest free live waiter, if both exist (database work only). */
async function claimFor(state: LongPollState, name: string, take: Take): Promise<Claim | null> {
  for (let waiter = freeWaiter(state, name); waiter !== undefined; waiter = freeWaiter(state, name)) {
    waiter.busy = true;
    let stored: StoredJob | null;
    try {
      const auth = await state.options.authenticate(waiter.credential);
      if (!auth.ok) {
        remove(state, waiter);
        waiter.finish({ type: "refused", error: auth.error });
        continue;
      }
      stored = await take(name, servesHost(auth.runner));
    } catch (err) {
      // The store failed: the job (if any) stays queued for the tick; a wait that ran out ends.
      if (waiter.timedOut) {
        remove(state, waiter);
        waiter.finish({ type: "nothing" });
      }
      throw err;
    } finally {
      waiter.busy = false;
    }
    if (stored !== null) {
      remove(state, waiter);
      return { waiter, stored };
    }
    if (waiter.timedOut) {
      remove(state, waiter);
      waiter.finish({ type: "nothing" });
    }
    return null;
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
