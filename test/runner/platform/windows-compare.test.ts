// The Windows share comparison (robocopy /L, a dry run) over recorded listings in English, German,
// French and Japanese (test/fixtures/windows/robocopy-list/): the exit code's bits decide, the
// listing only counts and names files, and a failed dry run is "not compared", never "in sync".
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { ProcessStarter, StartRequest } from "../../../src/runner/platform/process.ts";
import { ROBOCOPY_LIST_SWITCHES, robocopyCompare } from "../../../src/runner/platform/windows-compare.ts";
import { parseRobocopyListing, robocopyExitBits } from "../../../src/runner/platform/windows-parse.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";
import { decodeConsole } from "../../../src/runner/platform/windows-system.ts";

interface Sample {
  file: string;
  tool: string;
  language: string;
  codePage: number;
  exitCode: number;
  expect: { toCopy: number; extra: number; name?: string };
}
const FIXTURES = new URL("../../fixtures/windows/", import.meta.url);
const index = JSON.parse(await readFile(new URL("index.json", FIXTURES), "utf8")) as { samples: Sample[] };
const sample = (file: string) => {
  const found = index.samples.find((s) => s.file === file);
  if (found === undefined) throw new Error(`no fixture ${file}`);
  return found;
};
const bytesOf = (s: Sample) => readFile(new URL(s.file, FIXTURES));
const SOURCE = "D:\\Introscope\\EM\\config";
const TARGET = "\\\\san-server\\mom-failover\\config";
const LANGUAGES = ["en", "de", "fr", "ja"] as const;

describe("the robocopy /L listing, whatever the language", () => {
  it.each(index.samples.filter((s) => s.tool === "robocopy-list").map((s) => [s.file, s] as const))(
    "%s",
    async (_file, s) => {
      const listed = parseRobocopyListing(decodeConsole(await bytesOf(s), s.codePage), SOURCE, TARGET);
      expect([listed.toCopy.length, listed.extra.length]).toEqual([s.expect.toCopy, s.expect.extra]);
      if (s.expect.name !== undefined) expect(listed.toCopy[0]).toBe(s.expect.name);
    },
  );

  it.each([
    [0, { ok: true, copies: false, extra: false, mismatched: false }],
    [1, { ok: true, copies: true, extra: false, mismatched: false }],
    [3, { ok: true, copies: true, extra: true, mismatched: false }],
    [7, { ok: true, copies: true, extra: true, mismatched: true }],
    [8, { ok: false, copies: false, extra: false, mismatched: false }],
    [16, { ok: false, copies: false, extra: false, mismatched: false }],
    [null, { ok: false, copies: false, extra: false, mismatched: false }],
  ] as const)("reads exit %s as its documented bits", (code, bits) => {
    expect(robocopyExitBits(code)).toEqual(bits);
  });
});

/** robocopy answering from the fixtures: the whole dry run, or the one that skips files the share holds. */
function robocopyFrom(language: string, files: { all: string; missingOnly?: string }) {
  const requests: StartRequest[] = [];
  const start: ProcessStarter = async (request) => {
    requests.push(request);
    if (request.file.endsWith("cmd.exe")) {
      return {
        exitCode: 0,
        output: await bytesOf(sample(`chcp/active.${language}.txt`)),
        truncated: false,
        timedOut: false,
      };
    }
    const which = request.args.includes("/XO") ? (files.missingOnly ?? files.all) : files.all;
    const s = sample(`robocopy-list/${which}.${language}.txt`);
    return { exitCode: s.exitCode, output: await bytesOf(s), truncated: false, timedOut: false };
  };
  return { start, requests };
}

const options = (start: ProcessStarter) => ({
  start,
  robocopy: "C:\\Windows\\System32\\robocopy.exe",
  codePage: null,
  timeoutMs: 12_000,
});

describe("robocopyCompare", () => {
  it.each(LANGUAGES)("finds a partial share out of sync and says what it lacks (%s)", async (language) => {
    const { start, requests } = robocopyFrom(language, {
      all: "partial",
      missingOnly: "partial-missing-only",
    });
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows" });
    const sync = await platform.compareTree(SOURCE, TARGET);
    const name = sample(`robocopy-list/partial.${language}.txt`).expect.name;
    expect(sync).toEqual({
      inSync: false,
      missing: 2,
      differing: 1,
      extra: 1,
      examples: [
        `missing ${name}`,
        "missing internal\\server\\README",
        "differs IntroscopeEnterpriseManager.properties",
        "extra stale.lck.bak",
      ],
      detail: `robocopy /L ${SOURCE} ${TARGET}: exit 3`,
    });
    const dryRuns = requests.filter((r) => r.file.endsWith("robocopy.exe"));
    expect(dryRuns.map((r) => r.args)).toEqual([
      [SOURCE, TARGET, ...ROBOCOPY_LIST_SWITCHES],
      [SOURCE, TARGET, ...ROBOCOPY_LIST_SWITCHES, "/XC", "/XN", "/XO"],
    ]);
    // A dry run: never a switch that copies, moves or deletes.
    expect(dryRuns.flatMap((r) => r.args)).toContain("/L");
    expect(dryRuns.flatMap((r) => r.args).filter((a) => /^\/(MIR|PURGE|MOV|MOVE)$/i.test(a))).toEqual([]);
  });

  it("finds a share in sync from the exit code alone, with one dry run", async () => {
    const { start, requests } = robocopyFrom("de", { all: "in-sync" });
    const sync = await robocopyCompare(SOURCE, TARGET, options(start));
    expect(sync).toMatchObject({ inSync: true, missing: 0, differing: 0, extra: 0 });
    expect(requests).toHaveLength(1);
  });

  it.each(LANGUAGES)(
    "says a dry run that failed compared nothing, with robocopy's own words (%s)",
    async (language) => {
      const { start } = robocopyFrom(language, { all: "share-unreachable" });
      const sync = await robocopyCompare(SOURCE, TARGET, options(start));
      expect(sync).toMatchObject({ inSync: null, missing: 0, extra: 0 });
      expect(sync.detail).toMatch(
        /^robocopy \/L failed \(exit 16\): 2024\/05\/02 10:11:12 .* 53 \(0x00000035\)/,
      );
    },
  );

  it("says a dry run that ran out of time compared nothing", async () => {
    const start: ProcessStarter = async () => ({
      exitCode: null,
      output: new Uint8Array(),
      truncated: false,
      timedOut: true,
    });
    expect((await robocopyCompare(SOURCE, TARGET, options(start))).detail).toBe(
      "robocopy /L did not finish in time: (no output)",
    );
  });
});
