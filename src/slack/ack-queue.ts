// Slack wants every request acked within 3 seconds, and acks are quick; the work after an ack
// (a plan's store writes and posts) is not. This queue lets that work wait its turn behind the
// requests already waiting to be acked.

/**
 * One waiting step per turn of the event loop, each after the loop has taken in new requests. A
 * burst of plans then delays the channel messages a little, never another request's ack by more
 * than one step.
 */
export function ackFirstQueue(): () => Promise<void> {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const runOne = () => {
    scheduled = false;
    waiting.shift()?.();
    // An immediate queued while immediates run waits for the next loop turn, after its I/O.
    if (waiting.length > 0) schedule();
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
