import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PLAN_EXAMPLE,
  PLAN_GRAMMAR,
  PLAN_USAGE,
  parsePlanText,
  parsePlanTokens,
  parseSlashCommand,
  renderPairText,
  renderPairTokens,
  tokenize,
} from "../../src/domain/grammar.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { PLAN_KEYS } from "../../src/domain/pair.ts";
import type { Field, Result } from "../../src/domain/problem.ts";

const raw = String.raw;
const BASE = raw`primary=mom-a secondary=mom-b em-home=D:\Introscope\EM share=\\san-server\mom-failover`;

const spec = (overrides: Partial<PairSpec> = {}): PairSpec => ({
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: raw`D:\Introscope\EM`,
  secondaryEmHome: raw`D:\Introscope\EM`,
  share: raw`\\san-server\mom-failover`,
  dirs: ["config", "data", "traces"],
  configAdded: false,
  ...overrides,
});

const summary = (result: Result<PairSpec>): PairSpec | [Field, string][] =>
  result.ok ? result.value : result.problems.map((problem) => [problem.field, problem.rule]);

describe("parsePlanText", () => {
  // Whole command texts (what follows `/momlink plan`) → the spec, or every (field, rule) found.
  const table: [string, string, PairSpec | [Field, string][]][] = [
    ["the four required keys", BASE, spec()],
    [
      "keys in any order and any case",
      raw`SHARE=\\san-server\mom-failover Em-Home=D:\Introscope\EM Secondary=mom-b PRIMARY=mom-a`,
      spec(),
    ],
    ["tabs and newlines between tokens", BASE.replaceAll(" ", " \t\n "), spec()],
    [
      "a value in straight double quotes",
      raw`primary=mom-a secondary=mom-b em-home="D:\Program Files\EM" share=\\san-server\mom-failover`,
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "a value in Slack's curly double quotes",
      raw`primary=mom-a secondary=mom-b em-home=“D:\Program Files\EM” share=\\san-server\mom-failover`,
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "a value in curly single quotes",
      raw`primary=mom-a secondary=mom-b em-home=‘D:\Program Files\EM’ share=‘\\san-server\mom-failover’`,
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "a whole token in quotes",
      raw`primary=mom-a secondary=mom-b "em-home=D:\Program Files\EM" share=\\san-server\mom-failover`,
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "quotes around part of a value",
      raw`primary=mom-a secondary=mom-b em-home=D:\"Program Files"\EM share=\\san-server\mom-failover`,
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "dirs without config, secondary EM_HOME and platform",
      `${BASE} dirs=Data,logs secondary-em-home=E:\\EM platform=Windows`,
      spec({ dirs: ["config", "data", "logs"], configAdded: true, secondaryEmHome: raw`E:\EM` }),
    ],
    [
      "a Linux pair",
      "primary=mom-a secondary=mom-b em-home=/opt/CA/Introscope share=/mnt/mom-failover platform=linux",
      spec({
        platform: "linux",
        emHome: "/opt/CA/Introscope",
        secondaryEmHome: "/opt/CA/Introscope",
        share: "/mnt/mom-failover",
      }),
    ],
    [
      "nothing at all: every required key at once",
      "",
      [
        ["primary", "missing-key"],
        ["secondary", "missing-key"],
        ["em-home", "missing-key"],
        ["share", "missing-key"],
      ],
    ],
    [
      "missing keys next to a present one",
      "primary=mom-a",
      [
        ["secondary", "missing-key"],
        ["em-home", "missing-key"],
        ["share", "missing-key"],
      ],
    ],
    ["a repeated key", `${BASE} primary=mom-c`, [["primary", "repeated-key"]]],
    ["a repeated key in another case", `${BASE} Share=\\\\other\\x`, [["share", "repeated-key"]]],
    [
      "an unknown key (the typo's key is not also reported missing)",
      raw`primary=mom-a secondary=mom-b em-home=D:\EM shar=\\san-server\mom-failover`,
      [["command", "unknown-key"]],
    ],
    ["a made-up key", `${BASE} force=yes`, [["command", "unknown-key"]]],
    ["a token without =", `${BASE} now`, [["command", "not-key-value"]]],
    [
      "a key with no value",
      raw`primary= secondary=mom-b em-home=D:\EM share=\\srv\x`,
      [["primary", "empty-value"]],
    ],
    ["an empty quoted value", `${BASE} dirs=""`, [["dirs", "empty-value"]]],
    [
      "spaces around =",
      raw`primary = mom-a secondary=mom-b em-home=D:\EM share=\\srv\x`,
      [["primary", "spaces-around-equals"]],
    ],
    [
      "a space before =",
      raw`primary=mom-a secondary =mom-b em-home=D:\EM share=\\srv\x`,
      [["secondary", "spaces-around-equals"]],
    ],
    [
      "a space after =, still checking the value",
      raw`primary=mom-a secondary=mom-b em-home= D:\E&M share=\\srv\x`,
      [
        ["em-home", "spaces-around-equals"],
        ["em-home", "cmd-metacharacter"],
      ],
    ],
    ["a lone = without a key", `${BASE} =x`, [["command", "empty-key"]]],
    ["an unterminated quote", `${BASE} secondary-em-home="E:\\EM`, [["command", "unterminated-quote"]]],
    ["an unknown platform", `${BASE} platform=win`, [["platform", "platform-unknown"]]],
    ["an unknown dir", `${BASE} dirs=config,plugins`, [["dirs", "dirs-unknown"]]],
    [
      "three different problems, all reported",
      raw`primary=mom-a secondary=MOM-A.corp.example em-home=D:Introscope share=Z:\mom-failover`,
      [
        ["secondary", "pair-same-host"],
        ["em-home", "em-home-drive-relative"],
        ["share", "unc-drive-letter"],
      ],
    ],
    [
      "an injection attempt in a quoted share",
      raw`primary=mom-a secondary=mom-b em-home=D:\EM share="\\srv\share\x & echo PWNED> C:\pwned.txt"`,
      [
        ["share", "cmd-metacharacter"],
        ["share", "cmd-metacharacter"],
        ["share", "path-forbidden-character"],
      ],
    ],
    [
      "share-access=checked-by-hand, in any case: the EM's account was checked by hand",
      `${BASE} Share-Access=Checked-By-Hand`,
      spec({ shareAccess: "checked-by-hand" }),
    ],
    [
      "a share-access value that does not exist",
      `${BASE} share-access=yes`,
      [["share-access", "share-access-unknown"]],
    ],
    ["share-data=reseed", `${BASE} share-data=reseed`, spec({ shareData: "reseed" })],
    ["share-data=KEEP, in any case", `${BASE} share-data=KEEP`, spec({ shareData: "keep" })],
    [
      "a share-data value that does not exist",
      `${BASE} share-data=mirror`,
      [["share-data", "share-data-unknown"]],
    ],
    [
      "services=manage: momlink stops and starts the EM services",
      `${BASE} services=manage`,
      spec({ manageServices: true }),
    ],
    ["services=Require-Stopped, the default, is not recorded", `${BASE} services=Require-Stopped`, spec({})],
    ["a services value that does not exist", `${BASE} services=restart`, [["services", "services-unknown"]]],
    [
      "failover-properties=SET, in any case: the shared file is edited",
      `${BASE} failover-properties=SET`,
      spec({ setFailoverProperties: true }),
    ],
    [
      "failover-properties=check, the default, is not recorded",
      `${BASE} failover-properties=check`,
      spec({}),
    ],
    [
      "a failover-properties value that does not exist",
      `${BASE} failover-properties=yes`,
      [["failover-properties", "failover-properties-unknown"]],
    ],
    [
      "both procedure keys together",
      `${BASE} failover-properties=set services=manage`,
      spec({ manageServices: true, setFailoverProperties: true }),
    ],
    [
      "a change ticket and a reason in Slack's curly quotes, recorded as typed",
      `${BASE} ticket=CHG0012345 Reason=“Q3 DR test — the CAB’s ‘go’ given”`,
      spec({ ticket: "CHG0012345", reason: "Q3 DR test — the CAB’s ‘go’ given" }),
    ],
    ["a ticket with a space in it", `${BASE} ticket="CHG 12"`, [["ticket", "ticket-shape"]]],
    ["a blank reason", `${BASE} reason="  \u200b "`, [["reason", "reason-invalid"]]],
    ["a reason on two lines", `${BASE} reason="one\ntwo"`, [["reason", "reason-character"]]],
    [
      "problems in tokens and in fields together",
      raw`primary=mom-a primary=mom-b emhome=D:\EM share=\\mom-a\x junk`,
      [
        ["command", "unknown-key"],
        ["command", "not-key-value"],
        ["primary", "repeated-key"],
        ["secondary", "missing-key"],
        ["share", "unc-share-on-mom-host"],
      ],
    ],
  ];

  it.each(table)("%s", (_, text, expected) => {
    expect(summary(parsePlanText(text))).toEqual(expected);
  });

  it("suggests the key a typo meant, with the user's value", () => {
    const result = parsePlanText(
      raw`primary=mom-a secondary=mom-b em-home=D:\EM shar=\\san-server\mom-failover`,
    );
    expect(result).toMatchObject({
      ok: false,
      problems: [
        {
          message: expect.stringContaining("did you mean share?"),
          example: raw`share=\\san-server\mom-failover`,
        },
      ],
    });
    if (!result.ok) expect(result.problems[0]?.message).toContain(PLAN_KEYS.join(", "));
  });

  it("turns key:value into an example key=value", () => {
    const result = parsePlanText(`${BASE} dirs:config,data`);
    expect(result).toMatchObject({
      ok: false,
      problems: [{ rule: "not-key-value", example: "dirs=config,data" }],
    });
  });

  it("honours a custom dirs allow-list", () => {
    expect(parsePlanText(`${BASE} dirs=plugins`, { allowedDirs: ["config", "plugins"] })).toMatchObject({
      ok: true,
      value: { dirs: ["config", "plugins"] },
    });
    expect(summary(parsePlanText(`${BASE} dirs=data`, { allowedDirs: ["config", "plugins"] }))).toEqual([
      ["dirs", "dirs-unknown"],
    ]);
  });
});

