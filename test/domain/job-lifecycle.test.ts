import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JOB_KINDS, type JobKind } from "../../src/domain/job.ts";
import {
  JOB_STATES,
  type JobEvent,
  type JobLife,
  type JobState,
  jobTransition,
} from "../../src/domain/job-lifecycle.ts";

const NOW = 1_000_000;
const LEASE = 60_000;

function life(state: JobState, overrides: Partial<JobLife> = {}): JobLife {
  const leased = state === "leased";
  return {
    kind: "execute",
    state,
    attempts: state === "queued" ? 0 : 1,
    lastEventSeq: 0,
    expiresAtMs: NOW + 15 * 60_000,
    leasedAtMs: state === "queued" ? null : NOW - 10_000,
    leaseUntilMs: leased ? NOW + 30_000 : null,
    finishedAtMs: state === "done" || state === "lost" || state === "expired" ? NOW - 1 : null,
    report: state === "done" ? '{"ok":true}' : null,
    ...overrides,
  };
}

const lease: JobEvent = { type: "lease", now: NOW, leaseMs: LEASE };
const step = (seq: number): JobEvent => ({ type: "step", seq, now: NOW, leaseMs: LEASE });
const heartbeat: JobEvent = { type: "heartbeat", now: NOW, leaseMs: LEASE };
const result = (report = '{"ok":true}'): JobEvent => ({ type: "result", report, now: NOW });
const leaseRanOut: JobEvent = { type: "lease-ran-out", now: NOW };
const ttlRanOut: JobEvent = { type: "ttl-ran-out", now: NOW };

const ranOut = { leaseUntilMs: NOW - 1 };
const pastTtl = { expiresAtMs: NOW - 1 };

// One row per case a reviewer can read top to bottom: the job before, the event, what happens.
// `to` is the state after an accepted event; a denial names its code and a word of its reason.
const TABLE: [
  string,
  JobLife,
  JobEvent,
  { move: string; to: JobState } | { denied: string; says: string },
][] = [
  // lease to a runner
  ["a queued job is leased", life("queued"), lease, { move: "leased", to: "leased" }],
  [
    "a queued job past its TTL is not leased",
    life("queued", pastTtl),
    lease,
    { denied: "not-offered", says: "TTL" },
  ],
  ["a leased job is not leased twice", life("leased"), lease, { denied: "not-offered", says: "leased" }],
  ["a finished job is not leased again", life("done"), lease, { denied: "not-offered", says: "done" }],
  // step events
  ["the next step event is recorded", life("leased"), step(1), { move: "step-recorded", to: "leased" }],
  [
    "a step event already recorded is a duplicate",
    life("leased", { lastEventSeq: 2 }),
    step(2),
    { move: "duplicate", to: "leased" },
  ],
  [
    "a retried step event after the job was lost is still a duplicate",
    life("lost", { lastEventSeq: 3 }),
    step(1),
    { move: "duplicate", to: "lost" },
  ],
  [
    "a step event ahead of the next is refused",
    life("leased", { lastEventSeq: 1 }),
    step(3),
    { denied: "out-of-order", says: "before event 2" },
  ],
  [
    "a step event for a lost job is refused",
    life("lost"),
    step(1),
    { denied: "not-running", says: "reported lost" },
  ],
  [
    "a step event for a queued job is refused",
    life("queued"),
    step(1),
    { denied: "not-running", says: "not handed" },
  ],
  // heartbeats
  ["a heartbeat extends a lease", life("leased"), heartbeat, { move: "lease-extended", to: "leased" }],
  [
    "a heartbeat for a finished job is refused",
    life("done"),
    heartbeat,
    { denied: "not-running", says: "already reported" },
  ],
  [
    "a heartbeat for an expired job is refused",
    life("expired"),
    heartbeat,
    { denied: "not-running", says: "expired" },
  ],
  // results
  ["a result finishes a leased job", life("leased"), result(), { move: "finished", to: "done" }],
  ["the same result again is a duplicate", life("done"), result(), { move: "duplicate", to: "done" }],
  [
    "another result for a finished job is refused",
    life("done"),
    result('{"ok":false}'),
    { denied: "not-running", says: "already reported" },
  ],
  [
    "a result for a lost job is refused: the next pre-flight decides",
    life("lost"),
    result(),
    { denied: "not-running", says: "next pre-flight" },
  ],
  // the lease runs out
  [
    "an execute job whose lease ran out is lost",
    life("leased", ranOut),
    leaseRanOut,
    { move: "lost", to: "lost" },
  ],
  [
    "a rollback job whose lease ran out is lost",
    life("leased", { ...ranOut, kind: "rollback" }),
    leaseRanOut,
    { move: "lost", to: "lost" },
  ],
  [
    "a pre-flight whose lease ran out is offered once more",
    life("leased", { ...ranOut, kind: "preflight" }),
    leaseRanOut,
    { move: "reoffered", to: "queued" },
  ],
  [
    "a verify whose lease ran out is offered once more",
    life("leased", { ...ranOut, kind: "verify" }),
    leaseRanOut,
    { move: "reoffered", to: "queued" },
  ],
  [
    "a pre-flight on its second attempt is lost",
    life("leased", { ...ranOut, kind: "preflight", attempts: 2 }),
    leaseRanOut,
    { move: "lost", to: "lost" },
  ],
  [
    "a pre-flight past its TTL is lost, not offered again",
    life("leased", { ...ranOut, ...pastTtl, kind: "preflight" }),
    leaseRanOut,
    { move: "lost", to: "lost" },
  ],
  [
    "a lease still running has not run out",
    life("leased"),
    leaseRanOut,
    { denied: "not-due", says: "no lease" },
  ],
  [
    "a queued job holds no lease to run out",
    life("queued"),
    leaseRanOut,
    { denied: "not-due", says: "no lease" },
  ],
  // the TTL runs out
  [
    "a queued job past its TTL expires",
    life("queued", pastTtl),
    ttlRanOut,
    { move: "expired", to: "expired" },
  ],
  [
    "a queued job before its TTL does not expire",
    life("queued"),
    ttlRanOut,
    { denied: "not-due", says: "TTL" },
  ],
  [
    "a leased job does not expire: its lease decides",
    life("leased", pastTtl),
    ttlRanOut,
    { denied: "not-due", says: "TTL" },
  ],
];

