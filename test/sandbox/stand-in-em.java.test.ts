// The stand-in EM takes the same OS lock a real JVM takes with FileChannel.lock: while it holds
// primary_em.lck, Java's tryLock is refused; while a JVM holds it, the stand-in stands by and takes
// over when the JVM lets go. Skips without a JDK.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type StandInOptions,
  standInStatus,
  startStandIn,
  stopStandIn,
} from "../../src/sandbox/stand-in-em/index.ts";
import { findJava } from "../support/java.ts";
import { holdWithJava, tryLockWithJava } from "../support/java-lock.ts";
import { waitFor } from "../support/watch.ts";

const java = findJava();
/** Each JVM start takes one to three seconds on a loaded two-core machine. */
const JVM_TEST_MS = 90_000;

describe.skipIf(java === null)("the stand-in EM and a real JVM exclude each other", () => {
  let root = "";
  let options: StandInOptions;
  let lockFile = "";

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "momlink-stand-in-java-"));
    options = { emHome: join(root, "em"), host: "mom-a", runDir: join(root, "run"), pollMs: 50 };
    lockFile = join(options.emHome, "config", "internal", "server", "primary_em.lck");
    await mkdir(join(options.emHome, "config", "internal", "server"), { recursive: true });
  });
  afterEach(async () => {
    await stopStandIn(options);
    await rm(root, { recursive: true, force: true });
  });

  it(
    "Java's tryLock is refused while the stand-in holds primary_em.lck, and succeeds once it stops",
    async () => {
      await startStandIn(options);
      expect(await tryLockWithJava(java as string, lockFile)).toBe("held-elsewhere");
      await stopStandIn(options);
      expect(await tryLockWithJava(java as string, lockFile)).toBe("acquired");
    },
    JVM_TEST_MS,
  );

  it(
    "the stand-in stands by while a JVM holds the lock, and takes over when it lets go",
    async () => {
      const jvm = await holdWithJava(java as string, lockFile);
      try {
        expect(await startStandIn(options)).toMatchObject({ state: "running", role: "standby" });
      } finally {
        await jvm.release();
      }
      const log = join(options.emHome, "logs", "IntroscopeEnterpriseManager.log");
      await waitFor(
        "the stand-in to take the primary lock",
        // Taken over: the log line and then the role the stand-in reports (written in that order).
        async () => {
          const logged = (await readFile(log, "utf8")).includes("Proceeding with startup");
          const status = await standInStatus(options);
          return logged && status.state === "running" && status.role === "primary" ? status : undefined;
        },
        {
          watch: [join(options.emHome, "logs")],
        },
      );
      expect(await standInStatus(options)).toMatchObject({ state: "running", role: "primary" });
    },
    JVM_TEST_MS,
  );
});
