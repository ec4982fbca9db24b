// Starting one child process with a time limit and a bounded output capture. The platforms get
// the starter injected, so tests can prove that a refused line never reaches this point.
import { execa } from "execa";

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

/** The real starter: execa, no shell, stdin closed, output streamed into a bounded capture. */
export const execaStarter: ProcessStarter = async (request) => {
  const capture = new BoundedCapture(request.outputLimit);
  try {
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
    const startError =
      result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated
        ? (result.originalMessage ?? result.shortMessage)
        : undefined;
    return {
      exitCode: result.exitCode ?? null,
      output: capture.bytes(),
      truncated: capture.truncated,
      timedOut: result.timedOut,
      ...(startError === undefined ? {} : { startError }),
    };
  } catch (error) {
    // execa throws synchronously-ish for invalid options (a cwd that is not a directory ...).
    return {
      exitCode: null,
      output: capture.bytes(),
      truncated: capture.truncated,
      timedOut: false,
      startError: error instanceof Error ? error.message : String(error),
    };
  }
};
