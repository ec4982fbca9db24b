// The runner's own policy, set on the host by its administrator (`--allow-em-home <root>...`):
// whatever the bot sends, this runner only touches EM_HOMEs under these roots. A compromised bot
// can still only ask for what the host already agreed to.
import type { PlatformName } from "./platform/index.ts";

export interface EmHomePolicy {
  platform: PlatformName;
  /** Normalised roots: absolute, no trailing separator, no `.`/`..` components. */
  roots: string[];
}

/** Checks and normalises `--allow-em-home` roots; throws on a root that is not a plain absolute path (a configuration error). */
export function createEmHomePolicy(platform: PlatformName, roots: readonly string[]): EmHomePolicy {
  if (roots.length === 0) {
    throw new Error("--allow-em-home: give at least one EM_HOME root this runner may change");
  }
  return { platform, roots: roots.map((root) => normaliseRoot(platform, root)) };
}

function normaliseRoot(platform: PlatformName, root: string): string {
  const bad = (why: string) => new Error(`--allow-em-home ${JSON.stringify(root)}: ${why}`);
  if (/\p{Cc}/u.test(root)) throw bad("it contains a control character");
  if (platform === "windows") {
    const path = root.replaceAll("/", "\\");
    const match = /^([A-Za-z]):(\\.*)?$/.exec(path);
    if (!match) throw bad("give an absolute path with a drive letter, like D:\\Introscope");
    const rest = (match[2] ?? "").replace(/\\+$/, "");
    if (rest.split("\\").some((part, i) => i > 0 && (part === "" || part === "." || part === ".."))) {
      throw bad("it has an empty, . or .. component");
    }
    return `${match[1]}:${rest}`;
  }
  if (!root.startsWith("/")) throw bad("give an absolute path, like /opt/CA");
  const path = root.replace(/\/+$/, "");
  if (path.split("/").some((part, i) => i > 0 && (part === "" || part === "." || part === ".."))) {
    throw bad("it has an empty, . or .. component");
  }
  return path; // "" stands for "/" itself
}

/**
 * True when `emHome` is one of the roots or below one, on whole path components (`D:\APM` allows
 * `D:\APM\EM`, not `D:\APM2`). Case-insensitive on Windows, exact on Linux.
 */
export function emHomeAllowed(policy: EmHomePolicy, emHome: string): boolean {
  if (/\p{Cc}/u.test(emHome)) return false;
  if (policy.platform === "windows") {
    const path = emHome.toLowerCase();
    if (path.includes("/")) return false;
    if (path.split("\\").some((part) => part === "." || part === "..")) return false;
    return policy.roots.some((root) => {
      const r = root.toLowerCase();
      return path === r || path.startsWith(`${r}\\`);
    });
  }
  if (emHome.split("/").some((part) => part === "." || part === "..")) return false;
  return policy.roots.some((root) => emHome === root || emHome.startsWith(`${root}/`));
}
