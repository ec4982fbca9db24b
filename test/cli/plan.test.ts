// The `momlink plan` command through the real binary, as a user runs it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../src/domain/canonical.ts";
import { PLAN_EXAMPLE, PLAN_GRAMMAR, PLAN_USAGE } from "../../src/domain/grammar.ts";

const bin = fileURLToPath(new URL("../../bin/momlink.js", import.meta.url));
const momlink = (...args: string[]) => execa(process.execPath, [bin, ...args], { reject: false });

const pair = [
  "primary=mom-a",
  "secondary=mom-b",
  "em-home=D:\\Introscope\\EM",
  "share=\\\\san-server\\mom-failover",
];

describe("momlink plan", () => {
  it("prints the reviewed script for each host and exits 0", async () => {
    const { exitCode, stdout, stderr } = await momlink("plan", ...pair);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    const primary = stdout.slice(stdout.indexOf("REM primary mom-a"), stdout.indexOf("REM secondary mom-b"));
    expect(
      primary.split("\n").filter((l) => !l.startsWith("REM") && l !== "" && !l.startsWith("apply")),
    ).toEqual([
      'cd /d "D:\\Introscope\\EM"',
      '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\config" "\\\\san-server\\mom-failover\\config" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
      'move "config" "config.pre-momlink"',
      'mklink /D "config" "\\\\san-server\\mom-failover\\config"',
      '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\data" "\\\\san-server\\mom-failover\\data" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
      'move "data" "data.pre-momlink"',
      'mklink /D "data" "\\\\san-server\\mom-failover\\data"',
      '%SystemRoot%\\System32\\robocopy.exe "D:\\Introscope\\EM\\traces" "\\\\san-server\\mom-failover\\traces" /E /COPY:DAT /R:1 /W:1 /XJ /NP',
      'move "traces" "traces.pre-momlink"',
      'mklink /D "traces" "\\\\san-server\\mom-failover\\traces"',
    ]);
    expect(stdout).toContain("introscope.enterprisemanager.failover.enable=true");
    expect(stdout).toContain("introscope.enterprisemanager.failover.primary=mom-a");
    expect(stdout).toContain("introscope.enterprisemanager.failover.secondary=mom-b");
    expect(stdout).toMatch(/rollback on mom-b[\s\S]*rmdir "config"/);
    expect(stdout).toMatch(/plan hash: [0-9a-f]{12}/);
  });

  it("prints the canonical plan with a hash that is stable across runs and changes with the input", async () => {
    const first = await momlink("plan", "--json", ...pair);
    const again = await momlink("plan", ...pair.slice().reverse(), "--json");
    const other = await momlink("plan", "--json", ...pair, "dirs=config,data");
    expect([first.exitCode, again.exitCode, other.exitCode]).toEqual([0, 0, 0]);

    const plan = JSON.parse(first.stdout) as { hash: string } & Record<string, unknown>;
    const { hash, ...body } = plan;
    expect(hash).toBe(sha256Hex(canonicalJson(body)));
    expect(first.stdout.trim()).toBe(canonicalJson(plan));
    expect(again.stdout).toBe(first.stdout);
    expect((JSON.parse(other.stdout) as { hash: string }).hash).not.toBe(hash);
  });

  it("refuses a bad plan with status 2, every problem on stderr and nothing on stdout", async () => {
    const { exitCode, stdout, stderr } = await momlink(
      "plan",
      "primary=mom-a",
      "secondary=mom-b",
      "em-home=D:\\Intro&scope",
      "share=Z:\\mom-failover",
      "dirs=config,nope",
    );
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("3 problems");
    expect(stderr).toMatch(/- share: .*logon session.*\[unc-drive-letter\]/);
    expect(stderr).toMatch(/- em-home: `&`.*\[cmd-metacharacter\]/);
    expect(stderr).toMatch(/- dirs: `nope`/);
    expect(stderr).toContain("try: share=\\\\san-server\\mom-failover");
  });

  // The red-team's inputs: 19,999 problems in one field, 3,000 in another. stderr stays readable.
  it.each([
    ["20,000 backslashes in share", [...pair.slice(0, 3), `share=${"\\".repeat(20_000)}`], "share", 19_999],
    [
      "3,000 unknown keys",
      [...pair, ...Array.from({ length: 3000 }, (_, i) => `colour${i}=blue`)],
      "command",
      3000,
    ],
  ])("bounds the refusal of %s: a few problems, then how many more", async (_name, args, field, total) => {
    const { exitCode, stdout, stderr } = await momlink("plan", ...args);
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.length).toBeLessThan(4000);
    expect(stderr.split("\n")[0]).toBe(`momlink refused the plan (${total} problems):`);
    const listed = stderr
      .split("\n")
      .filter((line) => line.startsWith(`- ${field}: `) && !line.includes("…and"));
    expect(listed).toHaveLength(3);
    expect(stderr).toContain(`- ${field}: …and ${total - 3} more problems like these.`);
  });

  it("explains what a POSIX shell did to an unquoted UNC path", async () => {
    // What bash passes for an unquoted \\san-server\mom-failover.
    const { exitCode, stderr } = await momlink("plan", ...pair.slice(0, 3), "share=\\san-servermom-failover");
    expect(exitCode).toBe(2);
    expect(stderr).toContain("[unc-shell-mangled]");
    expect(stderr).toContain("single quotes");
  });

  it("renders the Linux equivalent with ln -s, quoted for a POSIX shell", async () => {
    const { exitCode, stdout } = await momlink(
      "plan",
      "platform=linux",
      "primary=mom-a",
      "secondary=mom-b",
      "em-home=/opt/introscope/em",
      "share=/mnt/mom-failover",
    );
    expect(exitCode).toBe(0);
    expect(stdout).toContain('cd "/opt/introscope/em"');
    expect(stdout).toContain('mv "config" "config.pre-momlink"');
    expect(stdout).toContain('ln -s "/mnt/mom-failover/config" "config"');
    expect(stdout).not.toContain("mklink");
  });

  it("explains usage with --help, for the program and for plan", async () => {
    const top = await momlink("--help");
    const plan = await momlink("plan", "--help");
    expect(top.exitCode).toBe(0);
    expect(top.stdout).toMatch(/plan \[options\] \[key=value...\]\s+validate a MOM pair/);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain("primary=<host> secondary=<host> em-home=<path> share=<UNC>");
    expect(plan.stdout).toContain("--json");
  });

  it("prints the grammar when plan gets no arguments", async () => {
    const { exitCode, stdout, stderr } = await momlink("plan");
    expect(exitCode).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("momlink plan needs the pair to plan.");
    expect(stderr).toContain(PLAN_GRAMMAR);
    expect(stderr).toContain(`Example: ${PLAN_EXAMPLE}`);
  });

  it("tells a POSIX shell user to single-quote an em-home whose backslashes the shell removed", async () => {
    // What bash passes for an unquoted D:\Introscope\EM.
    const { exitCode, stderr } = await momlink(
      "plan",
      "primary=mom-a",
      "secondary=mom-b",
      "em-home=D:IntroscopeEM",
      pair[3]!,
    );
    expect(exitCode).toBe(2);
    expect(stderr).toContain("[em-home-drive-relative]");
    expect(stderr).toContain("single-quote Windows paths: em-home='D:\\Introscope\\EM'");
  });

  it("prints its version", async () => {
    const { exitCode, stdout } = await momlink("--version");
    expect(exitCode).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(stdout.trim()).toBe(pkg.version);
  });

  it("writes help without a line break inside a sentence: only the terminal's width wraps it", async () => {
    for (const args of [
      ["--help"],
      ["plan", "--help"],
      ["runners", "add", "--help"],
      ["runner", "register", "--help"],
      ["runner", "start", "--help"],
    ]) {
      const { stdout } = await momlink(...args);
      const description = stdout.split("\n\n")[1] ?? "";
      const lines = description.split("\n");
      // Commander fills each line to 80 columns: a short line before the paragraph's last was broken by hand.
      const short = lines.slice(0, -1).filter((line) => line.length < 60);
      expect(short, `${args.join(" ")}:\n${description}`).toEqual([]);
    }
    const usage = PLAN_USAGE.split("\n").slice(1); // after the grammar line, every line starts a sentence
    expect(usage.filter((line) => /^[a-z(]/.test(line))).toEqual([]);
  });
});
