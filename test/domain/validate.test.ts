import { describe, expect, it } from "vitest";
import { DEFAULT_ALLOWED_DIRS, type PairSpec } from "../../src/domain/pair.ts";
import {
  type RawPairInput,
  validateMomHost,
  validatePair,
  validatePlatform,
  validateShare,
} from "../../src/domain/validate.ts";

const raw = String.raw;
const options = { allowedDirs: DEFAULT_ALLOWED_DIRS };
const valid: RawPairInput = {
  primary: "mom-a",
  secondary: "mom-b",
  "em-home": raw`D:\Introscope\EM`,
  share: raw`\\san-server\mom-failover`,
};

function rulesOf(input: RawPairInput): [string, string][] {
  const result = validatePair(input, options);
  return result.ok ? [] : result.problems.map((problem) => [problem.field, problem.rule]);
}

describe("validatePair", () => {
  it.each([
    ["backticks", "`D:\\EM`", "remove the backticks"],
    ["quotes", '"D:\\EM"', "remove the quotes"],
    ["curly quotes", "“D:\\EM”", "remove the quotes"],
  ])("refuses a form value wrapped in %s and shows it without them", (_, value, says) => {
    const result = validatePair({ ...valid, "em-home": value }, options);
    expect(result).toMatchObject({
      ok: false,
      problems: [{ field: "em-home", rule: "wrapped-value", example: "em-home=D:\\EM" }],
    });
    if (!result.ok) expect(result.problems[0]?.message).toContain(says);
  });

  it("builds the spec with defaults: windows, secondary EM_HOME = EM_HOME, dirs config,data,traces", () => {
    expect(validatePair(valid, options)).toEqual({
      ok: true,
      value: {
        platform: "windows",
        primary: "mom-a",
        secondary: "mom-b",
        emHome: raw`D:\Introscope\EM`,
        secondaryEmHome: raw`D:\Introscope\EM`,
        share: raw`\\san-server\mom-failover`,
        dirs: ["config", "data", "traces"],
        configAdded: false,
      } satisfies PairSpec,
    });
  });

  it("normalises every path and keeps a separate secondary EM_HOME", () => {
    const result = validatePair(
      {
        ...valid,
        "em-home": "D:\\EM\\",
        "secondary-em-home": "E:\\Other EM\\",
        share: "\\\\san-server\\mom-failover\\",
        dirs: "logs",
        platform: "WINDOWS",
      },
      options,
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        emHome: "D:\\EM",
        secondaryEmHome: "E:\\Other EM",
        share: "\\\\san-server\\mom-failover",
        dirs: ["config", "logs"],
        configAdded: true,
      },
    });
  });

  it("lists every missing key at once, each with an example", () => {
    const result = validatePair({}, options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => [problem.field, problem.rule, problem.example])).toEqual([
      ["primary", "missing-key", "primary=mom-a.corp.example"],
      ["secondary", "missing-key", "secondary=mom-b.corp.example"],
      ["em-home", "missing-key", raw`em-home=D:\Introscope\EM`],
      ["share", "missing-key", raw`share=\\san-server\mom-failover`],
    ]);
  });

  it("does not report a missing key the caller already explained", () => {
    expect(rulesOf({ ...valid, share: undefined })).toEqual([["share", "missing-key"]]);
    expect(validatePair({ ...valid, share: undefined }, { ...options, explained: ["share"] })).toEqual({
      ok: false,
      problems: [],
    });
  });

  it.each([
    ["the same name", "mom-a", "mom-a"],
    ["different case", "mom-a", "MOM-A"],
    ["a bare name and its FQDN", "mom-a", "mom-a.corp.example"],
    ["one computer name in two domains", "mom-a.dc1.example", "mom-a.dc2.example"],
    ["two spellings of one IPv6 address", "fe80--1.ipv6-literal.net", "fe80-0-0-0-0-0-0-1.ipv6-literal.net"],
    ["an IPv4 address and its IPv4-mapped IPv6 form", "10.0.0.5", "--ffff-a00-5.ipv6-literal.net"],
  ])("refuses a pair that is one machine: %s", (_, primary, secondary) => {
    expect(rulesOf({ ...valid, primary, secondary })).toEqual([["secondary", "pair-same-host"]]);
  });

  it("says why two different names are one machine", () => {
    const result = validatePair(
      { ...valid, primary: "mom-a.dc1.example", secondary: "MOM-A.dc2.example" },
      options,
    );
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      "secondary `MOM-A.dc2.example` is the same machine as primary `mom-a.dc1.example` (both are the machine " +
        "`mom-a`: momlink knows a host by its first name label, the computer name, or by its address): a failover " +
        "pair needs two MOM hosts.",
    ]);
  });

  it("refuses loopback names as MOM hosts", () => {
    expect(rulesOf({ ...valid, primary: "localhost", secondary: "127.0.0.1" })).toEqual([
      ["primary", "host-loopback"],
      ["secondary", "host-loopback"],
    ]);
  });

  it("refuses a share on either MOM host", () => {
    expect(rulesOf({ ...valid, share: raw`\\MOM-B.corp.example\x` })).toEqual([
      ["share", "unc-share-on-mom-host"],
    ]);
  });

  it("checks lengths against the dirs actually requested", () => {
    const share = `\\\\srv\\share\\${"x".repeat(239)}`; // 251 characters
    expect(rulesOf({ ...valid, share, dirs: "config,data" })).toEqual([]); // + \config = 258
    expect(rulesOf({ ...valid, share, dirs: "config,threaddumps" })).toEqual([["share", "path-too-long"]]);
  });

  it("validates Linux paths as POSIX paths", () => {
    const linux = {
      ...valid,
      platform: "linux",
      "em-home": "/opt/CA/Introscope/",
      share: "/mnt/mom-failover",
    };
    expect(validatePair(linux, options)).toMatchObject({
      ok: true,
      value: { platform: "linux", emHome: "/opt/CA/Introscope", share: "/mnt/mom-failover" },
    });
    expect(rulesOf({ ...linux, share: raw`\\san-server\mom-failover` })).toEqual([
      ["share", "shell-metacharacter"],
      ["share", "posix-not-absolute"],
    ]);
  });

  it("refuses a Linux share that overlaps EM_HOME", () => {
    const linux = { ...valid, platform: "linux", "em-home": "/opt/em" };
    expect(rulesOf({ ...linux, share: "/opt/em/shared" })).toEqual([
      ["share", "pair-share-overlaps-em-home"],
    ]);
    expect(rulesOf({ ...linux, share: "/opt" })).toEqual([["share", "pair-share-overlaps-em-home"]]);
    expect(rulesOf({ ...linux, share: "/opt/em-shared" })).toEqual([]);
  });

  it("judges paths by their shape when the platform is unknown", () => {
    expect(rulesOf({ ...valid, platform: "win" })).toEqual([["platform", "platform-unknown"]]);
    expect(rulesOf({ ...valid, platform: "unix", "em-home": "/opt/em", share: "/mnt/x" })).toEqual([
      ["platform", "platform-unknown"],
    ]);
  });

  it("collects problems from every field, in grammar order", () => {
    expect(
      rulesOf({
        platform: "solaris",
        dirs: "config,plugins",
        "secondary-em-home": "E:relative",
        share: "Z:\\x",
        "em-home": "D:\\a&b",
        secondary: "mom_b",
        primary: "-a",
      }),
    ).toEqual([
      ["primary", "host-label-hyphen"],
      ["secondary", "host-character"],
      ["em-home", "cmd-metacharacter"],
      ["share", "unc-drive-letter"],
      ["dirs", "dirs-unknown"],
      ["secondary-em-home", "em-home-drive-relative"],
      ["platform", "platform-unknown"],
    ]);
  });
});

