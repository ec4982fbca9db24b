// The Windows platform layer, checked on any OS: what it refuses before starting a process, what
// exactly it starts for an accepted line, and how it reads sc/fsutil answers. No Wine here; the
// Wine lane (windows.wine.test.ts) checks what cmd.exe makes of the accepted lines.
import { describe, expect, it } from "vitest";
import type { Step } from "../../../src/domain/plan.ts";
import type { ProcessStarter, StartRequest, StartResult } from "../../../src/runner/platform/process.ts";
import {
  CMD_ENV,
  checkCmdLine,
  robocopyArgvProblem,
  robocopySucceeded,
  runCmdLine,
  runRobocopy,
} from "../../../src/runner/platform/windows.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";
import { decodeConsole } from "../../../src/runner/platform/windows-system.ts";
import { tokenizeCmd } from "../../support/cmd-tokenizer.ts";
import { BEST_FIT_LOOKALIKES } from "../../support/lookalikes.ts";
import { corpusLines } from "./windows-corpus.ts";

const EM = "D:\\Introscope\\EM";
const OK_LINE = 'mklink /D "config" "\\\\san-server\\mom-failover\\config"';

function recordingStarter(answer: Partial<StartResult> = {}): {
  start: ProcessStarter;
  calls: StartRequest[];
} {
  const calls: StartRequest[] = [];
  const start: ProcessStarter = async (request) => {
    calls.push(request);
    return { exitCode: 0, output: new Uint8Array(), truncated: false, timedOut: false, ...answer };
  };
  return { start, calls };
}

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");

const run = (line: string, start: ProcessStarter, cwd = EM) =>
  runCmdLine(line, {
    cwd,
    timeoutMs: 10_000,
    outputLimit: 4096,
    start,
    systemRoot: "C:\\Windows",
  });

