// `momlink runner register|start` through the real binary, against a dispatcher this test runs on
// 127.0.0.1 over the same database the admin's `momlink runners add` writes to.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateSigningKeys, signingKeyPathFor } from "../../src/dispatch/keys.ts";
import { type Bot, next, startBot } from "../dispatch/support.ts";
import {
  createSandbox,
  linuxSpec,
  planFor,
  runnerStartArgs,
  type Sandbox,
  treeDigest,
} from "../runner/fixtures.ts";
import { runMomlink } from "../support/cli.ts";
import { moduleGraph, ROOT } from "../support/modules.ts";

const HOUR = 60 * 60 * 1000;

let dir: string;
let db: string;
let bot: Bot;
/** The bot's clock runs on real time plus this, so a test can make a token expire. */
let skew = 0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "momlink-runner-cli-"));
  db = join(dir, "var", "momlink.db");
  skew = 0;
  // The keys the CLI creates beside the database: the bot and `runners add` must agree on them.
  bot = await startBot(db, {
    keys: loadOrCreateSigningKeys(signingKeyPathFor(db)),
    clock: () => new Date(Date.now() + skew),
  });
});
afterEach(async () => {
  await bot.dispatcher.close();
  rmSync(dir, { recursive: true, force: true });
});

const momlink = (...args: string[]) => runMomlink(args, { cwd: dir, env: { MOMLINK_DB: db } });

async function addRunner(name = "mom-a"): Promise<{ token: string; keyId: string }> {
  const out = await momlink("runners", "add", name, "--host", name, "--platform", "linux", "--json");
  expect(out.exitCode).toBe(0);
  return JSON.parse(out.stdout) as { token: string; keyId: string };
}

async function registered(config: string): Promise<void> {
  const { token, keyId } = await addRunner();
  const out = await momlink(
    "runner",
    "register",
    "--server",
    bot.url,
    "--token",
    token,
    "--key-id",
    keyId,
    "--config",
    config,
  );
  expect(out.exitCode, out.stderr).toBe(0);
}

describe("momlink runner register", () => {
  it("stores the credential owner-only, pins the bot's key, and never prints the credential", async () => {
    const { token, keyId } = await addRunner();
    const config = join(dir, "runner", "runner.json");
    const out = await momlink(
      "runner",
      "register",
      "--server",
      bot.url,
      "--token",
      token,
      "--key-id",
      keyId,
      "--config",
      config,
    );

    expect(out.exitCode, out.stderr).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(config, "utf8")) as {
      credential: string;
      keyId: string;
      name: string;
    };
    expect(stored).toMatchObject({ name: "mom-a", keyId });
    expect(stored.credential).toMatch(/^mlc_/);
    expect(out.stdout).toContain("Registered runner mom-a for host mom-a (linux)");
    expect(out.stdout).toContain(`Pinned the bot's signing key ${keyId}`);
    expect(out.stdout + out.stderr).not.toContain(stored.credential);
    expect(out.stdout + out.stderr).not.toContain(token);
    expect(await bot.dispatcher.getRunner("mom-a")).toMatchObject({ status: "active", platform: "linux" });
  });

  it("refuses a token that was already used, and says so", async () => {
    const { token } = await addRunner();
    const first = await momlink(
      "runner",
      "register",
      "--server",
      bot.url,
      "--token",
      token,
      "--config",
      join(dir, "a.json"),
    );
    expect(first.exitCode, first.stderr).toBe(0);
    const again = await momlink(
      "runner",
      "register",
      "--server",
      bot.url,
      "--token",
      token,
      "--config",
      join(dir, "b.json"),
    );
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(
      /registration refused \(HTTP 401\): registration token already used at .*single-use/,
    );
    expect(() => statSync(join(dir, "b.json"))).toThrow();
  });

  it("refuses a token older than an hour, and says so", async () => {
    const { token } = await addRunner();
    skew = HOUR + 1000;
    const out = await momlink(
      "runner",
      "register",
      "--server",
      bot.url,
      "--token",
      token,
      "--config",
      join(dir, "a.json"),
    );
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toMatch(
      /registration token expired at .*valid for 1 hour.*ask an admin for a new one/,
    );
    expect((await bot.dispatcher.getRunner("mom-a"))?.status).toBe("pending");
  });

  it("saves nothing when the server's key is not the one runners add printed", async () => {
    const { token } = await addRunner();
    const out = await momlink(
      "runner",
      "register",
      "--server",
      bot.url,
      "--token",
      token,
      "--key-id",
      "0123456789abcdef",
      "--config",
      join(dir, "a.json"),
    );
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain("0123456789abcdef was expected");
    expect(() => statSync(join(dir, "a.json"))).toThrow();
  });
});

