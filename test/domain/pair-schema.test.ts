import { describe, expect, it } from "vitest";
import { parsePlanText } from "../../src/domain/grammar.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { makePairSpecSchema, pairSpecSchema } from "../../src/domain/pair-schema.ts";

const raw = String.raw;
const good: PairSpec = {
  platform: "windows",
  primary: "mom-a",
  secondary: "mom-b",
  emHome: raw`D:\Introscope\EM`,
  secondaryEmHome: raw`D:\Introscope\EM`,
  share: raw`\\san-server\mom-failover`,
  dirs: ["config", "data"],
  configAdded: true,
};

function issuesOf(value: unknown): { path: string; rule: unknown }[] {
  const result = pairSpecSchema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: issue.path.join("."),
    rule: issue.code === "custom" ? (issue as { params?: { rule?: unknown } }).params?.rule : issue.code,
  }));
}

describe("pairSpecSchema", () => {
  it("accepts a spec the grammar produced", () => {
    const parsed = parsePlanText(
      raw`primary=mom-a secondary=mom-b em-home='D:\Program Files\EM' share=\\srv\x dirs=data`,
    );
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(pairSpecSchema.parse(parsed.value)).toEqual(parsed.value);
  });

  it("refuses missing and extra properties and wrong types", () => {
    const { share: _share, ...noShare } = good;
    expect(issuesOf(noShare)).toEqual([{ path: "share", rule: "invalid_type" }]);
    expect(issuesOf({ ...good, command: "calc" })).toEqual([{ path: "", rule: "unrecognized_keys" }]);
    expect(issuesOf({ ...good, platform: "aix" })).toEqual([{ path: "platform", rule: "invalid_value" }]);
  });

  it.each<[string, Partial<PairSpec>, { path: string; rule: string }[]]>([
    [
      "an injected share",
      { share: raw`\\srv\x" & calc & "` },
      [
        { path: "share", rule: "cmd-metacharacter" },
        { path: "share", rule: "cmd-metacharacter" },
      ],
    ],
    ["a drive-letter share", { share: raw`Z:\x` }, [{ path: "share", rule: "unc-drive-letter" }]],
    ["a share on the primary", { share: raw`\\mom-a\x` }, [{ path: "share", rule: "unc-share-on-mom-host" }]],
    ["a relative EM_HOME", { emHome: "EM" }, [{ path: "emHome", rule: "em-home-relative" }]],
    [
      "a bad secondary EM_HOME",
      { secondaryEmHome: raw`D:\a|b` },
      [{ path: "secondaryEmHome", rule: "cmd-metacharacter" }],
    ],
    ["the same host twice", { secondary: "MOM-A" }, [{ path: "secondary", rule: "pair-same-host" }]],
    [
      "a dir that is a path",
      { dirs: ["config", "..\\..\\Windows"] },
      [{ path: "dirs", rule: "dirs-not-a-name" }],
    ],
    [
      "a trailing backslash (not normalised)",
      { share: "\\\\srv\\x\\" },
      [{ path: "share", rule: "not-normalised" }],
    ],
    ["dirs without config first", { dirs: ["data", "config"] }, [{ path: "dirs", rule: "not-normalised" }]],
    ["dirs in another spelling", { dirs: ["config", "DATA"] }, [{ path: "dirs", rule: "not-normalised" }]],
  ])("holds a hand-made spec to the grammar's rules: %s", (_, change, expected) => {
    expect(issuesOf({ ...good, ...change })).toEqual(expected);
  });

  it("carries each problem's example in the issue", () => {
    const result = pairSpecSchema.safeParse({ ...good, share: "//srv/x" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({
      path: ["share"],
      params: { rule: "forward-slash", example: raw`share=\\srv\x` },
    });
  });

  it("applies a runner's own dirs allow-list", () => {
    const strict = makePairSpecSchema(["config"]);
    expect(strict.safeParse(good).success).toBe(false);
    expect(strict.safeParse({ ...good, dirs: ["config"] }).success).toBe(true);
  });
});
