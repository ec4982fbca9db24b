// --allow-em-home: the host's own limit on what a job may touch.
import { describe, expect, it } from "vitest";
import { createEmHomePolicy, emHomeAllowed } from "../../src/runner/policy.ts";

describe("EM_HOME roots a runner allows", () => {
  const cases: [string, "windows" | "linux", string[], string, boolean][] = [
    ["the root itself", "windows", ["D:\\Introscope"], "D:\\Introscope", true],
    ["a directory below the root", "windows", ["D:\\Introscope"], "D:\\Introscope\\EM", true],
    ["another case on Windows", "windows", ["d:\\introscope\\"], "D:\\Introscope\\EM", true],
    ["a root written with forward slashes", "windows", ["D:/Introscope"], "D:\\Introscope\\EM", true],
    ["a whole drive", "windows", ["E:\\"], "E:\\APM\\em", true],
    ["a sibling sharing a prefix", "windows", ["D:\\Introscope"], "D:\\Introscope2\\EM", false],
    ["another drive", "windows", ["D:\\Introscope"], "C:\\Introscope\\EM", false],
    ["a .. walking out", "windows", ["D:\\Introscope"], "D:\\Introscope\\..\\Windows", false],
    ["one of several roots", "linux", ["/opt/CA", "/srv/apm"], "/srv/apm/em", true],
    ["a sibling sharing a prefix on Linux", "linux", ["/opt/CA"], "/opt/CA2/em", false],
    ["another case on Linux", "linux", ["/opt/CA"], "/opt/ca/em", false],
    ["a trailing slash on the root", "linux", ["/opt/CA/"], "/opt/CA/Introscope", true],
    ["a .. walking out on Linux", "linux", ["/opt/CA"], "/opt/CA/../../etc", false],
    ["everything under /", "linux", ["/"], "/opt/CA/Introscope", true],
  ];
  it.each(cases)("%s: %s roots %j, EM_HOME %s -> %s", (_what, platform, roots, emHome, allowed) => {
    expect(emHomeAllowed(createEmHomePolicy(platform, roots), emHome)).toBe(allowed);
  });

  it.each([
    ["no root at all", "linux", []],
    ["a relative Linux root", "linux", ["opt/CA"]],
    ["a Linux root with ..", "linux", ["/opt/../etc"]],
    ["a Windows root without a drive", "windows", ["\\Introscope"]],
    ["a UNC root", "windows", ["\\\\srv\\share"]],
  ] as const)("refuses to start with %s", (_what, platform, roots) => {
    expect(() => createEmHomePolicy(platform, [...roots])).toThrow(/--allow-em-home/);
  });
});
