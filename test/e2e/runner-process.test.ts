// The whole product as an operator meets it, with nothing in-process: `momlink serve` (HTTP mode,
// against the fake Slack API), two `momlink runner start` processes registered through the CLI,
// temporary directories standing in for the MOM hosts' EM_HOMEs and for the share. Plan, approve
// as someone else, watch real links appear; then roll back and get the hosts back byte for byte.
import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRIMARY, SECONDARY, treeDigest } from "../runner/fixtures.ts";
import { ALICE, BOB, type Deployment, deploy, sandboxPlan } from "./support.ts";

let bot: Deployment;
const before: Record<string, string> = {};

beforeAll(async () => {
  bot = await deploy();
  before.primary = await treeDigest(bot.hosts.primaryEmHome);
  before.secondary = await treeDigest(bot.hosts.secondaryEmHome);
  await bot.startRunner(PRIMARY);
  await bot.startRunner(SECONDARY);
}, 60_000);

afterAll(async () => {
  await bot.close();
});

describe("a real change with real runner processes", () => {
  it("lists both runners online after they registered through the CLI", async () => {
    const runners = JSON.parse(await bot.cli("runners", "list", "--json")) as {
      name: string;
      platform: string;
    }[];
    expect(runners.map((r) => [r.name, r.platform]).sort()).toEqual([
      [PRIMARY, "linux"],
      [SECONDARY, "linux"],
    ]);
  });

  it("plans with pre-flight facts, runs after another user approves, and leaves real links", async () => {
    const { fake, hosts } = bot;
    const posted = fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes("CHG-1"), {
      timeoutMs: 30_000,
    });
    await bot.command(ALICE, sandboxPlan(hosts, "config,data"));
    const message = await posted;
    const ts = String(message.response.ts);
    // The runners were asked: the message shows what each host really holds.
    expect(JSON.stringify(fake.api.message(String(message.response.channel), ts)?.blocks)).toMatch(
      /real directory/,
    );

    const done = fake.api.waitFor(
      "chat.update",
      (c) =>
        String(c.params.text).includes("Succeeded") ||
        JSON.stringify(c.params.blocks ?? "").includes("Succeeded"),
      {
        timeoutMs: 60_000,
      },
    );
    await bot.click(ts, "momlink_approve", BOB);
    await done;

    expect(await bot.recordState()).toBe("succeeded");
    for (const [emHome, dir] of [
      [hosts.primaryEmHome, "config"],
      [hosts.primaryEmHome, "data"],
      [hosts.secondaryEmHome, "config"],
      [hosts.secondaryEmHome, "data"],
    ] as const) {
      const link = join(emHome, dir);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await readlink(link)).toBe(join(hosts.share, dir));
      expect((await lstat(`${link}.pre-CHG-1`)).isDirectory()).toBe(true);
    }
    // The share was seeded from the primary, never from the secondary.
    expect(await readFile(join(hosts.share, "config", "domains.xml"), "utf8")).toBe(
      '<domains owner="primary"/>\n',
    );
    expect(await treeDigest(join(hosts.share, "data"))).toBe(
      await treeDigest(join(hosts.primaryEmHome, "data.pre-CHG-1")),
    );
  });

  it("rolls back on an approver's word and restores both hosts byte for byte", async () => {
    const rolledBack = bot.fake.api.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.params.blocks ?? "").includes("Rolled back"),
      { timeoutMs: 60_000 },
    );
    await bot.command(BOB, "rollback CHG-1");
    await rolledBack;
    expect(await bot.recordState()).toBe("rolled_back");
    expect(await treeDigest(bot.hosts.primaryEmHome)).toBe(before.primary);
    expect(await treeDigest(bot.hosts.secondaryEmHome)).toBe(before.secondary);
  });
});
