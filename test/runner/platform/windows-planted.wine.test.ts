// No planted binaries: cmd.exe looks for a program in the current directory before PATH, and the
// runner works with EM_HOME as its current directory. Here, under Wine, EM_HOME holds a planted
// robocopy.bat, mklink.bat and cmd.bat; the runner's real Windows platform (in Windows node 22)
// runs the approved seed, move-aside, mklink and restore steps there. Wine's process trace shows
// every program started and its exact command line: robocopy is System32's robocopy.exe with the
// approved argv, builtins run in System32's cmd.exe, and no planted script ever runs. A control
// runs robocopy the old way (through cmd.exe) and the planted robocopy.bat does run.
// (Wine's robocopy is a stub that copies nothing and exits 16: this lane proves what starts, not
// the copy. Wine's cmd.exe also ignores NoDefaultCurrentDirectoryInExePath, seen here; the unit
// tests prove the runner sets it.)
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostFacts } from "../../../src/domain/facts.ts";
import { buildPlan, type Plan, type Step } from "../../../src/domain/plan.ts";
import { BOTH_LOCAL_SYSTEM } from "../../support/facts.ts";
import {
  createWinePrefix,
  findWine,
  processCalls,
  type TracedProcess,
  type WinePrefix,
  windowsArgv,
  windowsNode,
} from "../../support/wine.ts";
import type { PlantedInput, PlantedOutput } from "./wine-planted-driver.ts";

const wine = findWine();
const here = dirname(fileURLToPath(import.meta.url));
const EM_HOME = "D:\\Introscope\\EM";
const PLANTED = ["robocopy", "mklink", "cmd", "move", "rmdir"];

function facts(host: string): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: true,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    dirs: [{ dir: "config", linkPath: "directory", share: { exists: true, writable: true, empty: true } }],
  };
}

describe.skipIf(wine === null)("a planted robocopy.bat, mklink.bat or cmd.bat in EM_HOME never runs", () => {
  let prefix: WinePrefix;
  let work: string;
  let plan: Plan;
  let steps: Step[];
  let output: PlantedOutput;
  let started: TracedProcess[];
  let control: TracedProcess[];

  beforeAll(async () => {
    const nodeExe = await windowsNode();
    prefix = await createWinePrefix();
    work = await mkdtemp(join(tmpdir(), "momlink-wine-planted-"));
    await mkdir(join(work, "d"), { recursive: true });
    await prefix.mapDrive("D", join(work, "d"));
    const emHome = join(work, "d", "Introscope", "EM");
    await mkdir(join(emHome, "config"), { recursive: true });
    await writeFile(join(emHome, "config", "IntroscopeEnterpriseManager.properties"), "x=1\r\n");
    const markers = join(work, "markers");
    await mkdir(markers);
    for (const name of PLANTED) {
      // Each script leaves `<name>.txt` behind if anything ever runs it.
      await writeFile(
        join(emHome, `${name}.bat`),
        `@echo PLANTED %0 %*> ${prefix.windowsPath(markers)}\\${name}.txt\r\n`,
      );
    }
    await mkdir(join(prefix.prefix, "dosdevices", "unc", "san-server", "mom-failover", "config"), {
      recursive: true,
    });

    plan = buildPlan({
      spec: {
        platform: "windows",
        primary: "mom-a",
        secondary: "mom-b",
        emHome: EM_HOME,
        secondaryEmHome: EM_HOME,
        share: "\\\\san-server\\mom-failover",
        dirs: ["config"],
        configAdded: false,
      },
      changeId: "CHG-5",
      facts: { primary: facts("mom-a"), secondary: facts("mom-b") },
    });
    const primary = plan.hosts[0];
    steps = [...primary.steps.filter((s) => s.kind !== "verify-link"), ...primary.rollback];
    expect(steps.map((s) => s.kind)).toEqual([
      "seed-share",
      "move-aside",
      "mklink",
      "remove-link",
      "restore",
    ]);

    const seed = steps[0] as Step;
    const input: PlantedInput = {
      emHome: EM_HOME,
      steps,
      markers: prefix.windowsPath(markers),
      // What the runner used to run: robocopy by name, through cmd.exe, in EM_HOME.
      control: seed.line.replace("%SystemRoot%\\System32\\robocopy.exe", "robocopy"),
    };
    const inputFile = join(work, "input.json");
    const outputFile = join(work, "output.json");
    await writeFile(inputFile, JSON.stringify(input));
    const driver = prefix.windowsPath(join(here, "wine-planted-driver.ts"));
    const run = await prefix.run(
      [nodeExe, driver, prefix.windowsPath(inputFile), prefix.windowsPath(outputFile)],
      {
        timeoutMs: 90_000,
        stdoutFile: join(work, "stdout.log"),
        stderrFile: join(work, "stderr.log"),
        debug: "+process",
      },
    );
    const trace = await readFile(join(work, "stderr.log"), "utf8");
    if (!existsSync(outputFile)) {
      throw new Error(
        `node.exe wrote no results (exit ${run.exitCode}, timed out: ${run.timedOut}):\n${trace.slice(-3000)}`,
      );
    }
    output = JSON.parse(await readFile(outputFile, "utf8")) as PlantedOutput;
    // Wine starts a conhost.exe for each console program: its console, not a program of ours.
    const programs = processCalls(trace).filter((p) => !/\\(node|conhost)\.exe$/i.test(p.app));
    control = programs.filter((p) => p.cmdline.includes(input.control));
    started = programs.filter((p) => !p.cmdline.includes(input.control));
  }, 240_000);

  afterAll(async () => {
    await prefix?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it("runs every step through the runner's Windows platform in Windows node 22", () => {
    expect(output.error).toBeUndefined();
    expect(output.node).toMatch(/^v22\./);
    expect(output.runs.map((r) => [r.kind, r.refused ?? null])).toEqual(steps.map((s) => [s.kind, null]));
  });

  it("never runs a planted script", () => {
    expect(output.markersAfterSteps).toEqual([]);
  });

  it("starts System32's robocopy.exe, by absolute path, with exactly the approved arguments", () => {
    const seed = steps[0] as Step;
    const robocopies = started.filter((p) => /robocopy/i.test(p.app));
    expect(robocopies.map((p) => p.app.toLowerCase())).toEqual(["c:\\windows\\system32\\robocopy.exe"]);
    const [argv0, ...args] = windowsArgv(robocopies[0]?.cmdline ?? "");
    expect(argv0?.toLowerCase()).toBe("c:\\windows\\system32\\robocopy.exe");
    expect(args).toEqual(seed.argv.slice(1));
    expect(output.runs[0]?.program?.toLowerCase()).toBe("c:\\windows\\system32\\robocopy.exe");
  });

  it("runs each builtin in System32's cmd.exe and starts nothing else", () => {
    const builtins = steps.filter((s) => s.kind !== "seed-share");
    const cmds = started.filter((p) => !/robocopy/i.test(p.app));
    expect(cmds.map((p) => p.app.toLowerCase())).toEqual(
      builtins.map(() => "c:\\windows\\system32\\cmd.exe"),
    );
    expect(cmds.map((p) => p.cmdline.slice(p.cmdline.indexOf("/c ") + 3))).toEqual(
      builtins.map((s) => `"${s.line}"`),
    );
  });

  it("would have been fooled the old way: robocopy run by name through cmd.exe runs the planted robocopy.bat", () => {
    expect(control.map((p) => p.app.toLowerCase())).toEqual(["c:\\windows\\system32\\cmd.exe"]);
    expect(output.markersAfterControl).toEqual(["robocopy.txt"]);
  });
});
