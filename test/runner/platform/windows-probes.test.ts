// The Windows probes over recorded outputs in English, German, French and Japanese
// (test/fixtures/windows/, each sample in its console code page, each saying where its format
// comes from): every probe reads the same fact in every language, and what it cannot decide
// stays "unknown" with the raw text, never a definite answer.
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, symlink, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProcessStarter, StartRequest } from "../../../src/runner/platform/process.ts";
import {
  parseCodePage,
  parseRegValues,
  parseReparseTag,
  parseScQueryState,
  parseWhoamiUser,
  regDword,
  regString,
  sameAccount,
  serviceNameProblem,
  symlinkEvaluationFromRegistry,
} from "../../../src/runner/platform/windows-parse.ts";
import { createWindowsPlatform } from "../../../src/runner/platform/windows-platform.ts";
import {
  accountProbe,
  codePageFrom,
  followTestLink,
  type LinkTestFs,
  type RunTool,
  serviceStateProbe,
  symlinkL2RProbe,
} from "../../../src/runner/platform/windows-probes.ts";
import { decodeConsole } from "../../../src/runner/platform/windows-system.ts";

interface Sample {
  file: string;
  tool: string;
  language: "en" | "de" | "fr" | "ja";
  codePage: number;
  exitCode: number;
  expect: Record<string, unknown>;
  source: string;
}

const FIXTURES = new URL("../../fixtures/windows/", import.meta.url);
const index = JSON.parse(await readFile(new URL("index.json", FIXTURES), "utf8")) as { samples: Sample[] };
const bytesOf = (sample: Sample) => readFile(new URL(sample.file, FIXTURES));
const textOf = async (sample: Sample) => decodeConsole(await bytesOf(sample), sample.codePage);
const of = (tool: string) => index.samples.filter((s) => s.tool === tool).map((s) => [s.file, s] as const);

describe("the recorded outputs", () => {
  it("cover every probe in English, German, French and Japanese, each saying where it comes from", () => {
    const tools = new Set(index.samples.map((s) => s.tool));
    for (const tool of tools) {
      const languages = new Set(index.samples.filter((s) => s.tool === tool).map((s) => s.language));
      expect([tool, [...languages].sort()]).toEqual([tool, ["de", "en", "fr", "ja"]]);
    }
    expect([...tools].sort()).toEqual([
      "chcp",
      "fsutil-reparsepoint",
      "reg-query-filesystem",
      "reg-query-policy",
      "reg-query-service",
      "robocopy-list",
      "sc-query",
      "whoami-user",
    ]);
    for (const sample of index.samples) expect(sample.source.length, sample.file).toBeGreaterThan(40);
  });

  it.each(index.samples.map((s) => [s.file, s] as const))(
    "%s decodes from its code page",
    async (_f, sample) => {
      expect(await textOf(sample)).not.toContain("\ufffd");
    },
  );
});

