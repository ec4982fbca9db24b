// Runs under WINDOWS node.exe (in Wine), not under vitest: the planted-binaries lane's hands on
// the Windows side. It runs approved steps through the runner's real Windows platform with EM_HOME
// as working directory, where the test planted robocopy.bat, mklink.bat and cmd.bat; then, as a
// control, the way the runner used to run robocopy (through cmd.exe), which finds the planted one.
//   node.exe wine-planted-driver.ts <input.json> <output.json>     (Windows paths)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Step } from "../../../src/domain/plan.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";

export interface PlantedInput {
  emHome: string;
  steps: Step[];
  /** Where each planted script writes `<name>.txt` if it ever runs. */
  markers: string;
  /** A robocopy line run the old way, `cmd.exe /d /s /c "<line>"` in EM_HOME. */
  control: string;
}
export interface PlantedOutput {
  node: string;
  runs: { kind: string; ok: boolean; exitCode: number | null; refused?: string; program?: string }[];
  /** Marker files present after the runner's steps, before the control. */
  markersAfterSteps: string[];
  markersAfterControl: string[];
  error?: string;
}

const [inputPath = "", outputPath = ""] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8")) as PlantedInput;
const output: PlantedOutput = {
  node: process.version,
  runs: [],
  markersAfterSteps: [],
  markersAfterControl: [],
};
const markers = () => (existsSync(input.markers) ? readdirSync(input.markers).sort() : []);

try {
  const platform = createWindowsPlatform();
  for (const step of input.steps) {
    const result = await platform.run(step, { cwd: input.emHome, timeoutMs: 20_000, outputLimit: 4096 });
    output.runs.push({
      kind: step.kind,
      ok: result.ok,
      exitCode: result.exitCode,
      ...(result.refused === undefined ? {} : { refused: result.refused }),
      ...(result.program === undefined ? {} : { program: result.program }),
    });
  }
  output.markersAfterSteps = markers();
  spawnSync(
    `${process.env.SystemRoot ?? "C:\\windows"}\\System32\\cmd.exe`,
    ["/d", "/s", "/c", `"${input.control}"`],
    {
      cwd: input.emHome,
      windowsVerbatimArguments: true,
      timeout: 20_000,
    },
  );
  output.markersAfterControl = markers();
} catch (error) {
  output.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
}
writeFileSync(outputPath, JSON.stringify(output, null, 1));
