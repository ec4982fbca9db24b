// Slack wants every request acked within 3 seconds, and acks are quick; the work after an ack
// (a plan's store writes and posts) is not. This queue lets that work wait its turn behind the
// requests already waiting to be acked: those Slack's HTTP requests still open in this process
// (node:http's diagnostics channel sees a request from its headers to its answer or its client's
// going away, so one whose body is still being read counts too), and, in any case, those the event loop has read by the
// next turn. Over Socket Mode no HTTP request is open and only the turn is waited for.
import { subscribe } from "node:diagnostics_channel";

/** Where Bolt's HTTP receiver takes Slack's requests (/slack/events, /slack/install, …). */
const SLACK_PATH = "/slack/";

/**
 * The longest a step waits for the open requests: a request held longer than this is not one
 * being acked (Slack gives up on an ack after 3 s), and the work behind it must not starve.
 */
export const ACK_WAIT_CAP_MS = 1000;

type HttpMessage = { request: { url?: string }; response: { once(event: "close", fn: () => void): void } };

/** Counts Slack's HTTP requests open in this process, and tells when none is. */
function openSlackRequests() {
  let count = 0;
  const whenNone: Array<() => void> = [];
  subscribe("http.server.request.start", (m) => {
    const { request, response } = m as HttpMessage;
    if (request.url?.startsWith(SLACK_PATH) !== true) return;
    count += 1;
    // Closed once answered, or when the client went away unanswered: never counted forever.
    response.once("close", () => {
      count -= 1;
      if (count === 0) for (const done of whenNone.splice(0)) done();
    });
  });
  return {
    /** Resolves once no Slack request is open, or after `capMs`. */
    none(capMs: number): Promise<void> {
      if (count === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, capMs);
        timer.unref();
        whenNone.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

let requests: ReturnType<typeof openSlackRequests> | undefined;

/**
 * One waiting step per turn of the event loop, each once no Slack request is open and after the
 * loop has taken in new requests. A burst of plans then delays the channel messages a little,
 * and another request's ack by at most one step.
 */
export function ackFirstQueue(options: { capMs?: number } = {}): () => Promise<void> {
  const capMs = options.capMs ?? ACK_WAIT_CAP_MS;
  requests ??= openSlackRequests();
  const open = requests;
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const runOne = () => {
    void open.none(capMs).then(() => {
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
