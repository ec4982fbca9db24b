import { describe, expect, it } from "vitest";
import { validatePosixPath } from "../../src/domain/posix-path.ts";

const options = {
  label: "the share mount path",
  dirs: ["config", "data"],
  suffix: "",
  generic: "/mnt/mom-failover",
};

describe("validatePosixPath (the Linux share)", () => {
  it.each([
    ["/mnt/mom-failover", "/mnt/mom-failover"],
    ["/mnt/mom-failover/", "/mnt/mom-failover"],
    ["/mnt/NFS Share/pair 1", "/mnt/NFS Share/pair 1"],
    ["/mnt/.snapshots-off/x.y", "/mnt/.snapshots-off/x.y"],
  ])("accepts %s", (value, normalised) => {
    expect(validatePosixPath(value, "share", options)).toEqual({ value: normalised, problems: [] });
  });

  // [value, rule, text the message must contain, example]
  const rejected: [string, string, string, string][] = [
    ["", "path-empty", "empty", "share=/mnt/mom-failover"],
    ["mnt/x", "posix-not-absolute", "`mnt/x`", "share=/mnt/mom-failover"],
    ["\\\\srv\\share", "posix-not-absolute", "Windows path", "share=/mnt/mom-failover"],
    ["//", "posix-root", "`/`", "share=/mnt/mom-failover"],
    ["/mnt//x", "path-empty-component", "position 5", "share=/mnt/x"],
    ["/mnt/x/..", "path-dot-component", "`..`", "share=/mnt"],
    ["/mnt/$(reboot)", "shell-metacharacter", "`$`", "share=/mnt/reboot"],
    ["/mnt/a|b", "shell-metacharacter", "`|`", "share=/mnt/ab"],
    ["/mnt/a'b", "shell-metacharacter", "`'`", "share=/mnt/ab"],
    ["/mnt/a%b^c", "shell-metacharacter", "`^`", "share=/mnt/abc"],
    ["/mnt/a\u0000b", "control-character", "U+0000 (NUL)", "share=/mnt/ab"],
    ["/mnt/a\u202eb", "invisible-character", "U+202E", "share=/mnt/ab"],
    ["/mnt/a／b", "lookalike-character", "U+FF0F", "share=/mnt/ab"],
    ["/mnt/a∕b", "lookalike-character", "`∕` (U+2215) at position 7 looks like `/`", "share=/mnt/ab"],
    [
      "/mnt/a\uFFFDb",
      "broken-character",
      "(U+FFFD) at position 7 is the replacement character",
      "share=/mnt/ab",
    ],
    [
      "/mnt/a\uD800b",
      "broken-character",
      "U+D800 at position 7 is half of a UTF-16 surrogate pair",
      "share=/mnt/ab",
    ],
  ];
  it.each(rejected)("refuses %j", (value, rule, mention, example) => {
    const { value: accepted, problems } = validatePosixPath(value, "share", options);
    expect(accepted).toBeUndefined();
    const matching = problems.filter((problem) => problem.rule === rule);
    expect(matching, problems.map((p) => p.rule).join(", ")).not.toEqual([]);
    expect(matching.map((problem) => problem.message).join("\n")).toContain(mention);
    for (const problem of problems) {
      expect(problem).toMatchObject({ field: "share", example });
      expect(validatePosixPath(example.slice("share=".length), "share", options).problems).toEqual([]);
    }
  });
});
