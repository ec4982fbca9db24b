// The only place command-line quoting lives. Validation has already refused every character that
// could break out of a quoted argument; these functions check again and THROW, because meeting
// such a character here is a bug upstream, never user input to report. Defence in depth: no
// renderer can emit a line whose arguments a shell would split, expand or redirect.

/**
 * cmd.exe: `%` and `!` expand even inside quotes, `"` ends the quoting, `^ & | < > ( )` are
 * syntax when a quote is unbalanced. A trailing `\` would turn the closing quote into `\"` for
 * programs that parse their own command line (robocopy, via CommandLineToArgvW).
 */
const CMD_FORBIDDEN = /["%!^&|<>()\p{Cc}]/u;

/** POSIX sh inside double quotes: `"` ends the quoting, `$` and backquote substitute, `\` escapes, `!` is history expansion in interactive shells. */
const SH_FORBIDDEN = /["$`\\!\p{Cc}]/u;

/** `"path"` for a cmd.exe line. Throws on anything cmd.exe or a Windows program would not take literally. */
export function cmdQuote(path: string): string {
  checkArgument(path, CMD_FORBIDDEN, "cmd.exe");
  if (path.endsWith("\\")) {
    throw new Error(
      `cmdQuote: refusing ${JSON.stringify(path)}: a trailing backslash escapes the closing quote`,
    );
  }
  return `"${path}"`;
}

/**
 * `"path"` for displaying a POSIX argv as a shell line. Linux runners execute the argv without a
 * shell; the line must still mean exactly that argv if someone pastes it into one.
 */
export function shQuote(path: string): string {
  checkArgument(path, SH_FORBIDDEN, "sh");
  return `"${path}"`;
}

function checkArgument(path: string, forbidden: RegExp, shell: string): void {
  if (path.length === 0) throw new Error(`${shell} quote: refusing an empty argument`);
  const bad = forbidden.exec(path);
  if (bad) {
    const char = bad[0];
    const shown = /\p{Cc}/u.test(char) ? `U+${char.codePointAt(0)?.toString(16).padStart(4, "0")}` : char;
    throw new Error(
      `${shell} quote: refusing ${JSON.stringify(path)}: it contains ${shown}, which validation must have rejected`,
    );
  }
}