describe("momlink runner start", () => {
  it.each([
    [
      "without --allow-em-home",
      ["--allow-share", "/mnt/mom-failover"],
      /needs at least one --allow-em-home <path>: the EM_HOME roots this runner may change/,
    ],
    [
      "without --allow-share",
      ["--allow-em-home", "/opt/CA"],
      /needs at least one --allow-share <root>: the shares this runner may seed and link to/,
    ],
    [
      "with a relative EM_HOME root",
      ["--allow-em-home", "opt/CA", "--allow-share", "/mnt/mom-failover"],
      /--allow-em-home "opt\/CA": give an absolute path/,
    ],
    [
      "with / as its share root",
      ["--allow-em-home", "/opt/CA", "--allow-share", "/"],
      /--allow-share "\/": \/ would allow every directory/,
    ],
    [
      "with another platform than registered",
      ["--allow-em-home", "/opt/CA", "--allow-share", "/mnt/mom-failover", "--platform", "windows"],
      /registered as a linux runner/,
    ],
    [
      "with only one of the three service commands",
      [
        "--allow-em-home",
        "/opt/CA",
        "--allow-share",
        "/mnt/mom-failover",
        "--service-start",
        '["/etc/init.d/em","start"]',
      ],
      /give --service-start, --service-stop and --service-status together \(or none, for systemd\)/,
    ],
    [
      "with a service command that is not a JSON array of words",
      [
        "--allow-em-home",
        "/opt/CA",
        "--allow-share",
        "/mnt/mom-failover",
        "--service-start",
        "/etc/init.d/em start",
        "--service-stop",
        '["/etc/init.d/em","stop"]',
        "--service-status",
        '["/etc/init.d/em","status"]',
      ],
      /--service-start takes a JSON array of the command's words \(no shell\)/,
    ],
    [
      "with a service command word an approved line cannot show",
      [
        "--allow-em-home",
        "/opt/CA",
        "--allow-share",
        "/mnt/mom-failover",
        "--service-start",
        '["sh","-c","start $EM"]',
        "--service-stop",
        '["/etc/init.d/em","stop"]',
        "--service-status",
        '["/etc/init.d/em","status"]',
      ],
      /--service-start holds a character an approved line cannot show literally/,
    ],
    [
      "with a wait that is not whole seconds",
      ["--allow-em-home", "/opt/CA", "--allow-share", "/mnt/mom-failover", "--service-start-wait", "5m"],
      /--service-start-wait takes whole seconds from 1 to 3600 \(got "5m"\)/,
    ],
    [
      "with a systemd unit name a command line could misread",
      ["--allow-em-home", "/opt/CA", "--allow-share", "/mnt/mom-failover", "--service-name", "--now"],
      /--service-name: "--now" is not a systemd unit name/,
    ],
  ])("refuses to start %s, exits 2 and says why", async (_name, args, why) => {
    const config = join(dir, "runner.json");
    await registered(config);
    const out = await momlink("runner", "start", "--config", config, ...args);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(why);
    expect((await bot.dispatcher.getRunner("mom-a"))?.polling).toBe(false);
  });

  it("refuses to start before registering, and says how to register", async () => {
    const out = await momlink(
      "runner",
      "start",
      "--config",
      join(dir, "none.json"),
      "--allow-em-home",
      "/opt/CA",
      "--allow-share",
      "/mnt/mom-failover",
    );
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain("register first (momlink runner register --server <url> --token <t>");
  });

  it("connects to the bot, waits for work, and stops cleanly on SIGTERM", async () => {
    const config = join(dir, "runner.json");
    await registered(config);
    const credential = (JSON.parse(readFileSync(config, "utf8")) as { credential: string }).credential;
    const waiting = next(bot.dispatcher, "waiting");
    const agent = momlink(...runnerStartArgs(config, { hosts: join(dir, "hosts"), share: join(dir, "san") }));

    expect(await waiting).toEqual(["mom-a"]);
    expect(await bot.dispatcher.getRunner("mom-a")).toMatchObject({ online: true, polling: true });
    agent.kill("SIGTERM");
    const out = await agent;

    expect(out.exitCode).toBe(0);
    const lines = out.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["momlink runner starting", "runner started", "runner stopped"]),
    );
    expect(out.stdout).not.toContain(credential);
  });

  it("exits 3 with the reason when the bot has revoked it", async () => {
    const config = join(dir, "runner.json");
    await registered(config);
    expect((await momlink("runners", "revoke", "mom-a")).exitCode).toBe(0);
    const out = await momlink(
      "runner",
      "start",
      "--config",
      config,
      "--allow-em-home",
      "/opt/CA",
      "--allow-share",
      "/mnt/mom-failover",
    );
    expect(out.exitCode).toBe(3);
    expect(out.stderr).toContain('the bot revoked runner "mom-a": stopping');
  });
});

