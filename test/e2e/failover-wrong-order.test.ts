// A secondary started first by mistake, end to end with real processes (see failover.test.ts for
// the deployment): when momlink starts the primary, someone has just started the secondary, which
// took the primary lock on the shared config. The primary comes up standing by, its runner's check
// fails at once with the evidence, the change ends failed and keeps it; the rollback (approved
// like the change) stops both, undoes the links, restores the properties and starts both again:
// both hosts are back as they were, a running pair on their own config.
import { chmod, lstat, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInServiceCommands, startStandIn, stopStandIn } from "../../src/sandbox/stand-in-em/index.ts";
import { PRIMARY, SECONDARY, treeDigest } from "../runner/fixtures.ts";
import { type Ems, planAndApprove, roleOf, serviceArgs, standInEms } from "./failover-support.ts";
import { BOB, type Deployment, deploy } from "./support.ts";

let bot: Deployment;
let ems: Ems;

/** The primary's start command, except that the first time someone starts the secondary just before. */
async function startingTheSecondaryFirst(): Promise<string[]> {
  const quote = (argv: string[]) => argv.map((word) => `'${word}'`).join(" ");
  const marker = join(bot.hosts.root, "secondary-started-by-mistake");
  const script = join(bot.hosts.root, "start-primary.sh");
  await writeFile(
    script,
    [
      "#!/bin/sh",
      `if [ ! -e '${marker}' ]; then touch '${marker}'; ${quote(standInServiceCommands(ems[SECONDARY]).start)} >/dev/null; fi`,
      `exec ${quote(standInServiceCommands(ems[PRIMARY]).start)}`,
      "",
    ].join("\n"),
  );
  await chmod(script, 0o755);
  return [script];
}

const digests = async () => ({
  primary: [
    await treeDigest(join(bot.hosts.primaryEmHome, "config")),
    await treeDigest(join(bot.hosts.primaryEmHome, "data")),
  ],
  secondary: [
    await treeDigest(join(bot.hosts.secondaryEmHome, "config")),
    await treeDigest(join(bot.hosts.secondaryEmHome, "data")),
  ],
});

beforeAll(async () => {
  bot = await deploy();
  ems = standInEms(bot);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(ems ?? {}).map((em) => stopStandIn(em)));
  await bot?.close();
});

describe.skipIf(process.platform !== "linux")("a secondary started first by mistake", () => {
  it("fails the change with the evidence, and the rollback returns both hosts to how they were", async () => {
    // The original state: a running pair, each EM on its own config (failover on, its own locks).
    await startStandIn(ems[PRIMARY]);
    await startStandIn(ems[SECONDARY]);
    const before = await digests();
    const original = await readFile(
      join(bot.hosts.primaryEmHome, "config", "IntroscopeEnterpriseManager.properties"),
    );
    await bot.startRunner(PRIMARY, { args: serviceArgs(ems[PRIMARY], await startingTheSecondaryFirst()) });
    await bot.startRunner(SECONDARY, { args: serviceArgs(ems[SECONDARY]) });

    const shownText = await planAndApprove(bot, "CHG-1", "services=manage failover-properties=set", "Failed");
    expect(await bot.recordState("CHG-1")).toBe("failed");
    const shown = JSON.parse(await bot.cli("records", "show", "CHG-1", "--json")) as {
      failure: { reason: string };
      failover: { outcome: string; hosts: { host: string; verdict: string; evidence: object }[] };
    };
    expect(shown.failure.reason).toMatch(
      /^mom-a \(primary\): step \d+ \(check-failover\) failed: wrong role: mom-a \(the primary\) stands by: another EM \(pid \d+\) holds primary_em.lck, so the secondary started first/,
    );
    expect(shown.failover).toMatchObject({
      outcome: "failed",
      hosts: [
        {
          host: "mom-a",
          verdict: "standing-by",
          evidence: {
            primaryLock: { state: "held", holder: "another-process" },
            secondaryLock: { state: "held", holder: "this-em" },
          },
        },
      ],
    });
    expect(shownText()).toContain("✗ check-failover: wrong role: mom-a (the primary) stands by");
    expect(shownText()).toContain("*Execute 5/5 on mom-b* (secondary)");
    expect([await roleOf(ems[PRIMARY]), await roleOf(ems[SECONDARY])]).toEqual(["standby", "primary"]);

    // Rolled back like the change was approved: stop both, undo the links, restore, start both.
    const rolledBack = bot.fake.api.waitFor(
      "chat.update",
      (c) => JSON.stringify(c.params.blocks ?? "").includes("*Rolled back*"),
      { timeoutMs: 120_000 },
    );
    const messageTs = String(
      bot.fake.api.callsTo("chat.postMessage").find((c) => String(c.params.text).includes("CHG-1"))?.response
        .ts,
    );
    await bot.click(messageTs, "momlink_rollback", BOB);
    await rolledBack;
    expect(await bot.recordState("CHG-1")).toBe("rolled_back");

    expect([await roleOf(ems[PRIMARY]), await roleOf(ems[SECONDARY])]).toEqual(["primary", "primary"]);
    expect((await lstat(join(bot.hosts.primaryEmHome, "config"))).isDirectory()).toBe(true);
    expect((await lstat(join(bot.hosts.secondaryEmHome, "config"))).isDirectory()).toBe(true);
    expect(await digests()).toEqual(before);
    // The share keeps what the change seeded, its properties as they were before the edit.
    expect(await readFile(join(bot.hosts.share, "config", "IntroscopeEnterpriseManager.properties"))).toEqual(
      original,
    );
  }, 300_000);
});
