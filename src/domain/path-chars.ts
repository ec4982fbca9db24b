// Character and edge rules for path text, held on both sides of the wire: the validators (unc.ts,
// em-home.ts, posix-path.ts) refuse exactly what the Windows runner's own line check
// (runner/platform/windows.ts) refuses, so an approvable plan never fails at run time on a
// character, and a compromised bot cannot slip one past the runner either.
import { isControlChar, isInvisibleChar, isTypographicQuote } from "./problem.ts";

/**
 * Non-ASCII characters that Windows' best-fit conversion (WideCharToMultiByte without
 * WC_NO_BEST_FIT_CHARS, used by programs that read a Unicode command line in an ANSI code page)
 * turns into ASCII syntax, beyond the compatibility forms NFKC already folds (`＂` → `"`).
 * From Microsoft's best-fit tables (cp1252: ʺ ʹ ʼ ˈ ′ ǃ ٪ ⌠ ⌡ ∗ ⁄ ∕ …) and the red-team's list;
 * `¥` and `₩` are the backslash itself in the Japanese (932) and Korean (949) code pages.
 */
const BEST_FIT: Readonly<Record<string, string>> = {
  "\u02BA": '"', // ʺ modifier letter double prime
  "\u02DD": '"', // ˝ double acute accent
  "\u030E": '"', // combining double vertical line above
  "\u2033": '"', // ″ double prime
  "\u2036": '"', // ‶ reversed double prime
  "\u02B9": "'", // ʹ modifier letter prime
  "\u02BC": "'", // ʼ modifier letter apostrophe
  "\u02C8": "'", // ˈ modifier letter vertical line
  "\u2032": "'", // ′ prime
  "\u01C3": "!", // ǃ latin letter retroflex click
  "\u066A": "%", // ٪ arabic percent sign
  "\u2320": "(", // ⌠ top half integral
  "\u2321": ")", // ⌡ bottom half integral
  "\u2217": "*", // ∗ asterisk operator
  "\u02C6": "^", // ˆ modifier letter circumflex accent
  "\u00A6": "|", // ¦ broken bar
  "\u01C0": "|", // ǀ latin letter dental click
  "\u2223": "|", // ∣ divides
  "\u2044": "/", // ⁄ fraction slash
  "\u2215": "/", // ∕ division slash
  "\u00A5": "\\", // ¥ yen sign: the backslash of code page 932
  "\u20A9": "\\", // ₩ won sign: the backslash of code page 949
};

/** What a Windows path may never contain, whatever the part: ASCII that cmd.exe or the path syntax would interpret. */
export const WINDOWS_REFUSED_ASCII = `"%!^&()'<>|/\\:*?`;

/**
 * The refused ASCII character that `ch` (non-ASCII) may become on its way to a program: by
 * compatibility folding (NFKC) or by Windows' best fit. Undefined when it becomes none of them.
 */
export function lookalikeOf(ch: string, refused: string = WINDOWS_REFUSED_ASCII): string | undefined {
  if ((ch.codePointAt(0) ?? 0) < 0x80) return undefined;
  const bestFit = BEST_FIT[ch];
  if (bestFit !== undefined && refused.includes(bestFit)) return bestFit;
  return [...ch.normalize("NFKC")].find((folded) => refused.includes(folded));
}

/** U+FFFD or a lone surrogate: text that already lost characters in a conversion. */
export function isBrokenTextChar(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  return cp === 0xfffd || (ch.length === 1 && cp >= 0xd800 && cp <= 0xdfff);
}

export interface CharIssue {
  rule: string;
  /** What is wrong, as the rest of a sentence that starts with the character and its position. */
  why: string;
}

/**
 * The rule `ch` breaks anywhere in a path, other than being a shell or cmd.exe metacharacter
 * (each platform names its own): control, typographic-quote, broken-text, invisible and
 * look-alike characters. `refused` is the platform's refused ASCII, for look-alikes.
 */
export function pathCharIssue(
  ch: string,
  options: { platform: "windows" | "linux"; refused?: string } = { platform: "windows" },
): CharIssue | undefined {
  const refused = options.refused ?? WINDOWS_REFUSED_ASCII;
  if (isControlChar(ch)) {
    return {
      rule: "control-character",
      why: "is a control character: paths cannot contain one, and it would break the command line",
    };
  }
  if (isTypographicQuote(ch)) {
    return {
      rule: "quote-character",
      why: "is a typographic quote left inside the value; put straight or curly quotes around the whole value, or none",
    };
  }
  if (isBrokenTextChar(ch)) {
    return {
      rule: "broken-character",
      why:
        ch === "\uFFFD"
          ? "is the replacement character: the text lost a character in an encoding conversion, so the real name is unknown; type the path again"
          : "is half of a UTF-16 surrogate pair with no other half: no program can type or show the name it makes; type the path again",
    };
  }
  if (isInvisibleChar(ch)) {
    return {
      rule: "invisible-character",
      why: "is an invisible character: the path shown for approval would not look like the path that runs",
    };
  }
  const lookalike = lookalikeOf(ch, refused);
  if (lookalike !== undefined) {
    return {
      rule: "lookalike-character",
      why:
        options.platform === "windows"
          ? `looks like \`${lookalike}\`, and Windows' best-fit conversion can turn it into that character; type the path without it`
          : `looks like \`${lookalike}\`; type the path without it`,
    };
  }
  return undefined;
}

/**
 * The rule a Windows path component's edges break: a leading space (a reviewer cannot see it,
 * and the runner refuses it), a trailing space or dot (Windows silently strips them, so the
 * directory would not have the name shown). Linux names may have edge spaces: they are kept.
 */
export function componentEdgeIssue(name: string): CharIssue | undefined {
  if (name.startsWith(" ")) {
    return {
      rule: "path-leading-space",
      why: "starts with a space, which is easy to miss in review and which the Windows runner refuses; write the name without it",
    };
  }
  if (/[. ]$/.test(name)) {
    return {
      rule: "path-trailing-dot-space",
      why: `ends with ${name.endsWith(".") ? "a dot" : "a space"}, which Windows silently strips, so the directory would not have the name shown`,
    };
  }
  return undefined;
}
