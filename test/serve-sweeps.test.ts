// The sweep every serve process runs (src/serve-sweeps.ts): a task that fails (the database
// restarting under it) is logged and the tasks after it still run, the next sweep runs them all
// again, and two sweeps of one process never run at once.
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/log.ts";
import { startSweeps, sweepTasks } from "../src/serve-sweeps.ts";

const HOUR = 60 * 60_000;

describe("serve's sweeps", () => {
  it("runs the tasks after one that failed, and all of them again on the next sweep", async () => {
    const ran: string[] = [];
    let failures = 1;
    const sweeps = startSweeps(
      [
        {
          name: "expire plans",
          run: async () => {
            ran.push("expire");
            if (failures-- > 0) throw new Error("the database is unavailable, try again in a moment");
          },
        },
        { name: "catch up", run: async () => ran.push("catch up") },
      ],
      { intervalMs: HOUR, logger: createLogger({ level: "silent" }) },
    );
    await sweeps.sweep();
    await sweeps.sweep();
    await sweeps.stop();
    expect(ran).toEqual(["expire", "catch up", "expire", "catch up"]);
  });

  it("runs a sweep asked for while one is running after it, never beside it", async () => {
    const events: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const sweeps = startSweeps(
      [
        {
          name: "catch up",
          run: async () => {
            const n = ++calls;
            events.push(`start ${n}`);
            if (n === 1) await gate;
            events.push(`end ${n}`);
          },
        },
      ],
      { intervalMs: HOUR, logger: createLogger({ level: "silent" }) },
    );
    const first = sweeps.sweep();
    const second = sweeps.sweep();
    release();
    await Promise.all([first, second]);
    await sweeps.stop();
    expect(events).toEqual(["start 1", "end 1", "start 2", "end 2"]);
  });

  it("sweeps a replica's requests before anything slow, and only with replicas takes over or catches up", async () => {
    const ran: string[] = [];
    const counted = (name: string) => async () => {
      ran.push(name);
      return 0;
    };
    const momlink = {
      sweepExpired: counted("expire"),
      sweepReminders: counted("remind"),
      takeOverRequests: counted("take over"),
    };
    const orchestrator = { catchUp: async () => void ran.push("catch up") };
    for (const task of sweepTasks(momlink, orchestrator, { replicas: false })) await task.run();
    expect(ran.splice(0)).toEqual(["expire", "remind"]);
    for (const task of sweepTasks(momlink, orchestrator, { replicas: true })) await task.run();
    expect(ran).toEqual(["take over", "expire", "remind", "catch up"]);
  });
});
