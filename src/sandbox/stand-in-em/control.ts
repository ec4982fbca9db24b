// The service control of the stand-in Enterprise Manager (stand_in_em.py): start, stop and status
// like a systemd unit, with a pid file, so a Linux runner's configurable start/stop/status
// commands (emctl.ts) or a test in-process (these functions) can drive it as they would drive a
// real EM service. Used by tests and the console sandbox; never shipped to MOM hosts.
//
// What it must keep true:
// - `start` returns once the EM has settled (holds a lock as primary or standby, or runs without
//   failover), or fails with the EM's own output; it never leaves a half-started EM behind.
// - `stop` only signals the process its pid file names when that process is this EM_HOME's
//   stand-in (a reused pid is someone else's), waits for it to exit (SIGKILL after the limit),
//   and is a no-op when nothing runs, like `systemctl stop`.
// - `status` answers in `systemctl show` words (LoadState, ActiveState, MainPID), which the Linux
//   platform's service probe already reads; its exit code is 0 running, 3 stopped, 1 dead with
//   a pid file left behind (LSB init-script codes).
// - Every child process goes through execa, with no shell.
// - Linux only, like the lock probe it is seen through: it reads /proc to tell its EM from a
//   process that reused the pid.
import { watch } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { readProperties } from "../../domain/java-properties.ts";

export const STAND_IN_EM_SCRIPT = fileURLToPath(new URL("./stand_in_em.py", import.meta.url));
export const STAND_IN_CONTROL_CLI = fileURLToPath(new URL("./emctl.ts", import.meta.url));

export interface StandInOptions {
  emHome: string;
  /** Which MOM host this EM is. */
  host: string;
  /** Where the pid file, role file and the EM's console output live (not inside EM_HOME). */
  runDir: string;
  /** How often a waiting EM tries the primary lock. Default 200 ms. */
  pollMs?: number;
  /**
   * `on` (default): always take the failover locks. `off`: run without them. `properties`: like
   * a real EM, read EM_HOME's IntroscopeEnterpriseManager.properties at start: locks only with
   * `failover.enable=true`, configured as secondary when the host is in `failover.secondary`.
   */
  failover?: "on" | "off" | "properties";
  /** The Python 3 to run the EM with. Default `python3` from PATH. */
  python?: string;
  /** Bound on start and stop. Default 10 s. */
  timeoutMs?: number;
}

export type StandInRole = "starting" | "standby" | "primary" | "standalone";

export type StandInStatus =
  | { state: "running"; pid: number; role: StandInRole | "unknown" }
  | { state: "stopped" }
  | { state: "dead"; pid: number; detail: string };

const files = (options: StandInOptions) => ({
  pid: join(options.runDir, "stand-in-em.pid"),
  role: join(options.runDir, "stand-in-em.role.json"),
  output: join(options.runDir, "stand-in-em.out"),
});

/** The argv a runner's configurable service control runs for each verb. */
export function standInServiceCommands(
  options: StandInOptions,
): Record<"start" | "stop" | "status", string[]> {
  // Like bin/momlink.js: a Node 22 before 22.18 needs the flag to run TypeScript.
  const strip = ["--experimental-strip-types", "--no-warnings=ExperimentalWarning"];
  const node = [process.execPath, ...(process.features.typescript ? [] : strip)];
  const args = [
    "--em-home",
    resolve(options.emHome),
    "--host",
    options.host,
    "--run-dir",
    resolve(options.runDir),
    ...(options.pollMs === undefined ? [] : ["--poll-ms", String(options.pollMs)]),
    ...(options.failover === undefined ? [] : ["--failover", options.failover]),
    ...(options.python === undefined ? [] : ["--python", options.python]),
    ...(options.timeoutMs === undefined ? [] : ["--timeout-ms", String(options.timeoutMs)]),
  ];
  return {
    start: [...node, STAND_IN_CONTROL_CLI, "start", ...args],
    stop: [...node, STAND_IN_CONTROL_CLI, "stop", ...args],
    status: [...node, STAND_IN_CONTROL_CLI, "status", ...args],
  };
}

export async function standInStatus(options: StandInOptions): Promise<StandInStatus> {
  const pid = await readPid(files(options).pid);
  if (pid === null) return { state: "stopped" };
  const alive = await isStandIn(pid, options.emHome);
  if (!alive)
    return { state: "dead", pid, detail: `pid ${pid} from the pid file is not this EM_HOME's stand-in EM` };
  const role = await readRole(files(options).role, pid);
  return { state: "running", pid, role: role ?? "unknown" };
}