describe("parsePlanText: what chat clients and keyboards send", () => {
  // Text as it reaches the grammar from Slack (its `&amp;`/link markup decoded once by the Slack
  // adapter), a phone or a form: the spec, or every (field, rule, corrected example).
  type Refusal = [Field, string, string][];
  const refusals = (result: Result<PairSpec>): PairSpec | Refusal =>
    result.ok ? result.value : result.problems.map((p) => [p.field, p.rule, p.example]);
  const hosts = "primary=mom-a secondary=mom-b";
  const BT = "`";
  const table: [string, string, PairSpec | Refusal][] = [
    [
      "an em dash macOS made of -- inside a share: did you mean --?",
      raw`${hosts} em-home=D:\Introscope\EM share=\\nas\mom—failover`,
      [["share", "smart-dash", raw`share=\\nas\mom--failover`]],
    ],
    [
      "an en dash iOS made of -- inside a host name",
      raw`primary=mom–a secondary=mom-b em-home=D:\Introscope\EM share=\\nas\x`,
      [["primary", "smart-dash", "primary=mom--a"]],
    ],
    [
      "a Slack auto-link without a label suggests the host name, not httpmom-…",
      raw`primary=http://mom-22a.corp.example.com secondary=mom-b em-home=D:\EM share=\\nas\x`,
      [["primary", "host-url", "primary=mom-22a.corp.example.com"]],
    ],
    [
      "&amp; in a path: & is refused, and the example drops the & (not amp;)",
      raw`${hosts} em-home=D:\Introscope\EM share=\\nas\mom&amp;failover`,
      [["share", "cmd-metacharacter", raw`share=\\nas\momfailover`]],
    ],
    [
      "a curly opening quote closed by a straight one ends the value there",
      raw`${hosts} em-home=“D:\Program Files\EM" share=\\nas\x`,
      spec({
        emHome: raw`D:\Program Files\EM`,
        secondaryEmHome: raw`D:\Program Files\EM`,
        share: raw`\\nas\x`,
      }),
    ],
    [
      "French guillemets quote a value",
      raw`${hosts} em-home=« D:\Program Files\EM» share=«\\nas\x»`.replace("« ", "«"),
      spec({
        emHome: raw`D:\Program Files\EM`,
        secondaryEmHome: raw`D:\Program Files\EM`,
        share: raw`\\nas\x`,
      }),
    ],
    [
      "German guillemets the other way round",
      raw`${hosts} em-home=»D:\Program Files\EM« share=\\nas\x`,
      spec({
        emHome: raw`D:\Program Files\EM`,
        secondaryEmHome: raw`D:\Program Files\EM`,
        share: raw`\\nas\x`,
      }),
    ],
    [
      "a value in backticks (Slack's code formatting) is understood",
      raw`${hosts} em-home=${BT}D:\Program Files\EM${BT} share=${BT}\\nas\x${BT}`,
      spec({
        emHome: raw`D:\Program Files\EM`,
        secondaryEmHome: raw`D:\Program Files\EM`,
        share: raw`\\nas\x`,
      }),
    ],
    [
      "a value in a code block of three backticks is understood",
      raw`${hosts} em-home=${BT}${BT}${BT}D:\EM${BT}${BT}${BT} share=\\nas\x`,
      spec({ emHome: raw`D:\EM`, secondaryEmHome: raw`D:\EM`, share: raw`\\nas\x` }),
    ],
    [
      "backticks inside quotes are understood too",
      raw`${hosts} em-home="${BT}D:\EM${BT}" share=\\nas\x`,
      spec({ emHome: raw`D:\EM`, secondaryEmHome: raw`D:\EM`, share: raw`\\nas\x` }),
    ],
    [
      "the yen sign a Japanese input mode typed for each backslash is explained",
      raw`${hosts} em-home=D:¥Introscope¥EM share=¥¥nas¥mom-failover`,
      [
        ["em-home", "backslash-sign", raw`em-home=D:\Introscope\EM`],
        ["share", "backslash-sign", raw`share=\\nas\mom-failover`],
      ],
    ],
    [
      "the won sign of a Korean keyboard likewise",
      raw`${hosts} em-home=D:₩EM share=\\nas\x`,
      [["em-home", "backslash-sign", raw`em-home=D:\EM`]],
    ],
  ];

  it.each(table)("%s", (_, text, expected) => {
    expect(refusals(parsePlanText(text))).toEqual(expected);
  });

  it("says why a dash, a yen sign and a link are refused", () => {
    const messages = (text: string) => {
      const result = parsePlanText(text);
      return result.ok ? "" : result.problems.map((p) => p.message).join("\n");
    };
    expect(messages(raw`${hosts} em-home=D:\EM share=\\nas\mom—failover`)).toContain("did you mean `--`?");
    expect(messages(raw`${hosts} em-home=D:¥EM share=\\nas\x`)).toMatch(/yen sign.*Japanese keyboards/s);
    expect(
      messages(raw`primary=http://mom-a.corp.example secondary=mom-b em-home=D:\EM share=\\nas\x`),
    ).toContain("without `http://`");
  });
});

