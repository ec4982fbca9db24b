// The EM service's control on Windows: sc.exe by its System32 path with an argv for stop and
// start (no cmd.exe), "already so" exit codes as no failure, and the recovery actions read from
// the registry's FailureActions (REG_BINARY, untranslated) instead of sc qfailure's words.
import { describe, expect, it } from "vitest";
import type { ProcessStarter, StartRequest } from "../../../src/runner/platform/process.ts";
import {
  parseFailureActions,
  recoveryProbe,
  scArgvProblem,
  windowsServiceControl,
} from "../../../src/runner/platform/service-windows.ts";
import type { RunTool } from "../../../src/runner/platform/windows-probes.ts";

const SC = "%SystemRoot%\\System32\\sc.exe";

/** `sc failure IScopeEM reset= 86400 actions= restart/60000/restart/60000/none/0` as the registry keeps it. */
const RESTARTS =
  "805101000000000000000000030000001400000001000000" +
  "60EA0000" +
  "01000000" +
  "60EA0000" +
  "00000000" +
  "00000000";
const NONE_FIRST = "805101000000000000000000010000001400000000000000" + "00000000";

describe("sc.exe for stop and start", () => {
  it("holds a service step to [sc.exe, stop|start, this runner's service]", () => {
    expect(scArgvProblem([SC, "stop", "IScopeEM"], "IScopeEM")).toBeNull();
    expect(scArgvProblem([SC, "delete", "IScopeEM"], "IScopeEM")).toMatch(/runs only/);
    expect(scArgvProblem([SC, "stop", "Spooler"], "IScopeEM")).toMatch(/is not this runner's/);
    expect(scArgvProblem(["sc.exe", "stop", "IScopeEM"], "IScopeEM")).toMatch(/runs only/);
    expect(scArgvProblem([SC, "stop", "IScopeEM", "extra"], "IScopeEM")).toMatch(/runs only/);
  });

  it("starts System32\\sc.exe itself with the verb and the name as separate arguments; 1062 on a stop is no failure", async () => {
    const seen: StartRequest[] = [];
    const start: ProcessStarter = async (request) => {
      seen.push(request);
      return { exitCode: 1062, output: Buffer.from(""), truncated: false, timedOut: false };
    };
    const runTool: RunTool = async () => ({ exitCode: 0, text: "", timedOut: false });
    const control = windowsServiceControl("Introscope EM", {
      runTool,
      start,
      codePage: 437,
      systemRoot: "C:\\Windows",
    });
    const outcome = await control.run("stop", { cwd: "D:\\EM", timeoutMs: 5000, outputLimit: 1024 });
    expect(outcome.ok).toBe(true);
    expect(seen.map((r) => [r.file, r.args, r.verbatim ?? false])).toEqual([
      ["C:\\Windows\\System32\\sc.exe", ["stop", "Introscope EM"], false],
    ]);
    expect(control.facts).toEqual({ via: "sc", name: "Introscope EM" });
  });
});

describe("recovery actions", () => {
  it("reads sc failure's restart actions from FailureActions", () => {
    expect(parseFailureActions(RESTARTS)).toEqual({
      restarts: true,
      detail: "on failure: restart after 60 s, restart after 60 s, none; the count resets after 86400 s",
    });
  });

  it("says a first action that is not a restart does not restart the service", () => {
    expect(parseFailureActions(NONE_FIRST)).toMatchObject({
      restarts: false,
      detail: "on failure: none; the count resets after 86400 s",
    });
  });

  it("stays unknown on bytes that are not a SERVICE_FAILURE_ACTIONS", () => {
    expect(parseFailureActions("0102")).toMatchObject({ restarts: null });
  });

  const registry =
    (exitCode: number, text: string): RunTool =>
    async () => ({ exitCode, text, timedOut: false });
  it("reads the value with reg query, untranslated, and says no value means no recovery action", async () => {
    const line = `\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\IScopeEM\r\n    FailureActions    REG_BINARY    ${RESTARTS}\r\n\r\n`;
    expect(await recoveryProbe(registry(0, line), "IScopeEM")).toMatchObject({ restarts: true });
    // reg's own error text is translated; its exit code is not.
    expect(
      await recoveryProbe(
        registry(1, "FEHLER: Der angegebene Registrierungsschlüssel wurde nicht gefunden."),
        "IScopeEM",
      ),
    ).toMatchObject({
      restarts: false,
    });
    expect(await recoveryProbe(registry(5, "Zugriff verweigert"), "IScopeEM")).toMatchObject({
      restarts: null,
    });
  });
});
