// The syntax of Java `.properties` files as `java.util.Properties` reads and writes it: physical
// lines and their endings, logical lines (comments, blank lines, `\` continuations), the key/value
// split, `loadConvert` (reading escapes) and `saveConvert` (writing them). Internal to
// java-properties.ts, the module to use.
//
// What it must keep true: the results of OpenJDK's `Properties.LineReader`, `load0`,
// `loadConvert` and `saveConvert` (checked against a real JDK in
// test/domain/java-properties.java.test.ts). Offsets into the decoded text are byte offsets:
// ISO-8859-1 maps one byte to one character.

export type LineEnding = "\n" | "\r\n" | "\r";

export interface PropertiesProblem {
  /** Stable id tests and callers key on. */
  rule:
    | "byte-order-mark"
    | "control-byte"
    | "not-latin1-text"
    | "malformed-unicode-escape"
    | "too-large"
    | "empty-key"
    | "repeated-assignment"
    | "verification-failed";
  /** 1-based line the problem is on, when it is on one. */
  line?: number;
  /** What is wrong and why it matters, in one or two sentences. */
  message: string;
  /** What the operator can do about it. */
  fix: string;
}

export type PropertiesResult<T> = { ok: true; value: T } | { ok: false; problem: PropertiesProblem };

export interface PhysicalLine {
  /** Offset of the first character (the decoded text maps one byte to one character). */
  start: number;
  /** Offset just past the last character before the line ending. */
  end: number;
  ending: LineEnding | "";
}

/** A logical line: a blank line, a comment, or a property spread over one or more physical lines. */
export type Logical =
  | { kind: "blank" | "comment"; first: number; last: number }
  | {
      kind: "property";
      first: number;
      last: number;
      key: string;
      value: string;
      /** Indentation + key + separator exactly as written, when they all sit on the first line. */
      rawPrefix: string | null;
      /** Ends in a `\` with no line left to continue into: a line added after it would be swallowed. */
      dangling: boolean;
    };

export function physicalLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "\n") {
      lines.push({ start, end: i, ending: "\n" });
      start = i + 1;
    } else if (c === "\r") {
      const crlf = text[i + 1] === "\n";
      lines.push({ start, end: i, ending: crlf ? "\r\n" : "\r" });
      if (crlf) i += 1;
      start = i + 1;
    }
  }
  if (start < text.length) lines.push({ start, end: text.length, ending: "" });
  return lines;
}

const isWhite = (c: string | undefined) => c === " " || c === "\t" || c === "\f";

/** Java's LineReader, one logical line starting at physical line `index`. */
export function logicalAt(
  text: string,
  lines: PhysicalLine[],
  index: number,
): Logical | { problem: PropertiesProblem } {
  const first = lines[index] as PhysicalLine;
  let at = first.start;
  while (at < first.end && isWhite(text[at])) at += 1;
  if (at === first.end) return { kind: "blank", first: index, last: index };
  if (text[at] === "#" || text[at] === "!") return { kind: "comment", first: index, last: index };

  const indentation = text.slice(first.start, at);
  let content = "";
  let firstSegment = "";
  let last = index;
  let segment = text.slice(at, first.end);
  let dangling = false;
  for (;;) {
    const continued = endsInOddBackslashes(segment);
    const kept = continued ? segment.slice(0, -1) : segment;
    if (last === index) firstSegment = kept;
    content += kept;
    const next = lines[last + 1];
    if (!continued || next === undefined) {
      dangling = continued;
      break;
    }
    last += 1;
    let from = next.start;
    while (from < next.end && isWhite(text[from])) from += 1;
    segment = text.slice(from, next.end);
  }

  const { keyEnd, valueStart } = splitKeyValue(content);
  const key = loadConvert(content.slice(0, keyEnd), index + 1);
  const value = loadConvert(content.slice(valueStart), index + 1);
  if (typeof key !== "string") return key;
  if (typeof value !== "string") return value;
  const rawPrefix =
    valueStart <= firstSegment.length ? indentation + firstSegment.slice(0, valueStart) : null;
  // A key written with no separator and no value ("flag") needs one when a value is set.
  const prefix = rawPrefix !== null && keyEnd === valueStart ? `${rawPrefix}=` : rawPrefix;
  return { kind: "property", first: index, last, key, value, rawPrefix: prefix, dangling };
}

function endsInOddBackslashes(segment: string): boolean {
  let count = 0;
  for (let i = segment.length - 1; i >= 0 && segment[i] === "\\"; i -= 1) count += 1;
  return count % 2 === 1;
}

/** `Properties.load`'s split: the key ends at the first unescaped `=`, `:` or whitespace. */
export function splitKeyValue(content: string): { keyEnd: number; valueStart: number } {
  let keyEnd = 0;
  let valueStart = content.length;
  let hasSeparator = false;
  let escaped = false;
  for (; keyEnd < content.length; keyEnd += 1) {
    const c = content[keyEnd];
    if (!escaped && (c === "=" || c === ":")) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!escaped && isWhite(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    escaped = c === "\\" ? !escaped : false;
  }
  for (; valueStart < content.length; valueStart += 1) {
    const c = content[valueStart];
    if (isWhite(c)) continue;
    if (!hasSeparator && (c === "=" || c === ":")) {
      hasSeparator = true;
      continue;
    }
    break;
  }
  return { keyEnd, valueStart };
}

/** `Properties.loadConvert`: `\t \n \r \f`, `\uXXXX`, and `\x` for any other x means x. */
export function loadConvert(raw: string, line: number): string | { problem: PropertiesProblem } {
  let out = "";
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    i += 1;
    const next = raw[i];
    if (next === undefined) break;
    if (next === "u") {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
        return {
          problem: {
            rule: "malformed-unicode-escape",
            line,
            message: `line ${line} has a \\u escape not followed by four hex digits (\`\\u${hex}\`): Java refuses to load such a file ("Malformed \\uxxxx encoding"), so the EM would not start with it`,
            fix: `correct the escape on line ${line} (e.g. \`\\u00e9\` for é) or write a literal backslash as \`\\\\\``,
          },
        };
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else {
      out += next === "t" ? "\t" : next === "n" ? "\n" : next === "r" ? "\r" : next === "f" ? "\f" : next;
    }
  }
  return out;
}

export function dominant(lines: PhysicalLine[]): LineEnding | null {
  const counts = new Map<LineEnding, number>();
  for (const { ending } of lines) if (ending !== "") counts.set(ending, (counts.get(ending) ?? 0) + 1);
  let best: LineEnding | null = null;
  for (const [ending, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = ending;
  return best;
}

/** `Properties.saveConvert` for keys: spaces escaped everywhere, as `store` does. */
export function escapeKey(key: string): string {
  return saveConvert(key, true);
}

/** `Properties.saveConvert` for values: a leading space escaped, the rest kept. */
export function escapeValue(value: string): string {
  return saveConvert(value, false);
}

function saveConvert(text: string, escapeEverySpace: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    const code = c.charCodeAt(0);
    if (c === " ") out += i === 0 || escapeEverySpace ? "\\ " : " ";
    else if (c === "\\") out += "\\\\";
    else if (c === "\t") out += "\\t";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\f") out += "\\f";
    else if (c === "=" || c === ":" || c === "#" || c === "!") out += `\\${c}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += c;
  }
  return out;
}