describe("parsePlanTokens (argv from a shell)", () => {
  const argv = ["primary=mom-a", "secondary=mom-b", raw`share=\\san-server\mom-failover`];
  const table: [string, string[], PairSpec | [Field, string][]][] = [
    [
      "tokens a shell already unquoted",
      [...argv, raw`em-home=D:\Program Files\EM`],
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "curly quotes a terminal split at the space",
      [...argv, raw`em-home=“D:\Program`, raw`Files\EM”`],
      spec({ emHome: raw`D:\Program Files\EM`, secondaryEmHome: raw`D:\Program Files\EM` }),
    ],
    [
      "a whole token in curly quotes",
      [...argv, raw`“em-home=D:\EM”`],
      spec({ emHome: raw`D:\EM`, secondaryEmHome: raw`D:\EM` }),
    ],
    [
      "straight quotes cmd.exe passed through",
      [...argv, raw`em-home='D:\EM'`],
      spec({ emHome: raw`D:\EM`, secondaryEmHome: raw`D:\EM` }),
    ],
    [
      "a quote inside a value stays and is refused",
      [...argv, raw`em-home=D:\E"M"`],
      [["em-home", "cmd-metacharacter"]],
    ],
    ["an unclosed curly quote", [...argv, raw`em-home=“D:\EM`], [["command", "unterminated-quote"]]],
    ["a value with a tab from the shell", [...argv, "em-home=D:\\E\tM"], [["em-home", "control-character"]]],
  ];
  it.each(table)("%s", (_, tokens, expected) => {
    expect(summary(parsePlanTokens(tokens))).toEqual(expected);
  });
});

