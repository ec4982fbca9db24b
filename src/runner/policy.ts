// The runner's own policy, set on the host by its administrator: whatever the bot sends, this
// runner only touches EM_HOMEs under its `--allow-em-home` roots and only seeds and links into
// shares under its `--allow-share` roots. The bot holds the signing key, so a compromised bot can
// sign any plan; it can still only ask for what the host already agreed to.
import type { PlatformName } from "./platform/platform.ts";

/** What a set of roots limits: the EM_HOMEs a job may change, or the shares it may seed and link to. */
export type RootKind = "em-home" | "share";

export interface RootPolicy {
  kind: RootKind;
  platform: PlatformName;
  /**
   * Normalised roots: no trailing separator, no `.`/`..` or empty components. EM_HOME: absolute
   * paths (Windows with a drive letter; "" stands for Linux's `/`). Share: Linux mount paths,
   * Windows UNC prefixes `\\server\share[\...]`.
   */
  roots: string[];
}

/** The command-line option that sets each kind of root, for messages. */
export const ROOT_OPTION: Readonly<Record<RootKind, string>> = {
  "em-home": "--allow-em-home",
  share: "--allow-share",
};

/** Checks and normalises `--allow-em-home` roots; throws on one that is not a plain absolute path (a configuration error). */
export function createEmHomePolicy(platform: PlatformName, roots: readonly string[]): RootPolicy {
  return createRootPolicy("em-home", platform, roots);
}

/** Checks and normalises `--allow-share` roots (Linux mount paths, Windows UNC prefixes); throws on a bad one. */
export function createSharePolicy(platform: PlatformName, roots: readonly string[]): RootPolicy {
  return createRootPolicy("share", platform, roots);
}

function createRootPolicy(kind: RootKind, platform: PlatformName, roots: readonly string[]): RootPolicy {
  if (roots.length === 0) {
    throw new Error(
      kind === "em-home"
        ? "--allow-em-home: give at least one EM_HOME root this runner may change"
        : "--allow-share: give at least one share root this runner may seed and link to",
    );
  }
  return { kind, platform, roots: roots.map((root) => normaliseRoot(kind, platform, root)) };
}

function normaliseRoot(kind: RootKind, platform: PlatformName, root: string): string {
  const bad = (why: string) => new Error(`${ROOT_OPTION[kind]} ${JSON.stringify(root)}: ${why}`);
  if (/\p{Cc}/u.test(root)) throw bad("it contains a control character");
  const relative = (parts: string[]) => parts.some((part) => part === "" || part === "." || part === "..");
  if (platform === "windows") {
    const path = root.replaceAll("/", "\\");
    if (kind === "share") {
      const match = /^\\\\([^\\]+)\\([^\\]+)((?:\\.*)?)$/.exec(path);
      if (!match || path.startsWith("\\\\?\\") || path.startsWith("\\\\.\\")) {
        throw bad("give a UNC prefix with a server and a share, like \\\\san-server\\mom-failover");
      }
      const rest = (match[3] ?? "").replace(/\\+$/, "");
      if (relative(rest.split("\\").slice(1))) throw bad("it has an empty, . or .. component");
      return `\\\\${match[1]}\\${match[2]}${rest}`;
    }
    const match = /^([A-Za-z]):(\\.*)?$/.exec(path);
    if (!match) throw bad("give an absolute path with a drive letter, like D:\\Introscope");
    const rest = (match[2] ?? "").replace(/\\+$/, "");
    if (relative(rest.split("\\").slice(1))) throw bad("it has an empty, . or .. component");
    return `${match[1]}:${rest}`;
  }
  if (!root.startsWith("/")) {
    throw bad(`give an absolute path, like ${kind === "share" ? "/mnt/mom-failover" : "/opt/CA"}`);
  }
  const path = root.replace(/\/+$/, "");
  if (relative(path.split("/").slice(1))) throw bad("it has an empty, . or .. component");
  // `/` as a share root would let a plan seed and link into /etc: name the mount itself.
  if (kind === "share" && path === "")
    throw bad("/ would allow every directory: name the share's mount point");
  return path; // "" stands for "/" itself
}

/**
 * True when `path` is one of the roots or below one, on whole path components (`D:\APM` allows
 * `D:\APM\EM`, not `D:\APM2`). Case-insensitive on Windows (drive paths and UNC alike), exact on
 * Linux. A path with `.`/`..` components or control characters is never allowed.
 */
export function allowedByRoots(policy: RootPolicy, path: string): boolean {
  if (/\p{Cc}/u.test(path)) return false;
  if (policy.platform === "windows") {
    const lower = path.toLowerCase();
    if (lower.includes("/")) return false;
    if (lower.split("\\").some((part) => part === "." || part === "..")) return false;
    return policy.roots.some((root) => {
      const r = root.toLowerCase();
      return lower === r || lower.startsWith(`${r}\\`);
    });
  }
  if (path.split("/").some((part) => part === "." || part === "..")) return false;
  return policy.roots.some((root) => path === root || path.startsWith(`${root}/`));
}

/** Why `path` is refused, naming the option and the roots, or null when it is allowed. */
export function outsideRoots(policy: RootPolicy, path: string): string | null {
  if (allowedByRoots(policy, path)) return null;
  const what = policy.kind === "em-home" ? "EM_HOME" : "share";
  const roots = policy.roots.map((root) => (root === "" ? "/" : root)).join(", ");
  return `${what} ${path} is outside this runner's ${ROOT_OPTION[policy.kind]} roots (${roots})`;
}
