// The watchdog: a small process between a Linux runner and one program a step runs, so that the
// program dies with the runner however the runner dies. Linux kills nobody's children when a parent
// is killed with SIGKILL (and `setpriv --pdeathsig` is missing from the util-linux of RHEL 8 and
// older, racy, and blind to grandchildren), so the runner holds this process's stdin open for as
// long as it lives: the kernel closes it when the runner exits, kill -9 included, and this process
// then kills the program's whole process group. The runner closes it itself at the time limit.
// Windows needs none of this: libuv puts every child of node.exe in a kill-on-close job object.
//
// Usage: node watchdog.mjs <program> [arguments...]   (started by process.ts, nobody else)
// What it must keep true: the program runs with exactly the argv given (spawn, no shell), in this
// process's working directory and environment, stdin closed, stdout and stderr those of this
// process; it leads its own process group, so that everything it starts goes with it; how it
// ended is one JSON line on fd 3: {"exit":{"code":n|null,"signal":s|null}} or {"startError":"..."}.
// SIGINT, SIGTERM and SIGHUP are the runner's to act on (a running step finishes before the runner
// stops), so they are ignored here. When the program ends, what is left of its group is killed too:
// a program that must outlive its step (a daemon it starts) must give it a session of its own
// (setsid, execa's detached), as the stand-in EM's emctl does; `systemctl start` hands the service
// to systemd, which is nobody's child here.
// Plain JavaScript with Node's own modules only: it starts once per step and must start fast
// (TypeScript stripping doubles a Node start), on every Node the runner supports, without flags.
import { spawn } from "node:child_process";
import { writeSync } from "node:fs";

/** Where the report goes; process.ts opens it as a pipe (WATCHDOG_REPORT_FD there). */
const REPORT_FD = 3;

const [file, ...args] = process.argv.slice(2);
if (file === undefined || file === "") {
  process.stderr.write("usage: watchdog.mjs <program> [arguments...]\n");
  process.exit(2);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});

const child = spawn(file, args, { stdio: ["ignore", "inherit", "inherit"], detached: true, shell: false });

/** Kills the program's process group: the program and whatever it started that is still there. */
function killGroup() {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Nobody left in the group.
  }
}

/** @param {unknown} value */
function report(value) {
  try {
    writeSync(REPORT_FD, `${JSON.stringify(value)}\n`);
  } catch {
    // The runner is gone (EPIPE): there is nobody to tell.
  }
}

child.once("error", (error) => {
  report({ startError: error.message });
  process.exit(127);
});
child.once("exit", (code, signal) => {
  // Nothing the step started may outlive it.
  killGroup();
  report({ exit: { code, signal } });
  process.exit(code ?? 128);
});
// The lifeline: the end of stdin means the runner is gone, or wants the program stopped.
process.stdin.on("end", killGroup);
process.stdin.on("close", killGroup);
process.stdin.on("error", killGroup);
process.stdin.resume();