describe("sc query: the state number, whatever the language", () => {
  it.each(of("sc-query"))("%s", async (_file, sample) => {
    const text = await textOf(sample);
    const runTool: RunTool = async () => ({ exitCode: sample.exitCode, text, timedOut: false });
    const name = /^(?:SERVICE_NAME|NOM_SERVICE): (.+?)\s*$/m.exec(text)?.[1] ?? "IScopeEM";
    const probe = await serviceStateProbe(runTool, name);
    expect(probe.state).toBe(sample.expect.state);
    if (typeof sample.expect.detail === "string") expect(probe.detail).toContain(sample.expect.detail);
  });

  it("reads the number, not the word beside it", () => {
    const text = "SERVICE_NAME: x\n        TYPE : 10  WIN32_OWN_PROCESS\n        STATE : 4  STOPPED\n";
    expect(parseScQueryState(text)).toBe(4);
  });

  it("reads the state when TYPE has no word after its number (Wine's sc.exe prints `TYPE : 110`)", () => {
    const text =
      "SERVICE_NAME: Spooler\r\n        TYPE               : 110\r\n        STATE              : 1  STOPPED\r\n" +
      "        WIN32_EXIT_CODE    : 1077  (0x435)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n" +
      "        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n";
    expect(parseScQueryState(text)).toBe(1);
  });

  it.each([
    ["an empty answer", ""],
    ["a sentence", "Der Dienst wurde beendet.\r\n"],
    ["only the TYPE field", "SERVICE_NAME: x\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n"],
    ["a state number sc never prints", "SERVICE_NAME: x\r\n        T : 10  W\r\n        S : 9  ODD\r\n"],
  ])("stays unknown, with the raw text, for %s", async (_what, text) => {
    expect(parseScQueryState(text)).toBeNull();
    const probe = await serviceStateProbe(async () => ({ exitCode: 0, text, timedOut: false }), "IScopeEM");
    expect(probe.state).toBe("unknown");
    expect(probe.detail).toMatch(/gave no state number/);
  });

  it("says how to find the service name when sc knows no such service", async () => {
    const probe = await serviceStateProbe(
      async () => ({ exitCode: 1060, text: "", timedOut: false }),
      "Introscope Enterprise Manager",
    );
    expect(probe).toEqual({
      state: "unknown",
      detail: expect.stringMatching(/not the display name \(sc getkeyname/),
    });
  });

  it("stays unknown when sc.exe does not start or does not answer in time", async () => {
    const notStarted = await serviceStateProbe(
      async () => ({ exitCode: null, text: "", timedOut: false, startError: "spawn ENOENT" }),
      "IScopeEM",
    );
    expect(notStarted.state).toBe("unknown");
    const late = await serviceStateProbe(
      async () => ({ exitCode: null, text: "", timedOut: true }),
      "IScopeEM",
    );
    expect(late).toEqual({ state: "unknown", detail: expect.stringMatching(/did not answer in time/) });
  });

  it.each([
    ["IScopeEM", null],
    ["Introscope Enterprise Manager", null],
    ["APM EM (10.7)", null],
    ["", /1 to 256/],
    ["x".repeat(257), /1 to 256/],
    ["CA\\IScopeEM", /cannot contain/],
    ["a/b", /cannot contain/],
    ['IScopeEM" & calc', /quote/],
    ["IScope\nEM", /control character/],
    [" IScopeEM", /starts or ends with a space/],
  ])("service name %j: %s", async (name, problem) => {
    if (problem === null) expect(serviceNameProblem(name)).toBeNull();
    else expect(serviceNameProblem(name)).toMatch(problem);
  });

  it("passes a service name with spaces to sc.exe as one argument, and refuses one it cannot hold", async () => {
    const calls: string[][] = [];
    const runTool: RunTool = async (exe, args) => {
      calls.push([exe, ...args]);
      return { exitCode: 1060, text: "", timedOut: false };
    };
    await serviceStateProbe(runTool, "Introscope Enterprise Manager");
    expect((await serviceStateProbe(runTool, "CA\\IScopeEM")).state).toBe("unknown");
    expect(calls).toEqual([["sc.exe", "query", "Introscope Enterprise Manager"]]);
  });
});

describe("reg query: SymlinkEvaluation from the registry, whatever the language", () => {
  it.each([...of("reg-query-filesystem"), ...of("reg-query-policy")])("%s", async (_file, sample) => {
    const values = sample.exitCode === 0 ? parseRegValues(await textOf(sample)) : new Map();
    for (const [name, expected] of Object.entries(sample.expect)) {
      expect(regDword(values, name)).toBe(expected);
    }
  });

  const listing = (pairs: Record<string, string>) =>
    parseRegValues(
      `\r\nHKEY_LOCAL_MACHINE\\x\r\n${Object.entries(pairs)
        .map(([n, d]) => `    ${n}    REG_DWORD    ${d}\r\n`)
        .join("")}`,
    );

  it.each([
    ["the machine setting, no policy", null, { SymlinkLocalToRemoteEvaluation: "0x1" }, true],
    ["the machine setting off", null, { SymlinkLocalToRemoteEvaluation: "0x0" }, false],
    [
      "a policy that is on wins over the machine",
      { SymLinkState: "0x1", SymlinkLocalToRemoteEvaluation: "0x0" },
      { SymlinkLocalToRemoteEvaluation: "0x1" },
      false,
    ],
    [
      "a policy that is off leaves it to the machine",
      { SymLinkState: "0x0", SymlinkLocalToRemoteEvaluation: "0x0" },
      { SymlinkLocalToRemoteEvaluation: "0x1" },
      true,
    ],
    [
      "a policy that is on but sets no value",
      { SymLinkState: "0x1" },
      { SymlinkLocalToRemoteEvaluation: "0x1" },
      null,
    ],
    ["no value anywhere", null, { SymlinkLocalToLocalEvaluation: "0x1" }, null],
    ["a value that is neither 0 nor 1", null, { SymlinkLocalToRemoteEvaluation: "0x2" }, null],
  ] as const)("%s", (_what, policy, local, ok) => {
    const decision = symlinkEvaluationFromRegistry(policy === null ? null : listing(policy), listing(local));
    expect(decision.ok).toBe(ok);
    expect(decision.detail).toMatch(/SymlinkLocalToRemoteEvaluation|SymLinkState/);
  });

  it("is unknown when neither key can be read", () => {
    expect(symlinkEvaluationFromRegistry(null, null)).toEqual({
      ok: null,
      detail: expect.stringMatching(/could not be read/),
    });
  });
});

describe("SymlinkEvaluation: the direct test first, the registry when it proves nothing", () => {
  let work: string;
  let share: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "momlink-probes-test-"));
    share = join(work, "share");
    await mkdir(share);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const registry = (l2r: string | null): RunTool => {
    return async (_exe, args) =>
      args[1]?.includes("Policies") || l2r === null
        ? { exitCode: 1, text: "ERROR\r\n", timedOut: false }
        : {
            exitCode: 0,
            text: `\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\FileSystem\r\n    SymlinkLocalToRemoteEvaluation    REG_DWORD    ${l2r}\r\n`,
            timedOut: false,
          };
  };

  it("follows a real test link to the share and says so, whatever the registry holds", async () => {
    const made: string[] = [];
    const recording: LinkTestFs = {
      ...realFs(),
      mkdtemp: async (p) => made[made.push(await mkdtemp(p)) - 1] ?? "",
    };
    const probe = await symlinkL2RProbe(registry("0x0"), share, recording);
    expect(probe).toEqual({ ok: true, detail: `followed a test link to ${share}` });
    // The test link and its directory are gone; the share is untouched.
    expect(made).toHaveLength(1);
    await expect(stat(made[0] ?? "")).rejects.toThrow(/ENOENT/);
    expect(await readdirNames(share)).toEqual([]);
  });

  it("reads the registry when the share cannot be reached for the test", async () => {
    expect(await symlinkL2RProbe(registry("0x1"), join(work, "missing"))).toEqual({
      ok: true,
      detail: expect.stringMatching(/^registry: .*SymlinkLocalToRemoteEvaluation=1/),
    });
    expect((await symlinkL2RProbe(registry(null), join(work, "missing"))).ok).toBeNull();
  });

  it("reads the registry when no link appears (as under Wine, whose links are stubs)", async () => {
    const stubbed: LinkTestFs = { ...realFs(), lstat: async () => ({ isSymbolicLink: () => false }) };
    expect(await followTestLink(share, stubbed)).toBeNull();
    expect((await symlinkL2RProbe(registry("0x0"), share, stubbed)).ok).toBe(false);
  });

  it("reports a link that cannot be followed as disabled, with both readings", async () => {
    const refusing: LinkTestFs = {
      ...realFs(),
      stat: async (path) => {
        if (path.endsWith("share") && path.includes("momlink-l2r-")) {
          throw Object.assign(
            new Error("The symbolic link cannot be followed because its type is disabled."),
            {
              code: "UNKNOWN",
            },
          );
        }
        return realFs().stat(path);
      },
    };
    const probe = await symlinkL2RProbe(registry("0x1"), share, refusing);
    expect(probe.ok).toBe(false);
    expect(probe.detail).toMatch(/could not be followed: .*\(UNKNOWN\); registry: .*=1/);
  });
});

