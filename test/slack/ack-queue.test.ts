// Work after an ack yields to requests still waiting for theirs: one step per event-loop turn.
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ackFirstQueue } from "../../src/slack/ack-queue.ts";

describe("ackFirstQueue", () => {
  it("lets one waiting step run per event-loop turn, so work queued meanwhile is never starved", async () => {
    const afterPendingAcks = ackFirstQueue();
    const order: string[] = [];
    const steps = ["a", "b", "c"].map(async (name) => {
      await afterPendingAcks();
      order.push(name);
    });
    // Queued after the three steps, in the same turn: it runs after the first step, not the third.
    setImmediate(() => order.push("other"));
    await Promise.all(steps);
    await nextTurn();

    expect(order).toEqual(["a", "other", "b", "c"]);
  });
});
