// The EM service's control on Linux: systemd's `show` read for state and main pid, or the
// configured status command read like an LSB init script (0 running, 1-3 not running, else
// unknown) with an optional MainPID line; stop and start run only the control's own argv.
import { describe, expect, it } from "vitest";
import type { ProcessStarter, StartRequest } from "../../../src/runner/platform/process.ts";
import { linuxServiceControl, unitNameProblem } from "../../../src/runner/platform/service-linux.ts";

function answering(exitCode: number | null, output: string, seen: StartRequest[] = []): ProcessStarter {
  return async (request) => {
    seen.push(request);
    return { exitCode, output: Buffer.from(output), truncated: false, timedOut: false };
  };
}

const COMMANDS = {
  start: ["/usr/bin/emctl", "start", "--em-home", "/opt/em"],
  stop: ["/usr/bin/emctl", "stop", "--em-home", "/opt/em"],
  status: ["/usr/bin/emctl", "status", "--em-home", "/opt/em"],
};
const base = { factTimeoutMs: 1000, env: {} };

describe("a configured status command", () => {
  const table: [string, number | null, string, { state: string; pid: number | null }][] = [
    [
      "exit 0 with a MainPID line: running, with its main process",
      0,
      "ActiveState=active\nMainPID=4242\n",
      { state: "running", pid: 4242 },
    ],
    ["exit 0 without one: running, main process unknown", 0, "running\n", { state: "running", pid: null }],
    ["exit 3: stopped", 3, "ActiveState=inactive\nMainPID=0\n", { state: "stopped", pid: null }],
    ["exit 1 (dead, pid file left): not running", 1, "", { state: "stopped", pid: null }],
    ["exit 4 (LSB: unknown): unknown, never stopped", 4, "no idea", { state: "unknown", pid: null }],
    ["killed by a signal: unknown", null, "", { state: "unknown", pid: null }],
  ];
  it.each(table)("%s", async (_, exitCode, output, expected) => {
    const control = linuxServiceControl("introscope-em", {
      ...base,
      start: answering(exitCode, output),
      commands: COMMANDS,
    });
    expect(await control.state()).toMatchObject(expected);
  });

  it("runs only its own argv for a stop or a start, and reports them in its facts", async () => {
    const seen: StartRequest[] = [];
    const control = linuxServiceControl("introscope-em", {
      ...base,
      start: answering(0, "", seen),
      commands: COMMANDS,
    });
    await control.run("stop", { cwd: "/opt/em", timeoutMs: 5000, outputLimit: 1024 });
    expect([seen[0]?.file, ...(seen[0]?.args ?? [])]).toEqual(COMMANDS.stop);
    expect(control.facts).toEqual({
      via: "command",
      name: "introscope-em",
      stop: COMMANDS.stop,
      start: COMMANDS.start,
    });
  });
});

describe("systemd", () => {
  it("reads the state and main pid with systemctl show, and stops with systemctl stop <unit>", async () => {
    const seen: StartRequest[] = [];
    const control = linuxServiceControl("introscope-em.service", {
      ...base,
      start: answering(0, "LoadState=loaded\nActiveState=active\nMainPID=77\n", seen),
    });
    expect(await control.state()).toMatchObject({
      state: "running",
      pid: 77,
      detail: "systemd unit introscope-em.service: active",
    });
    await control.run("stop", { cwd: "/opt/em", timeoutMs: 5000, outputLimit: 1024 });
    expect(seen.map((r) => [r.file, ...r.args])).toEqual([
      ["systemctl", "show", "--property=LoadState,ActiveState,MainPID", "--", "introscope-em.service"],
      ["systemctl", "stop", "introscope-em.service"],
    ]);
  });

  it("never calls an unknown unit stopped", async () => {
    const control = linuxServiceControl("IScopeEM", {
      ...base,
      start: answering(0, "LoadState=not-found\nActiveState=inactive\n"),
    });
    expect(await control.state()).toMatchObject({
      state: "unknown",
      detail: "systemd knows no unit IScopeEM",
    });
  });

  it("refuses a unit name a command line could misread, before anything starts", async () => {
    const seen: StartRequest[] = [];
    const control = linuxServiceControl("-H evil", { ...base, start: answering(0, "", seen) });
    expect(unitNameProblem("-H evil")).toMatch(/is not a systemd unit name/);
    expect((await control.run("start", { cwd: "/", timeoutMs: 1000, outputLimit: 64 })).refused).toMatch(
      /not a systemd unit name/,
    );
    expect(seen).toEqual([]);
  });
});
