import { describe, expect, it } from "vitest";
import { tokenize } from "../../src/domain/grammar.ts";
import { type UncContext, validateUncShare } from "../../src/domain/unc.ts";
import { BEST_FIT_LOOKALIKES } from "../support/lookalikes.ts";

const ctx: UncContext = {
  primary: "mom-a",
  secondary: "mom-b.corp.example",
  dirs: ["config", "data", "traces"],
};
const raw = String.raw;
const x = (n: number, ch = "x"): string => ch.repeat(n);
/** `\\host\share\...` from its parts (template literals cannot end in a backslash). */
const unc = (...parts: string[]): string => `\\\\${parts.join("\\")}`;

/** The value of an example token as a user would type it (quotes and all), read back by the grammar. */
function exampleValue(example: string, key: string): string {
  const tokens = tokenize(example);
  if (!tokens.ok || tokens.value.length !== 1) throw new Error(`example ${example} is not one token`);
  const [typedKey, ...rest] = (tokens.value[0] ?? "").split("=");
  expect(typedKey).toBe(key);
  return rest.join("=");
}

describe("validateUncShare accepts", () => {
  const accepted: [string, string, string][] = [
    ["a plain share", raw`\\san-server\mom-failover`, raw`\\san-server\mom-failover`],
    [
      "and drops one trailing backslash",
      unc("san-server", "mom-failover", ""),
      raw`\\san-server\mom-failover`,
    ],
    [
      "sub-directories, keeping case",
      raw`\\SAN-Server\Mom-Failover\Pair A`,
      raw`\\SAN-Server\Mom-Failover\Pair A`,
    ],
    ["an FQDN host", raw`\\nas01.corp.example\apm\mom`, raw`\\nas01.corp.example\apm\mom`],
    ["an IPv4 host", raw`\\10.0.0.5\x`, raw`\\10.0.0.5\x`],
    ["an IPv6 literal host", raw`\\fe80--1.ipv6-literal.net\x`, raw`\\fe80--1.ipv6-literal.net\x`],
    ["an IPv6 literal with a zone", raw`\\fe80--1s4.ipv6-literal.net\x`, raw`\\fe80--1s4.ipv6-literal.net\x`],
    ["a 15-character NetBIOS host", raw`\\ABCDEFGHIJKLMNO\x`, raw`\\ABCDEFGHIJKLMNO\x`],
    ["a hidden (not administrative) share", raw`\\nas01\mom$`, raw`\\nas01\mom$`],
    ["dots, hyphens, underscores inside names", raw`\\srv\a.b\v1.2_x-y`, raw`\\srv\a.b\v1.2_x-y`],
    ["a leading dot in a component", raw`\\srv\share\.hidden`, raw`\\srv\share\.hidden`],
    ["non-ASCII letters", raw`\\srv\share\Überwachung`, raw`\\srv\share\Überwachung`],
    ["an 80-character share name", unc("srv", x(80)), unc("srv", x(80))],
    // \\srv\share\ (12) + 240 + \config (7) = 259: just under MAX_PATH.
    ["a target of 259 characters", unc("srv", "share", x(240)), unc("srv", "share", x(240))],
    ["a host that only starts like the primary", raw`\\mom-a2\x`, raw`\\mom-a2\x`],
    ["a name like CONSOLE (not a device)", raw`\\srv\share\CONSOLE\com10`, raw`\\srv\share\CONSOLE\com10`],
  ];
  it.each(accepted)("%s", (_, value, normalised) => {
    expect(validateUncShare(value, ctx)).toEqual({ value: normalised, problems: [] });
  });
});

