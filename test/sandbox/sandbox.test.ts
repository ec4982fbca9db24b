// The console sandbox: its layout on disk, the plan it suggests, and its two in-process runners
// working through the real dispatcher, up to real links.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Dispatcher } from "../../src/dispatch/index.ts";
import type { HostFacts } from "../../src/domain/facts.ts";
import { parsePlanText } from "../../src/domain/grammar.ts";
import { runPhases } from "../../src/domain/phases.ts";
import { buildPlan, type Plan } from "../../src/domain/plan.ts";
import { createLogger } from "../../src/log.ts";
import {
  MARKER_FILE,
  prepareSandbox,
  type Sandbox,
  SandboxError,
  sandboxStandIn,
  startSandboxRunners,
} from "../../src/sandbox/index.ts";
import { standInStatus } from "../../src/sandbox/stand-in-em/index.ts";
import { type Bot, next, startBot, tempDir } from "../dispatch/support.ts";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  tmp.cleanup();
});

const planArgs = (sandbox: Sandbox) => sandbox.planCommand.replace(/^\/momlink plan /, "");

describe("the sandbox on disk", () => {
  it.each([
    ["a plain path", "sandbox"],
    ["a path with spaces", "my projects/var/sandbox"],
  ])("suggests a plan the real grammar accepts, for %s", (_name, relative) => {
    const sandbox = prepareSandbox(join(tmp.dir, relative));
    expect(sandbox.planCommand).toMatch(/^\/momlink plan platform=linux primary=mom-a secondary=mom-b /);
    const parsed = parsePlanText(planArgs(sandbox));
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        platform: "linux",
        primary: "mom-a",
        secondary: "mom-b",
        emHome: join(sandbox.root, "mom-a", "em"),
        secondaryEmHome: join(sandbox.root, "mom-b", "em"),
        share: join(sandbox.root, "share"),
        dirs: ["config", "data"],
      },
    });
  });

  it("lays out two EM_HOMEs with a sample config and data, and a share with empty config and data", () => {
    const sandbox = prepareSandbox(join(tmp.dir, "sandbox"));
    expect(sandbox.hosts).toEqual([
      { runner: "mom-a", host: "mom-a", emHome: join(sandbox.root, "mom-a", "em") },
      { runner: "mom-b", host: "mom-b", emHome: join(sandbox.root, "mom-b", "em") },
    ]);
    for (const { emHome, host } of sandbox.hosts) {
      const properties = readFileSync(
        join(emHome, "config", "IntroscopeEnterpriseManager.properties"),
        "utf8",
      );
      expect(properties).toContain(host);
      expect(properties).toContain("#introscope.enterprisemanager.failover.enable=true");
      expect(lstatSync(join(emHome, "data")).isDirectory()).toBe(true);
    }
    expect(readdirSync(join(sandbox.share, "config"))).toEqual([]);
    expect(readdirSync(join(sandbox.share, "data"))).toEqual([]);
    expect(existsSync(join(sandbox.root, MARKER_FILE))).toBe(true);
  });

  it("keeps a sandbox's state when prepared again, and starts it over on reset", () => {
    const root = join(tmp.dir, "sandbox");
    const sandbox = prepareSandbox(root);
    const config = join(sandbox.hosts[0]!.emHome, "config");
    // What a change leaves behind: the real directory moved aside, a link to the share.
    const aside = `${config}.pre-CHG-1`;
    writeFileSync(join(sandbox.share, "config", "seeded.txt"), "seeded\n");
    renameSync(config, aside);
    symlinkSync(join(sandbox.share, "config"), config);

    prepareSandbox(root);
    expect(readlinkSync(config)).toBe(join(sandbox.share, "config"));
    expect(existsSync(aside)).toBe(true);

    prepareSandbox(root, { reset: true });
    expect(lstatSync(config).isDirectory()).toBe(true);
    expect(existsSync(aside)).toBe(false);
    expect(readdirSync(join(sandbox.share, "config"))).toEqual([]);
  });

  it.each([
    ["reset", { reset: true }],
    ["prepare", {}],
  ])("refuses to %s a directory that is not a sandbox, and leaves it as it was", (_name, options) => {
    const foreign = join(tmp.dir, "important");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "keep.txt"), "mine\n");
    expect(() => prepareSandbox(foreign, options)).toThrow(SandboxError);
    expect(() => prepareSandbox(foreign, options)).toThrow(/not a momlink sandbox/);
    expect(readdirSync(foreign)).toEqual(["keep.txt"]);
  });
});

