// --allow-em-home and --allow-share: the host's own limits on what a job may touch.
import { describe, expect, it } from "vitest";
import {
  allowedByRoots,
  createEmHomePolicy,
  createSharePolicy,
  outsideRoots,
} from "../../src/runner/policy.ts";

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
    expect(allowedByRoots(createEmHomePolicy(platform, roots), emHome)).toBe(allowed);
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

describe("share roots a runner allows", () => {
  const SAN = "\\\\san-server\\mom-failover";
  const cases: [string, "windows" | "linux", string[], string, boolean][] = [
    ["the mount itself", "linux", ["/mnt/mom-failover"], "/mnt/mom-failover", true],
    ["a directory on the mount", "linux", ["/mnt/mom-failover"], "/mnt/mom-failover/pair-1", true],
    ["/etc", "linux", ["/mnt/mom-failover"], "/etc", false],
    ["a sibling mount sharing a prefix", "linux", ["/mnt/mom"], "/mnt/mom-failover", false],
    ["a .. walking out of the mount", "linux", ["/mnt/mom-failover"], "/mnt/mom-failover/../../etc", false],
    ["one of several mounts", "linux", ["/mnt/a", "/srv/nfs/apm"], "/srv/nfs/apm/mom", true],
    ["another case on Linux", "linux", ["/mnt/SAN"], "/mnt/san", false],
    ["the UNC share itself", "windows", [SAN], SAN, true],
    [
      "a folder on the share, in another case",
      "windows",
      [SAN],
      "\\\\SAN-SERVER\\Mom-Failover\\pair-1",
      true,
    ],
    ["a root written with forward slashes", "windows", ["//san-server/mom-failover/"], `${SAN}\\x`, true],
    ["a share sharing a prefix", "windows", [SAN], `${SAN}2`, false],
    ["another share on the server", "windows", [SAN], "\\\\san-server\\c$", false],
    ["another server", "windows", [SAN], "\\\\evil\\mom-failover", false],
    ["a folder root that is only a prefix", "windows", [`${SAN}\\mom`], `${SAN}\\mom2`, false],
    ["a .. walking out of the share", "windows", [SAN], `${SAN}\\..\\c$`, false],
    ["a drive path", "windows", [SAN], "D:\\mom-failover", false],
  ];
  it.each(cases)("%s: %s roots %j, share %s -> %s", (_what, platform, roots, share, allowed) => {
    expect(allowedByRoots(createSharePolicy(platform, roots), share)).toBe(allowed);
  });

  it("says which option and which roots refused a share", () => {
    const policy = createSharePolicy("linux", ["/mnt/mom-failover/"]);
    expect(outsideRoots(policy, "/etc")).toBe(
      "share /etc is outside this runner's --allow-share roots (/mnt/mom-failover)",
    );
    expect(outsideRoots(policy, "/mnt/mom-failover/x")).toBeNull();
  });

  it.each([
    ["no root at all", "linux", [], /give at least one share root/],
    ["a relative mount", "linux", ["mnt/san"], /give an absolute path, like \/mnt\/mom-failover/],
    ["the whole file system", "linux", ["/"], /\/ would allow every directory/],
    ["a mount with ..", "linux", ["/mnt/../etc"], /empty, \. or \.\. component/],
    ["a UNC server without a share", "windows", ["\\\\san-server"], /a UNC prefix with a server and a share/],
    ["a drive path on Windows", "windows", ["S:\\mom-failover"], /a UNC prefix with a server and a share/],
    ["a device path", "windows", ["\\\\?\\UNC\\san\\share"], /a UNC prefix/],
    ["a UNC prefix with ..", "windows", ["\\\\san\\share\\..\\c$"], /empty, \. or \.\. component/],
  ] as const)("refuses to start with %s", (_what, platform, roots, why) => {
    expect(() => createSharePolicy(platform, [...roots])).toThrow(/--allow-share/);
    expect(() => createSharePolicy(platform, [...roots])).toThrow(why);
  });
});
