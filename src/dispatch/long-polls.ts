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

export function createLongPolls(options: LongPollOptions) {
  const waiters = new Map<string, Waiter[]>();

  const handOver = (stored: StoredJob): PollAnswer => ({
    type: "job",
    wire: stored.wire,
    leaseMs: options.leaseMs,
  });

  function remove(waiter: Waiter): void {
    const list = waiters.get(waiter.runner);
    if (list === undefined) return;
    const at = list.indexOf(waiter);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) waiters.delete(waiter.runner);
  }

  /** Parks a long-poll for `waitMs`; answered `nothing` when it runs out. Returns what to call when the client goes. */
  function park(p: {
    runner: string;
    credential: string;
    waitMs: number;
    alive: () => boolean;
    answer: (a: PollAnswer) => void;
  }): () => void {
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
    const list = waiters.get(p.runner) ?? [];
    list.push(waiter);
    waiters.set(p.runner, list);
    cancelTimer = options.scheduler.after(p.waitMs, () => {
      remove(waiter);
      p.answer({ type: "nothing" });
    });
    return () => {
      remove(waiter);
      cancelTimer();
    };
  }

  /** Leases `name`'s oldest queued job for its newest live waiter, if both exist (database work only). */
  function claim(name: string): Claim | null {
    const list = waiters.get(name);
    while (list !== undefined && list.length > 0) {
      const waiter = list[list.length - 1]!;
      if (!waiter.alive()) {
        remove(waiter);
        continue;
      }
      const auth = options.authenticate(waiter.credential);
      if (!auth.ok) {
        remove(waiter);
        waiter.finish({ type: "refused", error: auth.error });
        continue;
      }
      const stored = options.take(name, servesHost(auth.runner));
      if (stored === null) return null;
      remove(waiter);
      return { waiter, stored };
    }
    return null;
  }

  /** Answers a claim's waiter with its job; call once the claim's transaction is committed. */
  function deliver(claimed: Claim | null): void {
    if (claimed === null) return;
    const { waiter, stored } = claimed;
    waiter.finish(handOver(stored));
    options.handedOver(stored.job, waiter.runner);
  }

  /** Ends every long-poll of `name` (revoked), or of everyone (the bot stopping). */
  function end(answer: PollAnswer, name?: string): void {
    const lists = name === undefined ? [...waiters.values()] : [waiters.get(name) ?? []];
    for (const list of lists) {
      for (const waiter of [...list]) {
        remove(waiter);
        waiter.finish(answer);
      }
    }
  }

  return {
    handOver,
    park,
    claim,
    deliver,
    wake: (name: string) => deliver(claim(name)),
    end,
    isPolling: (name: string) => (waiters.get(name)?.length ?? 0) > 0,
    /** The runners holding a long-poll open now. */
    runners: () => [...waiters.keys()],
  };
}

export type LongPolls = ReturnType<typeof createLongPolls>;
