// One driven clock for every test: pass `now` wherever production code takes a clock, and move
// time by hand (leases, expiries, TTLs) instead of waiting for it or patching timers.

export interface DrivenClock {
  now: () => Date;
  set(at: Date): void;
  advanceMs(ms: number): void;
  advanceMinutes(minutes: number): void;
}

export function drivenClock(start: Date): DrivenClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (at) => {
      t = at.getTime();
    },
    advanceMs: (ms) => {
      t += ms;
    },
    advanceMinutes: (minutes) => {
      t += minutes * 60_000;
    },
  };
}
