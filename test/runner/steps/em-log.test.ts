// The EM log as evidence: only the failover lines written since the mark taken before the start
// count, numbered from there; a rotated log (shorter than the mark) is read from its beginning;
// the log's path comes from the properties EM_HOME's config holds.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_LOG_PATTERNS, evidenceFacts, matchLog } from "../../../src/domain/failover-evidence.ts";
import { createLinuxPlatform } from "../../../src/runner/platform/linux.ts";
import { logPath, markLog, readLogSince } from "../../../src/runner/steps/em-log.ts";

const KB = "11/11/15 05:08:08.550 PM EST [INFO] [main] [Manager.HotFailover]";
let emHome = "";

beforeEach(async () => {
  emHome = await mkdtemp(join(tmpdir(), "momlink-em-log-"));
  await mkdir(join(emHome, "config"), { recursive: true });
  await mkdir(join(emHome, "logs"), { recursive: true });
});
afterEach(async () => {
  await rm(emHome, { recursive: true, force: true });
});

const ctx = () => ({ platform: createLinuxPlatform(), emHome });

describe("the EM log since the start", () => {
  it("keeps only the failover lines written after the mark, numbered from it", async () => {
    const log = join(emHome, "logs", "IntroscopeEnterpriseManager.log");
    await writeFile(log, `${KB} Acquired primary lock\n${KB} Proceeding with startup\n`);
    const mark = await markLog(ctx());
    await appendFile(log, `${KB} Acquiring secondary lock...\nnoise\n${KB} Acquired secondary lock\n`);
    const seen = await readLogSince(mark, DEFAULT_LOG_PATTERNS);
    expect(seen).toMatchObject({ kind: "matched", path: log, fromByte: mark.size, scanned: 3 });
    expect(matchLog(seen).map((m) => [m.line, m.event])).toEqual([
      [1, "acquiring-secondary"],
      [3, "acquired-secondary"],
    ]);
    const fact = evidenceFacts(
      {
        host: "mom-b",
        service: { state: "running", source: "x", detail: "" },
        primaryLock: { state: "unknown", source: "x", detail: "" },
        secondaryLock: { state: "unknown", source: "x", detail: "" },
        log: seen,
      },
      matchLog(seen),
    ).find((f) => f.about === "log");
    expect(fact?.source).toBe(
      `${log}, from byte ${mark.size} (where it ended before this start; lines counted from there)`,
    );
  });

  it("reads a log rotated since the mark from its beginning", async () => {
    const log = join(emHome, "logs", "IntroscopeEnterpriseManager.log");
    await writeFile(log, `${"x".repeat(500)}\n`);
    const mark = await markLog(ctx());
    await writeFile(log, `${KB} Proceeding with startup\n`);
    expect(await readLogSince(mark, DEFAULT_LOG_PATTERNS)).toMatchObject({
      fromByte: 0,
      matches: [{ line: 1 }],
    });
  });

  it("finds the log where log4j.appender.logfile.File puts it, relative to EM_HOME", async () => {
    await writeFile(
      join(emHome, "config", "IntroscopeEnterpriseManager.properties"),
      "log4j.appender.logfile.File=logs/em-mom-a.log\n",
    );
    expect(await logPath(ctx())).toBe(join(emHome, "logs", "em-mom-a.log"));
  });
});
