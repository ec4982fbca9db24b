// The Linux layer's own closed vocabulary: the argv shapes the plan builder emits, nothing else.
import { describe, expect, it } from "vitest";
import type { Step } from "../../../src/domain/plan.ts";
import { argvProblem, createLinuxPlatform } from "../../../src/runner/platform/linux.ts";
import type { ProcessStarter, StartRequest } from "../../../src/runner/platform/process.ts";

describe("argv the Linux layer runs", () => {
  const accepted: [Step["kind"], string[]][] = [
    ["seed-share", ["cp", "-a", "/opt/CA/Introscope/config/.", "/mnt/mom-failover/config/"]],
    ["move-aside", ["mv", "config", "config.pre-CHG-12"]],
    ["restore", ["mv", "config.pre-CHG-12", "config"]],
    ["mklink", ["ln", "-s", "/mnt/mom-failover/config", "config"]],
    ["remove-link", ["rm", "config"]],
  ];
  it.each(accepted)("accepts the %s argv the plan builder emits: %j", (kind, argv) => {
    expect(argvProblem(kind, argv)).toBeNull();
  });

  const refused: [string, Step["kind"], string[], RegExp][] = [
    ["rm -rf", "remove-link", ["rm", "-rf", "config"], /runs only `rm <dir>`/],
    ["rm of an option-looking name", "remove-link", ["rm", "-rf"], /plain directory name/],
    ["rm outside EM_HOME", "remove-link", ["rm", "/etc/passwd"], /plain directory name/],
    ["rm of the parent", "remove-link", ["rm", ".."], /plain directory name/],
    ["a shell", "mklink", ["sh", "-c", "ln -s /x config"], /runs only `ln -s/],
    ["a hard link", "mklink", ["ln", "/mnt/s/config", "config"], /runs only `ln -s/],
    [
      "a relative link target",
      "mklink",
      ["ln", "-s", "../share/config", "config"],
      /not in the approved form/,
    ],
    ["a link named unlike its target", "mklink", ["ln", "-s", "/mnt/s/config", "data"], /last component/],
    [
      "mv to an unrelated name",
      "move-aside",
      ["mv", "config", "data"],
      /only for <dir> <-> <dir>\.pre-CHG-<n>/,
    ],
    ["mv in the wrong direction for a restore", "restore", ["mv", "config", "config.pre-CHG-1"], /only for/],
    [
      "mv into another directory",
      "move-aside",
      ["mv", "config", "/tmp/config.pre-CHG-1"],
      /plain directory name/,
    ],
    ["cp without -a", "seed-share", ["cp", "-r", "/em/config/.", "/mnt/s/config/"], /runs only `cp -a/],
    [
      "cp into another dir name",
      "seed-share",
      ["cp", "-a", "/em/config/.", "/mnt/s/data/"],
      /same directory name/,
    ],
    [
      "cp with a .. component",
      "seed-share",
      ["cp", "-a", "/em/../config/.", "/mnt/s/config/"],
      /relative component/,
    ],
    ["a control character", "remove-link", ["rm", "config\n"], /control character/],
    ["verify-link as a command", "verify-link", ["true"], /never run as a command/],
  ];
  it.each(refused)("refuses %s", (_what, kind, argv, reason) => {
    expect(argvProblem(kind, argv)).toMatch(reason);
  });

  it("never starts a process for a refused argv", async () => {
    const calls: StartRequest[] = [];
    const start: ProcessStarter = async (request) => {
      calls.push(request);
      return { exitCode: 0, output: new Uint8Array(), truncated: false, timedOut: false };
    };
    const platform = createLinuxPlatform({ start });
    const step: Step = { kind: "remove-link", dir: "config", line: 'rm "config"', argv: ["rm", "-rf", "/"] };
    const result = await platform.run(step, {
      cwd: "/opt/CA/Introscope",
      timeoutMs: 1000,
      outputLimit: 1024,
    });
    expect(result.refused).toBeDefined();
    expect(calls).toEqual([]);
  });
});

describe("the EM service on Linux (systemd)", () => {
  const answering =
    (text: string, exitCode = 0, startError?: string): ProcessStarter =>
    async () => ({
      exitCode,
      output: Buffer.from(text),
      truncated: false,
      timedOut: false,
      ...(startError === undefined ? {} : { startError }),
    });
  it.each([
    ["an inactive unit", "LoadState=loaded\nActiveState=inactive\n", 0, undefined, "stopped"],
    ["a failed unit", "LoadState=loaded\nActiveState=failed\n", 0, undefined, "stopped"],
    ["an active unit", "LoadState=loaded\nActiveState=active\n", 0, undefined, "running"],
    ["a unit still stopping", "LoadState=loaded\nActiveState=deactivating\n", 0, undefined, "running"],
    ["a unit systemd does not know", "LoadState=not-found\nActiveState=inactive\n", 0, undefined, "unknown"],
    ["a host without systemd running", "System has not been booted with systemd\n", 1, undefined, "unknown"],
    ["a host without systemctl", "", null, "spawn systemctl ENOENT", "unknown"],
  ] as const)("reports %s as %s", async (_what, text, code, startError, state) => {
    const platform = createLinuxPlatform({ start: answering(text, code ?? 0, startError) });
    expect((await platform.serviceState("introscope-em")).state).toBe(state);
  });
});