export async function startStandIn(options: StandInOptions): Promise<StandInStatus> {
  const current = await standInStatus(options);
  if (current.state === "running") return current;
  const paths = files(options);
  await mkdir(options.runDir, { recursive: true });
  await rm(paths.role, { force: true });
  const { failover, configuredAs } = await failoverMode(options);
  // No pipes back to this process: the EM outlives it (like a daemon) and writes its own output.
  const child = execa(
    options.python ?? "python3",
    [
      STAND_IN_EM_SCRIPT,
      "--em-home",
      resolve(options.emHome),
      "--host",
      options.host,
      "--poll-ms",
      String(options.pollMs ?? 200),
      "--role-file",
      paths.role,
      "--failover",
      failover,
      "--configured-as",
      configuredAs,
      "--console-log",
      paths.output,
    ],
    { cwd: options.emHome, detached: true, cleanup: false, stdio: "ignore", reject: false },
  );
  child.nodeChildProcess.unref();
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    throw new Error(`the stand-in EM did not start: ${result.shortMessage ?? "no pid"}`);
  }
  await writeAtomically(paths.pid, `${pid}\n`);
  const settled = await waitForRole(options, pid, child.nodeChildProcess);
  if (settled === "exited" || settled === "timeout") {
    if (settled === "timeout") await stopStandIn(options);
    else await rm(paths.pid, { force: true });
    const tail = (await readFile(paths.output, "utf8").catch(() => "")).split("\n").slice(-15).join("\n");
    throw new Error(
      settled === "exited"
        ? `the stand-in EM on ${options.host} exited during its start:\n${tail}`
        : `the stand-in EM on ${options.host} did not settle within ${options.timeoutMs ?? 10_000} ms and was stopped:\n${tail}`,
    );
  }
  return { state: "running", pid, role: settled };
}

export async function stopStandIn(options: StandInOptions): Promise<StandInStatus & { killed?: boolean }> {
  const paths = files(options);
  const pid = await readPid(paths.pid);
  if (pid === null) return { state: "stopped" };
  let killed = false;
  if (await isStandIn(pid, options.emHome)) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while ((await isStandIn(pid, options.emHome)) && Date.now() < deadline) await pause(25);
    if (await isStandIn(pid, options.emHome)) {
      process.kill(pid, "SIGKILL");
      killed = true;
    }
  }
  await rm(paths.pid, { force: true });
  await rm(paths.role, { force: true });
  return killed ? { state: "stopped", killed } : { state: "stopped" };
}

/** What `failover` means for this start; `properties` reads EM_HOME's file as an EM does at start. */
async function failoverMode(
  options: StandInOptions,
): Promise<{ failover: "on" | "off"; configuredAs: string }> {
  if (options.failover !== "properties")
    return { failover: options.failover ?? "on", configuredAs: "primary" };
  const key = "introscope.enterprisemanager.failover.";
  const path = join(options.emHome, "config", "IntroscopeEnterpriseManager.properties");
  const bytes = new Uint8Array(await readFile(path));
  const read = readProperties(bytes, [`${key}enable`, `${key}primary`, `${key}secondary`]);
  if (!read.ok) throw new Error(`${path}: ${read.problem.message}`);
  const [enable, primary, secondary] = read.value.keys.map((k) => k.value ?? "");
  const listed = (list: string | undefined) =>
    (list ?? "").split(",").some((h) => h.trim().toLowerCase() === options.host.toLowerCase());
  return {
    failover: enable === "true" ? "on" : "off",
    configuredAs: listed(secondary) && !listed(primary) ? "secondary" : "primary",
  };
}

/** Until the EM reports a settled role, exits, or the time limit passes; a watcher, with a slow poll as a backstop. */
function waitForRole(
  options: StandInOptions,
  pid: number,
  child: { once(event: "exit", listener: () => void): unknown },
): Promise<StandInRole | "exited" | "timeout"> {
  const paths = files(options);
  return new Promise((resolvePromise) => {
    let done = false;
    const finish = (outcome: StandInRole | "exited" | "timeout") => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(backstop);
      clearTimeout(limit);
      resolvePromise(outcome);
    };
    const check = () => {
      void readRole(paths.role, pid).then((role) => {
        if (role !== null && role !== "starting") finish(role);
      });
    };
    const watcher = watch(options.runDir, check);
    const backstop = setInterval(check, 250);
    const limit = setTimeout(() => finish("timeout"), options.timeoutMs ?? 10_000);
    child.once("exit", () => {
      // A last look: the role may have been written just before a fast exit.
      void readRole(paths.role, pid).then((role) =>
        finish(role !== null && role !== "starting" ? role : "exited"),
      );
    });
    check();
  });
}

async function readPid(path: string): Promise<number | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

async function readRole(path: string, pid: number): Promise<StandInRole | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as { pid?: unknown; role?: unknown };
    const roles: readonly string[] = ["starting", "standby", "primary", "standalone"];
    return state.pid === pid && typeof state.role === "string" && roles.includes(state.role)
      ? (state.role as StandInRole)
      : null;
  } catch {
    return null;
  }
}

/** Is `pid` a live (not zombie) stand-in EM of this EM_HOME? Read from /proc, so Linux only. */
async function isStandIn(pid: number, emHome: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  if (state === "Z" || state === "X") return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const argv = cmdline.split("\u0000");
  return argv.includes(STAND_IN_EM_SCRIPT) && argv.includes(resolve(emHome));
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
