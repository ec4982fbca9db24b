// The whole failover procedure end to end, with nothing in-process: `momlink serve` (HTTP mode),
// two `momlink runner start` processes whose service control is the stand-in Enterprise Manager's
// emctl (configured --service-start/--service-stop/--service-status, as on a host without
// systemd), and a running stand-in EM pair on temporary EM_HOMEs. A plan with services=manage
// failover-properties=set stops both, links, edits the one shared properties file, starts the
// primary (which takes primary_em.lck) and the secondary (which stands by); stopping the primary
// then makes the secondary take over through the links momlink made. A secondary started first by
// mistake makes the change fail with the evidence, and the rollback returns both hosts.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeRecordLock } from "../../src/runner/platform/locks-linux.ts";
import { standInStatus, startStandIn, stopStandIn } from "../../src/sandbox/stand-in-em/index.ts";
import { PRIMARY, SECONDARY } from "../runner/fixtures.ts";
import { waitFor } from "../support/watch.ts";
import { type Ems, planAndApprove, roleOf, serviceArgs, standInEms } from "./failover-support.ts";
import { type Deployment, deploy } from "./support.ts";

const PROPERTIES = join("config", "IntroscopeEnterpriseManager.properties");
const ORIGINAL = [
  "# Introscope Enterprise Manager properties (mom-a)",
  "introscope.enterprisemanager.port.channel1=5001",
  "",
  "# Hot failover",
  "#introscope.enterprisemanager.failover.enable=true",
  "introscope.enterprisemanager.failover.primary=mom-x",
  "#introscope.enterprisemanager.failover.secondary=",
  "introscope.enterprisemanager.failover.interval=120",
  "log4j.logger.Manager=INFO, console, logfile",
  "",
].join("\r\n");
const EDITED = [
  "# Introscope Enterprise Manager properties (mom-a)",
  "introscope.enterprisemanager.port.channel1=5001",
  "",
  "# Hot failover",
  "#introscope.enterprisemanager.failover.enable=true",
  "introscope.enterprisemanager.failover.enable=true",
  "introscope.enterprisemanager.failover.primary=mom-a",
  "#introscope.enterprisemanager.failover.secondary=",
  "introscope.enterprisemanager.failover.secondary=mom-b",
  "introscope.enterprisemanager.failover.interval=120",
  "log4j.logger.Manager=INFO, console, logfile",
  "",
].join("\r\n");

let bot: Deployment;
let ems: Ems;

beforeAll(async () => {
  bot = await deploy();
  ems = standInEms(bot);
  await writeFile(join(bot.hosts.primaryEmHome, PROPERTIES), ORIGINAL, "latin1");
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(ems ?? {}).map((em) => stopStandIn(em)));
  await bot?.close();
});

describe.skipIf(process.platform !== "linux")("services=manage failover-properties=set", () => {
  it("stops a running pair, links, sets the shared properties, proves the roles, and the pair fails over", async () => {
    await startStandIn(ems[PRIMARY]);
    await startStandIn(ems[SECONDARY]);
    const runners = [
      await bot.startRunner(PRIMARY, { args: serviceArgs(ems[PRIMARY]) }),
      await bot.startRunner(SECONDARY, { args: serviceArgs(ems[SECONDARY]) }),
    ];
    const shownText = await planAndApprove(
      bot,
      "CHG-1",
      "services=manage failover-properties=set",
      "Succeeded",
    );
    expect(await bot.recordState("CHG-1")).toBe("succeeded");

    // The message showed each phase, the run order and the verdict.
    const text = shownText();
    expect(text).toContain(
      "*Execute 1/5 on mom-b* (secondary) — stop the EM service and wait until it is stopped: done",
    );
    expect(text).toContain(
      "*Execute 4/5 on mom-a* (primary) — start the EM and wait for proof that it holds the primary lock: done",
    );
    expect(text).toContain(
      "✓ check-failover: primary active: mom-a is the active EM: this EM holds primary_em.lck",
    );
    expect(text).toContain(
      "✓ check-failover: standing by: mom-b stands by: this EM holds secondary_em.lck and waits",
    );
    expect(text).toContain("*Failover:* mom-a is the active EM; mom-b stands by on secondary_em.lck");

    // One shared properties file, edited: every other line and comment byte-identical, CRLF kept.
    const shared = join(bot.hosts.share, PROPERTIES);
    expect(await readFile(shared, "latin1")).toBe(EDITED);
    expect(await readFile(`${shared}.pre-CHG-1`, "latin1")).toBe(ORIGINAL);
    expect([await roleOf(ems[PRIMARY]), await roleOf(ems[SECONDARY])]).toEqual(["primary", "standby"]);

    const shown = JSON.parse(await bot.cli("records", "show", "CHG-1", "--json")) as {
      failover: { outcome: string; verdict: string; hosts: { host: string; evidence: object }[] };
    };
    expect(shown.failover).toMatchObject({
      outcome: "proven",
      verdict: "primary-active-secondary-standing-by",
      hosts: [
        {
          host: "mom-a",
          verdict: "primary-active",
          evidence: { primaryLock: { state: "held", holder: "this-em" } },
        },
        {
          host: "mom-b",
          verdict: "standing-by",
          evidence: { secondaryLock: { state: "held", holder: "this-em" } },
        },
      ],
    });

    // The primary goes down: the secondary takes the primary lock on the share, through the links.
    const lock = join(bot.hosts.share, "config", "internal", "server", "primary_em.lck");
    await stopStandIn(ems[PRIMARY]);
    await waitFor(
      "mom-b to take over",
      async () => ((await roleOf(ems[SECONDARY])) === "primary" ? true : undefined),
      {
        watch: [ems[SECONDARY].runDir],
        timeoutMs: 20_000,
      },
    );
    const secondary = await standInStatus(ems[SECONDARY]);
    const secondaryPid = secondary.state === "running" ? secondary.pid : -1;
    expect(await probeRecordLock(lock, { servicePid: secondaryPid })).toMatchObject({
      state: "held",
      holders: [{ pid: secondaryPid, isService: true }],
    });
    for (const runner of runners) await runner.stop();
    await stopStandIn(ems[SECONDARY]);
  }, 240_000);
});