describe("per-field validators for the modal", () => {
  it("validatePlatform defaults to windows, ignores case and suggests the closest", () => {
    expect(validatePlatform(undefined)).toEqual({ value: "windows", problems: [] });
    expect(validatePlatform("Linux")).toEqual({ value: "linux", problems: [] });
    expect(validatePlatform("windoze").problems).toMatchObject([
      { field: "platform", rule: "platform-unknown", example: "platform=windows" },
    ]);
    expect(validatePlatform("linx").problems[0]?.message).toContain("did you mean linux?");
  });

  it("validateMomHost refuses malformed and loopback hosts", () => {
    expect(validateMomHost("mom-a.corp.example", "primary")).toEqual([]);
    expect(validateMomHost("localhost", "secondary")).toMatchObject([
      { field: "secondary", rule: "host-loopback" },
    ]);
    expect(validateMomHost("mom a", "primary")).toMatchObject([
      { rule: "host-character", example: "primary=moma" },
    ]);
  });

  it("validateShare dispatches on the platform", () => {
    const ctx = { dirs: ["config"] };
    expect(validateShare(raw`\\srv\x`, "windows", ctx)).toEqual({ value: raw`\\srv\x`, problems: [] });
    expect(validateShare("/mnt/x/", "linux", ctx)).toEqual({ value: "/mnt/x", problems: [] });
    expect(validateShare("/mnt/x", "windows", ctx).problems[0]?.rule).toBe("forward-slash");
  });
});
