// Slack wants every request acked within 3 seconds, and acks are quick; the work after an ack
// (a plan's store writes and posts) is not. This queue lets that work wait its turn behind the
// requests already waiting to be acked: those Slack's HTTP requests still open in this process
// (node:http's diagnostics channel sees a request from its headers to its answer or its client's
// going away, so one whose body is still being read counts too), and, in any case, those the event loop has read by the
// next turn. Over Socket Mode no HTTP request is open and only the turn is waited for.
//
// A request still in the kernel's buffers is not open yet (its headers are parsed only when the
// loop gets to it), so a burst of requests looks closed between two of them: a step let go then
// runs its store commits in front of the rest of the burst (bench/load.ts, K=50: the serve acked
// within 48 ms, the driver waited 113). A step therefore also waits for a quiet moment, no Slack
// request begun for QUIET_MS, but never more than QUIET_WAIT_CAP_MS for it, so steady traffic
// slows the work after acks a little and never stops it.
import { subscribe } from "node:diagnostics_channel";

/** Where Bolt's HTTP receiver takes Slack's requests (/slack/events, /slack/install, …). */
const SLACK_PATH = "/slack/";

/**
 * The longest a step waits for the open requests: a request held longer than this is not one
 * being acked (Slack gives up on an ack after 3 s), and the work behind it must not starve.
 */
export const ACK_WAIT_CAP_MS = 1000;

/** How long no Slack request must have begun before a step goes: the gap inside a burst is less. */
export const QUIET_MS = 10;
/** The longest a step waits for such a gap once no request is open. */
export const QUIET_WAIT_CAP_MS = 40;

type HttpMessage = { request: { url?: string }; response: { once(event: "close", fn: () => void): void } };

/** Counts Slack's HTTP requests open in this process, and tells when none is and none began just now. */
function openSlackRequests() {
  let count = 0;
  let lastBegun = Number.NEGATIVE_INFINITY;
  const whenNone: Array<() => void> = [];
  subscribe("http.server.request.start", (m) => {
    const { request, response } = m as HttpMessage;
    if (request.url?.startsWith(SLACK_PATH) !== true) return;
    count += 1;
    lastBegun = performance.now();
    // Closed once answered, or when the client went away unanswered: never counted forever.
    response.once("close", () => {
      count -= 1;
      if (count === 0) for (const done of whenNone.splice(0)) done();
    });
  });
  /** Resolves at the first gap of `quietMs` without a new request, or after `quietCapMs`. */
  const quiet = (quietMs: number, quietCapMs: number): Promise<void> => {
    const until = performance.now() + quietCapMs;
    return new Promise((resolve) => {
      const check = () => {
        const now = performance.now();
        const gap = lastBegun + quietMs - now;
        if (gap <= 0 || now >= until) resolve();
        else setTimeout(check, Math.min(gap, until - now));
      };
      check();
    });
  };
  return {
    /** Resolves once no Slack request is open (or after `capMs`), at a quiet moment. */
    async none(capMs: number, quietMs: number, quietCapMs: number): Promise<void> {
      if (count > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, capMs);
          timer.unref();
          whenNone.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await quiet(quietMs, quietCapMs);
    },
  };
}

let requests: ReturnType<typeof openSlackRequests> | undefined;

/**
 * One waiting step per turn of the event loop, each once no Slack request is open and after the
 * loop has taken in new requests. A burst of plans then delays the channel messages a little,
 * and another request's ack by at most one step.
 */
export function ackFirstQueue(
  options: { capMs?: number; quietMs?: number; quietCapMs?: number } = {},
): () => Promise<void> {
  const capMs = options.capMs ?? ACK_WAIT_CAP_MS;
  const quietMs = options.quietMs ?? QUIET_MS;
  const quietCapMs = options.quietCapMs ?? QUIET_WAIT_CAP_MS;
  requests ??= openSlackRequests();
  const open = requests;
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const runOne = () => {
    void open.none(capMs, quietMs, quietCapMs).then(() => {
      scheduled = false;
      waiting.shift()?.();
      // An immediate queued while immediates run waits for the next loop turn, after its I/O.
      if (waiting.length > 0) schedule();
    });
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(runOne);
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      schedule();
    });
}
