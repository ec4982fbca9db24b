// One update of a change's message across every replica (issue 12): under the message's lock in
// the store (change/ports/message-renders.ts), the render is read from the store, compared with
// what the message last showed (domain/render-order.ts), sent only when it is newer, and recorded.
// Each replica's gate (update-scheduler.ts) still paces its own writes; this is what makes two
// replicas' renders of one message go one after the other, newest last, each view once.
//
// What it keeps true: the final state is always delivered (a render read under the lock after the
// last one sent is at least as new); when the lock cannot be had (the database unreachable, the
// wait ran out), the update goes as it would without replicas, logged, rather than show nothing.

import type { MessageKey, MessageRenders } from "../change/ports/message-renders.ts";
import { sha256Hex } from "../domain/canonical.ts";
import { type RenderStamp, type RenderVerdict, renderVerdict } from "../domain/render-order.ts";
import type { Logger } from "../log.ts";

export interface Render<M, V> {
  /** What the update sends. */
  message: M;
  /** What it was rendered from (the record, for the buttons it shows). */
  view: V;
}

/** The stamp of a render: the record version it was read at and a digest of exactly what would be sent. */
export function stampOf(version: number, message: unknown): RenderStamp {
  return { version, digest: sha256Hex(JSON.stringify(message)) };
}

/**
 * Renders with `render` and sends with `send` unless the message already shows that render or a
 * newer one. Resolves with the verdict and the render it judged; rejects with `send`'s error.
 */
export async function sendUnlessShown<M, V>(
  deps: { renders: MessageRenders | undefined; logger: Pick<Logger, "warn"> },
  key: MessageKey,
  render: () => Promise<Render<M, V> & { stamp: RenderStamp }>,
  send: (message: M) => Promise<void>,
): Promise<{ verdict: RenderVerdict; rendered: Render<M, V> }> {
  const unclaimed = async () => {
    const rendered = await render();
    await send(rendered.message);
    return { verdict: "send" as const, rendered };
  };
  if (deps.renders === undefined) return unclaimed();
  let locked = false;
  try {
    return await deps.renders.withMessage(key, async (claim) => {
      locked = true;
      const rendered = await render();
      const verdict = renderVerdict(claim.shown, rendered.stamp);
      if (verdict === "send") {
        await send(rendered.message);
        await claim.record(rendered.stamp);
      }
      return { verdict, rendered };
    });
  } catch (error) {
    if (locked) throw error;
    deps.logger.warn(
      { changeId: key.changeId, error },
      "could not take the change message's lock in the store; updating it without comparing renders",
    );
    return unclaimed();
  }
}