describe("the runner's own share roots", () => {
  let hosts: Sandbox;
  beforeEach(async () => {
    hosts = await createSandbox();
  });
  afterEach(async () => {
    await hosts.cleanup();
  });

  /** A signed job for mom-a, built and queued the way the bot does, for a plan whose share is `share`. */
  async function queue(kind: "preflight" | "execute", share: string) {
    const plan = planFor({ ...linuxSpec(hosts, ["config"]), share });
    return await bot.dispatcher.enqueue({
      kind,
      changeId: plan.changeId ?? "",
      host: "mom-a",
      role: "primary",
      planHash: plan.hash,
      plan,
    });
  }

  it("refuses a validly signed job whose share is /etc or outside --allow-share, before anything runs", async () => {
    const config = join(dir, "runner.json");
    await registered(config);
    const waiting = next(bot.dispatcher, "waiting");
    const agent = momlink(...runnerStartArgs(config, hosts));
    await waiting;
    const before = await treeDigest(hosts.root);
    const elsewhere = join(hosts.root, "elsewhere");

    for (const [kind, share] of [
      ["preflight", "/etc"],
      ["execute", "/etc"],
      ["execute", elsewhere],
    ] as const) {
      const answered = next(bot.dispatcher, "result");
      const job = await queue(kind, share);
      const [done, result] = await answered;
      expect(done.id).toBe(job.id);
      expect(result).toMatchObject({ ok: false, refused: true });
      expect(result.error).toContain(
        `refused (executor): share ${share} is outside this runner's --allow-share roots (${hosts.share})`,
      );
      expect(await bot.dispatcher.events(job.id)).toEqual([]);
    }
    expect(await treeDigest(hosts.root)).toBe(before);
    expect(existsSync(elsewhere)).toBe(false);
    expect(existsSync("/etc/config")).toBe(false);

    agent.kill("SIGTERM");
    expect((await agent).exitCode).toBe(0);
  });
});

describe("the runner's command line on Node 22", () => {
  // node:sqlite needs a flag before Node 22.13: the runner must not load it, even indirectly.
  it.each([
    ["src/cli.ts", false],
    ["src/cli/runner.ts", true],
  ])("loads nothing from %s that needs node:sqlite or the bot's store", (entry, followDynamic) => {
    const loaded = moduleGraph(resolve(ROOT, entry), followDynamic);
    expect(
      loaded.filter(
        (m) => m === "node:sqlite" || /src\/(store|dispatch\/(store|dispatcher|registry))/.test(m),
      ),
    ).toEqual([]);
    expect(loaded).toContain(
      followDynamic ? resolve(ROOT, "src/runner/platform/linux.ts") : resolve(ROOT, "src/cli/plan.ts"),
    );
  });
});
