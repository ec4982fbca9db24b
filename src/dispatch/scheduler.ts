// Timers of the dispatcher and of the change layer's runs (change/runs/, as its Timers port),
// injectable so that tests drive lease expiry and long-poll time-outs by hand instead of sleeping.

export interface Scheduler {
  every(ms: number, fn: () => void): () => void;
  after(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
