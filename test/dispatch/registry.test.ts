import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DispatchError } from "../../src/dispatch/registry.ts";
import { type Bot, get, next, post, registerRunner, startBot, tempDir } from "./support.ts";

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;

beforeEach(async () => {
  tmp = tempDir();
  bot = await startBot(join(tmp.dir, "momlink.db"));
});
afterEach(async () => {
  await bot.dispatcher.close();
  tmp.cleanup();
});

const HOUR = 60 * 60 * 1000;
const body = (token: string, extra: Record<string, unknown> = {}) => ({
  token,
  version: "0.1.0",
  platform: "linux",
  hostname: "mom-a",
  ...extra,
});

describe("registration", () => {
  it("exchanges a one-time token for a credential and the bot's public key, keeping only hashes", async () => {
    const added = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    expect(added.token).toMatch(/^mlt_[A-Za-z0-9_-]{43}$/);
    expect(added.expiresAt).toBe(new Date(bot.time.clock().getTime() + HOUR).toISOString());
    expect(added.keyId).toBe(bot.keys.keyId);

    const res = await post(bot.url, "/v1/register", body(added.token, { name: "mom-a" }));
    expect(res.status).toBe(200);
    const reply = res.body as Record<string, string>;
    expect(reply).toMatchObject({ name: "mom-a", host: "mom-a", platform: "linux", keyId: bot.keys.keyId });
    expect(reply.publicKey).toBe(bot.keys.publicKeyPem);
    expect(reply.credential).toMatch(/^mlc_[A-Za-z0-9_-]{43}$/);

    // Neither secret is stored in the clear.
    const db = new DatabaseSync(bot.dbPath);
    const dump = JSON.stringify([
      db.prepare("SELECT * FROM dispatch_tokens").all(),
      db.prepare("SELECT * FROM dispatch_credentials").all(),
    ]);
    db.close();
    expect(dump).not.toContain(added.token);
    expect(dump).not.toContain(reply.credential);

    const empty = await get(bot.url, "/v1/jobs/next?wait=0", reply.credential);
    expect(empty.status).toBe(204);
    expect(await bot.dispatcher.listRunners()).toMatchObject([
      { name: "mom-a", host: "mom-a", platform: "linux", status: "active", version: "0.1.0", online: true },
    ]);
  });

  it("refuses a token after its hour is up and says it expired", async () => {
    const { token } = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    bot.time.advance(HOUR + 1);
    const res = await post(bot.url, "/v1/register", body(token));
    expect(res.status).toBe(401);
    expect((res.body as { error: string }).error).toMatch(/registration token expired at .*valid for 1 hour/);
  });

  it("refuses a token used once already", async () => {
    const { token } = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    expect((await post(bot.url, "/v1/register", body(token))).status).toBe(200);
    const again = await post(bot.url, "/v1/register", body(token));
    expect(again.status).toBe(401);
    expect((again.body as { error: string }).error).toMatch(/already used/);
  });

  it("refuses an unknown token", async () => {
    const res = await post(bot.url, "/v1/register", body("mlt_not-a-real-token-at-all"));
    expect(res.status).toBe(401);
    expect((res.body as { error: string }).error).toMatch(/unknown registration token/);
  });

  it("refuses, without using up the token, a machine of the wrong platform or a different runner name", async () => {
    const { token } = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "windows" });
    const wrongPlatform = await post(bot.url, "/v1/register", body(token));
    expect(wrongPlatform.status).toBe(400);
    expect((wrongPlatform.body as { error: string }).error).toMatch(
      /added as a windows runner.*--platform linux/,
    );
    const wrongName = await post(
      bot.url,
      "/v1/register",
      body(token, { platform: "windows", name: "mom-b" }),
    );
    expect(wrongName.status).toBe(400);
    expect((await post(bot.url, "/v1/register", body(token, { platform: "windows" }))).status).toBe(200);
  });

  it("refuses a malformed registration and names the field", async () => {
    const res = await post(bot.url, "/v1/register", {
      token: "x",
      version: "1",
      platform: "solaris",
      hostname: "h",
    });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/platform/);
  });

  it("gives a second host its own runner but refuses a second runner for one host", async () => {
    await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    await bot.dispatcher.addRunner({ name: "mom-b", host: "mom-b", platform: "linux" });
    await expect(
      bot.dispatcher.addRunner({ name: "mom-a2", host: "MOM-A.corp.example", platform: "linux" }),
    ).rejects.toThrow(/already has runner "mom-a"/);
    await expect(
      bot.dispatcher.addRunner({ name: "bad name", host: "mom-c", platform: "linux" }),
    ).rejects.toThrow(DispatchError);
    await expect(
      bot.dispatcher.addRunner({ name: "mom-c", host: "mom c", platform: "linux" }),
    ).rejects.toThrow(/host "mom c"/);
  });
});