describe("validateUncShare refuses", () => {
  // [behaviour, value, rule, text the message must contain (the offending character or part)]
  const rejected: [string, string, string, string][] = [
    [
      "a drive-letter path and says why",
      raw`Z:\mom-failover`,
      "unc-drive-letter",
      "service that cannot see them",
    ],
    ["a drive-relative path", "Z:mom", "unc-drive-letter", "`Z:`"],
    ["a bare drive", "Z:", "unc-drive-letter", "KB000044582"],
    ["the \\\\?\\UNC long-path form", raw`\\?\UNC\x\y`, "unc-device-path", "\\\\?\\"],
    ["a device path", raw`\\.\pipe\x`, "unc-device-path", "\\\\.\\"],
    ["forward slashes", "//srv/share", "forward-slash", "positions 1, 2 and 6"],
    ["mixed slashes", raw`\\srv/share`, "forward-slash", "mixes"],
    ["a .. component", raw`\\srv\share\..\x`, "path-dot-component", "`..`"],
    ["a . component", raw`\\srv\share\.`, "path-dot-component", "`.`"],
    ["a .. share name", raw`\\srv\..\x`, "path-dot-component", "`..`"],
    ["an empty share name", raw`\\srv\\x`, "path-empty-component", "share name is empty"],
    ["an empty component", raw`\\srv\share\\x`, "path-empty-component", "position 12"],
    ["two trailing backslashes", raw`\\srv\share\\`, "path-empty-component", "two backslashes"],
    ["the CON device as share", raw`\\srv\CON`, "path-reserved-name", "CON"],
    ["nul with an extension", raw`\\srv\share\nul.txt`, "path-reserved-name", "NUL"],
    ["COM1 in any case", raw`\\srv\share\Com1`, "path-reserved-name", "COM1"],
    ["LPT9 with an extension", raw`\\srv\share\lpt9.log`, "path-reserved-name", "LPT9"],
    ["COM with a superscript digit", raw`\\srv\share\COM¹`, "path-reserved-name", "COM¹"],
    ["AUX with a space before the extension", raw`\\srv\share\AUX .txt`, "path-reserved-name", "AUX"],
    ["an injected command", raw`\\srv\share\x & echo PWNED> C:\pwned.txt`, "cmd-metacharacter", "`&`"],
    ["an injected redirect", raw`\\srv\share\x & echo PWNED> C:\pwned.txt`, "cmd-metacharacter", "`>`"],
    [
      "a variable reference",
      raw`\\srv\share\%USERPROFILE%`,
      "cmd-metacharacter",
      "`%` (U+0025) at positions 13 and 25",
    ],
    ["a bare variable", "%USERPROFILE%", "cmd-metacharacter", "`%`"],
    ["delayed expansion", raw`\\srv\share\!x!`, "cmd-metacharacter", "`!`"],
    ["a caret", raw`\\srv\share\a^b`, "cmd-metacharacter", "`^`"],
    ["a parenthesis", raw`\\srv\share\a(b`, "cmd-metacharacter", "`(`"],
    ["a closing parenthesis", raw`\\srv\share\a)b`, "cmd-metacharacter", "`)`"],
    ["an apostrophe", raw`\\srv\share\it's`, "cmd-metacharacter", "`'`"],
    ["a double quote", raw`\\srv\share\a"b`, "cmd-metacharacter", '`"`'],
    ["a pipe", raw`\\srv\share\a|b`, "cmd-metacharacter", "`|`"],
    ["a less-than", raw`\\srv\share\a<b`, "cmd-metacharacter", "`<`"],
    ["a tab", "\\\\srv\\share\\a\tb", "control-character", "U+0009 (tab) at position 14"],
    ["a newline", "\\\\srv\\share\\a\nb", "control-character", "U+000A (line feed)"],
    ["a NUL character", "\\\\srv\\share\\a\u0000b", "control-character", "U+0000 (NUL)"],
    ["a DEL character", "\\\\srv\\share\\a\u007fb", "control-character", "U+007F"],
    ["a zero width space", "\\\\srv\\share\\a\u200bb", "invisible-character", "U+200B"],
    ["a no-break space", "\\\\srv\\share\\a\u00a0b", "invisible-character", "U+00A0 (no-break space)"],
    ["a right-to-left override", "\\\\srv\\share\\a\u202eb", "invisible-character", "U+202E"],
    ["a stray curly quote", raw`\\srv\share\“x`, "quote-character", "U+201C"],
    ["a full-width percent sign", raw`\\srv\share\a％b`, "lookalike-character", "U+FF05"],
    // Best fit, not NFKC: Windows' ANSI conversion turns each into the syntax character it resembles.
    ...BEST_FIT_LOOKALIKES.map(([ch, cp, ascii]): [string, string, string, string] => [
      `the look-alike ${ch} (${cp})`,
      `\\\\srv\\share\\a${ch}b`,
      "lookalike-character",
      `\`${ch}\` (${cp}) at position 14 looks like \`${ascii}\``,
    ]),
    [
      "the replacement character",
      raw`\\srv\share\a�b`,
      "broken-character",
      "`�` (U+FFFD) at position 14 is the replacement character",
    ],
    [
      "a lone high surrogate",
      "\\\\srv\\share\\a\uD800b",
      "broken-character",
      "U+D800 at position 14 is half of a UTF-16 surrogate pair",
    ],
    ["a lone low surrogate", "\\\\srv\\share\\a\uDC00b", "broken-character", "U+DC00"],
    [
      "a component starting with a space",
      raw`\\san-server\mom-failover\ x`,
      "path-leading-space",
      "component ` x` starts with a space",
    ],
    ["a + in the share name", raw`\\srv\a+b`, "unc-share-character", "`+`"],
    ["a = in the share name", raw`\\srv\a=b`, "unc-share-character", "`=`"],
    ["a ; in the share name", raw`\\srv\a;b`, "unc-share-character", "`;`"],
    ["a , in the share name", raw`\\srv\a,b`, "unc-share-character", "`,`"],
    ["a [ in the share name", raw`\\srv\a[b`, "unc-share-character", "`[`"],
    ["a ] in the share name", raw`\\srv\a]b`, "unc-share-character", "`]`"],
    ["a * in the share name", raw`\\srv\a*b`, "unc-share-character", "`*`"],
    ["a : in a component", raw`\\srv\share\a:b`, "path-forbidden-character", "`:` (U+003A) at position 14"],
    ["a ? in a component", raw`\\srv\share\a?b`, "path-forbidden-character", "`?`"],
    ["an 81-character share name", unc("srv", x(81)), "unc-share-too-long", "81 characters"],
    ["a 256-character component", unc("srv", "share", x(256)), "path-component-too-long", "256 characters"],
    ["a target of 260 characters", unc("srv", "share", x(241)), "path-too-long", "260 characters"],
    ["a trailing dot", raw`\\srv\share\x.`, "path-trailing-dot-space", "a dot"],
    ["a trailing space", raw`\\srv\share\x `, "path-trailing-dot-space", "a space"],
    ["a share name with a trailing dot", raw`\\srv\share.\x`, "path-trailing-dot-space", "share name"],
    ["localhost", raw`\\localhost\x`, "unc-loopback-host", "`localhost`"],
    ["LOCALHOST in capitals", raw`\\LOCALHOST\x`, "unc-loopback-host", "this machine"],
    ["127.0.0.1", raw`\\127.0.0.1\x`, "unc-loopback-host", "`127.0.0.1`"],
    ["any 127.x address", raw`\\127.1.2.3\x`, "unc-loopback-host", "`127.1.2.3`"],
    ["::1 as 0--1", raw`\\0--1.ipv6-literal.net\x`, "unc-loopback-host", "0--1"],
    ["::1 as --1", raw`\\--1.ipv6-literal.net\x`, "unc-loopback-host", "--1"],
    ["::1 written out", raw`\\0-0-0-0-0-0-0-1.ipv6-literal.net\x`, "unc-loopback-host", "0-0-0-0-0-0-0-1"],
    ["::1 with a zone", raw`\\--1s3.ipv6-literal.net\x`, "unc-loopback-host", "--1s3"],
    ["IPv4-mapped loopback", raw`\\--ffff-7f00-1.ipv6-literal.net\x`, "unc-loopback-host", "ffff"],
    ["the primary MOM host", raw`\\mom-a\x`, "unc-share-on-mom-host", "primary MOM host"],
    ["the primary by its FQDN", raw`\\MOM-A.corp.example\x`, "unc-share-on-mom-host", "not shared storage"],
    ["the secondary by its bare name", raw`\\mom-b\x`, "unc-share-on-mom-host", "secondary MOM host"],
    // One computer name is one machine, whatever the domain (host.ts hostKey): refusing is the safe mistake.
    [
      "a host named like the secondary in another domain",
      raw`\\mom-b.other.example\x`,
      "unc-share-on-mom-host",
      "(both are the machine `mom-b`: momlink knows a host by its first name label",
    ],
    ["an administrative drive share", raw`\\srv\C$`, "unc-admin-share", "`C$`"],
    ["ADMIN$ in any case", raw`\\srv\admin$`, "unc-admin-share", "administrative"],
    ["IPC$", raw`\\srv\IPC$`, "unc-admin-share", "`IPC$`"],
    ["print$", raw`\\srv\print$\x`, "unc-admin-share", "`print$`"],
    ["a host with hyphens at the ends", raw`\\-bad-\x`, "host-label-hyphen", "`-bad-`"],
    ["a host with a space", raw`\\ex ample\x`, "host-character", "U+0020 (space) at position 5"],
    ["a host with an underscore", raw`\\srv_1\x`, "host-character", "underscores"],
    ["a leading-zero IPv4 address", raw`\\010.0.0.1\x`, "host-ipv4", "octal"],
    ["a short-form IPv4 address", raw`\\127.1\x`, "host-ipv4", "127.1"],
    ["an octet over 255", raw`\\256.1.1.1\x`, "host-ipv4", "0–255"],
    ["a hexadecimal address", raw`\\0x7f.0.0.1\x`, "host-ipv4", "hexadecimal"],
    ["an IPv6 address with colons", raw`\\fe80::1\x`, "host-ipv6-colons", "ipv6-literal.net"],
    ["a malformed IPv6 literal", raw`\\fe80---1.ipv6-literal.net\x`, "host-ipv6-literal", "fe80---1"],
    ["a 16-character NetBIOS host", raw`\\ABCDEFGHIJKLMNOP\x`, "host-netbios-too-long", "15"],
    ["a 64-character DNS label", raw`\\${x(64, "a")}.example\x`, "host-label-too-long", "64 characters"],
    ["an empty DNS label", raw`\\a..b\x`, "host-empty-label", "`a..b`"],
    ["an all-numeric last label", raw`\\srv.123\x`, "host-numeric-tld", "`123`"],
    ["a host without a share", raw`\\srv`, "unc-missing-share", "no share"],
    ["a missing host", raw`\\\x`, "unc-missing-host", "host"],
    ["a relative path", raw`srv\share`, "unc-not-unc", raw`\\host\share`],
    ["a share name alone", "mom-failover", "unc-not-unc", "`mom-failover`"],
    [
      "a value a double-quoting shell halved",
      raw`\srv\share`,
      "unc-shell-mangled",
      "starts with one backslash",
    ],
    [
      "a value a POSIX shell ate",
      raw`\san-servermom-failover`,
      "unc-shell-mangled",
      "share='\\\\san-server\\mom-failover'",
    ],
    ["an empty value", "", "unc-empty", "empty"],
  ];

  it.each(rejected)("%s", (_, value, rule, mention) => {
    const { value: accepted, problems } = validateUncShare(value, ctx);
    expect(accepted).toBeUndefined();
    expect(problems.every((problem) => problem.field === "share")).toBe(true);
    const messages = problems
      .filter((candidate) => candidate.rule === rule)
      .map((candidate) => candidate.message);
    expect(messages, `rules found: ${problems.map((p) => p.rule).join(", ")}`).not.toEqual([]);
    expect(messages.join("\n")).toContain(mention);
  });

  it.each(rejected)("%s, offering an example that itself validates", (_, value) => {
    for (const problem of validateUncShare(value, ctx).problems) {
      const example = exampleValue(problem.example, "share");
      expect(validateUncShare(example, ctx).problems).toEqual([]);
    }
  });
});