describe("the sandbox runners", () => {
  let bot: Bot;
  let sandbox: Sandbox;
  let stopRunners: (() => Promise<void>) | undefined;
  const logger = createLogger({ level: "silent" });

  beforeEach(async () => {
    // The runners check job expiry by the real clock, so the bot keeps real time too.
    bot = await startBot(join(tmp.dir, "momlink.db"), { clock: () => new Date() });
    sandbox = prepareSandbox(join(tmp.dir, "sandbox"));
  });
  afterEach(async () => {
    await stopRunners?.();
    stopRunners = undefined;
    await bot.dispatcher.close();
  });

  /** Starts the runners and resolves once both hold a long-poll open. */
  async function start(): Promise<void> {
    const parked = bothWaiting(bot.dispatcher);
    const controller = new AbortController();
    const runners = await startSandboxRunners({
      sandbox,
      dispatcher: bot.dispatcher,
      serverUrl: bot.url,
      logger,
      signal: controller.signal,
    });
    stopRunners = runners.stop;
    await parked;
  }

  async function runJob(
    plan: Plan,
    kind: "preflight" | "execute",
    role: "primary" | "secondary",
    phase?: number,
  ) {
    const result = next(bot.dispatcher, "result");
    await bot.dispatcher.enqueue({
      kind,
      changeId: "CHG-1",
      host: role === "primary" ? "mom-a" : "mom-b",
      role,
      ...(phase === undefined ? {} : { phase }),
      planHash: plan.hash,
      plan,
    });
    return (await result)[1];
  }

  function previewPlan(facts?: { primary: HostFacts; secondary: HostFacts }): Plan {
    const parsed = parsePlanText(planArgs(sandbox));
    if (!parsed.ok) throw new Error("the sandbox plan does not parse");
    return buildPlan({ spec: parsed.value, changeId: "CHG-1", ...(facts ? { facts } : {}) });
  }

  it("registers both runners, which come online and report a real config directory in pre-flight", async () => {
    await start();
    expect((await bot.dispatcher.listRunners()).map((r) => [r.name, r.host, r.platform, r.online])).toEqual([
      ["mom-a", "mom-a", "linux", true],
      ["mom-b", "mom-b", "linux", true],
    ]);

    const result = await runJob(previewPlan(), "preflight", "primary");
    expect(result.ok).toBe(true);
    expect(result.facts).toMatchObject({
      host: "mom-a",
      emHomeExists: true,
      emHomeHoldsEm: true,
      // Its stand-in Enterprise Manager runs, behind the runner's service control.
      serviceStopped: false,
      serviceControl: { via: "command", name: "stand-in-em" },
      canCreateSymlinks: true,
      dirs: [
        { dir: "config", linkPath: "directory", share: { exists: true, writable: true, empty: true } },
        { dir: "data", linkPath: "directory", share: { exists: true, writable: true, empty: true } },
      ],
    });
  });

  it("carries the suggested plan through to real links, which a restart keeps", async () => {
    await start();
    const preview = previewPlan();
    const primary = (await runJob(preview, "preflight", "primary")).facts;
    const secondary = (await runJob(preview, "preflight", "secondary")).facts;
    if (primary === undefined || secondary === undefined) throw new Error("pre-flight reported no facts");
    const plan = previewPlan({ primary, secondary });
    expect(plan.hosts.flatMap((h) => h.blockers)).toEqual([]);

    // stop mom-b, stop and link mom-a, link mom-b, start mom-a (primary active), start mom-b (standing by)
    for (const phase of runPhases(plan, "execute")) {
      expect(await runJob(plan, "execute", phase.role, phase.number)).toMatchObject({ ok: true });
    }
    const roles = await Promise.all(sandbox.hosts.map((h) => standInStatus(sandboxStandIn(sandbox, h))));
    expect(roles.map((r) => (r.state === "running" ? r.role : r.state))).toEqual(["primary", "standby"]);
    expect(
      readFileSync(join(sandbox.share, "config", "IntroscopeEnterpriseManager.properties"), "utf8"),
    ).toContain(
      [
        "#introscope.enterprisemanager.failover.enable=true",
        "introscope.enterprisemanager.failover.enable=true",
        "#introscope.enterprisemanager.failover.primary=mom-a",
        "introscope.enterprisemanager.failover.primary=mom-a",
        "#introscope.enterprisemanager.failover.secondary=mom-b",
        "introscope.enterprisemanager.failover.secondary=mom-b",
      ].join("\n"),
    );
    for (const { emHome } of sandbox.hosts) {
      expect(readlinkSync(join(emHome, "config"))).toBe(join(sandbox.share, "config"));
      expect(existsSync(join(emHome, "config.pre-CHG-1", "IntroscopeEnterpriseManager.properties"))).toBe(
        true,
      );
    }
    expect(
      readFileSync(join(sandbox.share, "config", "IntroscopeEnterpriseManager.properties"), "utf8"),
    ).toContain("on mom-a (primary)");

    prepareSandbox(sandbox.root);
    expect(readlinkSync(join(sandbox.hosts[1]!.emHome, "config"))).toBe(join(sandbox.share, "config"));
  });

  it("re-uses its registrations across a restart instead of registering again", async () => {
    await start();
    const credentialFile = join(sandbox.root, "runners", "mom-a.json");
    const before = readFileSync(credentialFile, "utf8");
    const registeredAt = (await bot.dispatcher.getRunner("mom-a"))?.registeredAt;
    await stopRunners?.();

    await start();
    expect(readFileSync(credentialFile, "utf8")).toBe(before);
    expect(lstatSync(credentialFile).mode & 0o777).toBe(0o600);
    expect(await bot.dispatcher.getRunner("mom-a")).toMatchObject({ registeredAt, online: true });
  });

  it("registers again when the sandbox was reset and its credentials are gone", async () => {
    await start();
    const before = readFileSync(join(sandbox.root, "runners", "mom-a.json"), "utf8");
    await stopRunners?.();

    sandbox = prepareSandbox(sandbox.root, { reset: true });
    await start();
    expect(readFileSync(join(sandbox.root, "runners", "mom-a.json"), "utf8")).not.toBe(before);
    expect((await bot.dispatcher.getRunner("mom-a"))?.online).toBe(true);
  });
});

function bothWaiting(dispatcher: Dispatcher): Promise<void> {
  const seen = new Set<string>();
  return new Promise((resolve) => {
    const off = dispatcher.on("waiting", (runner) => {
      seen.add(runner);
      if (seen.has("mom-a") && seen.has("mom-b")) {
        off();
        resolve();
      }
    });
  });
}
