import { describe, expect, it } from "vitest";
import { type EmHomeField, validateEmHome } from "../../src/domain/em-home.ts";
import { tokenize } from "../../src/domain/grammar.ts";
import type { Platform } from "../../src/domain/pair.ts";

const raw = String.raw;
const dirs = ["config", "data", "traces"];

/** Reads an example token back as the grammar would, and returns its value. */
function exampleValue(example: string, key: EmHomeField): string {
  const tokens = tokenize(example);
  if (!tokens.ok || tokens.value.length !== 1) throw new Error(`example ${example} is not one token`);
  const token = tokens.value[0] ?? "";
  expect(token.startsWith(`${key}=`)).toBe(true);
  return token.slice(key.length + 1);
}

describe("validateEmHome on Windows accepts", () => {
  it.each([
    ["a plain path", raw`D:\Introscope\EM`, raw`D:\Introscope\EM`],
    ["and drops a trailing backslash", "D:\\Introscope\\EM\\", raw`D:\Introscope\EM`],
    ["spaces", raw`C:\Program Files\CA APM\Introscope10.7.0`, raw`C:\Program Files\CA APM\Introscope10.7.0`],
    ["a lower-case drive, keeping case", raw`d:\apm\Em`, raw`d:\apm\Em`],
    ["a one-level path", raw`E:\EM`, raw`E:\EM`],
    ["dots inside names and a space within one", raw`D:\a b\.b\c.d`, raw`D:\a b\.b\c.d`],
    // D:\ (3) + 229 + \threaddumps.pre-CHG-999999 (27) = 259 with the longest allowed dir.
    ["a path that leaves room for the moved-aside name", `D:\\${"x".repeat(229)}`, `D:\\${"x".repeat(229)}`],
  ])("%s", (_, value, normalised) => {
    expect(validateEmHome(value, "em-home", "windows", { dirs: ["config", "threaddumps"] })).toEqual({
      value: normalised,
      problems: [],
    });
  });
});