describe("tokenize", () => {
  it.each([
    ["plain words", "a=1  b=2\tc=3", ["a=1", "b=2", "c=3"]],
    [
      "straight quotes inside a token",
      raw`em-home="D:\Program Files\EM"`,
      [raw`em-home=D:\Program Files\EM`],
    ],
    ["curly quotes", "a=“x y” b=‘p q’", ["a=x y", "b=p q"]],
    ["right quotes on both sides", "a=”x y”", ["a=x y"]],
    ["one quote kind inside the other", `a="it's" b='say "hi"'`, ["a=it's", 'b=say "hi"']],
    ["backslashes literally", raw`share=\\srv\share\"x"`, [raw`share=\\srv\share\x`]],
    ["an empty quoted token", `"" a`, ["", "a"]],
    ["no tokens", "   ", []],
    ["an apostrophe between letters, straight or curly", "a=customer's b=it’s", ["a=customer's", "b=it’s"]],
    ["guillemets and backticks", "a=«x y» b=`p q`", ["a=x y", "b=p q"]],
    ["a curly quote closed by a straight one", "a=“x y\" b=‘p q' c=z", ["a=x y", "b=p q", "c=z"]],
  ])("splits %s", (_, text, tokens) => {
    expect(tokenize(text)).toEqual({ ok: true, value: tokens });
  });

  it("reports an unterminated quote with its position and a closed example", () => {
    expect(tokenize("a=1 em-home=“D:\\EM")).toEqual({
      ok: false,
      problems: [
        {
          field: "command",
          rule: "unterminated-quote",
          message: "the quote `“` (U+201C) at position 13 is never closed.",
          example: "em-home=“D:\\EM”",
        },
      ],
    });
  });
});