describe("validateUncShare corrects mechanically where it can", () => {
  const corrections: [string, string, string][] = [
    ["turns / into \\", "//srv/share/x", raw`share=\\srv\share\x`],
    ["drops a cmd metacharacter", raw`\\srv\share\a%b`, raw`share=\\srv\share\ab`],
    ["drops a trailing dot", raw`\\srv\share\x.`, raw`share=\\srv\share\x`],
    ["drops a leading space", raw`\\srv\share\ x`, raw`share=\\srv\share\x`],
    ["drops a best-fit look-alike", raw`\\srv\share\a¥b`, raw`share=\\srv\share\ab`],
    ["drops an empty component", raw`\\srv\share\\x`, raw`share=\\srv\share\x`],
    ["resolves a .. component", raw`\\srv\share\a\..\x`, raw`share=\\srv\share\x`],
    ["unwraps the \\\\?\\UNC form", raw`\\?\UNC\srv\share\x`, raw`share=\\srv\share\x`],
    ["drops a space from the host", raw`\\ex ample\x`, raw`share=\\example\x`],
    ["trims hyphens from a host label", raw`\\-bad-\x`, raw`share=\\bad\x`],
    ["writes IPv6 as a literal name", raw`\\fe80::1\x`, raw`share=\\fe80--1.ipv6-literal.net\x`],
    ["quotes a corrected value that has a space", raw`\\srv\share\Pair A.`, raw`share='\\srv\share\Pair A'`],
    ["restores the backslash a double-quoting shell removed", raw`\srv\share`, raw`share=\\srv\share`],
    [
      "offers a generic share when a shell ate every backslash",
      raw`\san-servermom-failover`,
      raw`share=\\san-server\mom-failover`,
    ],
    ["offers a generic share for a drive letter", raw`Z:\x`, raw`share=\\san-server\mom-failover`],
    ["offers a generic share for an admin share", raw`\\srv\C$`, raw`share=\\san-server\mom-failover`],
    ["offers a generic share for the MOM host", raw`\\mom-a\x`, raw`share=\\san-server\mom-failover`],
    [
      "offers a generic share for a reserved name",
      raw`\\srv\share\nul`,
      raw`share=\\san-server\mom-failover`,
    ],
  ];
  it.each(corrections)("%s", (_, value, example) => {
    const { problems } = validateUncShare(value, ctx);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((problem) => problem.example)).toEqual(problems.map(() => example));
  });

  it("never offers a generic share on a MOM host", () => {
    const onSan = { primary: "san-server", secondary: "mom-b", dirs: ["config"] };
    const [problem] = validateUncShare(raw`Z:\x`, onSan).problems;
    expect(problem?.example).toBe(raw`share=\\nas-server\mom-failover`);
  });
});

describe("validateUncShare reports everything at once", () => {
  it("names every broken rule of a value that breaks several", () => {
    const { problems } = validateUncShare(raw`\\localhost\C$\a%b\nul\x.`, ctx);
    expect(problems.map((problem) => problem.rule)).toEqual([
      "cmd-metacharacter",
      "unc-loopback-host",
      "unc-admin-share",
      "path-reserved-name",
      "path-trailing-dot-space",
    ]);
  });

  it("checks the target length against the longest requested dir", () => {
    const share = unc("srv", "share", x(237)); // 249 characters
    expect(validateUncShare(share, { dirs: ["config"] }).problems).toEqual([]); // 256
    const { problems } = validateUncShare(share, { dirs: ["config", "threaddumps"] }); // 261
    expect(problems.map((problem) => problem.rule)).toEqual(["path-too-long"]);
    expect(problems[0]?.message).toContain("threaddumps");
  });
});