describe("validateEmHome on Windows refuses", () => {
  // [behaviour, value, rule, text the message must contain, the example offered]
  const rejected: [string, string, string, string, string][] = [
    ["a UNC path", raw`\\srv\share\EM`, "em-home-unc", "own disk", raw`em-home=D:\Introscope\EM`],
    ["a device path", raw`\\?\D:\EM`, "em-home-device-path", "\\\\?\\", raw`em-home=D:\Introscope\EM`],
    [
      "a relative path",
      raw`Introscope\EM`,
      "em-home-relative",
      "drive letter",
      raw`em-home=D:\Introscope\EM`,
    ],
    [
      "a path from the current drive's root",
      raw`\Introscope\EM`,
      "em-home-relative",
      "current",
      raw`em-home=D:\Introscope\EM`,
    ],
    [
      "a drive-relative path",
      raw`D:Introscope\EM`,
      "em-home-drive-relative",
      raw`D:\Introscope\EM`,
      raw`em-home=D:\Introscope\EM`,
    ],
    ["a drive root", "D:\\", "em-home-drive-root", "root of drive D:", raw`em-home=D:\Introscope\EM`],
    [
      "a component starting with a space",
      raw`D:\Introscope\ x`,
      "path-leading-space",
      "EM_HOME component ` x` starts with a space",
      raw`em-home=D:\Introscope\x`,
    ],
    [
      "a yen sign (a backslash in code page 932)",
      raw`D:\Introscope¥EM`,
      "lookalike-character",
      "`¥` (U+00A5)",
      raw`em-home=D:\IntroscopeEM`,
    ],
    ["a bare drive", "D:", "em-home-drive-root", "root", raw`em-home=D:\Introscope\EM`],
    [
      "forward slashes",
      "D:/Introscope/EM",
      "forward-slash",
      "positions 3 and 14",
      raw`em-home=D:\Introscope\EM`,
    ],
    ["a .. component", raw`D:\Introscope\..\EM`, "path-dot-component", "`..`", raw`em-home=D:\EM`],
    ["a . component", raw`D:\.\EM`, "path-dot-component", "`.`", raw`em-home=D:\EM`],
    [
      "an empty component",
      raw`D:\Introscope\\EM`,
      "path-empty-component",
      "position 14",
      raw`em-home=D:\Introscope\EM`,
    ],
    ["a reserved name", raw`D:\aux\EM`, "path-reserved-name", "AUX", raw`em-home=D:\Introscope\EM`],
    [
      "a reserved name with an extension",
      raw`D:\EM\com3.d`,
      "path-reserved-name",
      "COM3",
      raw`em-home=D:\Introscope\EM`,
    ],
    ["a trailing dot", raw`D:\EM.`, "path-trailing-dot-space", "a dot", raw`em-home=D:\EM`],
    ["a trailing space", raw`D:\EM `, "path-trailing-dot-space", "a space", raw`em-home=D:\EM`],
    ["a colon in a name", raw`D:\EM:1`, "path-forbidden-character", "`:`", raw`em-home=D:\EM1`],
    ["a question mark", raw`D:\EM?`, "path-forbidden-character", "`?`", raw`em-home=D:\EM`],
    ["an asterisk", raw`D:\E*M`, "path-forbidden-character", "`*`", raw`em-home=D:\EM`],
    [
      "a percent sign",
      raw`D:\%EM%`,
      "cmd-metacharacter",
      "`%` (U+0025) at positions 4 and 7",
      raw`em-home=D:\EM`,
    ],
    ["an ampersand", raw`D:\A&B`, "cmd-metacharacter", "`&`", raw`em-home=D:\AB`],
    ["a double quote", raw`D:\EM" & calc`, "cmd-metacharacter", '`"`', raw`em-home='D:\EM  calc'`],
    ["a tab", "D:\\E\tM", "control-character", "U+0009", raw`em-home=D:\EM`],
    ["an invisible character", "D:\\E\u200dM", "invisible-character", "U+200D", raw`em-home=D:\EM`],
    [
      "a 256-character component",
      `D:\\${"x".repeat(256)}`,
      "path-component-too-long",
      "256",
      raw`em-home=D:\Introscope\EM`,
    ],
    ["an empty value", "", "path-empty", "empty", raw`em-home=D:\Introscope\EM`],
  ];
  it.each(rejected)("%s", (_, value, rule, mention, example) => {
    const { value: accepted, problems } = validateEmHome(value, "em-home", "windows", { dirs });
    expect(accepted).toBeUndefined();
    const matching = problems.filter((problem) => problem.rule === rule);
    expect(matching, problems.map((p) => p.rule).join(", ")).not.toEqual([]);
    expect(matching.map((problem) => problem.message).join("\n")).toContain(mention);
    for (const problem of problems) {
      expect(problem.field).toBe("em-home");
      expect(problem.example).toBe(example);
      expect(
        validateEmHome(exampleValue(problem.example, "em-home"), "em-home", "windows", { dirs }).problems,
      ).toEqual([]);
    }
  });

  it("says how long EM_HOME may be, counting the moved-aside name", () => {
    const value = `D:\\${"x".repeat(230)}`; // 233 + \threaddumps.pre-CHG-999999 (27) = 260
    const { problems } = validateEmHome(value, "em-home", "windows", { dirs: ["config", "threaddumps"] });
    expect(problems.map((problem) => problem.rule)).toEqual(["path-too-long"]);
    expect(problems[0]?.message).toContain("threaddumps.pre-CHG-999999` (260 characters");
    expect(problems[0]?.message).toContain("at most 232 characters");
    // The same EM_HOME fits when only shorter dirs are linked.
    expect(validateEmHome(value, "em-home", "windows", { dirs: ["config", "data"] }).problems).toEqual([]);
  });

  it("budgets for the longest allowed dir when no dirs are given", () => {
    expect(validateEmHome(`D:\\${"x".repeat(230)}`, "em-home", "windows").problems).toHaveLength(1);
  });

  it("names the field it was given", () => {
    const { problems } = validateEmHome("relative", "secondary-em-home", "windows");
    expect(problems).toMatchObject([
      { field: "secondary-em-home", example: raw`secondary-em-home=D:\Introscope\EM` },
    ]);
  });
});

