// Errors are values a user can act on: which field, which rule, what to type instead.
// Domain validation collects every problem instead of throwing at the first one.

/** A field of the plan grammar (or `command` for problems with the text as a whole). */
export type Field =
  | "command"
  | "primary"
  | "secondary"
  | "em-home"
  | "secondary-em-home"
  | "share"
  | "dirs"
  | "platform";

export interface Problem {
  /** The grammar key the problem is about, as the user typed it (`share`, `em-home`, ...). */
  field: Field;
  /** A stable, kebab-case rule id (`unc-drive-letter`, `cmd-metacharacter`, ...). Tests key on it. */
  rule: string;
  /** One sentence for a human: what is wrong, naming the offending character or part, and why. */
  message: string;
  /** A corrected `key=value` token the user could type instead. */
  example: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(problems: Problem[]): Result<T> {
  return { ok: false, problems };
}
