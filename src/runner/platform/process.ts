// Starting one child process with a time limit and a bounded output capture. The platforms get
// the starter injected, so tests can prove that a refused line never reaches this point.
// Whatever a step starts must not outlive the runner: on Windows libuv assigns every child of
// node.exe to a job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE (libuv src/win/process.c,
// uv__init_global_job_handle), so the child dies with node.exe; the steps' programs (robocopy, sc,
// reg, cmd.exe for its builtins) are direct children, which is what that job covers (their own
// children silently break away from it). On Linux nothing of the kind exists, so each program runs
// under the watchdog (watchdog.mjs), which kills its whole process group when the runner goes.
import { fileURLToPath } from "node:url";
import { z } from "zod";

export interface StartRequest {
  file: string;
  args: string[];
  cwd?: string;
  timeoutMs: number;
  /** Bytes of combined stdout+stderr kept; beyond it the middle is dropped, the process keeps running. */
  outputLimit: number;
  /** Windows: pass `args` to CreateProcess untouched (cmd.exe lines must arrive exactly as approved). */
  verbatim?: boolean;
  env?: Record<string, string>;
}

export interface StartResult {
  /** Null when the process did not exit by itself (killed, timed out, or never started). */
  exitCode: number | null;
  /** Combined stdout and stderr, in arrival order, as raw bytes (decoding is the platform's business). */
  output: Uint8Array;
  truncated: boolean;
  timedOut: boolean;
  /** Set when the process could not be started at all (ENOENT, bad cwd ...). */
  startError?: string;
}

export type ProcessStarter = (request: StartRequest) => Promise<StartResult>;

/**
 * Keeps the head and the tail of a stream: a long robocopy or cp run is not killed for talking,
 * and the end (where errors and summaries are) is never lost.
 */
export class BoundedCapture {
  readonly #limit: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #dropped = 0;

  constructor(limit: number) {
    this.#limit = Math.max(64, Math.floor(limit));
  }

