// Runs under WINDOWS node.exe (in Wine), not under vitest: the service lane's hands on the Windows
// side. For each approved stop-service or start-service step it runs the runner's real Windows
// service control (sc.exe by its System32 path, an argv, EM_HOME as working directory, where the
// test planted an sc.bat), then reads a service's state the way the runner's waits do.
//   node.exe wine-service-driver.ts <input.json> <output.json>     (Windows paths)
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Step } from "../../../src/domain/plan.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";

export interface ServiceInput {
  emHome: string;
  /** The runner's --service-name, and the approved service steps built from it. */
  serviceName: string;
  steps: Step[];
  /** Where the planted sc.bat writes `sc.txt` if it ever runs. */
  markers: string;
  /** A service Wine has, whose state the runner's probe reads (a number, never a word). */
  probe: string;
}
export interface ServiceOutput {
  node: string;
  runs: { kind: string; ok: boolean; exitCode: number | null; refused?: string; program?: string }[];
  probe: { state: string; detail: string };
  markers: string[];
  error?: string;
}

const [inputPath = "", outputPath = ""] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8")) as ServiceInput;
const output: ServiceOutput = {
  node: process.version,
  runs: [],
  probe: { state: "", detail: "" },
  markers: [],
};

try {
  const platform = createWindowsPlatform({ factTimeoutMs: 20_000 });
  const control = platform.serviceControl(input.serviceName);
  for (const step of input.steps) {
    const verb = step.kind === "stop-service" ? "stop" : "start";
    const result = await control.run(verb, { cwd: input.emHome, timeoutMs: 20_000, outputLimit: 4096 });
    output.runs.push({
      kind: step.kind,
      ok: result.ok,
      exitCode: result.exitCode,
      ...(result.refused === undefined ? {} : { refused: result.refused }),
      ...(result.program === undefined ? {} : { program: result.program }),
    });
  }
  const probed = await platform.serviceControl(input.probe).state();
  output.probe = { state: probed.state, detail: probed.detail };
  output.markers = existsSync(input.markers) ? readdirSync(input.markers).sort() : [];
} catch (error) {
  output.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
}
writeFileSync(outputPath, JSON.stringify(output, null, 1));
