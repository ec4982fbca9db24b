// The EM log as failover evidence: where it is (log4j.appender.logfile.File in the properties,
// default logs/IntroscopeEnterpriseManager.log, relative to EM_HOME), where it ended right before
// the service was started, and the failover lines written since.
//
// What it must keep true:
// - Only lines since the start count: the mark is taken before the start command runs, and a
//   log that is shorter than the mark was rotated, so it is read from its beginning.
// - Reading is bounded (the last MAX_READ bytes since the mark), and only the lines that match a
//   failover pattern are kept, the latest MATCHED_LINES_MAX: the log may be huge and verbose.
// - A log that cannot be read is "unreadable" with the reason, never "no failover line".
import { open, readFile, stat } from "node:fs/promises";
import { propertiesFile } from "../../domain/em-files.ts";
import {
  type LogObservation,
  type LogPattern,
  MATCHED_LINE_MAX,
  MATCHED_LINES_MAX,
  matchLog,
} from "../../domain/failover-evidence.ts";
import { DEFAULT_LOG_FILE, emSettings } from "../../domain/failover-properties.ts";
import type { StepContext } from "./context.ts";

/** How much of the log since the mark is read at most (its end). */
const MAX_READ = 4 * 1024 * 1024;

/** The EM log's path on this host, from the properties EM_HOME's config holds (the shared one, once linked). */
export async function logPath(ctx: Pick<StepContext, "platform" | "emHome">): Promise<string> {
  const { platform, emHome } = ctx;
  const bytes = await readFile(platform.join(emHome, propertiesFile(platform.name))).catch(() => null);
  const settings = bytes === null ? null : emSettings(new Uint8Array(bytes));
  const written = settings?.ok ? settings.value.logFile.path : DEFAULT_LOG_FILE;
  const absolute =
    platform.name === "windows" ? /^[A-Za-z]:[\\/]|^\\\\/.test(written) : written.startsWith("/");
  if (absolute) return written;
  const parts = written.split(/[\\/]+/).filter((p) => p !== "" && p !== ".");
  return parts.reduce((path, part) => platform.join(path, part), emHome);
}

/** Where the log ends now (0 when it does not exist yet). */
export async function markLog(
  ctx: Pick<StepContext, "platform" | "emHome">,
): Promise<{ path: string; size: number }> {
  const path = await logPath(ctx);
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  return { path, size };
}

/** The failover lines written since `mark`. */
export async function readLogSince(
  mark: { path: string; size: number },
  patterns: readonly LogPattern[],
): Promise<LogObservation> {
  const { path } = mark;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      return { kind: "matched", path, fromByte: 0, scanned: 0, matches: [] };
    }
    return { kind: "unreadable", path, reason: error instanceof Error ? error.message : String(error) };
  }
  // Shorter than at the mark: rotated since, so everything in it was written after the start.
  const fromByte = size < mark.size ? 0 : mark.size;
  const start = Math.max(fromByte, size - MAX_READ);
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      // The EM writes ISO-8859-1; latin1 never fails to decode, and the patterns are ASCII.
      text = buffer.subarray(0, bytesRead).toString("latin1");
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { kind: "unreadable", path, reason: error instanceof Error ? error.message : String(error) };
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const numbered = lines.map((line, i) => ({ line: i + 1, text: line.slice(0, MATCHED_LINE_MAX) }));
  const all: LogObservation = { kind: "matched", path, fromByte, scanned: lines.length, matches: numbered };
  const matched = matchLog(all, patterns);
  const kept = new Set(matched.slice(-MATCHED_LINES_MAX).map((m) => m.line));
  return {
    kind: "matched",
    path,
    fromByte,
    scanned: lines.length,
    matches: numbered.filter((n) => kept.has(n.line)),
  };
}
