// A share directory that holds data: trusted when in sync, reseeded or kept by choice, otherwise
// the plan is blocked with what the comparison found and both choices.
import { describe, expect, it } from "vitest";
import type { ShareSync } from "../../src/domain/facts.ts";
import { decideShareData, describeSync } from "../../src/domain/share-sync.ts";
import { IN_SYNC } from "../support/facts.ts";

const PARTIAL: ShareSync = {
  inSync: false,
  missing: 3,
  differing: 1,
  extra: 1,
  examples: ["missing internal/server/README", "differs a.properties", "extra old.lck"],
  detail: "robocopy /L: exit 3",
};
const UNKNOWN: ShareSync = {
  ...PARTIAL,
  inSync: null,
  missing: 0,
  differing: 0,
  extra: 0,
  examples: [],
  detail: "robocopy /L failed (exit 16): FEHLER 53",
};
const WHERE = { host: "mom-a", dir: "config", target: "\\\\san\\mom\\config" };

describe("describeSync", () => {
  it.each<[string, ShareSync | undefined, string]>([
    ["in sync", IN_SYNC, "in sync with the primary's directory"],
    [
      "partial and stale",
      PARTIAL,
      "NOT in sync with the primary's directory: the share is missing 3 files, 1 file older or otherwise different, 1 extra file (missing internal/server/README, differs a.properties, extra old.lck)",
    ],
    [
      "not comparable",
      UNKNOWN,
      "not compared with the primary's directory: robocopy /L failed (exit 16): FEHLER 53",
    ],
    [
      "not reported",
      undefined,
      "not compared with the primary's directory (the runner reported no comparison)",
    ],
  ])("%s", (_what, sync, words) => {
    expect(describeSync(sync)).toBe(words);
  });
});

describe("decideShareData", () => {
  it.each<[string, ShareSync | undefined, "reseed" | "keep" | undefined, string]>([
    ["a share in sync is trusted", IN_SYNC, undefined, "trust"],
    ["a share in sync needs no reseed", IN_SYNC, "reseed", "trust"],
    ["a partial share blocks", PARTIAL, undefined, "block"],
    ["a share that could not be compared blocks", UNKNOWN, undefined, "block"],
    ["a share with no comparison blocks", undefined, undefined, "block"],
    ["reseed copies the difference", PARTIAL, "reseed", "reseed"],
    ["keep uses it as it is", PARTIAL, "keep", "trust"],
    ["keep settles one that could not be compared", UNKNOWN, "keep", "trust"],
  ])("%s", (_what, sync, choice, action) => {
    expect(decideShareData(sync, choice, WHERE).action).toBe(action);
  });

  it("says what was found and both choices when it blocks", () => {
    expect(decideShareData(PARTIAL, undefined, WHERE)).toEqual({
      action: "block",
      reason:
        "\\\\san\\mom\\config already holds data, NOT in sync with the primary's directory: the share is missing 3 files, 1 file older or otherwise different, 1 extra file (missing internal/server/README, differs a.properties, extra old.lck) (config on mom-a): choose share-data=reseed (mom-a copies what the share lacks or holds in another version; nothing on the share is deleted) or share-data=keep (use the share as it is), then plan again",
    });
  });
});
