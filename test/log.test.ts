import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { LogLevel } from "../src/config.ts";
import { boltLogLevel, CENSOR, createLogger, toBoltLogger } from "../src/log.ts";

const BOT_TOKEN = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
const APP_TOKEN = "xapp-1-A0123ABCD-1234567890123-abcdef0123";
const SIGNING_SECRET = "1b2c3d4e5f60718293a4b5c6d7e8f901";
const SECRETS = [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "AbCdEfGhIjKlMnOpQrStUvWx"];

/** A logger writing into memory; `text()` is everything it printed. */
function capture(level: LogLevel = "debug", pretty = false) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level, pretty, destination, secrets: [SIGNING_SECRET] });
  const text = () => chunks.join("");
  const lines = () =>
    text()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, text, lines };
}

function expectNoSecrets(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

describe("createLogger keeps secrets out of the logs", () => {
  it("prints none of a bot token, a signing secret and an Authorization header logged in one object", () => {
    const { logger, text, lines } = capture();
    logger.info(
      {
        config: { slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port: 3000 } },
        req: {
          method: "POST",
          headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json" },
        },
        env: { SLACK_APP_TOKEN: APP_TOKEN, LOG_LEVEL: "debug" },
      },
      "starting",
    );

    expectNoSecrets(text());
    const [line] = lines();
    // What is not secret is still there: the censoring is targeted, not a blanket drop.
    expect(line).toMatchObject({
      msg: "starting",
      config: { slack: { botToken: CENSOR, signingSecret: CENSOR, port: 3000 } },
      req: { method: "POST", headers: { authorization: CENSOR, "content-type": "application/json" } },
      env: { SLACK_APP_TOKEN: CENSOR, LOG_LEVEL: "debug" },
    });
  });

  it("censors secrets nested deeper than pino's redact paths reach", () => {
    const { logger, text, lines } = capture();
    logger.info({
      a: { b: { c: { d: { token: BOT_TOKEN, secret: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN } } } },
    });
    expectNoSecrets(text());
    expect(lines()[0]).toMatchObject({ a: { b: { c: { d: { token: CENSOR, secret: CENSOR } } } } });
  });

  it("censors tokens embedded in messages, interpolated values and error messages", () => {
    const { logger, text, lines } = capture();
    logger.warn("calling Slack with %s", `Authorization: Bearer ${BOT_TOKEN}`);
    logger.error(new Error(`auth failed for ${APP_TOKEN} (secret ${SIGNING_SECRET})`));
    logger.error({ err: new Error(`token ${BOT_TOKEN} revoked`) }, "chat.update failed");

    expectNoSecrets(text());
    const [warn, error, nested] = lines();
    expect(warn?.msg).toBe(`calling Slack with Authorization: Bearer ${CENSOR}`);
    expect(error?.msg).toBe(`auth failed for ${CENSOR} (secret ${CENSOR})`);
    expect(error?.err).toMatchObject({
      type: "Error",
      message: `auth failed for ${CENSOR} (secret ${CENSOR})`,
    });
    expect(nested?.err).toMatchObject({ type: "Error", message: `token ${CENSOR} revoked` });
  });

  it("censors the password of a database URL in a message, a value and an error", () => {
    const { logger, text, lines } = capture();
    const url = "postgres://momlink:Zq9w-Qz7.x@db.example.net:5432/momlink?sslmode=verify-full";
    logger.info({ target: url }, `connecting to ${url}`);
    logger.error(new Error(`cannot reach ${url}`));
    expect(text()).not.toContain("Zq9w-Qz7.x");
    const [info, error] = lines();
    expect(info?.msg).toBe(
      `connecting to postgres://momlink:${CENSOR}@db.example.net:5432/momlink?sslmode=verify-full`,
    );
    expect(info?.target).toBe(`postgres://momlink:${CENSOR}@db.example.net:5432/momlink?sslmode=verify-full`);
    expect(error?.msg).toContain(`postgres://momlink:${CENSOR}@db.example.net`);
  });

  it("censors secrets bound to a child logger", () => {
    const { logger, text } = capture();
    logger.child({ slack: { appToken: APP_TOKEN } }).info("connected");
    expectNoSecrets(text());
    expect(text()).toContain("connected");
  });

  it("censors secrets in pretty output too", () => {
    const { logger, text } = capture("info", true);
    logger.info(
      { botToken: BOT_TOKEN, headers: { Authorization: `Bearer ${BOT_TOKEN}` } },
      "pretty %s",
      SIGNING_SECRET,
    );
    expectNoSecrets(text());
    expect(text()).toContain("pretty [redacted]");
  });

  it("writes JSON lines at the configured level and drops lower ones", () => {
    const { logger, lines } = capture("warn");
    logger.info("hidden");
    logger.warn("shown");
    expect(lines().map((l) => [l.level, l.msg])).toEqual([[40, "shown"]]);
  });
});

describe("toBoltLogger", () => {
  it("routes Bolt's log calls through the same censoring, with Bolt's levels", () => {
    const { logger, text, lines } = capture("info");
    const bolt = toBoltLogger(logger);
    bolt.setLevel(boltLogLevel("debug"));
    bolt.debug("http request headers:", { Authorization: `Bearer ${BOT_TOKEN}` });
    bolt.error("Slack API error:", new Error(`invalid_auth for ${BOT_TOKEN}`));

    expectNoSecrets(text());
    expect(bolt.getLevel()).toBe("debug");
    const [debug, error] = lines();
    expect(debug).toMatchObject({ level: 20, component: "bolt" });
    expect(error).toMatchObject({
      level: 50,
      msg: "Slack API error:",
      err: { message: `invalid_auth for ${CENSOR}` },
    });
  });

  it("maps pino levels Bolt does not know onto its nearest level", () => {
    expect(["trace", "fatal", "silent", "warn"].map((l) => boltLogLevel(l as LogLevel))).toEqual([
      "debug",
      "error",
      "error",
      "warn",
    ]);
  });
});
