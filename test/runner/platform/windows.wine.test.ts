// The Windows command-line fidelity lane: Windows node.exe 22 under Wine runs the runner's real
// Windows platform code (runCmdLine) on lines the real renderer emits, and Wine's trace of
// CreateSymbolicLinkW shows what cmd.exe and mklink parsed out of each line. What it proves:
// parsing (which link, which target, nothing else run). What it cannot: Wine's mklink and
// robocopy are stubs, so no link or copy is made.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWinePrefix,
  findWine,
  symlinkCalls,
  WINE_INSTALL_HINT,
  type WinePrefix,
  windowsNode,
} from "../../support/wine.ts";
import { type CorpusLine, corpusLines } from "./windows-corpus.ts";
import type { DriverInput, DriverOutput } from "./wine-driver.ts";

const wine = findWine();
if (wine === null) {
  console.warn(
    `windows.wine.test.ts skipped: wine is not installed. To run the Windows fidelity lane: ${WINE_INSTALL_HINT}`,
  );
}

const here = dirname(fileURLToPath(import.meta.url));
/** Drives the corpus uses besides C: (which must stay the prefix's drive_c: Windows lives there). */
const DRIVES: Record<string, string> = { D: "d", E: "e" };

describe.skipIf(wine === null)("cmd.exe under Wine parses every rendered line exactly as intended", () => {
  let prefix: WinePrefix;
  let work: string;
  let output: DriverOutput;
  let trace: string;
  let mklinks: CorpusLine[];
  let moves: CorpusLine[];
  let rmdirs: CorpusLine[];
  const hostileLines: string[] = [];
  let marker = "";

  beforeAll(async () => {
    const nodeExe = await windowsNode();
    prefix = await createWinePrefix();
    work = await mkdtemp(join(tmpdir(), "momlink-wine-work-"));
    for (const [letter, name] of Object.entries(DRIVES)) {
      await mkdir(join(work, name), { recursive: true });
      await prefix.mapDrive(letter, join(work, name));
    }
    const linuxPath = (windowsPath: string) => {
      const drive = DRIVES[windowsPath.charAt(0).toUpperCase()];
      const root = drive === undefined ? join(prefix.prefix, "drive_c") : join(work, drive);
      return join(root, ...windowsPath.slice(3).split("\\"));
    };

    const corpus = corpusLines();
    // Every distinct mklink line, run in its EM_HOME.
    const seen = new Set<string>();
    mklinks = corpus.filter(
      (c) => c.kind === "mklink" && !seen.has(c.line + c.cwd) && seen.add(c.line + c.cwd),
    );
    // Per request: move config aside and back, and rmdir an (empty, real) threaddumps, on the primary.
    const firstOf = (kind: CorpusLine["kind"], dir: string) =>
      [...new Set(corpus.map((c) => c.request))].map(
        (request) =>
          corpus.find((c) => c.request === request && c.kind === kind && c.dir === dir) as CorpusLine,
      );
    const asides = firstOf("move-aside", "config");
    const restores = firstOf("restore", "config");
    moves = asides.flatMap((aside, i) => [aside, restores[i] as CorpusLine]);
    // One per EM_HOME: several requests share D:\Introscope\EM, and rmdir leaves nothing to remove twice.
    const cwds = new Set<string>();
    rmdirs = firstOf("remove-link", "threaddumps").filter((e) => !cwds.has(e.cwd) && cwds.add(e.cwd));
    for (const entry of [...mklinks, ...moves, ...rmdirs]) {
      await mkdir(linuxPath(entry.cwd), { recursive: true });
    }
    for (const entry of asides) await mkdir(join(linuxPath(entry.cwd), "config"), { recursive: true });
    for (const entry of rmdirs) await mkdir(join(linuxPath(entry.cwd), "threaddumps"), { recursive: true });

    const em = "D:\\Introscope\\EM";
    await mkdir(linuxPath(em), { recursive: true });
    const markerWin = `${prefix.windowsPath(work)}\\pwned.txt`;
    marker = join(work, "pwned.txt");
    hostileLines.push(
      `mklink /D "a" "\\\\s\\x" & echo PWNED> ${markerWin}`,
      `mklink /D "config" "\\\\s\\share\\config"" & echo PWNED> ${markerWin}`,
      `%COMSPEC% /c echo PWNED> ${markerWin}`,
      `mklink /D "config" "\\\\s\\share\\config"\necho PWNED> ${markerWin}`,
      `rd /s /q "config"`,
      `del /q "config\\*"`,
      `mklink /D "con^fig" "\\\\s\\share\\config"`,
    );

    const input: DriverInput = {
      runs: [
        ...mklinks.map((e) => ({ line: e.line, cwd: e.cwd, observe: [] })),
        ...moves.map((e) => ({
          line: e.line,
          cwd: e.cwd,
          observe: (e.args as [string, string]).map((name) => `${e.cwd}\\${name}`),
        })),
        ...rmdirs.map((e) => ({ line: e.line, cwd: e.cwd, observe: [`${e.cwd}\\threaddumps`] })),
      ],
      hostile: hostileLines.map((line) => ({ line, cwd: em })),
      control: { line: hostileLines[0] ?? "", cwd: em },
      marker: markerWin,
      inspect: [`${em}\\no-such-dir`, em, `${em}\\file.txt`],
    };
    await writeFile(join(linuxPath(em), "file.txt"), "x");
    const inputFile = join(work, "input.json");
    const outputFile = join(work, "output.json");
    await writeFile(inputFile, JSON.stringify(input));
    const driver = prefix.windowsPath(join(here, "wine-driver.ts"));
    const run = await prefix.run(
      [nodeExe, driver, prefix.windowsPath(inputFile), prefix.windowsPath(outputFile)],
      {
        timeoutMs: 90_000,
        stdoutFile: join(work, "stdout.log"),
        stderrFile: join(work, "stderr.log"),
        debug: "fixme+file",
      },
    );
    trace = await readFile(join(work, "stderr.log"), "utf8");
    if (!existsSync(outputFile)) {
      throw new Error(
        `node.exe wrote no results (exit ${run.exitCode}, timed out: ${run.timedOut}):\n${trace.slice(-3000)}`,
      );
    }
    output = JSON.parse(await readFile(outputFile, "utf8")) as DriverOutput;
    if (output.startFailures.length > 0) {
      console.warn(
        `Wine failed to create cmd.exe and the line was run again:\n${output.startFailures.join("\n")}`,
      );
    }
  }, 240_000);

  afterAll(async () => {
    await prefix?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it("runs the runner's own Windows code in Windows node 22 with execa", () => {
    expect(output.error).toBeUndefined();
    expect(output.platform).toBe("win32");
    expect(output.node).toMatch(/^v22\./);
  });

  it("hands mklink exactly the intended link and target for every rendered line, and nothing else", () => {
    expect(mklinks.length).toBeGreaterThanOrEqual(30);
    const runs = output.runs.slice(0, mklinks.length);
    expect(runs.filter((r) => !r.ok)).toEqual([]);
    const calls = symlinkCalls(trace).map((c) => [c.link, c.target]);
    // One CreateSymbolicLinkW per corpus line, in order, then the control's, then the privilege
    // probe's own fs.symlink; none from hostile lines.
    expect(calls.slice(0, -1)).toEqual([...mklinks.map((e) => e.args), ["a", "\\\\s\\x"]]);
    expect(calls.at(-1)?.[0]).toMatch(/momlink-probe-[^\\]+\\link$/);
  });

  it("moves exactly the named directories aside and back", () => {
    const runs = output.runs.slice(mklinks.length, mklinks.length + moves.length);
    expect(runs).toHaveLength(moves.length);
    runs.forEach((run, i) => {
      expect({ line: moves[i]?.line, ok: run.ok, before: run.before, after: run.after }).toEqual({
        line: moves[i]?.line,
        ok: true,
        before: [true, false],
        after: [false, true],
      });
    });
  });

  it("removes exactly the named directory with rmdir", () => {
    const runs = output.runs.slice(mklinks.length + moves.length);
    expect(runs.map((r) => [r.ok, r.before, r.after])).toEqual(rmdirs.map(() => [true, [true], [false]]));
  });

  it("refuses hostile lines under Windows node too, before any process starts", () => {
    expect(output.hostile).toHaveLength(hostileLines.length);
    for (const [i, result] of output.hostile.entries()) {
      expect(result.refused, hostileLines[i]).toBeTruthy();
      expect(result.starts, hostileLines[i]).toBe(0);
    }
    expect(output.markerAfterHostile).toBe(false);
  });

  it("reads facts through Windows node: what a path holds, and an unknown service is never 'stopped'", () => {
    expect(output.facts.inspect).toEqual(["missing", "directory", "file"]);
    expect(output.facts.service).toBe("unknown");
  });

  it("would have been fooled without the check: the same hostile line run raw executes the injected command", () => {
    // The control shows the lane can see an injection: the marker file appears and mklink ran.
    expect(output.control.markerAfterControl).toBe(true);
    expect(existsSync(marker)).toBe(true);
  });
});