describe("credentials", () => {
  it("refuses a revoked runner's next request with 401 revoked", async () => {
    const credential = await registerRunner(bot, "mom-a", "mom-a");
    expect(await bot.dispatcher.revoke("mom-a")).toBe(true);
    const res = await get(bot.url, "/v1/jobs/next?wait=0", credential);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "revoked" });
    expect((await bot.dispatcher.listRunners())[0]).toMatchObject({ status: "revoked", online: false });
    expect(await bot.dispatcher.runnerFor("mom-a")).toBeNull();
  });

  it("ends a revoked runner's open long-poll with 401 revoked", async () => {
    const credential = await registerRunner(bot, "mom-a", "mom-a");
    const waiting = next(bot.dispatcher, "waiting");
    const poll = get(bot.url, "/v1/jobs/next?wait=25", credential);
    await waiting;
    await bot.dispatcher.revoke("mom-a");
    expect(await poll).toMatchObject({ status: 401, body: { error: "revoked" } });
  });

  it("cancels a revoked runner's unused token, and a re-registration replaces the old credential", async () => {
    const old = await registerRunner(bot, "mom-a", "mom-a");
    const { token } = await bot.dispatcher.addRunner({ name: "mom-a", host: "mom-a", platform: "linux" });
    await bot.dispatcher.revoke("mom-a");
    const cancelled = await post(bot.url, "/v1/register", body(token));
    expect(cancelled.status).toBe(401);
    expect((cancelled.body as { error: string }).error).toMatch(/cancelled/);

    const fresh = await registerRunner(bot, "mom-a", "mom-a");
    expect((await get(bot.url, "/v1/jobs/next?wait=0", fresh)).status).toBe(204);
    expect((await get(bot.url, "/v1/jobs/next?wait=0", old)).body).toEqual({ error: "revoked" });
    expect((await bot.dispatcher.runnerFor("mom-a"))?.name).toBe("mom-a");
  });

  it.each([
    ["no Authorization header", undefined, /missing Authorization/],
    [
      "a credential the bot never issued",
      "mlc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      /unknown credential/,
    ],
  ])("refuses a request with %s", async (_name, credential, error) => {
    const res = await get(bot.url, "/v1/jobs/next?wait=0", credential);
    expect(res.status).toBe(401);
    expect((res.body as { error: string }).error).toMatch(error);
  });
});

describe("listing runners", () => {
  it("shows a runner online while seen recently or long-polling, offline otherwise, and pending before it registers", async () => {
    await bot.dispatcher.addRunner({ name: "mom-b", host: "mom-b", platform: "windows" });
    const credential = await registerRunner(bot, "mom-a", "mom-a");
    const online = async () =>
      Object.fromEntries((await bot.dispatcher.listRunners()).map((r) => [r.name, [r.status, r.online]]));
    expect(await online()).toEqual({ "mom-a": ["active", true], "mom-b": ["pending", false] });

    bot.time.advance(61_000);
    expect((await online())["mom-a"]).toEqual(["active", false]);

    const waiting = next(bot.dispatcher, "waiting");
    const poll = get(bot.url, "/v1/jobs/next?wait=25", credential);
    await waiting;
    bot.time.advance(61_000);
    expect((await online())["mom-a"]).toEqual(["active", true]);
    expect((await bot.dispatcher.listRunners()).map((r) => r.polling)).toEqual([true, false]);
    bot.timers.fireAll();
    expect((await poll).status).toBe(204);
    expect((await bot.dispatcher.listRunners())[0]?.lastSeen).toBe(
      new Date(bot.time.clock().getTime() - 61_000).toISOString(),
    );
  });

  it("finds the runner for a host by its short name or FQDN", async () => {
    await registerRunner(bot, "mom-a", "mom-a.corp.example");
    expect((await bot.dispatcher.runnerFor("mom-a"))?.name).toBe("mom-a");
    expect((await bot.dispatcher.runnerFor("MOM-A.corp.example"))?.name).toBe("mom-a");
    expect(await bot.dispatcher.runnerFor("mom-b")).toBeNull();
  });

  it("finds a runner by any spelling of its machine, and refuses a second runner for it", async () => {
    await registerRunner(bot, "v6", "fe80--1.ipv6-literal.net");
    expect((await bot.dispatcher.runnerFor("FE80-0-0-0-0-0-0-1.ipv6-literal.net"))?.name).toBe("v6");
    expect(await bot.dispatcher.runnerFor("fe80--2.ipv6-literal.net")).toBeNull();
    await expect(
      bot.dispatcher.addRunner({
        name: "v6b",
        host: "fe80-0-0-0-0-0-0-1.ipv6-literal.net",
        platform: "linux",
      }),
    ).rejects.toThrow(/already has runner "v6"/);
  });
});
