import { describe, expect, it } from "vitest";
import { DEFAULT_DIRS, defaultDirs, parseDirs } from "../../src/domain/dirs.ts";
import { DEFAULT_ALLOWED_DIRS } from "../../src/domain/pair.ts";

const allowed = DEFAULT_ALLOWED_DIRS;

describe("parseDirs accepts", () => {
  const accepted: [string, string | undefined, string[], boolean][] = [
    ["the default config,data,traces when dirs= is absent", undefined, ["config", "data", "traces"], false],
    ["a list that starts with config", "config,data", ["config", "data"], false],
    ["config alone", "config", ["config"], false],
    ["and adds config when it is left out", "data,traces", ["config", "data", "traces"], true],
    ["and moves config first", "logs,config", ["config", "logs"], false],
    ["spaces around commas", "config , data,  traces", ["config", "data", "traces"], false],
    [
      "any case, spelled as the allow-list spells it",
      "Config,DATA,ThreadDumps",
      ["config", "data", "threaddumps"],
      false,
    ],
    [
      "the whole allow-list",
      "config,data,traces,logs,threaddumps",
      ["config", "data", "traces", "logs", "threaddumps"],
      false,
    ],
  ];
  it.each(accepted)("%s", (_, value, dirs, configAdded) => {
    expect(parseDirs(value, allowed)).toEqual({ value: dirs, configAdded, problems: [] });
  });

  it("keeps only allowed names in the default", () => {
    expect(DEFAULT_DIRS).toEqual(["config", "data", "traces"]);
    expect(defaultDirs(["config", "data"])).toEqual(["config", "data"]);
    expect(parseDirs(undefined, ["logs"]).value).toEqual(["config"]);
  });

  it("always allows config, even when the allow-list forgets it", () => {
    expect(parseDirs("config,logs", ["logs"])).toEqual({
      value: ["config", "logs"],
      configAdded: false,
      problems: [],
    });
  });
});

describe("parseDirs refuses", () => {
  // [behaviour, value, rule, text the message must contain, example]
  const rejected: [string, string, string, string, string][] = [
    ["an empty list", "", "dirs-empty", "config, data, traces, logs, threaddumps", "dirs=config,data,traces"],
    ["an empty item", "config,,data", "dirs-empty-item", "item 2", "dirs=config,data"],
    ["a trailing comma", "config,data,", "dirs-empty-item", "item 3", "dirs=config,data"],
    ["a name not on the allow-list", "config,plugins", "dirs-unknown", "`plugins`", "dirs=config"],
    ["a typo, suggesting the name", "confg,data", "dirs-unknown", "did you mean config?", "dirs=config,data"],
    [
      "a duplicate",
      "config,data,DATA",
      "dirs-duplicate",
      "data is listed more than once",
      "dirs=config,data",
    ],
    ["a Windows path", "config\\internal", "dirs-not-a-name", "`\\`", "dirs=config,data,traces"],
    ["a POSIX path", "data,../../etc", "dirs-not-a-name", "`/`", "dirs=config,data"],
    ["a cmd metacharacter", "data&calc", "dirs-not-a-name", "`&`", "dirs=config,data,traces"],
    ["a control character", "da\tta", "dirs-not-a-name", "U+0009 (tab)", "dirs=config,data,traces"],
    [
      "a newline after a name (only spaces are trimmed)",
      "config,data\n",
      "dirs-not-a-name",
      "U+000A",
      "dirs=config",
    ],
    ["a space inside a name", "thread dumps", "dirs-not-a-name", "U+0020 (space)", "dirs=config,data,traces"],
  ];
  it.each(rejected)("%s", (_, value, rule, mention, example) => {
    const { problems } = parseDirs(value, allowed);
    const matching = problems.filter((problem) => problem.rule === rule);
    expect(matching, problems.map((p) => p.rule).join(", ")).not.toEqual([]);
    expect(matching.map((problem) => problem.message).join("\n")).toContain(mention);
    for (const problem of problems) {
      expect(problem).toMatchObject({ field: "dirs", example });
      expect(parseDirs(example.slice("dirs=".length), allowed).problems).toEqual([]);
    }
  });

  it("reports every bad item, not just the first", () => {
    const { problems } = parseDirs("confg,,data,data,a/b", allowed);
    expect(problems.map((problem) => problem.rule)).toEqual([
      "dirs-unknown",
      "dirs-empty-item",
      "dirs-duplicate",
      "dirs-not-a-name",
    ]);
  });
});
