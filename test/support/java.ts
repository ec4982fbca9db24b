// A JDK as a test oracle: the real `java.util.Properties` and `FileChannel.lock` an Enterprise
// Manager uses, run as single-file source programs (`java Program.java`, JDK 11+: no build step).
// The machine images the project runs on ship OpenJDK 17; tests that need it skip without it.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const JAVA_INSTALL_HINT =
  "apt-get install -y --no-install-recommends default-jdk-headless (Debian/Ubuntu)";

/** The `java` launcher on PATH when it starts, or null. */
export function findJava(): string | null {
  try {
    const path = execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim();
    if (path === "") return null;
    execFileSync(path, ["-version"], { stdio: "ignore" });
    return path;
  } catch {
    return null;
  }
}

/** A Java source file in test/support. */
export const javaSource = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** Runs a single-file Java program to completion; rejects with its output when it fails. */
export async function runJava(
  java: string,
  source: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<string> {
  const result = await execa(java, [source, ...args], { reject: false, timeout: timeoutMs, stdin: "ignore" });
  if (result.exitCode !== 0) {
    throw new Error(
      `java ${source} exited ${result.exitCode ?? "by a signal"}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}
