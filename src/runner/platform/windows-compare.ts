// Is the share a complete copy of the primary's directory? Windows asks robocopy itself, as a dry
// run (/L: nothing is copied or deleted), with the switches the seed uses: what it would copy is
// what the share lacks or holds in another version. Its exit code's bits decide (they are not
// translated); the path listing only counts and names the files. A second dry run that skips files
// the share already holds (/XC /XN /XO) tells the missing ones from the differing ones.
import { type ShareSync, SYNC_EXAMPLES_MAX } from "../../domain/facts.ts";
import type { ProcessStarter } from "./process.ts";
import { parseRobocopyListing, robocopyExitBits } from "./windows-parse.ts";
import { rawText } from "./windows-probes.ts";
import { type CodePageSource, decodeOutput } from "./windows-system.ts";

/** The dry run: the seed's /E /XJ, no retries, and only full paths in the output. */
export const ROBOCOPY_LIST_SWITCHES = [
  "/L",
  "/E",
  "/XJ",
  "/R:0",
  "/W:0",
  "/NJH",
  "/NJS",
  "/NDL",
  "/NC",
  "/NS",
  "/NP",
  "/FP",
] as const;
/** Leave out files the share holds in any version: what is left is what it lacks. */
const ONLY_MISSING = ["/XC", "/XN", "/XO"] as const;

export interface RobocopyCompareOptions {
  start: ProcessStarter;
  /** `<SystemRoot>\System32\robocopy.exe`. */
  robocopy: string;
  codePage: CodePageSource;
  timeoutMs: number;
}

export async function robocopyCompare(
  source: string,
  target: string,
  options: RobocopyCompareOptions,
): Promise<ShareSync> {
  const dryRun = async (extra: readonly string[]) => {
    const result = await options.start({
      file: options.robocopy,
      args: [source, target, ...ROBOCOPY_LIST_SWITCHES, ...extra],
      timeoutMs: options.timeoutMs,
      outputLimit: 256 * 1024,
    });
    return { ...result, text: await decodeOutput(result.output, options.codePage) };
  };
  const unknown = (detail: string): ShareSync => ({
    inSync: null,
    missing: 0,
    differing: 0,
    extra: 0,
    examples: [],
    detail,
  });

  const all = await dryRun([]);
  const bits = robocopyExitBits(all.timedOut ? null : all.exitCode);
  if (all.startError !== undefined)
    return unknown(`robocopy /L did not start: ${rawText(all.startError, 200)}`);
  if (!bits.ok) {
    return unknown(
      `robocopy /L ${all.timedOut ? "did not finish in time" : `failed (exit ${String(all.exitCode)})`}: ${rawText(all.text)}`,
    );
  }
  if (!bits.copies && !bits.extra && !bits.mismatched) {
    return {
      inSync: true,
      missing: 0,
      differing: 0,
      extra: 0,
      examples: [],
      detail: `robocopy /L ${source} ${target}: exit 0, nothing to copy and nothing extra`,
    };
  }
  const listed = parseRobocopyListing(all.text, source, target);
  const lonely = bits.copies
    ? parseRobocopyListing((await dryRun(ONLY_MISSING)).text, source, target).toCopy
    : [];
  const missingSet = new Set(lonely.map((p) => p.toLowerCase()));
  const differing = listed.toCopy.filter((p) => !missingSet.has(p.toLowerCase()));
  const notes = [
    `robocopy /L ${source} ${target}: exit ${String(all.exitCode)}`,
    bits.extra && listed.extra.length === 0 ? "the share has extra directories" : "",
    all.truncated ? "the listing was too long to read whole: the counts are a lower bound" : "",
  ].filter(Boolean);
  return {
    inSync: false,
    missing: lonely.length,
    differing: differing.length,
    extra: listed.extra.length,
    examples: [
      ...lonely.map((p) => `missing ${p}`),
      ...differing.map((p) => `differs ${p}`),
      ...listed.extra.map((p) => `extra ${p}`),
    ].slice(0, SYNC_EXAMPLES_MAX),
    detail: notes.join("; "),
  };
}