describe("the EM service's account against the runner's, whatever the language", () => {
  it.each(of("whoami-user"))("%s", async (_file, sample) => {
    const user = parseWhoamiUser(await textOf(sample));
    expect(user?.sid).toBe(sample.expect.sid);
    if (typeof sample.expect.name === "string") expect(user?.name).toBe(sample.expect.name);
  });

  it.each(of("reg-query-service"))("%s", async (_file, sample) => {
    const values = sample.exitCode === 0 ? parseRegValues(await textOf(sample)) : new Map();
    expect(regString(values, "ObjectName")).toBe(sample.expect.ObjectName);
  });

  const SYSTEM = { name: "nt-autorität\\system", sid: "S-1-5-18" };
  const SVC = { name: "corp\\svc-apm", sid: "S-1-5-21-1-2-3-1105" };
  it.each([
    ["LocalSystem", SYSTEM, true],
    [".\\LocalSystem", SYSTEM, true],
    ["NT AUTHORITY\\SYSTEM", SYSTEM, true],
    ["NT AUTHORITY\\NetworkService", SYSTEM, false],
    ["NT AUTHORITY\\LocalService", { name: "nt authority\\local service", sid: "S-1-5-19" }, true],
    ["CORP\\svc-apm", SYSTEM, false],
    ["CORP\\svc-apm", SVC, true],
    ["corp\\SVC-APM", SVC, true],
    ["CORP\\other", SVC, false],
    [".\\svc-apm", { name: "mom-a\\svc-apm", sid: "S-1-5-21-9-1001" }, true],
    ["LocalSystem", SVC, false],
    ["svc-apm@corp.example", SVC, null],
    ["corp.example\\svc-apm", SVC, null],
    ["svc-apm", SVC, null],
  ] as const)("the EM as %s, the runner as %o: same %s", (em, runner, same) => {
    expect(sameAccount(em, runner, "MOM-A")).toBe(same);
  });

  const answering =
    (service: { code: number; text: string }, who: { code: number; text: string }): RunTool =>
    async (exe) => {
      const answer = exe === "reg.exe" ? service : who;
      return { exitCode: answer.code, text: answer.text, timedOut: false };
    };
  const objectName = (name: string) => ({
    code: 0,
    text: `\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\IScopeEM\r\n    ObjectName    REG_SZ    ${name}\r\n`,
  });

  it("proves the EM's access when both run as LocalSystem (the documented set-up), in German too", async () => {
    const facts = await accountProbe(
      answering(objectName("LocalSystem"), { code: 0, text: '"nt-autorität\\system","S-1-5-18"\r\n' }),
      "IScopeEM",
      "MOM-A",
    );
    expect(facts).toEqual({
      em: "LocalSystem",
      runner: "LocalSystem (S-1-5-18)",
      same: true,
      detail: "the EM service runs as LocalSystem, like this runner (LocalSystem (S-1-5-18))",
    });
  });

  it("says exactly whose access is proven when the accounts differ", async () => {
    const facts = await accountProbe(
      answering(objectName("CORP\\svc-apm"), { code: 0, text: '"nt authority\\system","S-1-5-18"\r\n' }),
      "IScopeEM",
      "MOM-A",
    );
    expect(facts).toMatchObject({ em: "CORP\\svc-apm", runner: "LocalSystem (S-1-5-18)", same: false });
    expect(facts.detail).toBe(
      "the EM service runs as CORP\\svc-apm; this runner runs as LocalSystem (S-1-5-18)",
    );
  });

  it("stays unknown, with the raw answer, when the service has no logon account to read", async () => {
    const facts = await accountProbe(
      answering(
        {
          code: 1,
          text: "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.\r\n",
        },
        {
          code: 0,
          text: '"nt authority\\system","S-1-5-18"',
        },
      ),
      "IScopeEM",
      "MOM-A",
    );
    expect(facts).toMatchObject({ em: null, runner: "LocalSystem (S-1-5-18)", same: null });
    expect(facts.detail).toMatch(/has no ObjectName \(reg query exit 1: FEHLER: Der angegebene/);
  });

  it("asks reg.exe for the service's ObjectName and whoami.exe for the runner, by System32 path", async () => {
    const requests: StartRequest[] = [];
    const start: ProcessStarter = async (request) => {
      requests.push(request);
      return { exitCode: 1, output: new Uint8Array(), truncated: false, timedOut: false };
    };
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows", computerName: "MOM-A" });
    expect((await platform.serviceAccount("Introscope EM"))?.same).toBeNull();
    expect(requests.map((r) => [r.file, r.args])).toEqual([
      [
        "C:\\Windows\\System32\\reg.exe",
        ["query", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Introscope EM", "/v", "ObjectName"],
      ],
      ["C:\\Windows\\System32\\whoami.exe", ["/user", "/fo", "csv", "/nh"]],
    ]);
  });
});

describe("chcp: the code page number, whatever the language", () => {
  it.each(of("chcp"))("%s", async (_file, sample) => {
    expect(parseCodePage(await textOf(sample))).toBe(sample.expect.codePage);
    // The platform reads chcp's raw bytes as Latin-1: digits are ASCII in every OEM code page.
    const raw = Buffer.from(await bytesOf(sample)).toString("latin1");
    expect(codePageFrom({ exitCode: 0, text: raw, timedOut: false })).toBe(sample.expect.codePage);
  });

  it.each(["", "Parameterformat falsch", "Active code page: 0"])("has no code page in %j", (text) => {
    expect(parseCodePage(text)).toBeNull();
  });
});

describe("fsutil reparsepoint query: the tag number, whatever the language", () => {
  it.each(of("fsutil-reparsepoint"))("%s", async (_file, sample) => {
    expect(parseReparseTag(await textOf(sample))).toBe(sample.expect.tag);
  });
});

describe("the Windows platform end to end, over the Japanese recordings", () => {
  it("decodes sc's answer in code page 932 (asked of chcp) and reads the state number", async () => {
    const sample = index.samples.find((s) => s.file === "sc-query/running.ja.txt");
    const chcp = index.samples.find((s) => s.file === "chcp/active.ja.txt");
    if (sample === undefined || chcp === undefined) throw new Error("fixtures missing");
    const requests: StartRequest[] = [];
    const start: ProcessStarter = async (request) => {
      requests.push(request);
      const output = request.file.endsWith("cmd.exe") ? await bytesOf(chcp) : await bytesOf(sample);
      return { exitCode: 0, output, truncated: false, timedOut: false };
    };
    const platform = createWindowsPlatform({ start, systemRoot: "C:\\Windows" });
    expect(await platform.serviceState("IScopeEM")).toEqual({
      state: "running",
      detail: 'sc query "IScopeEM": state 4 (RUNNING)',
    });
    expect(requests.map((r) => [r.file, r.args])).toEqual([
      ["C:\\Windows\\System32\\sc.exe", ["query", "IScopeEM"]],
      ["C:\\Windows\\System32\\cmd.exe", ["/d", "/s", "/c", '"chcp"']],
    ]);
  });
});

const readdirNames = (dir: string) => readdir(dir);
const realFs = (): LinkTestFs => ({ mkdtemp, symlink, lstat, stat, unlink, rmdir });
