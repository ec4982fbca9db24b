// The two service steps' bounded waits and their reports (src/runner/steps/service-wait.ts
// commandThenWait): a scripted service control answers the state reads, and the step's clock is
// driven by its own sleeps, so a wait of N seconds takes no time and no real process runs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commandsFor } from "../../../src/domain/commands.ts";
import type { ServiceControlFacts } from "../../../src/domain/facts.ts";
import type { Step, StepKind } from "../../../src/domain/plan.ts";
import { createLinuxPlatform } from "../../../src/runner/platform/linux.ts";
import type { ServiceState } from "../../../src/runner/platform/platform.ts";
import type { StepContext } from "../../../src/runner/steps/context.ts";
import { startService } from "../../../src/runner/steps/start-service.ts";
import { stopService } from "../../../src/runner/steps/stop-service.ts";

const FACTS: ServiceControlFacts = {
  via: "command",
  name: "introscope-em",
  stop: ["/opt/em/bin/em-stop"],
  start: ["/opt/em/bin/em-start"],
  stopWaitSeconds: 2,
  startWaitSeconds: 3,
};

let emHome: string;
beforeEach(async () => {
  emHome = await mkdtemp(join(tmpdir(), "momlink-service-steps-"));
});
afterEach(async () => {
  await rm(emHome, { recursive: true, force: true });
});

type Want = ServiceState["state"];

/** A context whose service reads `states` in turn (the last one repeats) and whose command exits `commandOk`. */
function contextWith(states: Want[], commandOk: boolean) {
  let clock = 0;
  let reads = 0;
  const ran: string[] = [];
  const ctx: StepContext = {
    platform: createLinuxPlatform(),
    emHome,
    share: "/mnt/share",
    changeId: "CHG-1",
    role: "primary",
    serviceName: FACTS.name,
    unknownServiceIsStopped: false,
    outputLimit: 4096,
    timeoutMs: () => 10_000,
    host: "mom-a",
    service: {
      facts: { via: FACTS.via, name: FACTS.name, stop: FACTS.stop ?? [], start: FACTS.start ?? [] },
      state: async () => {
        const state = states[Math.min(reads, states.length - 1)] ?? "unknown";
        reads += 1;
        return { state, detail: `read ${reads}`, source: "em-status", pid: null };
      },
      run: async (verb) => {
        ran.push(verb);
        return { ok: commandOk, exitCode: commandOk ? 0 : 3, timedOut: false, output: "" };
      },
    },
    serviceFacts: FACTS,
    manageServices: true,
    failoverProperties: [],
    logPatterns: [],
    pollMs: 500,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    job: {},
  };
  return { ctx, ran, reads: () => reads, elapsed: () => clock };
}

function stepOf(kind: StepKind, verb: "stop" | "start", waitSeconds: number): Step {
  const command = commandsFor("linux").service(verb, FACTS);
  return { kind, dir: "", line: command.line, argv: command.argv, waitSeconds };
}

describe("stop-service", () => {
  it("runs the stop command, waits until the service is stopped, and says what it saw", async () => {
    const { ctx, ran } = contextWith(["running", "running", "running", "stopped"], true);
    const outcome = await stopService(ctx, stepOf("stop-service", "stop", 2));
    expect(outcome.status).toBe("succeeded");
    expect(ran).toEqual(["stop"]);
    expect(outcome.output).toContain("before: the EM service is running");
    expect(outcome.output).toMatch(/then: stopped \(read 4\) after 1 s/);
    expect(ctx.job.serviceStopped).toBe(true);
  });

  it("fails when the service is still running at the end of the approved wait, and does not count it stopped", async () => {
    const { ctx, elapsed } = contextWith(["running"], true);
    const outcome = await stopService(ctx, stepOf("stop-service", "stop", 2));
    expect(outcome.status).toBe("failed");
    expect(outcome.output).toContain("the EM service did not stop within 2 s");
    expect(elapsed()).toBe(2000);
    expect(ctx.job.serviceStopped).toBeUndefined();
  });

  it("does not wait after a failed command: one more look decides", async () => {
    const { ctx, reads, elapsed } = contextWith(["running"], false);
    const outcome = await stopService(ctx, stepOf("stop-service", "stop", 2));
    expect(outcome.status).toBe("failed");
    expect(outcome.output).toContain("the command failed and the service is not stopped");
    expect(outcome.output).toContain("(exit code 3)");
    expect(reads()).toBe(2);
    expect(elapsed()).toBe(0);
  });
});

describe("start-service", () => {
  it("fails naming its own wait when the service never runs", async () => {
    const { ctx, ran } = contextWith(["stopped"], true);
    const outcome = await startService(ctx, stepOf("start-service", "start", 3));
    expect(ran).toEqual(["start"]);
    expect(outcome.status).toBe("failed");
    expect(outcome.output).toContain("the EM service did not start within 3 s");
    expect(outcome.output).toMatch(/then: stopped \(read \d+\) after 3 s/);
  });

  it("counts a start whose command failed as done when the service runs after all", async () => {
    const { ctx, elapsed } = contextWith(["stopped", "running"], false);
    const outcome = await startService(ctx, stepOf("start-service", "start", 3));
    expect(outcome.status).toBe("succeeded");
    expect(outcome.output).toContain("then: running (read 2) after 0 s");
    expect(elapsed()).toBe(0);
  });

  it("skips a service that already runs and runs nothing", async () => {
    const { ctx, ran } = contextWith(["running"], true);
    const outcome = await startService(ctx, stepOf("start-service", "start", 3));
    expect(outcome.status).toBe("skipped");
    expect(ran).toEqual([]);
  });
});
