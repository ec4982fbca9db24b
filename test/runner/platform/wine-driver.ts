// Runs under WINDOWS node.exe (in Wine), not under vitest: the fidelity lane's hands on the
// Windows side. It imports the runner's real Windows platform code, runs every corpus line
// through `runCmdLine` in one process, calls it directly with hostile lines, and writes what
// happened to a JSON file (Windows node's stdout must not be a Linux pipe).
//   node.exe wine-driver.ts <input.json> <output.json>     (Windows paths)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { StartRequest } from "../../../src/runner/platform/process.ts";
import { execaStarter } from "../../../src/runner/platform/process.ts";
import { runCmdLine } from "../../../src/runner/platform/windows.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";

export interface DriverRun {
  line: string;
  cwd: string;
  /** Windows paths whose existence is recorded before and after the line runs. */
  observe: string[];
}
export interface DriverInput {
  runs: DriverRun[];
  hostile: { line: string; cwd: string }[];
  /** The first hostile line run the unsafe way (no vocabulary check), proving the trace and the marker would show it. */
  control: { line: string; cwd: string };
  /** The file a hostile line tries to create. */
  marker: string;
  /** Paths for the read-only facts: [missing, directory, file]. */
  inspect: string[];
}
export interface DriverRunResult {
  ok: boolean;
  exitCode: number | null;
  refused?: string;
  output: string;
  before: boolean[];
  after: boolean[];
}
export interface DriverOutput {
  node: string;
  platform: string;
  runs: DriverRunResult[];
  hostile: { refused?: string; starts: number }[];
  markerAfterHostile: boolean;
  control: { status: number | null; markerAfterControl: boolean };
  /** The Windows platform's read-only facts as Windows node sees them under Wine. */
  facts: { inspect: string[]; service: string; l2r: boolean | null; privilege: boolean | null };
  /** Lines whose cmd.exe Wine failed to create (and which were run again): not a parse result. */
  startFailures: string[];
  error?: string;
}

const [inputPath = "", outputPath = ""] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8")) as DriverInput;
const output: DriverOutput = {
  node: process.version,
  platform: process.platform,
  runs: [],
  hostile: [],
  markerAfterHostile: false,
  control: { status: null, markerAfterControl: false },
  facts: { inspect: [], service: "", l2r: null, privilege: null },
  startFailures: [],
};

/**
 * Under load on a busy CI machine, Wine's CreateProcess of cmd.exe sometimes fails outright
 * ("spawn UNKNOWN": no process, no exit code). That says nothing about how cmd.exe parses a
 * line, which is what this lane checks, so such a line is run again (at most twice more) and
 * the failure is reported. A line that started is never re-run: its one mklink call stays one.
 */
async function runStarted(line: string, cwd: string): ReturnType<typeof runCmdLine> {
  for (let attempt = 1; ; attempt++) {
    const result = await runCmdLine(line, { cwd, timeoutMs: 20_000, outputLimit: 4096 });
    const notStarted = result.exitCode === null && !result.timedOut && /did not start/.test(result.output);
    if (!notStarted || attempt === 3) return result;
    output.startFailures.push(`${line} (${result.output})`);
  }
}

try {
  for (const run of input.runs) {
    const before = run.observe.map((path) => existsSync(path));
    const result = await runStarted(run.line, run.cwd);
    output.runs.push({
      ok: result.ok,
      exitCode: result.exitCode,
      ...(result.refused === undefined ? {} : { refused: result.refused }),
      output: result.output,
      before,
      after: run.observe.map((path) => existsSync(path)),
    });
  }

  for (const hostile of input.hostile) {
    let starts = 0;
    const counting = (request: StartRequest) => {
      starts++;
      return execaStarter(request);
    };
    const result = await runCmdLine(hostile.line, {
      cwd: hostile.cwd,
      timeoutMs: 20_000,
      outputLimit: 4096,
      start: counting,
    });
    // And once more with the default starter, as any caller would use it.
    const plain = await runCmdLine(hostile.line, { cwd: hostile.cwd, timeoutMs: 20_000, outputLimit: 4096 });
    output.hostile.push({
      ...(result.refused === undefined ? {} : { refused: result.refused }),
      starts: starts + (plain.refused === undefined ? 1 : 0),
    });
  }
  output.markerAfterHostile = existsSync(input.marker);

  const control = spawnSync(
    `${process.env.SystemRoot ?? "C:\\windows"}\\System32\\cmd.exe`,
    ["/d", "/s", "/c", `"${input.control.line}"`],
    {
      cwd: input.control.cwd,
      windowsVerbatimArguments: true,
      timeout: 20_000,
    },
  );
  output.control = { status: control.status, markerAfterControl: existsSync(input.marker) };

  const platform = createWindowsPlatform();
  for (const path of input.inspect) output.facts.inspect.push((await platform.inspect(path)).kind);
  output.facts.service = (await platform.serviceState("MomlinkNoSuchService")).state;
  output.facts.l2r = (await platform.symlinkL2R("\\\\san-server\\mom-failover")).ok;
  output.facts.privilege = (await platform.symlinkPrivilege("C:\\")).ok;
} catch (error) {
  output.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
}
writeFileSync(outputPath, JSON.stringify(output, null, 1));
