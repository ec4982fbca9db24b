// Which render of a change's message is newer, so that two bot replicas rendering the same change
// never leave an older view on Slack and never send the same view twice (issue 12). Pure: the
// store keeps what each message last showed (change/ports/message-renders.ts), the presenter asks
// this before it sends.
//
// What it keeps true, and why the order is (record version, content digest):
// - the record's `version` grows with every accepted transition, so a render of a lower version
//   is older whatever else it shows: it is never sent after a higher one;
// - within one version the view still moves (a runner's step events, pre-flight notes): those
//   rows only accumulate, and every render is read from the store while its message's lock is
//   held, after the render shown before it was sent. A render read under the lock therefore
//   shows the store as new as, or newer than, the one shown, so a different digest at the same
//   version is the newer view (a progress counter would only restate that order, and the jobs'
//   event seqs belong to the runner side, not to the message);
// - the same version and the same digest is the view already shown: not sent again.

/** What a render of a change's message is: the record version it was read at and a digest of what it says. */
export interface RenderStamp {
  version: number;
  /** A digest of the whole message as it would be sent (text and blocks). */
  digest: string;
}

/** send: newer than what is shown (or nothing is); same: what is shown; older: shown is newer. */
export type RenderVerdict = "send" | "same" | "older";

export function renderVerdict(shown: RenderStamp | null, next: RenderStamp): RenderVerdict {
  if (shown === null) return "send";
  if (next.version < shown.version) return "older";
  if (next.version === shown.version && next.digest === shown.digest) return "same";
  return "send";
}
