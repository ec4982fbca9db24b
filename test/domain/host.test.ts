import { describe, expect, it } from "vitest";
import {
  hostKey,
  isLoopbackHost,
  parseIpv6Literal,
  sameMachine,
  validateHost,
} from "../../src/domain/host.ts";

describe("validateHost accepts", () => {
  it.each([
    ["a NetBIOS name", "mom-a"],
    ["a 15-character NetBIOS name", "ABCDEFGHIJKLMNO"],
    ["an FQDN, keeping its case", "MOM-A.Corp.Example"],
    ["a 63-character label", `${"a".repeat(63)}.example`],
    ["a 255-character DNS name", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`],
    ["digits in labels", "mom01.dc2.example"],
    ["an all-digit first label", "123.example"],
    ["a dotted IPv4 address", "10.0.0.5"],
    ["0 octets", "10.0.0.0"],
    ["255 octets", "255.255.255.254"],
    ["an IPv6 literal", "fe80--1.ipv6-literal.net"],
    ["a full IPv6 literal", "2001-db8-0-0-0-0-0-1.IPV6-LITERAL.NET"],
    ["an IPv6 literal with a zone", "fe80--1s12.ipv6-literal.net"],
    ["the unspecified-prefix form", "--ffff-a00-5.ipv6-literal.net"],
  ])("%s: %s", (_, host) => {
    expect(validateHost(host, "primary")).toEqual([]);
  });
});

describe("validateHost refuses", () => {
  // [behaviour, host, rule, text the message must contain, corrected example]
  const rejected: [string, string, string, string, string][] = [
    ["an empty host", "", "host-empty", "empty", "primary=mom-a.corp.example"],
    ["an underscore", "mom_a", "host-character", "underscores", "primary=moma"],
    ["a space", "mom a", "host-character", "U+0020 (space) at position 4", "primary=moma"],
    ["a backslash prefix", "\\\\mom-a", "host-character", "`\\`", "primary=mom-a"],
    ["a port", "mom-a:8081", "host-character", "`:`", "primary=mom-a"],
    ["a label starting with a hyphen", "-mom.example", "host-label-hyphen", "`-mom`", "primary=mom.example"],
    ["a label ending with a hyphen", "mom-", "host-label-hyphen", "`mom-`", "primary=mom"],
    [
      "a 64-character label",
      `${"a".repeat(64)}.example`,
      "host-label-too-long",
      "64",
      "primary=mom-a.corp.example",
    ],
    [
      "a name over 255 characters",
      `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.e`,
      "host-too-long",
      "257",
      "primary=mom-a.corp.example",
    ],
    [
      "a 16-character NetBIOS name",
      "ABCDEFGHIJKLMNOP",
      "host-netbios-too-long",
      "15",
      "primary=mom-a.corp.example",
    ],
    ["an empty label", "mom..example", "host-empty-label", "`mom..example`", "primary=mom.example"],
    ["a leading dot", ".mom.example", "host-empty-label", "leading dot", "primary=mom.example"],
    ["a trailing dot", "mom.example.", "host-trailing-dot", "ends with a dot", "primary=mom.example"],
    ["an all-numeric last label", "mom.123", "host-numeric-tld", "`123`", "primary=mom-a.corp.example"],
    ["a leading-zero octet (octal)", "010.0.0.1", "host-ipv4", "octal", "primary=10.0.0.1"],
    ["an octet over 255", "10.0.0.256", "host-ipv4", "0–255", "primary=mom-a.corp.example"],
    ["three octets", "10.0.1", "host-ipv4", "short form", "primary=mom-a.corp.example"],
    ["five octets", "10.0.0.1.5", "host-ipv4", "four decimal octets", "primary=mom-a.corp.example"],
    ["a decimal address", "2130706433", "host-ipv4", "short form", "primary=mom-a.corp.example"],
    ["a hexadecimal address", "0x7f000001", "host-ipv4", "hexadecimal", "primary=mom-a.corp.example"],
    [
      "IPv6 with colons",
      "fe80::1",
      "host-ipv6-colons",
      "ipv6-literal.net",
      "primary=fe80--1.ipv6-literal.net",
    ],
    [
      "bracketed IPv6 with a zone",
      "[fe80::1%4]",
      "host-ipv6-colons",
      "`-`",
      "primary=fe80--1s4.ipv6-literal.net",
    ],
    [
      "two :: in a literal",
      "1--2--3.ipv6-literal.net",
      "host-ipv6-literal",
      "1--2--3",
      "primary=mom-a.corp.example",
    ],
    [
      "nine groups",
      "1-2-3-4-5-6-7-8-9.ipv6-literal.net",
      "host-ipv6-literal",
      "IPv6",
      "primary=mom-a.corp.example",
    ],
    [
      "a 5-digit group",
      "fe800--1.ipv6-literal.net",
      "host-ipv6-literal",
      "fe800",
      "primary=mom-a.corp.example",
    ],
    ["a bad zone", "fe80--1s.ipv6-literal.net", "host-ipv6-literal", "zone", "primary=mom-a.corp.example"],
    ["a non-ASCII letter", "mömа", "host-character", "`ö`", "primary=mm"],
  ];
  it.each(rejected)("%s", (_, host, rule, mention, example) => {
    const problems = validateHost(host, "primary");
    const matching = problems.filter((problem) => problem.rule === rule);
    expect(matching, problems.map((p) => p.rule).join(", ")).not.toEqual([]);
    expect(matching.map((problem) => problem.message).join("\n")).toContain(mention);
    expect(problems.every((problem) => problem.field === "primary" && problem.example === example)).toBe(
      true,
    );
    expect(validateHost(example.slice("primary=".length), "primary")).toEqual([]);
  });

  it("uses the field it is given, with a field-specific generic example", () => {
    expect(validateHost("ABCDEFGHIJKLMNOPQ", "secondary")).toMatchObject([
      { field: "secondary", rule: "host-netbios-too-long", example: "secondary=mom-b.corp.example" },
    ]);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    "localhost",
    "LOCALHOST",
    "localhost.",
    "app.localhost",
    "localhost.localdomain",
    "127.0.0.1",
    "127.1.2.3",
    "127.255.255.255",
    "0.0.0.0",
    "0--1.ipv6-literal.net",
    "--1.ipv6-literal.net",
    "0-0-0-0-0-0-0-1.ipv6-literal.net",
    "--1s3.ipv6-literal.net",
    "0-0-0-0-0-0-0-1sEth0.ipv6-literal.net",
    "--.ipv6-literal.net",
    "--ffff-7f00-1.ipv6-literal.net",
  ])("recognises %s as this machine", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    "mom-a",
    "localhost2",
    "mylocalhost.example",
    "128.0.0.1",
    "10.127.0.1",
    "fe80--1.ipv6-literal.net",
    "--2.ipv6-literal.net",
  ])("does not treat %s as this machine", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("sameMachine", () => {
  const cases: [string, string, boolean][] = [
    ["mom-a", "mom-a", true],
    ["mom-a", "MOM-A", true],
    ["mom-a", "mom-a.corp.example", true],
    ["MOM-A.corp.example", "mom-a", true],
    ["mom-a.corp.example", "mom-a.corp.example.", true],
    ["fe80--1.ipv6-literal.net", "FE80-0-0-0-0-0-0-1.ipv6-literal.net", true],
    ["mom-a", "mom-b", false],
    // One computer name in two domains counts as one machine: refusing is the safe mistake.
    ["mom-a.corp.example", "mom-a.lab.example", true],
    ["fe80--1s4.ipv6-literal.net", "fe80--1.ipv6-literal.net", true],
    ["--ffff-a00-5.ipv6-literal.net", "10.0.0.5", true],
    ["fe80--1.ipv6-literal.net", "fe80--2.ipv6-literal.net", false],
    ["10.0.0.5", "mom-a", false],
    ["mom-a", "mom-ab.corp.example", false],
    ["mom-a", "x.mom-a.example", false],
    ["10.0.0.5", "10.0.0.5", true],
    ["10", "10.0.0.5", false],
    ["10.0.0.5", "10.0.0.6", false],
    ["", "", false],
  ];
  it.each(cases)("%s and %s → %s", (a, b, expected) => {
    expect(sameMachine(a, b)).toBe(expected);
    expect(sameMachine(b, a)).toBe(expected);
  });
});

describe("hostKey", () => {
  it.each([
    ["mom-a", "mom-a"],
    ["MOM-A", "mom-a"],
    ["MOM-A.Corp.Example", "mom-a"],
    ["mom-a.corp.example.", "mom-a"],
    ["10.0.0.5", "10.0.0.5"],
    ["fe80--1.ipv6-literal.net", "fe80::1"],
    ["FE80-0-0-0-0-0-0-1.IPV6-LITERAL.NET", "fe80::1"],
    ["fe80--1s12.ipv6-literal.net", "fe80::1"],
    ["2001-db8-0-0-1-0-0-1.ipv6-literal.net", "2001:db8::1:0:0:1"],
    ["2001-db8-0-1-1-1-1-1.ipv6-literal.net", "2001:db8:0:1:1:1:1:1"],
    ["0-0-0-0-0-0-0-0.ipv6-literal.net", "::"],
    ["--ffff-a00-5.ipv6-literal.net", "10.0.0.5"],
  ])("%s → %s", (host, key) => {
    expect(hostKey(host)).toBe(key);
  });
});

describe("parseIpv6Literal", () => {
  it("expands the compressed form", () => {
    expect(parseIpv6Literal("fe80--1.ipv6-literal.net")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6Literal("2001-db8--.ipv6-literal.net")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]);
  });
  it("refuses a compressed form with eight groups", () => {
    expect(parseIpv6Literal("1-2-3-4--5-6-7-8.ipv6-literal.net")).toBeUndefined();
  });
});
