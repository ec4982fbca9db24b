// A small model of how cmd.exe (and its builtin mklink) split one command line, for tests that
// must show a generated line means exactly the intended arguments. It models what matters for
// injection, not all of cmd: `"` toggles quoting and is dropped from the argument, `^` outside
// quotes takes the next character literally, spaces and tabs outside quotes separate arguments,
// and `& | < > ( )` outside quotes end the command (reported, so a test can assert there are none).
// `%` and `!` are reported wherever they stand: cmd expands variables even inside quotes.

export interface CmdToken {
  /** The argument as the command receives it: quotes removed, carets resolved. */
  value: string;
  /** The token as written in the line. */
  raw: string;
  start: number;
}

export interface CmdMark {
  char: string;
  index: number;
}

export interface CmdLine {
  /** Tokens of the first command, up to the first unquoted metacharacter. */
  tokens: CmdToken[];
  args: string[];
  /** Unquoted `& | < > ( )`: each one ends a command (or redirects) in real cmd.exe. */
  unquotedMetachars: CmdMark[];
  /** `%` and `!` anywhere: candidates for variable expansion, quoted or not. */
  expansionChars: CmdMark[];
  /** The line ends inside quotes. */
  unterminatedQuote: boolean;
}

const METACHARS = new Set(["&", "|", "<", ">", "(", ")"]);
const EXPANSION = new Set(["%", "!"]);
const SEPARATORS = new Set([" ", "\t"]);

export function tokenizeCmd(line: string): CmdLine {
  const tokens: CmdToken[] = [];
  const unquotedMetachars: CmdMark[] = [];
  const expansionChars: CmdMark[] = [];
  let inQuotes = false;
  let ended = false; // past the first command: keep scanning for marks, collect no arguments
  let current: CmdToken | null = null;

  const finish = () => {
    if (current && !ended) tokens.push(current);
    current = null;
  };
  const append = (value: string, raw: string, index: number) => {
    current ??= { value: "", raw: "", start: index };
    current.value += value;
    current.raw += raw;
  };

  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (EXPANSION.has(ch)) expansionChars.push({ char: ch, index: i });
    if (ch === '"') {
      inQuotes = !inQuotes;
      append("", ch, i);
      continue;
    }
    if (inQuotes) {
      append(ch, ch, i);
      continue;
    }
    if (ch === "^") {
      const next = line.charAt(i + 1);
      append(next, ch + next, i);
      i++;
      continue;
    }
    if (SEPARATORS.has(ch)) {
      finish();
      continue;
    }
    if (METACHARS.has(ch)) {
      unquotedMetachars.push({ char: ch, index: i });
      finish();
      ended = true;
      continue;
    }
    append(ch, ch, i);
  }
  finish();
  return {
    tokens,
    args: tokens.map((t) => t.value),
    unquotedMetachars,
    expansionChars,
    unterminatedQuote: inQuotes,
  };
}