describe("parseSlashCommand", () => {
  it.each([
    ["", "help", ""],
    ["   ", "help", ""],
    ["help", "help", ""],
    ["PLAN primary=mom-a  em-home=“D:\\x”", "plan", "primary=mom-a  em-home=“D:\\x”"],
    ["  show CHG-12", "show", "CHG-12"],
    ["history\tmom-a", "history", "mom-a"],
  ])("%j → %s", (text, subcommand, args) => {
    expect(parseSlashCommand(text)).toEqual({ subcommand, args });
  });
});

describe("usage", () => {
  it("shows DESIGN.md's grammar line and an example that parses", () => {
    expect(PLAN_USAGE).toContain(PLAN_GRAMMAR);
    expect(PLAN_GRAMMAR).toContain("[dirs=config,data,traces]");
    expect(PLAN_USAGE).toContain(PLAN_EXAMPLE);
    const text = PLAN_EXAMPLE.replace(/^plan /, "");
    expect(parsePlanText(text)).toMatchObject({
      ok: true,
      value: { emHome: raw`D:\Program Files\CA APM\Introscope`, share: raw`\\san-server\mom-failover` },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const HOSTILE_WINDOWS = [`"`, "%", "!", "^", "&", "|", "<", ">", "(", ")", "'"];
const CONTROL = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), "\u007f"];
const QUOTE_CHARS = /["'“”„‘’‚]/u;
const windowsBase: Record<"share" | "em-home" | "dirs", string> = {
  share: raw`\\san-server\mom-failover\pair1`,
  "em-home": raw`D:\Introscope\EM`,
  dirs: "config,data",
};
const linuxBase: Record<"share" | "em-home", string> = {
  share: "/mnt/mom-failover/pair1",
  "em-home": "/opt/CA/Introscope",
};

const insertAt = (text: string, fragment: string, at: number): string => {
  const chars = [...text];
  const index = at % (chars.length + 1);
  return [...chars.slice(0, index), fragment, ...chars.slice(index)].join("");
};

function argvWith(
  field: string,
  value: string,
  base: Record<string, string>,
  extra: string[] = [],
): string[] {
  const values: Record<string, string> = { primary: "mom-a", secondary: "mom-b", ...base, [field]: value };
  return [...Object.entries(values).map(([key, v]) => `${key}=${v}`), ...extra];
}

function refusedNaming(result: Result<PairSpec>, field: string): boolean {
  return !result.ok && result.problems.some((problem) => problem.field === field);
}

describe("properties", () => {
  const windowsField = fc.constantFrom("share" as const, "em-home" as const, "dirs" as const);

  it("refuses a hostile character anywhere in share, em-home or dirs, naming the field", () => {
    const hostile = fc.constantFrom(...HOSTILE_WINDOWS, ...CONTROL, "/");
    fc.assert(
      fc.property(windowsField, hostile, fc.nat(), (field, fragment, at) => {
        const value = insertAt(windowsBase[field], fragment, at);
        fc.pre(!QUOTE_CHARS.test(value[0] ?? "")); // a leading quote is taken as quoting, not content
        expect(refusedNaming(parsePlanTokens(argvWith(field, value, windowsBase)), field)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses arbitrary strings that contain a hostile character", () => {
    const hostile = fc.constantFrom(...HOSTILE_WINDOWS, ...CONTROL, "/");
    const anything = fc
      .oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
      )
      .map((text) => text.replace(/[“”„‘’‚]/gu, ""));
    fc.assert(
      fc.property(windowsField, anything, hostile, fc.nat(), (field, text, fragment, at) => {
        const value = insertAt(text, fragment, at);
        fc.pre(!QUOTE_CHARS.test(value[0] ?? ""));
        expect(refusedNaming(parsePlanTokens(argvWith(field, value, windowsBase)), field)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses .. components and drive letters in share, em-home and dirs", () => {
    const structural = fc.oneof(
      fc.record({
        field: fc.constant("share" as const),
        value: fc.constantFrom(
          raw`\\srv\share\..\x`,
          raw`\\srv\..\x`,
          raw`C:\x`,
          raw`\\srv\share\C:\x`,
          raw`\\srv\C:`,
        ),
      }),
      fc.record({
        field: fc.constant("em-home" as const),
        value: fc.constantFrom(raw`D:\EM\..\x`, raw`D:\..`, raw`D:\EM\C:\x`, raw`D:C:\x`, raw`\\srv\x`),
      }),
      fc.record({
        field: fc.constant("dirs" as const),
        value: fc.constantFrom("..", "config,..", "C:", "C:\\config", "data,D:"),
      }),
    );
    fc.assert(
      fc.property(structural, ({ field, value }) => {
        expect(refusedNaming(parsePlanTokens(argvWith(field, value, windowsBase)), field)).toBe(true);
      }),
    );
  });

  it("refuses shell metacharacters, control characters and .. in Linux paths", () => {
    const hostile = fc.constantFrom(...`"$\`\\!%^&()'<>|;`, ...CONTROL, "/../");
    const field = fc.constantFrom("share" as const, "em-home" as const);
    fc.assert(
      fc.property(field, hostile, fc.nat(), (key, fragment, at) => {
        const value = insertAt(linuxBase[key], fragment, at);
        fc.pre(!QUOTE_CHARS.test(value[0] ?? ""));
        fc.pre(fragment !== "/../" || value.startsWith("/"));
        const argv = argvWith(key, value, linuxBase, ["platform=linux"]);
        expect(refusedNaming(parsePlanTokens(argv), key)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  // Valid specs, built independently of the validators.
  const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
  const label = fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9]$/)
    .filter((l) => l.toLowerCase() !== "localhost");
  const host = fc.oneof(
    label,
    label.map((l) => `${l}.corp.example`),
  );
  const winName = fc
    .stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9 ._-]{0,12}[A-Za-z0-9_-]$/)
    .filter((name) => !RESERVED.test((name.split(".")[0] ?? "").trimEnd()));
  const shareName = fc
    .stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9 ._$-]{0,12}[A-Za-z0-9_$-]$/)
    .filter(
      (name) =>
        !RESERVED.test((name.split(".")[0] ?? "").trimEnd()) && !/^([a-z]|admin|ipc|print)\$$/i.test(name),
    );
  const posixName = fc
    .stringMatching(/^[A-Za-z0-9 ._-]{1,14}$/)
    .filter((name) => name !== "." && name !== "..");
  const dirs = fc.tuple(fc.boolean(), fc.shuffledSubarray(["data", "traces", "logs", "threaddumps"]));
  const firstLabel = (h: string): string => (h.split(".")[0] ?? "").toLowerCase();

  const validSpec: fc.Arbitrary<PairSpec> = fc
    .record({
      platform: fc.constantFrom("windows" as const, "linux" as const),
      primary: host,
      secondary: host,
      shareHost: host,
      drive: fc.constantFrom("C", "D", "e"),
      emHome: fc.array(winName, { minLength: 1, maxLength: 4 }),
      secondaryEmHome: fc.option(fc.array(winName, { minLength: 1, maxLength: 3 })),
      share: shareName,
      shareDirs: fc.array(winName, { maxLength: 3 }),
      posixEmHome: fc.array(posixName, { minLength: 1, maxLength: 4 }),
      posixShare: fc.array(posixName, { minLength: 1, maxLength: 4 }),
      dirs,
      shareAccess: fc.boolean(),
      shareData: fc.constantFrom(undefined, "reseed" as const, "keep" as const),
      manageServices: fc.boolean(),
      setFailoverProperties: fc.boolean(),
      ticket: fc.option(fc.stringMatching(/^[A-Z]{2,4}[-#/]?[0-9]{1,9}$/)),
      // Words and punctuation; quotes inside a reason have their own property below.
      reason: fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.:;!?&$()—-]{0,30}[A-Za-z0-9.!?]$/)),
    })
    .filter(
      (r) => new Set([firstLabel(r.primary), firstLabel(r.secondary), firstLabel(r.shareHost)]).size === 3,
    )
    .map((r) => {
      const [withConfig, others] = r.dirs;
      const emHome =
        r.platform === "windows" ? `${r.drive}:\\${r.emHome.join("\\")}` : `/opt/${r.posixEmHome.join("/")}`;
      const secondaryEmHome =
        r.secondaryEmHome === null
          ? emHome
          : r.platform === "windows"
            ? `E:\\${r.secondaryEmHome.join("\\")}`
            : `/srv/${r.secondaryEmHome.join("/")}`;
      return {
        platform: r.platform,
        primary: r.primary,
        secondary: r.secondary,
        emHome,
        secondaryEmHome,
        share:
          r.platform === "windows"
            ? `\\\\${[r.shareHost, r.share, ...r.shareDirs].join("\\")}`
            : `/mnt/${r.posixShare.join("/")}`,
        dirs: ["config", ...others],
        configAdded: !withConfig && others.length > 0,
        ...(r.shareData === undefined ? {} : { shareData: r.shareData }),
        ...(r.shareAccess ? { shareAccess: "checked-by-hand" as const } : {}),
        ...(r.manageServices ? { manageServices: true as const } : {}),
        ...(r.setFailoverProperties ? { setFailoverProperties: true as const } : {}),
        ...(r.ticket === null ? {} : { ticket: r.ticket }),
        ...(r.reason === null ? {} : { reason: r.reason }),
      };
    });

  it("renders a reason holding any quote character so that text and argv parse it back", () => {
    const reason = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.'"“”„‘’‚«»‹›`—-]{0,30}[A-Za-z0-9.]$/);
    fc.assert(
      fc.property(reason, (text) => {
        const pair = { ...spec(), reason: text };
        expect(parsePlanText(renderPairText(pair))).toEqual({ ok: true, value: pair });
        expect(parsePlanTokens(renderPairTokens(pair))).toEqual({ ok: true, value: pair });
      }),
      { numRuns: 300 },
    );
  });

  const quoteStyles: [string, string][] = [
    ['"', '"'],
    ["'", "'"],
    ["“", "”"],
    ["‘", "’"],
    ["”", "”"],
  ];

  it("parses rendered text of any valid spec back to the same spec, whatever the quotes", () => {
    fc.assert(
      fc.property(
        validSpec,
        fc.array(fc.constantFrom(...quoteStyles), { minLength: 12, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        (pair, styles, wholeToken) => {
          const text = renderPairTokens(pair)
            .map((token, i) => {
              const [open, close] = styles[i] ?? ['"', '"'];
              const at = token.indexOf("=");
              return wholeToken[i]
                ? `${open}${token}${close}`
                : `${token.slice(0, at + 1)}${open}${token.slice(at + 1)}${close}`;
            })
            .join(" ");
          expect(parsePlanText(text)).toEqual({ ok: true, value: pair });
          expect(parsePlanText(renderPairText(pair))).toEqual({ ok: true, value: pair });
          expect(parsePlanTokens(renderPairTokens(pair))).toEqual({ ok: true, value: pair });
        },
      ),
      { numRuns: 300 },
    );
  });
});
