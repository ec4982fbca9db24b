// A real JVM holding FileChannel.lock on a file (test/support/LockOracle.java), for tests that
// compare the stand-in EM's lock and the lock probe with what Java itself does.
import { execa } from "execa";
import { javaSource, runJava } from "./java.ts";

export interface JavaLockHolder {
  pid: number;
  /** Closes the JVM's stdin: it releases the lock and exits. */
  release(): Promise<void>;
}

export async function holdWithJava(java: string, file: string): Promise<JavaLockHolder> {
  const child = execa(java, [javaSource("LockOracle.java"), "hold", file], {
    reject: false,
    buffer: false,
    timeout: 60_000,
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      const m = /^locked (\d+)$/m.exec(seen);
      if (m) resolve(Number(m[1]));
    });
    void child.then((result) =>
      reject(new Error(`java exited before locking (${result.exitCode}): ${seen}`)),
    );
  });
  return {
    pid,
    release: async () => {
      child.stdin?.end();
      await child;
    },
  };
}

/** `acquired` when Java's tryLock() gets the file (released again at once), `held-elsewhere` when another process holds it. */
export async function tryLockWithJava(java: string, file: string): Promise<string> {
  return (await runJava(java, javaSource("LockOracle.java"), ["try", file])).trim();
}
