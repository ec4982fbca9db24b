// The red-team's look-alikes (issue 13): non-ASCII characters that Windows' best-fit conversion
// turns into path or cmd.exe syntax, and which NFKC leaves alone. One table for the validators'
// tests and the Windows runner's: both must refuse each, naming it and its code point.

/** [character, its code point, the ASCII character it may become]. */
export const BEST_FIT_LOOKALIKES: readonly (readonly [string, string, string])[] = [
  ["ʺ", "U+02BA", '"'],
  ["˝", "U+02DD", '"'],
  ["″", "U+2033", '"'],
  ["‶", "U+2036", '"'],
  ["ˆ", "U+02C6", "^"],
  ["¦", "U+00A6", "|"],
  ["ǀ", "U+01C0", "|"],
  ["∣", "U+2223", "|"],
  ["∕", "U+2215", "/"],
  ["⁄", "U+2044", "/"],
  ["¥", "U+00A5", "\\"],
  ["₩", "U+20A9", "\\"],
];
