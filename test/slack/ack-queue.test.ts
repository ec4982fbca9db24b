// Work after an ack yields to requests still waiting for theirs: one step per event-loop turn,
// and none while a request to Slack's HTTP path is open in the process.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

describe("ackFirstQueue with Slack's HTTP requests open", () => {
  it("holds each step until no request to /slack/ is open (one to another path does not count)", async () => {
    const held: ServerResponse[] = [];
    const arrived: Array<() => void> = [];
    const server = createServer((_req, res) => {
      held.push(res);
      for (const done of arrived.splice(0)) done();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const send = (path: string) => {
      const answered = fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body: "x" }).then((r) =>
        r.text(),
      );
      return { answered, seen: new Promise<void>((resolve) => arrived.push(resolve)) };
    };
    try {
      // A cap no busy machine reaches: only the answer may let the step go.
      const afterPendingAcks = ackFirstQueue({ capMs: 120_000 });
      const runner = send("/v1/jobs/next");
      await runner.seen;
      const slack = send("/slack/events");
      await slack.seen;
      let ran = false;
      const step = afterPendingAcks().then(() => {
        ran = true;
      });
      for (let turn = 0; turn < 5; turn++) await nextTurn();
      expect(ran).toBe(false);

      held[1]?.end("ok");
      await slack.answered;
      await step;
      expect(ran).toBe(true);
      // The runner's request is still open, and a step goes at once.
      await afterPendingAcks();
      held[0]?.end("ok");
      await runner.answered;
    } finally {
      server.close();
    }
  });
  it("after the last Slack request closes, holds a step for a quiet moment, and its cap still lets it go", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // A gap no test waits for: only the cap lets the step go, after the request was answered.
      const afterPendingAcks = ackFirstQueue({ quietMs: 120_000, quietCapMs: 2_000 });
      await (await fetch(`http://127.0.0.1:${port}/slack/events`, { method: "POST", body: "x" })).text();
      let ran = false;
      const step = afterPendingAcks().then(() => {
        ran = true;
      });
      // No request is open: without the quiet moment the step would have gone by the first turn.
      for (let turn = 0; turn < 5; turn++) await nextTurn();
      expect(ran).toBe(false);
      await step;
      expect(ran).toBe(true);
    } finally {
      server.close();
    }
  });
});
