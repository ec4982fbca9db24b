// The dispatcher's one error class: a refusal with a stable `code` (invalid-name, host-taken,
// duplicate-job, closed, ...) that callers branch on, and a message an operator can act on.

export class DispatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "DispatchError";
    this.code = code;
  }
}
