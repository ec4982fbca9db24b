// A stale or partial share is not trusted, end to end with real processes: `momlink serve`, two
// `momlink runner start` processes registered through the CLI, temporary directories for the
// hosts and the share. The share holds a half-done copy of the primary's config (a file missing,
// one older, one left over): the plan is blocked with the comparison; planned again with
// share-data=reseed and approved, the primary copies the difference and nothing on the share is
// deleted.
import { cp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRIMARY, SECONDARY, treeDigest } from "../runner/fixtures.ts";
import { ALICE, BOB, type Deployment, deploy, sandboxPlan } from "./support.ts";

let bot: Deployment;
let shareConfig: string;
let primaryConfig: string;

beforeAll(async () => {
  bot = await deploy();
  primaryConfig = join(bot.hosts.primaryEmHome, "config");
  shareConfig = join(bot.hosts.share, "config");
  // A robocopy that stopped half-way, and an older copy of one file, and a file of its own.
  await cp(primaryConfig, shareConfig, { recursive: true, preserveTimestamps: true });
  await rm(join(shareConfig, "internal"), { recursive: true });
  await writeFile(join(shareConfig, "domains.xml"), '<domains owner="stale"/>\n');
  await utimes(join(shareConfig, "domains.xml"), new Date(2020, 0, 1), new Date(2020, 0, 1));
  await writeFile(join(shareConfig, "keep-me.txt"), "written on the share by someone else\n");
  await bot.startRunner(PRIMARY);
  await bot.startRunner(SECONDARY);
}, 60_000);

afterAll(async () => {
  await bot.close();
});

const messageText = (channel: string, ts: string) =>
  JSON.stringify(bot.fake.api.message(channel, ts)?.blocks ?? "").replaceAll("\\\\", "\\");

describe("a share holding a partial copy", () => {
  it("blocks the plan with what the share lacks, holds older and holds besides, and both choices", async () => {
    const posted = bot.fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 30_000,
    });
    await bot.command(ALICE, sandboxPlan(bot.hosts, "config,data"));
    const message = await posted;
    const text = messageText(String(message.response.channel), String(message.response.ts));
    expect(text).toContain(
      "NOT in sync with the primary's directory: the share is missing 1 file, 1 file older or otherwise different, 1 extra file (missing internal/server/README, differs domains.xml, extra keep-me.txt)",
    );
    expect(text).toContain("choose share-data=reseed");
    expect(text).toContain("or share-data=keep (use the share as it is)");
    expect(text).not.toContain("momlink_approve");
    await bot.command(ALICE, "cancel CHG-1");
    expect(await bot.recordState("CHG-1")).toBe("cancelled");
  });

  it("is brought in sync from the primary by share-data=reseed, without deleting anything on it", async () => {
    const original = await treeDigest(primaryConfig);
    const posted = bot.fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-2"), {
      timeoutMs: 30_000,
    });
    await bot.command(ALICE, `${sandboxPlan(bot.hosts, "config,data")} share-data=reseed`);
    const message = await posted;
    const ts = String(message.response.ts);
    const text = messageText(String(message.response.channel), ts);
    expect(text).toContain("share-data=reseed (recorded): the primary copies to the share what it lacks");
    expect(text).toContain(
      "[share-data=reseed: copies what the share lacks or holds in another version; deletes nothing there]",
    );

    const done = bot.fake.api.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.params.blocks ?? "").includes("Succeeded"),
      { timeoutMs: 60_000 },
    );
    await bot.click(ts, "momlink_approve", BOB);
    await done;
    expect(await bot.recordState("CHG-2")).toBe("succeeded");

    // Every file of the primary is on the share as the primary had it; the share's own file stayed.
    expect(await readFile(join(shareConfig, "domains.xml"), "utf8")).toBe('<domains owner="primary"/>\n');
    expect(await readFile(join(shareConfig, "internal", "server", "README"), "utf8")).toBe(
      "lock files live here (primary)\n",
    );
    expect(await readFile(join(shareConfig, "keep-me.txt"), "utf8")).toBe(
      "written on the share by someone else\n",
    );
    await rm(join(shareConfig, "keep-me.txt"));
    expect(await treeDigest(shareConfig)).toBe(original);
    const shown = JSON.parse(await bot.cli("records", "show", "CHG-2", "--json")) as {
      plan: { shareData?: string };
    };
    expect(shown.plan.shareData).toBe("reseed");
  });
});