describe("the job lifecycle", () => {
  it.each(TABLE)("%s", (_name, before, event, expected) => {
    const outcome = jobTransition(before, event);
    if ("denied" in expected) {
      expect(outcome).toMatchObject({ ok: false, code: expected.denied });
      expect(outcome.ok ? "" : outcome.reason).toContain(expected.says);
    } else {
      expect(outcome).toMatchObject({ ok: true, move: expected.move, life: { state: expected.to } });
    }
  });

  it("a lease counts the attempt and runs for the lease from now", () => {
    expect(jobTransition(life("queued"), lease)).toMatchObject({
      ok: true,
      life: { attempts: 1, leasedAtMs: NOW, leaseUntilMs: NOW + LEASE },
    });
  });

  it("a step event and a heartbeat both extend the lease from now", () => {
    for (const event of [step(1), heartbeat]) {
      expect(jobTransition(life("leased"), event)).toMatchObject({
        ok: true,
        life: { leaseUntilMs: NOW + LEASE },
      });
    }
  });

  it("a re-offered job numbers its events from 1 again and keeps its attempt count", () => {
    const outcome = jobTransition(
      life("leased", { ...ranOut, kind: "verify", lastEventSeq: 4 }),
      leaseRanOut,
    );
    expect(outcome).toMatchObject({
      ok: true,
      life: { state: "queued", attempts: 1, lastEventSeq: 0, leaseUntilMs: null, finishedAtMs: null },
    });
  });

  it("a lost job keeps the events it recorded and is finished now", () => {
    const outcome = jobTransition(life("leased", { ...ranOut, lastEventSeq: 4 }), leaseRanOut);
    expect(outcome).toMatchObject({
      ok: true,
      life: { lastEventSeq: 4, leaseUntilMs: null, finishedAtMs: NOW },
    });
  });

  it("a finished job keeps the report it finished with", () => {
    const outcome = jobTransition(life("leased"), result('{"ok":false,"failedIndex":2}'));
    expect(outcome).toMatchObject({
      ok: true,
      life: { report: '{"ok":false,"failedIndex":2}', finishedAtMs: NOW },
    });
  });

  it("takes every state, kind and event without throwing; a duplicate changes nothing, and only a lease, a result, a loss, a re-offer or an expiry changes a state", () => {
    const events = fc.oneof(
      fc.constant(lease),
      fc.integer({ min: 0, max: 5 }).map(step),
      fc.constant(heartbeat),
      fc.constantFrom(result(), result('{"ok":false}')),
      fc.constant(leaseRanOut),
      fc.constant(ttlRanOut),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...JOB_STATES),
        fc.constantFrom<JobKind>(...JOB_KINDS),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -2, max: 2 }),
        events,
        (state, kind, seq, shift, event) => {
          const before = life(state, {
            kind,
            lastEventSeq: seq,
            expiresAtMs: NOW + shift,
            leaseUntilMs: state === "leased" ? NOW + shift : null,
          });
          const outcome = jobTransition(before, event);
          if (outcome.ok && outcome.move === "duplicate") expect(outcome.life).toEqual(before);
          if (outcome.ok && outcome.life.state !== before.state) {
            // Only these moves change a state; every other accepted event leaves it.
            expect(["leased", "finished", "lost", "reoffered", "expired"]).toContain(outcome.move);
          }
        },
      ),
    );
  });
});
