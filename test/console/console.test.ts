// The local console, as a newcomer meets it: `npm start` with no Slack tokens, lines typed as
// Slack users, the real Bolt app answering through the in-process Slack API.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  blocksToText,
  ConsoleReceiver,
  consoleAppOptions,
  consoleUserId,
  createConsoleSession,
} from "../../src/console/console.ts";
import { LocalSlackApi } from "../../src/console/local-slack/web-api.ts";
import { createLogger } from "../../src/log.ts";
import { prepareSandbox, sandboxStandIn, stopSandboxEms } from "../../src/sandbox/index.ts";
import { standInStatus } from "../../src/sandbox/stand-in-em/control.ts";
import { registerMomlink } from "../../src/slack/app.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { ChangeStore } from "../../src/store/store.ts";
import { runMomlink, spawnMomlink } from "../support/cli.ts";

const PLAN =
  "/momlink plan primary=mom-a secondary=mom-b em-home=D:\\Introscope\\EM share=\\\\san-server\\mom-failover";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-console-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("npm start without Slack tokens", () => {
  let sandbox: ReturnType<typeof prepareSandbox> | undefined;
  afterEach(async () => {
    // The console stops the sandbox's stand-in EMs when it ends; a failed test must not leave them.
    if (sandbox !== undefined) await stopSandboxEms(sandbox);
  });

  it("runs the local console with a sandbox: plan, pre-flight facts, refused self-approval, approval as bob, stop, real links, start primary, primary active, start secondary, standing by, the record", async () => {
    // The same sandbox the console prepares under ./var/sandbox (it re-uses one it finds there).
    sandbox = prepareSandbox(join(dir, "var", "sandbox"));
    const input = [
      sandbox.planCommand,
      "click approve CHG-1",
      "/as @bob",
      "click approve CHG-1",
      "/momlink show CHG-1",
      "quit",
      "",
    ].join("\n");
    const run = await runMomlink(["serve"], { cwd: dir, input });
    expect(run.exitCode).toBe(0);
    const out = String(run.stdout);
    expect(out).toContain("momlink local console");
    expect(out).toContain(`  ${sandbox.planCommand}\n`); // the welcome suggests the sandbox's plan
    expect(out).toContain("== ⏳ CHG-1: mom-a → mom-b ==");
    expect(out).toContain("*Pre-flight on mom-a (primary), as its runner found it:*");
    expect(out).toContain(
      "✓ EM service running: services=manage stops it before the links and starts it again after",
    );
    expect(out).toContain("  → failover.primary: (not set) → mom-a");
    expect(out).toContain(`ln -s "${sandbox.share}/config" "config"`);
    expect(out).toContain("[Approve] (click approve CHG-1) [Reject] (click reject CHG-1)");
    expect(out).toMatch(/four-eyes/);
    expect(out).toContain("(you are now @bob");
    expect(out).toMatch(/approved by @bob at \d{4}-\d\d-\d\d \d\d:\d\d UTC against plan hash [0-9a-f]{12}/);
    // What a newcomer sees, in order: stop, link, start the primary, "primary active", start the secondary, "standing by".
    const story = [
      "↳ [thread] ✓ Execute 1/5 on mom-b (secondary): 1 step ran; the EM service is stopped",
      "↳ [thread] ✓ Execute 2/5 on mom-a (primary): 10 steps ran; the EM service is stopped; every link read back",
      "↳ [thread] ✓ Execute 3/5 on mom-b (secondary): 6 steps ran; every link read back",
      "↳ [thread] ✓ Execute 4/5 on mom-a (primary): 2 steps ran; primary active: mom-a is the active EM",
      "↳ [thread] ✓ Execute 5/5 on mom-b (secondary): 2 steps ran; standing by: mom-b stands by",
      // The message puts where the change stands above the runs' details.
      "*Succeeded* — links in place on mom-a, mom-b",
      "*Failover:* mom-a is the active EM; mom-b stands by on secondary_em.lck",
    ];
    const at = story.map((line) => out.indexOf(line));
    expect(
      at.every((i) => i >= 0),
      JSON.stringify(at),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(
      readFileSync(join(sandbox.share, "config", "IntroscopeEnterpriseManager.properties"), "utf8"),
    ).toContain("introscope.enterprisemanager.failover.primary=mom-a");
    for (const host of sandbox.hosts) {
      expect(await readlink(join(host.emHome, "config"))).toBe(join(sandbox.share, "config"));
    }

    const records = await runMomlink(["records", "show", "CHG-1", "--json"], { cwd: dir });
    const record = JSON.parse(String(records.stdout)) as { state: string; requester: string };
    expect(record).toMatchObject({ state: "succeeded", requester: consoleUserId("alice") });
    // The whole story (stand-in EMs, five phases) takes 15-30 s on a loaded 2-core machine: the
    // default 30 s is no bound for it, 90 s is.
  }, 90_000);
});

describe("npm start stopped by a signal", () => {
  let sandbox: ReturnType<typeof prepareSandbox> | undefined;
  afterEach(async () => {
    if (sandbox !== undefined) await stopSandboxEms(sandbox);
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s ends the console as quit does: the sandbox's stand-in EMs stop with it",
    async (signal) => {
      sandbox = prepareSandbox(join(dir, "var", "sandbox"));
      const hosts = sandbox.hosts.map((host) => sandboxStandIn(sandbox as NonNullable<typeof sandbox>, host));
      const running = await spawnMomlink(["serve"], { cwd: dir, until: ["alice> "] });
      // The EMs are up once the prompt is (the sandbox starts them before the console reads).
      for (const host of hosts) expect((await standInStatus(host)).state).toBe("running");
      await running.kill(signal);
      const { exitCode, output } = await running.exited;
      expect(output).toContain(`${signal}: stopping the console and its sandbox`);
      expect(exitCode).toBe(0);
      // Before, the console died of the signal and both detached stand-ins kept running.
      for (const host of hosts) expect((await standInStatus(host)).state).toBe("stopped");
    },
    60_000,
  );
});

describe("the console session", () => {
  let store: ChangeStore;
  let api: LocalSlackApi;
  let printed: string[];
  let session: ReturnType<typeof createConsoleSession>;

  beforeEach(async () => {
    store = openSqliteStore(join(dir, "momlink.db"));
    api = new LocalSlackApi();
    const receiver = new ConsoleReceiver();
    const app = new App(consoleAppOptions(api, receiver));
    await registerMomlink(app, {
      store,
      policy: { approvers: { users: [], groups: [] }, requiredApprovals: 1, fourEyes: true, ttlMinutes: 30 },
      allowedDirs: ["config", "data", "traces", "logs", "threaddumps"],
      now: () => new Date(),
      logger: createLogger({ level: "silent" }),
    });
    await app.start();
    printed = [];
    session = createConsoleSession(api, receiver, (text) => printed.push(text));
  });
  afterEach(async () => {
    session.close();
    await store.close();
  });

  it("opens the plan modal and shows its field errors as Slack would", async () => {
    await session.line("/momlink plan");
    expect(printed.join("\n")).toContain("[modal:");
    printed.length = 0;
    await session.line("submit primary=mom-a share=Z:\\x");
    const shown = printed.join("\n");
    expect(shown).toContain("(the modal shows errors)");
    expect(shown).toMatch(/share: .*drive letter/);
    expect(await store.list()).toEqual([]);
  });

  it("rejects with a reason through the modal, as an approver other than the requester", async () => {
    await session.line(PLAN);
    await session.line("/as @carol");
    await session.line("click reject CHG-1");
    await session.line("submit the share is not ready yet");
    expect(await store.get("CHG-1")).toMatchObject({
      state: "rejected",
      rejection: { reason: "the share is not ready yet" },
    });
    expect(printed.join("\n")).toContain("the share is not ready yet");
  });

  it("explains lines it does not understand and buttons that are not there", async () => {
    await session.line("approve everything");
    await session.line("click approve CHG-9");
    expect(printed).toEqual([
      "(not understood: approve everything; type help)",
      "(no message shows a approve button for CHG-9)",
    ]);
  });
});

describe("blocksToText", () => {
  it("renders headers, sections, buttons and modal inputs as readable lines", () => {
    const text = blocksToText([
      { type: "header", text: { type: "plain_text", text: "CHG-2" } },
      { type: "section", text: { type: "mrkdwn", text: "*state* planned" } },
      { type: "divider" },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            action_id: "momlink_approve",
            value: "CHG-2",
            text: { type: "plain_text", text: "Approve" },
          },
        ],
      },
      { type: "input", block_id: "share", optional: true, label: { type: "plain_text", text: "Share" } },
    ]);
    expect(text.split("\n")).toEqual([
      "== CHG-2 ==",
      "*state* planned",
      "----",
      "[Approve] (click approve CHG-2)",
      "Share: <share> (optional)",
    ]);
  });
});
