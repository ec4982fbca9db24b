// The contract of what each change message last showed (ChangeStore.renders,
// change/ports/message-renders.ts), one suite for both engines, run beside the change store's
// (change-store.sqlite.test.ts, postgres/change-store.test.ts): the lock of a message puts its
// updates in line and each sees what the one before recorded; a stamp never moves a message back;
// a render as shown is judged "same" (domain/render-order.ts) so it goes once; a failed update
// records nothing. Two replicas (two pools) racing is PostgreSQL's own file.
import { describe, expect, it } from "vitest";
import type { MessageKey } from "../../src/change/ports/message-renders.ts";
import { type RenderStamp, renderVerdict } from "../../src/domain/render-order.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { create, type StoreEngine } from "./change-store.contract.ts";

export async function messageOf(store: ChangeStore, ts = "1700000000.000100"): Promise<MessageKey> {
  const change = await create(store);
  return { changeId: change.id, channel: "C-OPS", ts };
}

/** What the message shows, read under its lock. */
export function shownOn(store: ChangeStore, key: MessageKey): Promise<RenderStamp | null> {
  return store.renders.withMessage(key, async (claim) => claim.shown);
}

export async function recordOn(store: ChangeStore, key: MessageKey, stamp: RenderStamp): Promise<void> {
  await store.renders.withMessage(key, (claim) => claim.record(stamp));
}

/**
 * `count` updates of `key`, started together on `stores` in turn, each reading what is shown,
 * reading the store (so the others get their turn meanwhile) and recording the next version:
 * returns the versions each saw. In line, they saw 0 … count-1, each once.
 */
export async function raceUpdates(stores: ChangeStore[], key: MessageKey, count: number): Promise<number[]> {
  const seen = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const store = stores[i % stores.length];
      if (store === undefined) throw new Error("no store");
      return store.renders.withMessage(key, async (claim) => {
        const was = claim.shown?.version ?? 0;
        await store.get(key.changeId);
        await claim.record({ version: was + 1, digest: `render ${was + 1}` });
        return was;
      });
    }),
  );
  return seen.sort((a, b) => a - b);
}

export function messageRendersContract(engine: StoreEngine): void {
  describe("what each change message shows", () => {
    it("shows nothing until a render is recorded, then that render, kept by a second store on the database", async () => {
      const store = await engine.fresh();
      const key = await messageOf(store);
      expect(await shownOn(store, key)).toBeNull();
      await recordOn(store, key, { version: 3, digest: "d3" });
      expect(await shownOn(store, key)).toEqual({ version: 3, digest: "d3" });
      expect(await shownOn(await engine.again(store), key)).toEqual({ version: 3, digest: "d3" });
      expect(await shownOn(store, { ...key, ts: "1700000000.000200" })).toBeNull();
    });

    it("never moves back: a stamp of an older version after a newer one changes nothing, the same version's newer content replaces it", async () => {
      const store = await engine.fresh();
      const key = await messageOf(store);
      await recordOn(store, key, { version: 5, digest: "d5" });
      await recordOn(store, key, { version: 4, digest: "d4" });
      expect(await shownOn(store, key)).toEqual({ version: 5, digest: "d5" });
      await recordOn(store, key, { version: 5, digest: "d5-progress" });
      expect(await shownOn(store, key)).toEqual({ version: 5, digest: "d5-progress" });
    });

    it("judges a render as shown 'same' once it was recorded, so it is sent once; an older one 'older'", async () => {
      const store = await engine.fresh();
      const key = await messageOf(store);
      const stamp = { version: 2, digest: "d2" };
      const sent: RenderStamp[] = [];
      const update = (render: RenderStamp) =>
        store.renders.withMessage(key, async (claim) => {
          const verdict = renderVerdict(claim.shown, render);
          if (verdict === "send") {
            sent.push(render);
            await claim.record(render);
          }
          return verdict;
        });
      expect(await update(stamp)).toBe("send");
      expect(await update(stamp)).toBe("same");
      expect(await update({ version: 1, digest: "d1" })).toBe("older");
      expect(sent).toEqual([stamp]);
    });

    it("records nothing for an update that failed (the send threw), and passes its error on", async () => {
      const store = await engine.fresh();
      const key = await messageOf(store);
      const failed = store.renders.withMessage(key, async (claim) => {
        await claim.record({ version: 1, digest: "d1" });
        throw new Error("ratelimited");
      });
      await expect(failed).rejects.toThrow("ratelimited");
      expect(await shownOn(store, key)).toBeNull();
    });

    it("puts concurrent updates of one message in line: each sees what the one before it recorded", async () => {
      const store = await engine.fresh();
      const key = await messageOf(store);
      expect(await raceUpdates([store], key, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(await shownOn(store, key)).toEqual({ version: 8, digest: "render 8" });
    });
  });
}
