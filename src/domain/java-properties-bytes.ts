// Java properties files are ISO-8859-1: one byte is one character. This holds the conversions
// both ways and the refusal of bytes that are not ISO-8859-1 text (byte order marks, control
// bytes, C1 bytes from UTF-8 or Windows-1252), with the line and a fix, and the warning for
// non-ASCII bytes that look like a UTF-8 editor wrote them. Internal to java-properties.ts.
import type { PhysicalLine, PropertiesProblem } from "./java-properties-syntax.ts";

/** Far above any real EM properties file (tens of KB); a bigger file is not what we think it is. */
export const MAX_PROPERTIES_BYTES = 8 * 1024 * 1024;

const CONVERT_FIX =
  "save the file as ISO-8859-1 (the encoding Java reads .properties files in), writing characters outside it as \\uXXXX escapes, then plan again";

export function byteProblem(bytes: Uint8Array): PropertiesProblem | null {
  if (bytes.length > MAX_PROPERTIES_BYTES) {
    return {
      rule: "too-large",
      message: `the file is ${bytes.length} bytes, more than the ${MAX_PROPERTIES_BYTES} an EM properties file could be: it is not what momlink expects`,
      fix: "check which file the path names",
    };
  }
  const bom = byteOrderMark(bytes);
  if (bom) {
    return {
      rule: "byte-order-mark",
      line: 1,
      message: `the file starts with a ${bom} byte order mark: Java reads .properties files as ISO-8859-1 and would take the mark for part of the first key, so momlink does not edit it`,
      fix: CONVERT_FIX,
    };
  }
  let line = 1;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] as number;
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) line += 1;
    const control = (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f;
    if (control) {
      return {
        rule: "control-byte",
        line,
        message: `line ${line} holds the control byte 0x${hex2(b)}${b === 0 ? " (NUL: the file may be UTF-16 or binary)" : ""}: this is not a text file momlink can edit safely`,
        fix: CONVERT_FIX,
      };
    }
    if (b >= 0x80 && b <= 0x9f) {
      const utf8 = utf8SequenceAt(bytes, i);
      const guess =
        utf8 !== null
          ? `it looks UTF-8 encoded (bytes ${utf8.hex} are \`${utf8.char}\` in UTF-8)`
          : "it looks like Windows-1252 or another code page";
      return {
        rule: "not-latin1-text",
        line,
        message: `line ${line} holds byte 0x${hex2(b)}, which is not a character in ISO-8859-1 (the encoding Java reads .properties files in): ${guess}, and rewriting it could corrupt what the EM reads`,
        fix: CONVERT_FIX,
      };
    }
  }
  return null;
}

function byteOrderMark(bytes: Uint8Array): string | null {
  const [a, b, c] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return "UTF-8";
  if ((a === 0xfe && b === 0xff) || (a === 0xff && b === 0xfe)) return "UTF-16";
  return null;
}

/** A valid UTF-8 multi-byte sequence covering offset `at` (scanning back to its lead byte). */
function utf8SequenceAt(bytes: Uint8Array, at: number): { hex: string; char: string; length: number } | null {
  for (let lead = at; lead >= Math.max(0, at - 3); lead -= 1) {
    const b = bytes[lead] as number;
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || lead + length <= at) continue;
    const sequence = bytes.slice(lead, lead + length);
    if (sequence.length !== length || !sequence.slice(1).every((x) => x >= 0x80 && x <= 0xbf)) continue;
    try {
      const char = new TextDecoder("utf-8", { fatal: true }).decode(sequence);
      return { hex: Array.from(sequence, hex2).join(" "), char, length };
    } catch {
      // not a valid sequence (overlong, surrogate): try an earlier lead byte
    }
  }
  return null;
}

/** Non-ASCII bytes that all decode as UTF-8 were most likely written by a UTF-8 editor. */
export function utf8Warnings(bytes: Uint8Array, lines: PhysicalLine[]): string[] {
  const high = bytes.findIndex((b) => b >= 0x80);
  if (high < 0) return [];
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return [];
  }
  const line = lines.findIndex((l) => high >= l.start && high < l.end) + 1;
  const seq = utf8SequenceAt(bytes, high);
  if (seq === null) return [];
  const latin = latin1Decode(bytes.subarray(high, high + seq.length));
  return [
    `line ${line}: the bytes ${seq.hex} read as \`${latin}\` in ISO-8859-1 (what Java reads) but as \`${seq.char}\` in UTF-8: the file may have been saved by a UTF-8 editor`,
  ];
}

export function latin1Decode(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

export function latin1Encode(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, "0");
}
