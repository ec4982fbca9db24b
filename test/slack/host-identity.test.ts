// One machine, one identity: a host written as a short name, an FQDN, in another case or as
// another spelling of one IPv6 address is one host for the lock, history, verify and the runners
// (domain/host.ts hostKey), and every message shows the name as the user typed it. Through the
// real Bolt app (signed HTTP) and, for the runners, the in-process rig with real runners.
import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { slackDate } from "../support/dates.ts";
import { PRIMARY, type Rig, startRig } from "./rig.ts";
import { ALICE, BOB, type Momlink, planMessagesIn, startMomlink, T0, visibleText } from "./support.ts";

let m: Momlink | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await m?.stop();
  await rig?.stop();
  m = undefined;
  rig = undefined;
});

const pair = (primary: string, secondary: string) =>
  `plan primary=${primary} secondary=${secondary} em-home=D:\\EM share=\\\\san-server\\mom-failover`;

describe("the one-open-change-per-host lock", () => {
  // [the first plan's primary, the second plan's primary]: one machine, written two ways.
  it.each([
    ["mom-a", "mom-a.corp.example"],
    ["mom-c.corp.example", "mom-c"],
    ["fe80--1.ipv6-literal.net", "fe80-0-0-0-0-0-0-1.ipv6-literal.net"],
    ["FE80--1s4.ipv6-literal.net", "fe80-0-0-0-0-0-0-1.IPV6-LITERAL.NET"],
    ["10.0.0.5", "--ffff-a00-5.ipv6-literal.net"],
  ])("refuses a second plan on %s written as %s, with a link to the open change", async (first, second) => {
    m = await startMomlink();
    await m.command(pair(first, "mom-b"), ALICE);
    expect((await m.store.get("CHG-1"))?.state).toBe("awaiting_approval");
    const reply = await m.command(pair(second, "mom-z"), BOB);

    expect(reply.status).toBe(200);
    expect((await m.store.list()).map((r) => r.id)).toEqual(["CHG-1"]);
    expect(planMessagesIn(m.fake)).toHaveLength(1);
    const told = m.fake.api.ephemerals.at(-1)?.text ?? "";
    expect(told.startsWith(`momlink refused the plan: ${second} has an open change, <`)).toBe(true);
    expect(told).toMatch(/\|CHG-1> \(awaiting approval, requested by <@U0ALICE01>\)/);
  });

  it("still takes two hosts that only share a domain", async () => {
    m = await startMomlink();
    await m.command(pair("mom-a.corp.example", "mom-b.corp.example"), ALICE);
    await m.command(pair("mom-c.corp.example", "mom-d.corp.example"), BOB);
    expect((await m.store.list()).map((r) => [r.id, r.state])).toEqual([
      ["CHG-2", "awaiting_approval"],
      ["CHG-1", "awaiting_approval"],
    ]);
  });
});

describe("/momlink history <host>", () => {
  it("finds a host's changes however its name is written", async () => {
    m = await startMomlink();
    await m.command(pair("mom-a", "mom-b"), ALICE);
    await m.command("history MOM-A.corp.example");

    expect(m.fake.api.ephemerals.at(-1)?.text?.split("\n")).toEqual([
      "*Latest changes for MOM-A.corp.example*",
      `• *CHG-1* · awaiting approval · mom-a + mom-b · by <@${ALICE}> · ${slackDate(T0)}`,
    ]);
  });
});

describe("a plan naming a host by another name than its runner's", () => {
  it("runs on the runner registered by the short name, and the message shows the name as typed", async () => {
    rig = await startRig();
    await rig.startRunner(PRIMARY);
    await rig.startRunner("mom-b");
    const bot = rig.bot.m;
    const fqdn = "MOM-A.corp.example";
    await bot.command(rig.planText().replace(`primary=${PRIMARY} `, `primary=${fqdn} `), ALICE);

    const planned = await bot.store.get("CHG-1");
    expect(planned?.state).toBe("awaiting_approval");
    expect(planned?.hosts.primary).toBe(fqdn);
    expect(planned?.plan.hosts.map((h) => h.facts?.host)).toEqual([PRIMARY, "mom-b"]);
    expect(planned?.plan.hosts.flatMap((h) => h.blockers)).toEqual([]);
    const message = planMessagesIn(bot.fake)[0]!;
    expect(visibleText(message)).toContain(`*Pre-flight on ${fqdn} (primary), as its runner found it:*`);

    await bot.click(message.ts, "momlink_approve", BOB);
    const finished = async () =>
      ["succeeded", "failed"].includes((await bot.store.get("CHG-1"))?.state ?? "");
    await rig.until(finished, "CHG-1 to finish");
    expect((await bot.store.get("CHG-1"))?.state).toBe("succeeded");
    const config = join(rig.sandbox.primaryEmHome, "config");
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readlink(config)).toBe(join(rig.sandbox.share, "config"));

    // verify by the other spelling finds the same change.
    await rig.bot.orchestrator.settled();
    await bot.command("verify mom-a.CORP.example", BOB);
    expect(bot.fake.api.ephemerals.at(-1)?.text).toMatch(/^✓ \*Verify CHG-1\*/);
  });
});
