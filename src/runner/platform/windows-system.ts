// Where Windows' own programs live and how their console output is read: the layer below the
// cmd.exe builtins (windows.ts), robocopy (windows-robocopy.ts) and the probes. Programs are named
// by their System32 path, never found through PATH or the working directory; output is decoded
// from the console (OEM) code page, since `chcp 65001` inside an approved line is not allowed.
import { win32 } from "node:path";

/** `%SystemRoot%` from the runner's own environment (never the job's): a drive path, or the documented default. */
export function systemRoot(value = process.env.SystemRoot): string {
  return value !== undefined && /^[A-Za-z]:\\[^"%\p{Cc}]*$/u.test(value)
    ? value.replace(/\\+$/, "")
    : "C:\\Windows";
}

/** `<SystemRoot>\System32\<name>`: the only way the runner names a Windows program. */
export function systemExe(name: string, root?: string): string {
  return win32.join(systemRoot(root), "System32", name);
}

/** Where the console code page comes from: a number, or a question asked only when needed. */
export type CodePageSource = number | null | (() => Promise<number | null>);

// Output decoding. cmd.exe builtins and robocopy write to a pipe in the console (OEM) code page,
// and `chcp 65001` inside an approved line is not allowed: decode here instead.

const OEM_TABLES: Readonly<Record<number, string>> = {
  437: "\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00a2\u00a3\u00a5\u20a7\u0192\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u2310\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255d\u255c\u255b\u2510\u2514\u2534\u252c\u251c\u2500\u253c\u255e\u255f\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u2567\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256b\u256a\u2518\u250c\u2588\u2584\u258c\u2590\u2580\u03b1\u00df\u0393\u03c0\u03a3\u03c3\u00b5\u03c4\u03a6\u0398\u03a9\u03b4\u221e\u03c6\u03b5\u2229\u2261\u00b1\u2265\u2264\u2320\u2321\u00f7\u2248\u00b0\u2219\u00b7\u221a\u207f\u00b2\u25a0\u00a0",
  850: "\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00f8\u00a3\u00d8\u00d7\u0192\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u00ae\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb\u2591\u2592\u2593\u2502\u2524\u00c1\u00c2\u00c0\u00a9\u2563\u2551\u2557\u255d\u00a2\u00a5\u2510\u2514\u2534\u252c\u251c\u2500\u253c\u00e3\u00c3\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u00a4\u00f0\u00d0\u00ca\u00cb\u00c8\u0131\u00cd\u00ce\u00cf\u2518\u250c\u2588\u2584\u00a6\u00cc\u2580\u00d3\u00df\u00d4\u00d2\u00f5\u00d5\u00b5\u00fe\u00de\u00da\u00db\u00d9\u00fd\u00dd\u00af\u00b4\u00ad\u00b1\u2017\u00be\u00b6\u00a7\u00f7\u00b8\u00b0\u00a8\u00b7\u00b9\u00b3\u00b2\u25a0\u00a0",
};

/** Code pages the WHATWG decoders in Node know by another name. */
const WHATWG_LABELS: Readonly<Record<number, string>> = {
  866: "ibm866",
  874: "windows-874",
  932: "shift_jis",
  936: "gbk",
  949: "euc-kr",
  950: "big5",
  1250: "windows-1250",
  1251: "windows-1251",
  1252: "windows-1252",
  1253: "windows-1253",
  1254: "windows-1254",
  1255: "windows-1255",
  1256: "windows-1256",
  1257: "windows-1257",
  1258: "windows-1258",
  65001: "utf-8",
};

/** Console bytes as text: UTF-8 when they are valid UTF-8, else the console code page. */
export function decodeConsole(bytes: Uint8Array, codePage: number | null | undefined): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: fall through to the code page
  }
  const table = codePage === null || codePage === undefined ? undefined : OEM_TABLES[codePage];
  if (table !== undefined) {
    return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : (table[b - 0x80] ?? "\ufffd"))).join(
      "",
    );
  }
  const label = codePage === null || codePage === undefined ? undefined : WHATWG_LABELS[codePage];
  if (label !== undefined) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // this Node lacks the decoder: fall through
    }
  }
  // Unknown code page: keep ASCII, mark the rest instead of guessing.
  return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : "\ufffd")).join("");
}

/** Console bytes as text; the code page is asked for only when the bytes are neither ASCII nor UTF-8. */
export async function decodeOutput(bytes: Uint8Array, codePage: CodePageSource): Promise<string> {
  if (bytes.every((b) => b < 0x80)) return Buffer.from(bytes).toString("latin1");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const cp = typeof codePage === "function" ? await codePage() : codePage;
    return decodeConsole(bytes, cp); // only now is the code page worth a process
  }
}
