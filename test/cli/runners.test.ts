// `momlink runners add|list|revoke` through the real binary, on the database MOMLINK_DB names.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runMomlink } from "../support/cli.ts";

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "momlink-runners-"));
  db = join(dir, "var", "momlink.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const momlink = (...args: string[]) => runMomlink(args, { cwd: dir, env: { MOMLINK_DB: db } });

interface ListedRunner {
  name: string;
  host: string;
  platform: string;
  status: string;
  version: string | null;
  lastSeen: string | null;
}
async function listed(): Promise<ListedRunner[]> {
  const out = await momlink("runners", "list", "--json");
  expect(out.exitCode).toBe(0);
  return JSON.parse(out.stdout) as ListedRunner[];
}

describe("momlink runners add", () => {
  it("prints a one-time token, the bot's key id and the exact register command for the host", async () => {
    const out = await momlink(
      "runners",
      "add",
      "mom-a",
      "--host",
      "mom-a.corp.example",
      "--server",
      "https://bot:8787",
    );
    expect(out.exitCode).toBe(0);
    const token = /mlt_[A-Za-z0-9_-]{43}/.exec(out.stdout)?.[0];
    const keyId = /Bot signing key id: ([0-9a-f]{16})/.exec(out.stdout)?.[1];
    expect(token).toBeDefined();
    expect(keyId).toBeDefined();
    expect(out.stdout).toContain("single use, valid until");
    expect(out.stdout).toContain(
      `runner register --server https://bot:8787 --token ${token} --key-id ${keyId} --config C:\\ProgramData\\momlink\\runner.json`,
    );
    // The key the id names now exists beside the database, readable by its owner only.
    expect(statSync(join(dir, "var", "momlink-signing-key.pem")).mode & 0o777).toBe(0o600);
  });

  it("lists the new runner as pending until it registers", async () => {
    await momlink("runners", "add", "mom-b", "--host", "mom-b", "--platform", "linux");
    expect(await listed()).toEqual([
      {
        name: "mom-b",
        host: "mom-b",
        platform: "linux",
        status: "pending",
        version: null,
        hostname: null,
        registeredAt: null,
        lastSeen: null,
      },
    ]);
    const table = await momlink("runners", "list");
    expect(table.stdout).toMatch(/^NAME\s+HOST\s+PLATFORM\s+VERSION\s+LAST SEEN\s+STATUS$/m);
    expect(table.stdout).toMatch(/^mom-b\s+mom-b\s+linux\s+-\s+never\s+pending$/m);
  });

  it("refuses a name that already exists, and says how to get a new token or retire it", async () => {
    expect((await momlink("runners", "add", "mom-a", "--host", "mom-a")).exitCode).toBe(0);
    const again = await momlink("runners", "add", "mom-a", "--host", "mom-a");
    expect(again.exitCode).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain('runner "mom-a" already exists');
    expect(again.stderr).toContain("--reissue");
    expect(again.stderr).toContain("momlink runners revoke mom-a");

    const reissued = await momlink("runners", "add", "mom-a", "--host", "mom-a", "--reissue", "--json");
    expect(reissued.exitCode).toBe(0);
    expect(JSON.parse(reissued.stdout)).toMatchObject({
      name: "mom-a",
      token: expect.stringMatching(/^mlt_/),
    });
  });

  it.each([
    ["an underscore", "mom_a", /underscores are not valid/],
    ["a port", "mom-a:8080", /`:` .* is not allowed/],
    ["a NetBIOS name over 15 characters", "introscope-mom-primary", /at most 15 characters/],
  ])("refuses a host with %s, names the rule, and writes nothing", async (_name, host, why) => {
    const out = await momlink("runners", "add", "mom-a", "--host", host);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(why);
    expect(out.stderr).toContain("try: momlink runners add mom-a --host ");
    expect(await listed()).toEqual([]);
  });

  it("refuses a second runner for a host that already has one", async () => {
    await momlink("runners", "add", "mom-a", "--host", "mom-a");
    const out = await momlink("runners", "add", "mom-a-2", "--host", "mom-a");
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain('host mom-a already has runner "mom-a"');
  });
});

describe("momlink runners revoke", () => {
  it("marks the runner revoked", async () => {
    await momlink("runners", "add", "mom-a", "--host", "mom-a");
    const out = await momlink("runners", "revoke", "mom-a");
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain("Runner mom-a (host mom-a) revoked");
    expect((await listed()).map((r) => [r.name, r.status])).toEqual([["mom-a", "revoked"]]);
  });

  it("says so for a runner it does not know", async () => {
    await momlink("runners", "add", "mom-a", "--host", "mom-a");
    const out = await momlink("runners", "revoke", "mom-x");
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain('no runner named "mom-x"');
  });
});

describe("the database MOMLINK_DB names", () => {
  it.each([
    ["list", ["runners", "list"]],
    ["revoke", ["runners", "revoke", "mom-a"]],
  ])(
    "must exist for runners %s: a missing one is an error naming MOMLINK_DB and the path, and nothing is created",
    async (_name, args) => {
      const out = await momlink(...args);
      expect(out.exitCode).toBe(2);
      expect(out.stderr).toBe(
        `MOMLINK_DB=${db}: there is no database at ${db}; check MOMLINK_DB (the bot creates its database when it first starts, and this command only reads an existing one)`,
      );
      expect(existsSync(join(dir, "var"))).toBe(false);
    },
  );

  it("is created by runners add when missing, which says so (the first runner may come before the bot)", async () => {
    const out = await momlink("runners", "add", "mom-a", "--host", "mom-a");
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toContain(`momlink: created a new database at ${db} (MOMLINK_DB)`);
    expect(existsSync(db)).toBe(true);
    const again = await momlink("runners", "add", "mom-b", "--host", "mom-b");
    expect(again.stderr).not.toContain("created a new database");
  });
});
