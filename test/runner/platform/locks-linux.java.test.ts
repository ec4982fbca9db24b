// The lock probe against the lock a real JVM takes with FileChannel.lock (what an Enterprise
// Manager does on primary_em.lck): it must look exactly like the stand-in EM's. Skips without a JDK.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeRecordLock } from "../../../src/runner/platform/locks-linux.ts";
import { type StandInOptions, startStandIn, stopStandIn } from "../../../src/sandbox/stand-in-em/index.ts";
import { findJava } from "../../support/java.ts";
import { holdWithJava } from "../../support/java-lock.ts";

const java = findJava();
/** Each JVM start takes one to three seconds on a loaded two-core machine. */
const JVM_TEST_MS = 90_000;

describe.skipIf(java === null)("the probe sees Java's FileChannel.lock as the EM's exclusive lock", () => {
  let root = "";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "momlink-java-lock-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it(
    "held by the JVM's pid, the same kind of lock over the same range as the stand-in EM's",
    async () => {
      const file = join(root, "primary_em.lck");
      await writeFile(file, "");
      const holder = await holdWithJava(java as string, file);
      let javaProbe: Awaited<ReturnType<typeof probeRecordLock>>;
      try {
        javaProbe = await probeRecordLock(file, { servicePid: holder.pid });
      } finally {
        await holder.release();
      }
      expect(javaProbe).toMatchObject({ state: "held", holders: [{ pid: holder.pid, isService: true }] });
      expect(await probeRecordLock(file)).toMatchObject({ state: "not-held" });

      const options: StandInOptions = { emHome: join(root, "em"), host: "mom-a", runDir: join(root, "run") };
      await mkdir(join(options.emHome, "config"), { recursive: true });
      await startStandIn(options);
      try {
        const standIn = await probeRecordLock(
          join(options.emHome, "config", "internal", "server", "primary_em.lck"),
        );
        const shape = (p: typeof standIn) =>
          p.state === "held"
            ? p.holders.map(({ type, access, range }) => ({ type, access, range }))
            : p.state;
        expect(shape(standIn)).toEqual(shape(javaProbe));
        expect(shape(standIn)).toEqual([{ type: "POSIX", access: "WRITE", range: "0-EOF" }]);
      } finally {
        await stopStandIn(options);
      }
    },
    JVM_TEST_MS,
  );
});
