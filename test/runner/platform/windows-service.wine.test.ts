// The service steps' command-line fidelity lane: Windows node 22 under Wine runs the runner's real
// Windows service control on the stop-service and start-service steps the plan builder renders for
// services=manage, with a service name holding a space, in an EM_HOME holding a planted sc.bat.
// Wine's process trace shows each program started and its exact command line, its service trace
// which service sc.exe opened and what it asked: System32's sc.exe by absolute path with exactly
// the approved arguments, no cmd.exe, no planted script; the waits are the runner's own (it reads
// sc query's state number, as it does here for a service Wine has). What it cannot show: Wine has
// no EM service, so sc.exe answers "no such service" (1060).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostFacts } from "../../../src/domain/facts.ts";
import { buildPlan, type Step } from "../../../src/domain/plan.ts";
import { renderHostScript } from "../../../src/domain/render.ts";
import { BOTH_LOCAL_SYSTEM } from "../../support/facts.ts";
import {
  createWinePrefix,
  findWine,
  processCalls,
  type TracedProcess,
  unescapeDebugString,
  type WinePrefix,
  windowsArgv,
  windowsNode,
} from "../../support/wine.ts";
import type { ServiceInput, ServiceOutput } from "./wine-service-driver.ts";

const wine = findWine();
const here = dirname(fileURLToPath(import.meta.url));
const EM_HOME = "D:\\Introscope\\EM";
const SERVICE = "Introscope EM 10.7";
const SC = "c:\\windows\\system32\\sc.exe";

function facts(host: string): HostFacts {
  return {
    host,
    emHomeExists: true,
    emHomeHoldsEm: true,
    serviceStopped: false,
    canCreateSymlinks: true,
    symlinkL2R: true,
    emAccount: BOTH_LOCAL_SYSTEM,
    serviceControl: { via: "sc", name: SERVICE, stopWaitSeconds: 120, startWaitSeconds: 300 },
    dirs: [{ dir: "config", linkPath: "directory", share: { exists: true, writable: true, empty: true } }],
  };
}

describe.skipIf(wine === null)("sc.exe stop and start under Wine, as the plan renders them", () => {
  let prefix: WinePrefix;
  let work: string;
  let steps: Step[];
  let script: string;
  let output: ServiceOutput;
  let started: TracedProcess[];
  let opened: string[];

  beforeAll(async () => {
    const nodeExe = await windowsNode();
    prefix = await createWinePrefix();
    work = await mkdtemp(join(tmpdir(), "momlink-wine-service-"));
    await mkdir(join(work, "d"), { recursive: true });
    await prefix.mapDrive("D", join(work, "d"));
    const emHome = join(work, "d", "Introscope", "EM");
    await mkdir(emHome, { recursive: true });
    const markers = join(work, "markers");
    await mkdir(markers);
    await writeFile(
      join(emHome, "sc.bat"),
      `@echo PLANTED %0 %*> ${prefix.windowsPath(markers)}\\sc.txt\r\n`,
    );

    const plan = buildPlan({
      spec: {
        platform: "windows",
        primary: "mom-a",
        secondary: "mom-b",
        emHome: EM_HOME,
        secondaryEmHome: EM_HOME,
        share: "\\\\san-server\\mom-failover",
        dirs: ["config"],
        configAdded: false,
        manageServices: true,
      },
      changeId: "CHG-8",
      facts: { primary: facts("mom-a"), secondary: facts("mom-b") },
    });
    const primary = plan.hosts[0];
    script = renderHostScript(plan, primary);
    steps = primary.steps.filter((s) => s.kind === "stop-service" || s.kind === "start-service");
    expect(steps.map((s) => s.line)).toEqual([
      `%SystemRoot%\\System32\\sc.exe stop "${SERVICE}"`,
      `%SystemRoot%\\System32\\sc.exe start "${SERVICE}"`,
    ]);

    const input: ServiceInput = {
      emHome: EM_HOME,
      serviceName: SERVICE,
      steps,
      markers: prefix.windowsPath(markers),
      probe: "Spooler",
    };
    const inputFile = join(work, "input.json");
    const outputFile = join(work, "output.json");
    await writeFile(inputFile, JSON.stringify(input));
    const driver = prefix.windowsPath(join(here, "wine-service-driver.ts"));
    const run = await prefix.run(
      [nodeExe, driver, prefix.windowsPath(inputFile), prefix.windowsPath(outputFile)],
      {
        timeoutMs: 90_000,
        stdoutFile: join(work, "stdout.log"),
        stderrFile: join(work, "stderr.log"),
        debug: "+process,+service",
      },
    );
    const trace = await readFile(join(work, "stderr.log"), "utf8");
    if (!existsSync(outputFile)) {
      throw new Error(
        `node.exe wrote no results (exit ${run.exitCode}, timed out: ${run.timedOut}):\n${trace.slice(-3000)}`,
      );
    }
    output = JSON.parse(await readFile(outputFile, "utf8")) as ServiceOutput;
    // Wine starts a conhost.exe for each console program: its console, not a program of ours.
    started = processCalls(trace).filter((p) => !/\\(node|conhost)\.exe$/i.test(p.app));
    opened = [...trace.matchAll(/OpenServiceW \S+ L"((?:[^"\\]|\\.)*)"/g)].map((m) =>
      unescapeDebugString(m[1] ?? ""),
    );
  }, 240_000);

  afterAll(async () => {
    await prefix?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it("runs both service steps through the runner's Windows service control in Windows node 22", () => {
    expect(output.error).toBeUndefined();
    expect(output.node).toMatch(/^v22\./);
    expect(output.runs.map((r) => [r.kind, r.refused ?? null, r.program?.toLowerCase()])).toEqual([
      ["stop-service", null, SC],
      ["start-service", null, SC],
    ]);
  });

  it("starts System32's sc.exe by absolute path with exactly the approved arguments, and nothing else", () => {
    expect(started.map((p) => p.app.toLowerCase()).filter((app) => app !== SC)).toEqual([]);
    const scs = started.filter((p) => p.app.toLowerCase() === SC);
    // The runner's own probes (sc query) start sc.exe too; the two approved lines are among them, in order.
    const approved = scs.map((p) => windowsArgv(p.cmdline).slice(1)).filter((args) => args[0] !== "query");
    expect(approved).toEqual(steps.map((s) => s.argv.slice(1)));
    expect(started.some((p) => /cmd\.exe$/i.test(p.app))).toBe(false);
  });

  it("hands sc.exe the service name as one argument: it opens exactly that service", () => {
    expect(opened.filter((name) => name === SERVICE).length).toBeGreaterThanOrEqual(2);
    expect(opened.every((name) => name === SERVICE || name === "Spooler")).toBe(true);
  });

  it("never runs a planted sc.bat in EM_HOME", () => {
    expect(output.markers).toEqual([]);
  });

  it("leaves the wait to the runner: the script shows it as the runner's, and the runner reads sc query's state number", () => {
    expect(script).toContain("REM the runner then waits up to 120 s until the service is stopped");
    expect(script).toContain("REM the runner then waits up to 300 s until the service runs");
    expect(output.probe).toEqual({ state: "stopped", detail: 'sc query "Spooler": state 1 (STOPPED)' });
  });
});