describe("lines the Windows layer refuses before any process starts", () => {
  // [what, line, the reason must mention]
  const hostile: [string, string, RegExp][] = [
    [
      "a second command after &",
      'mklink /D "a" "\\\\s\\x" & echo PWNED',
      /& at position 23: it starts a second command/,
    ],
    [
      "a redirection into a file",
      'mklink /D "config" "\\\\s\\share\\config" > C:\\pwned.txt',
      /> at position \d+: it redirects output/,
    ],
    ["a pipe", 'rmdir "config" | more', /\| at position \d+/],
    ["an input redirection", 'rmdir "config" < nul', /< at position \d+/],
    ["a variable to expand", "%COMSPEC%", /% at position 1: cmd.exe expands %VAR%/],
    [
      "a variable inside quotes",
      'mklink /D "config" "\\\\s\\%USERNAME%\\config"',
      /% at position \d+.*even inside quotes/,
    ],
    ["delayed expansion inside quotes", 'mklink /D "config" "\\\\s\\!x!\\config"', /! at position \d+/],
    ["cmd's escape character", 'mklink /D con^fig "\\\\s\\share\\config"', /\^ at position 14/],
    ["a command group", '(rmdir "config")', /\( at position 1/],
    [
      "a quote that closes early and runs calc",
      'mklink /D "config" "\\\\s\\share\\config"" & calc',
      /& at position/,
    ],
    ["an unbalanced quote", 'mklink /D "config" "\\\\s\\share\\config', /unbalanced double quote/],
    [
      "a third quoted argument",
      'mklink /D "config" "\\\\s\\share" "config"',
      /not one of the runner's commands/,
    ],
    ["an unquoted target", "mklink /D config \\\\s\\share\\config", /not one of the runner's commands/],
    [
      "a line feed and a second line",
      `${OK_LINE}\nrd /s /q C:\\`,
      /control character U\+000A at position 54/,
    ],
    ["a carriage return", `${OK_LINE}\r`, /control character U\+000D/],
    ["a NUL", `rmdir "config\0"`, /control character U\+0000/],
    ["rd /s", 'rd /s /q "config"', /not one of the runner's commands/],
    ["rmdir /s", 'rmdir /s /q "config"', /not one of the runner's commands/],
    ["del", 'del /q "config\\*"', /not one of the runner's commands/],
    ["free text", "echo hello", /not one of the runner's commands/],
    ["an empty line", "", /empty/],
    [
      "a junction instead of a directory link",
      'mklink /J "config" "\\\\s\\share\\config"',
      /not one of the runner's commands/,
    ],
    ["a drive-letter target", 'mklink /D "config" "S:\\share\\config"', /not a UNC path/],
    ["a device path target", 'mklink /D "config" "\\\\?\\UNC\\s\\share\\config"', /device path|contains \?/],
    [
      "a link name that is not the target's last component",
      'mklink /D "data" "\\\\s\\share\\config"',
      /not the target's last component/,
    ],
    ["a link outside EM_HOME", 'mklink /D "..\\config" "\\\\s\\share\\config"', /plain name inside EM_HOME/],
    [
      "a parent-directory target component",
      'mklink /D "config" "\\\\s\\share\\..\\config"',
      /relative component \.\./,
    ],
    ["move to an absolute path", 'move "config" "C:\\Windows\\config"', /plain name inside EM_HOME/],
    ["move between unrelated names", 'move "config" "data"', /only for <dir> <-> <dir>\.pre-CHG-<n>/],
    [
      "robocopy through cmd.exe (cmd would run a planted robocopy.bat from EM_HOME first)",
      'robocopy "D:\\EM\\config" "\\\\s\\share\\config" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
      /not one of the runner's commands/,
    ],
    ["a trailing space", `${OK_LINE} `, /not one of the runner's commands/],
    ["a full-width ampersand", 'mklink /D "config" "\\\\s\\share\\a＆b\\config"', /looks like `&`/],
    ["a full-width quote", 'mklink /D "config" "\\\\s\\share\\a＂b\\config"', /looks like `"`/],
    // Best-fit look-alikes NFKC leaves alone, each named with its code point (domain/path-chars.ts).
    ...BEST_FIT_LOOKALIKES.map(([ch, cp, ascii]): [string, string, RegExp] => [
      `the look-alike ${ch}`,
      `mklink /D "config" "\\\\s\\share\\a${ch}b\\config"`,
      new RegExp(`^${escapeRegExp(`\`${ch}\` (${cp}) at position 32 looks like \`${ascii}\``)}`),
    ]),
    [
      "a stray curly quote",
      'mklink /D "config" "\\\\s\\share\\a“b\\config"',
      /U\+201C\) at position 32 is a typographic quote/,
    ],
    [
      "the replacement character",
      'mklink /D "config" "\\\\s\\share\\a\uFFFDb\\config"',
      /U\+FFFD\) at position 32 is the replacement character/,
    ],
    [
      "a lone surrogate",
      'mklink /D "config" "\\\\s\\share\\a\uD83Db\\config"',
      /^U\+D83D at position 32 is half of a UTF-16 surrogate pair/,
    ],
    [
      "a zero width space",
      'mklink /D "config" "\\\\s\\share\\a\u200Bb\\config"',
      /U\+200B \(zero width space\) at position 32 is an invisible character/,
    ],
    [
      "a target component starting with a space",
      'mklink /D "config" "\\\\san-server\\mom-failover\\ x\\config"',
      /link target component " x" starts with a space/,
    ],
  ];

  it.each(hostile)("refuses %s", async (_what, line, reason) => {
    const { start, calls } = recordingStarter();
    const result = await run(line, start);
    expect(result.refused).toMatch(reason);
    expect(result.ok).toBe(false);
    expect(calls).toEqual([]);
  });

  it.each([
    ["a working directory that breaks out of its quotes", 'C:\\x" & calc'],
    ["a relative working directory", "Introscope\\EM"],
    ["a UNC working directory", "\\\\s\\share"],
  ])("refuses %s", async (_what, cwd) => {
    const { start, calls } = recordingStarter();
    const result = await run(OK_LINE, start, cwd);
    expect(result.refused).toMatch(/working directory/);
    expect(calls).toEqual([]);
  });

  it("refuses a line whose verb does not belong to the step kind, even a well-formed one", async () => {
    const { start, calls } = recordingStarter();
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows" });
    const step: Step = { kind: "mklink", dir: "config", line: 'rmdir "config"', argv: [] };
    const result = await platform.run(step, { cwd: EM, timeoutMs: 1000, outputLimit: 1024 });
    expect(result.refused).toMatch(/a mklink step does not run rmdir/);
    expect(calls).toEqual([]);
  });
});

describe("robocopy argv the Windows layer refuses before it starts", () => {
  const SOURCE = "D:\\Introscope\\EM\\config";
  const TARGET = "\\\\san-server\\mom-failover\\config";
  const EXE = "%SystemRoot%\\System32\\robocopy.exe";
  const TAIL = ["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"];
  const approved = [EXE, SOURCE, TARGET, ...TAIL];

  it("accepts exactly the seed argv the plan builder emits", () => {
    expect(robocopyArgvProblem(approved)).toBeNull();
  });

  // [what, argv, the reason must mention]
  const hostile: [string, string[], RegExp][] = [
    ["robocopy found through PATH", ["robocopy", SOURCE, TARGET, ...TAIL], /runs only/],
    ["another absolute path", ["C:\\Windows\\System32\\robocopy.exe", SOURCE, TARGET, ...TAIL], /runs only/],
    ["mirroring (deletes in the target)", [EXE, SOURCE, TARGET, "/MIR"], /runs only/],
    ["an extra /PURGE", [...approved, "/PURGE"], /runs only/],
    [
      "junctions followed (no /XJ)",
      [EXE, SOURCE, TARGET, "/E", "/COPY:DAT", "/R:1", "/W:1", "/NP"],
      /runs only/,
    ],
    [
      "owner and ACLs copied",
      [EXE, SOURCE, TARGET, "/E", "/COPY:DATSOU", "/R:1", "/W:1", "/XJ", "/NP"],
      /runs only/,
    ],
    ["another directory name", [EXE, SOURCE, "\\\\s\\share\\data", ...TAIL], /same directory name/],
    ["a UNC source", [EXE, "\\\\s\\share\\config", TARGET, ...TAIL], /not an absolute path/],
    ["a drive-letter target", [EXE, SOURCE, "S:\\share\\config", ...TAIL], /not a UNC path/],
    ["a relative target component", [EXE, SOURCE, "\\\\s\\share\\..\\config", ...TAIL], /relative component/],
    [
      "a quote in a path",
      [EXE, 'D:\\EM\\a" /MIR "\\config', TARGET, ...TAIL],
      /character no plan emits: a double quote/,
    ],
    [
      "a variable in a path",
      [EXE, "D:\\%TEMP%\\config", TARGET, ...TAIL],
      /% at position 4: cmd.exe expands/,
    ],
    [
      "a best-fit look-alike of a backslash (the yen sign of code page 932)",
      [EXE, SOURCE, "\\\\s\\share¥..¥config", ...TAIL],
      /U\+00A5.* at position 10/,
    ],
  ];

  it.each(hostile)("refuses %s", async (_what, argv, reason) => {
    expect(robocopyArgvProblem(argv)).toMatch(reason);
    const { start, calls } = recordingStarter();
    const result = await runRobocopy(argv, { cwd: EM, timeoutMs: 1000, outputLimit: 1024, start });
    expect(result.refused).toMatch(reason);
    expect(calls).toEqual([]);
  });
});

describe("lines the renderer emits", () => {
  const corpus = corpusLines();

  it("form a corpus of every command kind", () => {
    expect(new Set(corpus.map((c) => c.kind))).toEqual(
      new Set(["seed-share", "move-aside", "mklink", "remove-link", "restore"]),
    );
    expect(corpus.filter((c) => c.kind === "mklink").length).toBeGreaterThanOrEqual(30);
  });

  const byRequest = [...new Set(corpus.map((c) => c.request))].map(
    (request) => [request, corpus.filter((c) => c.request === request)] as const,
  );

  it.each(byRequest)("%s: every line is accepted and means exactly its arguments", (_request, entries) => {
    for (const entry of entries) {
      if (entry.kind === "seed-share") {
        // A program: its argv runs, and the approved line shows that argv with each path quoted.
        const switches = ["/E", "/COPY:DAT", "/R:1", "/W:1", "/XJ", "/NP"];
        expect(entry.argv, entry.line).toEqual([
          "%SystemRoot%\\System32\\robocopy.exe",
          ...entry.args,
          ...switches,
        ]);
        expect(robocopyArgvProblem(entry.argv), entry.line).toBeNull();
        expect(checkCmdLine(entry.line).ok, entry.line).toBe(false);
        const parsed = tokenizeCmd(entry.line);
        expect(parsed.unquotedMetachars, entry.line).toEqual([]);
        expect(parsed.args, entry.line).toEqual([
          "%SystemRoot%\\System32\\robocopy.exe",
          ...entry.args,
          ...switches,
        ]);
        continue;
      }
      expect(entry.argv, entry.line).toEqual([]);
      const check = checkCmdLine(entry.line);
      expect(check, entry.line).toEqual({ ok: true, value: { verb: expect.any(String), args: entry.args } });
      // An independent model of cmd.exe's splitting agrees: no metacharacter, no expansion.
      const parsed = tokenizeCmd(entry.line);
      expect(parsed.unquotedMetachars, entry.line).toEqual([]);
      expect(parsed.expansionChars, entry.line).toEqual([]);
      expect(parsed.args.slice(-entry.args.length), entry.line).toEqual(entry.args);
    }
  });

  it("starts cmd.exe /d /s /c with the approved text inside one pair of quotes, verbatim, in EM_HOME, with no current-directory lookup", async () => {
    const { start, calls } = recordingStarter();
    const builtins = corpus.filter((c) => c.kind !== "seed-share");
    for (const entry of builtins) await run(entry.line, start, entry.cwd);
    expect(calls).toHaveLength(builtins.length);
    calls.forEach((call, i) => {
      const entry = builtins[i];
      expect(call).toMatchObject({
        file: "C:\\Windows\\System32\\cmd.exe",
        args: ["/d", "/s", "/c", `"${entry?.line}"`],
        cwd: entry?.cwd,
        verbatim: true,
        timeoutMs: 10_000,
        env: { NoDefaultCurrentDirectoryInExePath: "1" },
      });
    });
    expect(CMD_ENV).toEqual({ NoDefaultCurrentDirectoryInExePath: "1" });
  });

  it("starts robocopy by its System32 path with the approved argv and no shell, never cmd.exe", async () => {
    const { start, calls } = recordingStarter();
    const platform = createWindowsPlatform({ start, systemRoot: "E:\\WINNT" });
    const seeds = corpus.filter((c) => c.kind === "seed-share");
    expect(seeds.length).toBeGreaterThan(0);
    for (const entry of seeds) {
      const step: Step = { kind: "seed-share", dir: entry.dir, line: entry.line, argv: entry.argv };
      const result = await platform.run(step, { cwd: entry.cwd, timeoutMs: 10_000, outputLimit: 4096 });
      expect(result.program).toBe("E:\\WINNT\\System32\\robocopy.exe");
    }
    expect(calls.map((c) => [c.file, c.args, c.verbatim ?? false])).toEqual(
      seeds.map((e) => ["E:\\WINNT\\System32\\robocopy.exe", e.argv.slice(1), false]),
    );
  });

  it("refuses a seed-share step whose argv is empty (a robocopy line alone never runs)", async () => {
    const { start, calls } = recordingStarter();
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows" });
    const seed = corpus.find((c) => c.kind === "seed-share");
    const step: Step = { kind: "seed-share", dir: "config", line: seed?.line ?? "", argv: [] };
    const result = await platform.run(step, { cwd: EM, timeoutMs: 1000, outputLimit: 1024 });
    expect(result.refused).toMatch(/a seed-share step runs only/);
    expect(calls).toEqual([]);
  });
});

describe("exit codes and output", () => {
  it.each([
    [0, true],
    [1, true],
    [7, true],
    [8, false],
    [16, false],
    [null, false],
  ] as const)("robocopy exiting with %s counts as success: %s", (code, ok) => {
    expect(robocopySucceeded(code)).toBe(ok);
  });

  it("reports a robocopy run that copied files (exit 1) as a success, and 8 as a failure", async () => {
    const argv = [
      "%SystemRoot%\\System32\\robocopy.exe",
      "D:\\Introscope\\EM\\config",
      "\\\\san-server\\mom-failover\\config",
      "/E",
      "/COPY:DAT",
      "/R:1",
      "/W:1",
      "/XJ",
      "/NP",
    ];
    const options = { cwd: EM, timeoutMs: 10_000, outputLimit: 4096 };
    expect((await runRobocopy(argv, { ...options, start: recordingStarter({ exitCode: 1 }).start })).ok).toBe(
      true,
    );
    expect((await runRobocopy(argv, { ...options, start: recordingStarter({ exitCode: 8 }).start })).ok).toBe(
      false,
    );
  });

  it("counts only exit 0 as success for a builtin", async () => {
    expect((await run(OK_LINE, recordingStarter({ exitCode: 0 }).start)).ok).toBe(true);
    expect((await run(OK_LINE, recordingStarter({ exitCode: 1 }).start)).ok).toBe(false);
  });

  it("decodes console output in the OEM code page, and UTF-8 as UTF-8", () => {
    // "Zugriff verweigert: Übergröße" in code page 850
    const cp850 = Buffer.from([0x9a, 0x62, 0x65, 0x72, 0x67, 0x72, 0x94, 0xe1, 0x65]);
    expect(decodeConsole(cp850, 850)).toBe("Übergröße");
    expect(decodeConsole(Buffer.from("été", "utf8"), 850)).toBe("été");
    expect(decodeConsole(Buffer.from([0x82, 0x74, 0x82]), 437)).toBe("été");
    expect(decodeConsole(Buffer.from([0x41, 0xff]), null)).toBe("A\ufffd");
  });

  it("reports a line that ran out of time as failed", async () => {
    const result = await run(OK_LINE, recordingStarter({ exitCode: null, timedOut: true }).start);
    expect(result).toMatchObject({ ok: false, timedOut: true });
    expect(result.output).toContain("stopped after 10000 ms");
  });
});

describe("Windows facts from System32 tools", () => {
  it("asks sc.exe and reg.exe by their System32 path, never through a PATH search", async () => {
    const { start, calls } = recordingStarter();
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows" });
    await platform.serviceState("IScopeEM");
    await platform.symlinkL2R("\\\\san-server\\no-such-share");
    expect(calls.map((c) => [c.file, c.args])).toEqual([
      ["C:\\Windows\\System32\\sc.exe", ["query", "IScopeEM"]],
      [
        "C:\\Windows\\System32\\reg.exe",
        ["query", "HKLM\\Software\\Policies\\Microsoft\\Windows\\Filesystems\\NTFS"],
      ],
      ["C:\\Windows\\System32\\reg.exe", ["query", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem"]],
    ]);
  });
});
