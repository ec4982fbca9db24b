// The Linux share comparison on real directories: what a partial, stale or padded copy looks
// like, and that a tree it cannot compare in time is "not compared", never "in sync".
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareTrees } from "../../../src/runner/platform/tree-compare.ts";
import { writeTree } from "../fixtures.ts";

let root: string;
let primary: string;
let share: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "momlink-compare-"));
  primary = join(root, "em", "config");
  share = join(root, "share", "config");
  await writeTree(primary, {
    "IntroscopeEnterpriseManager.properties": "a=1\n",
    "domains.xml": "<domains/>\n",
    "internal/server/README": "locks\n",
    "modules/ünïcode.jar": Buffer.from([0, 1, 2]),
  });
  await symlink("domains.xml", join(primary, "current.xml"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const copyAll = () =>
  cp(primary, share, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });

describe("compareTrees", () => {
  it("finds a complete copy (cp -a keeps sizes and times) in sync", async () => {
    await copyAll();
    expect(await compareTrees(primary, share)).toEqual({
      inSync: true,
      missing: 0,
      differing: 0,
      extra: 0,
      examples: [],
      detail: `compared the 5 files of ${primary} with ${share} by size and modification time`,
    });
  });

  it("counts what a partial, stale and padded copy lacks, holds differently and holds besides", async () => {
    await copyAll();
    await rm(join(share, "internal"), { recursive: true });
    await rm(join(share, "modules", "ünïcode.jar"));
    await writeFile(join(share, "IntroscopeEnterpriseManager.properties"), "a=0\n"); // same size, new time
    await utimes(
      join(share, "IntroscopeEnterpriseManager.properties"),
      new Date(2020, 0, 1),
      new Date(2020, 0, 1),
    );
    await writeFile(join(share, "leftover.lck"), "x");
    await rm(join(share, "current.xml"));
    await symlink("elsewhere.xml", join(share, "current.xml"));
    const sync = await compareTrees(primary, share);
    expect(sync).toMatchObject({ inSync: false, missing: 2, differing: 2, extra: 1 });
    expect(sync.examples).toEqual([
      "missing internal/server/README",
      "missing modules/ünïcode.jar",
      "differs IntroscopeEnterpriseManager.properties",
      "differs current.xml",
      "extra leftover.lck",
    ]);
  });

  it("counts only extra files when the share holds everything and more", async () => {
    await copyAll();
    await mkdir(join(share, "old"));
    await writeFile(join(share, "old", "x.bak"), "x");
    expect(await compareTrees(primary, share)).toMatchObject({
      inSync: false,
      missing: 0,
      differing: 0,
      extra: 1,
    });
  });

  it("says a tree too big to compare in pre-flight was not compared", async () => {
    await copyAll();
    const sync = await compareTrees(primary, share, { maxEntries: 3 });
    expect(sync).toMatchObject({ inSync: null, missing: 0, extra: 0 });
    expect(sync.detail).toMatch(/more than 3 entries .*too big to compare in pre-flight/);
  });

  it("says a comparison that ran out of time was not compared", async () => {
    await copyAll();
    let clock = 0;
    const sync = await compareTrees(primary, share, { timeMs: 5, now: () => (clock += 10) });
    expect(sync.inSync).toBeNull();
  });

  it("says a share it cannot list was not compared", async () => {
    const sync = await compareTrees(primary, join(root, "nowhere"));
    expect(sync.inSync).toBeNull();
    expect(sync.detail).toMatch(/could not be listed: ENOENT/);
  });
});