  push(chunk: Uint8Array): void {
    let data = Buffer.from(chunk);
    const headRoom = Math.floor(this.#limit / 2) - this.#headBytes;
    if (headRoom > 0) {
      const part = data.subarray(0, headRoom);
      this.#head.push(part);
      this.#headBytes += part.length;
      data = data.subarray(part.length);
    }
    if (data.length === 0) return;
    this.#tail.push(data);
    this.#tailBytes += data.length;
    const tailLimit = this.#limit - Math.floor(this.#limit / 2);
    if (this.#tailBytes > tailLimit) {
      const joined = Buffer.concat(this.#tail);
      const excess = joined.length - tailLimit;
      this.#dropped += excess;
      this.#tail = [joined.subarray(excess)];
      this.#tailBytes = tailLimit;
    }
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  bytes(): Uint8Array {
    if (this.#dropped === 0) return Buffer.concat([...this.#head, ...this.#tail]);
    const marker = Buffer.from(`\n[... ${this.#dropped} bytes of output omitted ...]\n`);
    return Buffer.concat([...this.#head, marker, ...this.#tail]);
  }
}

/**
 * The real starter: execa, no shell, output streamed into a bounded capture; on Linux (any POSIX
 * host) through the watchdog, so the program dies with the runner and at its time limit together
 * with everything it started.
 */
export const execaStarter: ProcessStarter = (request) =>
  process.platform === "win32" ? startDirect(request) : startWatched(request);

/** Windows: node.exe's job object already ties the child's life to the runner's. */
async function startDirect(request: StartRequest): Promise<StartResult> {
  const capture = new BoundedCapture(request.outputLimit);
  try {
    const { execa } = await import("execa"); // loaded with the first step: an idle runner runs nothing
    const child = execa(request.file, request.args, {
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
      shell: false,
      stdin: "ignore",
      buffer: false,
      all: true,
      reject: false,
      encoding: "buffer",
      timeout: request.timeoutMs,
      windowsVerbatimArguments: request.verbatim ?? false,
      windowsHide: true,
      ...(request.env === undefined ? {} : { env: request.env }),
    });
    child.all?.on("data", (chunk: Uint8Array) => capture.push(chunk));
    const result = await child;
    return {
      exitCode: result.exitCode ?? null,
      output: capture.bytes(),
      truncated: capture.truncated,
      timedOut: result.timedOut,
      ...startErrorOf(result),
    };
  } catch (error) {
    return notStarted(capture, error);
  }
}

const WATCHDOG = fileURLToPath(new URL("./watchdog.mjs", import.meta.url));
/** The watchdog's report pipe (REPORT_FD in watchdog.mjs). */
const WATCHDOG_REPORT_FD = 3;
/** After the lifeline is cut, how long the watchdog gets to end the program before it is killed itself. */
const WATCHDOG_GRACE_MS = 5000;

const watchdogReportSchema = z.union([
  z.object({ exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }) }),
  z.object({ startError: z.string() }),
]);

/** Linux: the program runs under the watchdog, whose stdin is the lifeline this process holds. */
async function startWatched(request: StartRequest): Promise<StartResult> {
  const capture = new BoundedCapture(request.outputLimit);
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  let cutLifeline = () => {};
  try {
    const { execa } = await import("execa"); // loaded with the first step: an idle runner runs nothing
    const child = execa(process.execPath, [WATCHDOG, request.file, ...request.args], {
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
      shell: false,
      // stdin: the lifeline (never written, held open); fd 3: the watchdog's report.
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      buffer: false,
      all: true,
      reject: false,
      encoding: "buffer",
      ...(request.env === undefined ? {} : { env: request.env }),
    });
    cutLifeline = () => child.stdin.destroy();
    let reportText = "";
    child.stdio[WATCHDOG_REPORT_FD].on("data", (chunk: Buffer) => {
      reportText += chunk.toString("utf8");
    });
    child.all.on("data", (chunk: Uint8Array) => capture.push(chunk));
    timers.push(
      setTimeout(() => {
        timedOut = true;
        cutLifeline();
        timers.push(setTimeout(() => child.kill("SIGKILL"), WATCHDOG_GRACE_MS));
      }, request.timeoutMs),
    );
    const result = await child;
    const report = lastReport(reportText);
    const base = { output: capture.bytes(), truncated: capture.truncated, timedOut };
    if (report !== null && "startError" in report) {
      return { ...base, exitCode: null, timedOut: false, startError: report.startError };
    }
    if (report !== null) return { ...base, exitCode: report.exit.code };
    const notRun = startErrorOf(result);
    return {
      ...base,
      exitCode: null,
      startError:
        notRun.startError ??
        `the runner's process watchdog ended without a report (exit ${String(result.exitCode)}, signal ${String(result.signal)})`,
    };
  } catch (error) {
    return notStarted(capture, error);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    cutLifeline();
  }
}

function lastReport(text: string): z.infer<typeof watchdogReportSchema> | null {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const last = lines[lines.length - 1];
  if (last === undefined) return null;
  try {
    const parsed = watchdogReportSchema.safeParse(JSON.parse(last));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Set when the process could not be started at all (ENOENT, a cwd that is not a directory ...). */
function startErrorOf(result: {
  failed: boolean;
  exitCode?: number | undefined;
  timedOut: boolean;
  isTerminated: boolean;
  originalMessage?: string | undefined;
  shortMessage?: string | undefined;
}): { startError?: string } {
  const notStarted =
    result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated;
  const message = result.originalMessage ?? result.shortMessage;
  return notStarted ? { startError: message ?? "the program did not start" } : {};
}

// execa throws synchronously-ish for invalid options (a cwd that is not a directory ...).
function notStarted(capture: BoundedCapture, error: unknown): StartResult {
  return {
    exitCode: null,
    output: capture.bytes(),
    truncated: capture.truncated,
    timedOut: false,
    startError: error instanceof Error ? error.message : String(error),
  };
}
