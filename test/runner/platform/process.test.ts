// Starting a step's program: output bounded (the end, where errors are, is never the part dropped),
// and on Linux the program and everything it starts die with the runner and with its time limit.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BoundedCapture, execaStarter } from "../../../src/runner/platform/process.ts";
import { groupMembers, isAlive, untilFile, untilGone } from "../../support/processes.ts";

const HOLD_A_STEP = fileURLToPath(new URL("./hold-a-step.ts", import.meta.url));

describe("bounded output capture", () => {
  it("keeps everything under the limit", () => {
    const capture = new BoundedCapture(1024);
    capture.push(Buffer.from("hello "));
    capture.push(Buffer.from("world"));
    expect(Buffer.from(capture.bytes()).toString()).toBe("hello world");
    expect(capture.truncated).toBe(false);
  });

  it("keeps the head and the tail of a long output and says how much was left out", () => {
    const capture = new BoundedCapture(200);
    for (let i = 0; i < 1000; i++) capture.push(Buffer.from(`line ${i}\n`));
    const text = Buffer.from(capture.bytes()).toString();
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 999\n")).toBe(true);
    expect(text).toMatch(/\[\.\.\. \d+ bytes of output omitted \.\.\.\]/);
    expect(capture.truncated).toBe(true);
    expect(text.length).toBeLessThan(300);
  });

  it("does not kill a talkative process: it runs to its end with its output bounded", async () => {
    const result = await execaStarter({
      file: process.execPath,
      args: ["-e", "for (let i = 0; i < 20000; i++) console.log('copied file ' + i); console.log('done')"],
      timeoutMs: 20_000,
      outputLimit: 4096,
    });
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(Buffer.from(result.output).toString()).toMatch(/done\n$/);
  });

  it("reports a program that cannot start", async () => {
    const result = await execaStarter({
      file: "/nonexistent/momlink-tool",
      args: [],
      timeoutMs: 5000,
      outputLimit: 1024,
    });
    expect(result.exitCode).toBeNull();
    expect(result.startError).toMatch(/ENOENT/);
  });
});

describe.skipIf(process.platform !== "linux")("a step's processes on Linux", () => {
  let dir: string;
  let pidFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "momlink-process-"));
    pidFile = join(dir, "pids");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A program that starts a second process and waits: both pids are written to the pid file. */
  const parentAndChild = () => ["-c", `echo $$ >> '${pidFile}'; sleep 600 & echo $! >> '${pidFile}'; wait`];
  const pidsOf = (text: string) => text.trim().split("\n").map(Number);

  it("kills the program, and every process it started, when the runner is killed with SIGKILL", async () => {
    const runner = execa(process.execPath, [HOLD_A_STEP, "sh", ...parentAndChild()], { reject: false });
    const pids = pidsOf(await untilFile(pidFile, (text) => pidsOf(text).length >= 2));
    for (const pid of pids) expect(await isAlive(pid)).toBe(true);

    runner.kill("SIGKILL");
    expect((await runner).signal).toBe("SIGKILL");
    await untilGone(pids);
    expect(await groupMembers(pids[0] ?? 0)).toEqual([]);
  });

  it("stops a program that outlives its time limit, and every process it started", async () => {
    const result = await execaStarter({
      file: "sh",
      args: parentAndChild(),
      timeoutMs: 500,
      outputLimit: 1024,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    const pids = pidsOf(await readFile(pidFile, "utf8"));
    expect(pids).toHaveLength(2);
    await untilGone(pids);
  });

  it("runs exactly the argv it is given, with no shell, and passes the exit status on", async () => {
    const result = await execaStarter({
      file: process.execPath,
      args: [
        "-e",
        "console.log(JSON.stringify(process.argv.slice(1))); process.exit(3)",
        "$HOME",
        "a b",
        "'; rm -rf /",
      ],
      timeoutMs: 20_000,
      outputLimit: 4096,
    });
    expect(result.exitCode).toBe(3);
    expect(JSON.parse(Buffer.from(result.output).toString())).toEqual(["$HOME", "a b", "'; rm -rf /"]);
  });
});