describe("validateEmHome on Linux", () => {
  const linux: Platform = "linux";
  it.each([
    ["a plain path", "/opt/CA/Introscope", "/opt/CA/Introscope"],
    ["and drops a trailing slash", "/opt/CA/Introscope/", "/opt/CA/Introscope"],
    ["spaces, dots, hyphens", "/opt/CA APM/Introscope-10.7", "/opt/CA APM/Introscope-10.7"],
    ["characters Windows forbids but POSIX allows", "/opt/em:1/a*b?", "/opt/em:1/a*b?"],
  ])("accepts %s", (_, value, normalised) => {
    expect(validateEmHome(value, "em-home", linux)).toEqual({ value: normalised, problems: [] });
  });

  const rejected: [string, string, string, string, string][] = [
    ["a relative path", "opt/em", "posix-not-absolute", "starts with `/`", "em-home=/opt/CA/Introscope"],
    ["a Windows path", raw`D:\EM`, "posix-not-absolute", "Windows path", "em-home=/opt/CA/Introscope"],
    ["the root", "/", "posix-root", "root", "em-home=/opt/CA/Introscope"],
    ["an empty component", "/opt//em", "path-empty-component", "position 5", "em-home=/opt/em"],
    ["a .. component", "/opt/../em", "path-dot-component", "`..`", "em-home=/em"],
    ["a . component", "/opt/./em", "path-dot-component", "`.`", "em-home=/opt/em"],
    ["a dollar sign", "/opt/$HOME", "shell-metacharacter", "`$`", "em-home=/opt/HOME"],
    ["a backtick", "/opt/`id`", "shell-metacharacter", "U+0060", "em-home=/opt/id"],
    ["a backslash", raw`/opt/a\b`, "shell-metacharacter", "`\\`", "em-home=/opt/ab"],
    ["a semicolon", "/opt/a;reboot", "shell-metacharacter", "`;`", "em-home=/opt/areboot"],
    ["a double quote", '/opt/a"b', "shell-metacharacter", '`"`', "em-home=/opt/ab"],
    ["an exclamation mark", "/opt/a!b", "shell-metacharacter", "`!`", "em-home=/opt/ab"],
    ["a newline", "/opt/a\nb", "control-character", "U+000A", "em-home=/opt/ab"],
    [
      "a 256-byte component",
      `/opt/${"é".repeat(128)}`,
      "path-component-too-long",
      "256 bytes",
      "em-home=/opt/CA/Introscope",
    ],
  ];
  it.each(rejected)("refuses %s", (_, value, rule, mention, example) => {
    const { value: accepted, problems } = validateEmHome(value, "em-home", linux);
    expect(accepted).toBeUndefined();
    const matching = problems.filter((problem) => problem.rule === rule);
    expect(matching, problems.map((p) => p.rule).join(", ")).not.toEqual([]);
    expect(matching.map((problem) => problem.message).join("\n")).toContain(mention);
    for (const problem of problems) {
      expect(problem).toMatchObject({ field: "em-home", example });
      expect(validateEmHome(exampleValue(problem.example, "em-home"), "em-home", linux).problems).toEqual([]);
    }
  });

  it("keeps the moved-aside name under PATH_MAX", () => {
    // 4070 bytes: + /threaddumps.pre-CHG-999999 (27) = 4097, + /config.pre-CHG-999999 (22) = 4092.
    const deep = `${"/".padEnd(201, "d").repeat(20)}/${"e".repeat(49)}`;
    expect(deep).toHaveLength(4070);
    const { problems } = validateEmHome(deep, "em-home", linux, { dirs: ["config", "threaddumps"] });
    expect(problems.map((problem) => problem.rule)).toEqual(["path-too-long"]);
    expect(problems[0]?.message).toContain("4097 bytes");
    expect(validateEmHome(deep, "em-home", linux, { dirs: ["config"] }).problems).toEqual([]);
  });
});
