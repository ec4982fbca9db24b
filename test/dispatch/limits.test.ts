// The runner API against slow, greedy and malformed clients, over real sockets on 127.0.0.1:
// headers and bodies must arrive in time however slowly they trickle, the number of open
// connections is capped, and a path that is not valid percent-encoding is a 400, not a crash.
// Long-polls keep working throughout: their wait belongs to the response, not to the request.
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunnerApiLimits } from "../../src/dispatch/server.ts";
import { type Bot, get, jobInput, next, post, registerRunner, startBot, tempDir } from "./support.ts";

/** Small limits, so the test sees them act; production's are in seconds. */
const LIMITS: RunnerApiLimits = { headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 40 };

let tmp: ReturnType<typeof tempDir>;
let bot: Bot;
let credential: string;
const sockets: Socket[] = [];

async function start(limits: Partial<RunnerApiLimits> = LIMITS, withRunner = true): Promise<void> {
  bot = await startBot(join(tmp.dir, "momlink.db"), { limits });
  if (withRunner) credential = await registerRunner(bot, "mom-a", "mom-a");
}

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await bot.dispatcher.close();
  tmp.cleanup();
});

interface Trickler {
  /** Resolves with what the server sent once it closed the connection. */
  closed: Promise<string>;
}

/**
 * A client that sends `head` and then one byte of `drip` every 100 ms, for ever: the slow-loris
 * pattern. The connection is never idle, so only a deadline on the whole request stops it.
 */
function trickle(port: number, head: string, drip: string): Trickler {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let received = "";
  let at = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip[at++ % drip.length] ?? "x");
  }, 100);
  socket.on("data", (chunk) => {
    received += chunk.toString("latin1");
  });
  socket.on("connect", () => socket.write(head));
  const closed = new Promise<string>((resolve) => {
    socket.on("close", () => {
      clearInterval(timer);
      resolve(received);
    });
    socket.on("error", () => {});
  });
  return { closed };
}

const slowHeaders = (port: number) =>
  trickle(port, "POST /v1/register HTTP/1.1\r\nHost: bot\r\n", "X-Padding: aaaaaaaaaaaaaaaa\r\n");
const slowBody = (port: number) =>
  trickle(
    port,
    "POST /v1/register HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
    '{"token":"',
  );

describe("slow requests", () => {
  it("closes connections that trickle their headers or their body, while a long-poll keeps waiting", async () => {
    await start();
    const waiting = next(bot.dispatcher, "waiting");
    let longPollAnswered = false;
    const longPoll = get(bot.url, "/v1/jobs/next?wait=25", credential).then((reply) => {
      longPollAnswered = true;
      return reply;
    });
    await waiting;

    const slow = [
      ...Array.from({ length: 5 }, () => slowHeaders(bot.port)),
      ...Array.from({ length: 5 }, () => slowBody(bot.port)),
    ];
    const answers = await Promise.all(slow.map((s) => s.closed));

    // Each was answered 408 and closed by the server ...
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // ... and the long-poll, open since before them all, is still waiting for work, not cut off.
    expect(longPollAnswered).toBe(false);
    const job = await bot.dispatcher.enqueue(jobInput());
    const reply = await longPoll;
    expect(reply.status).toBe(200);
    expect((reply.body as { job: { id: string } }).job.id).toBe(job.id);
  });

  it("refuses a registration body larger than a registration can be, before reading it all", async () => {
    await start();
    const reply = await post(bot.url, "/v1/register", {
      token: "mlt_x",
      version: "0.1.0",
      platform: "linux",
      hostname: "h".repeat(20_000),
    });
    expect(reply.status).toBe(413);
    expect((reply.body as { error: string }).error).toMatch(/larger than \d+ bytes/);
  });
});

describe("the connection cap", () => {
  it("closes connection N+1 at once, unanswered, and accepts again once one closes", async () => {
    // No runner registered: this test's own sockets are the only connections.
    await start({ headersTimeoutMs: 20_000, requestTimeoutMs: 20_000, maxConnections: 3 }, false);
    const { server } = bot.listening;
    const accepted: Socket[] = [];
    const allAccepted = new Promise<void>((resolve) => {
      server.on("connection", (socket: Socket) => {
        accepted.push(socket);
        if (accepted.length === 3) resolve();
      });
    });
    const open = () => {
      const socket = connect(bot.port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => {});
      return socket;
    };
    const held = [open(), open(), open()];
    await allAccepted;

    const dropped = new Promise<void>((resolve) => server.once("drop", () => resolve()));
    const extra = open();
    let answered = "";
    extra.on("data", (chunk) => {
      answered += chunk.toString("latin1");
    });
    const extraClosed = new Promise<void>((resolve) => extra.on("close", () => resolve()));
    extra.write("GET /v1/jobs/next HTTP/1.1\r\nHost: bot\r\n\r\n");
    await Promise.all([dropped, extraClosed]);
    expect(answered).toBe("");
    expect(accepted).toHaveLength(3);

    const freed = new Promise<void>((resolve) => accepted[0]?.once("close", () => resolve()));
    held[0]?.destroy();
    await freed;
    const reply = await post(bot.url, "/v1/register", {
      token: "mlt_unknown",
      version: "0.1.0",
      platform: "linux",
      hostname: "mom-a",
    });
    expect(reply.status).toBe(401);
  });
});

describe("malformed paths", () => {
  it.each([
    ["a job id that is not valid percent-encoding", "/v1/jobs/%E0%A4%A/result"],
    ["a lone percent sign", "/v1/jobs/abc%/lease"],
  ])("answers %s with 400 and says why", async (_what, path) => {
    await start();
    const reply = await post(bot.url, path, { ok: true }, credential);
    expect(reply.status).toBe(400);
    expect((reply.body as { error: string }).error).toMatch(/percent-encoding/);
  });
});
