// The runner API over HTTP: routing, bearer auth, body and time limits, zod validation, and the one
// place where the dispatcher's outcomes become HTTP statuses. Decisions live in the dispatcher and
// the job lifecycle; this layer only translates requests to calls and outcomes to responses.
// Anyone who reaches the port may connect before any authentication (registration reads a body
// first), so every request must arrive whole within seconds, bodies are capped by size before they
// are read, the number of open connections is capped, and a malformed path is a 400, never a crash.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { z } from "zod";
import { type StepEvent, stepEventSchema } from "../domain/job.ts";
import type { Logger } from "../log.ts";
import {
  API_PREFIX,
  type JobResult,
  jobIdSchema,
  jobResultSchema,
  LEASE_HEADER,
  MAX_BODY_BYTES,
  MAX_REGISTER_BODY_BYTES,
  MAX_WAIT_SECONDS,
  type RegisterRequest,
  registerRequestSchema,
} from "../protocol/wire.ts";
import { StoreUnavailableError } from "../store/script.ts";
import { bearerFrom } from "./auth.ts";
import type { QueueDenialCode, QueueOutcome } from "./queue.ts";
import type { AuthOutcome, RegisterOutcome, RunnerInfo } from "./registry.ts";

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** How a long-poll ends: with a job, with nothing (the wait ran out), refused (revoked meanwhile), or the bot stopping. */
export type PollAnswer =
  | { type: "job"; wire: unknown; leaseMs: number }
  | { type: "nothing" }
  | { type: "refused"; error: string }
  | { type: "closing" };

/** What the dispatcher offers the HTTP layer: calls that answer in the dispatcher's terms, never in statuses. */
export interface RunnerApi {
  register(body: RegisterRequest): Promise<RegisterOutcome>;
  authenticate(credential: string): Promise<AuthOutcome>;
  /** Answers at once or later through `answer`; resolves to a function to call when the client goes away. */
  poll(p: {
    runner: RunnerInfo;
    credential: string;
    waitMs: number;
    alive: () => boolean;
    answer: (a: PollAnswer) => void;
  }): Promise<() => void>;
  event(
    runner: RunnerInfo,
    jobId: string,
    seq: number,
    event: StepEvent,
  ): Promise<QueueOutcome<{ duplicate: boolean }>>;
  heartbeat(runner: RunnerInfo, jobId: string): Promise<QueueOutcome<{ leaseUntil: string }>>;
  result(runner: RunnerInfo, jobId: string, result: JobResult): Promise<QueueOutcome<{ duplicate: boolean }>>;
}

/** How slow and how many clients may be. Long-polls are unaffected: their wait is the response's. */
export interface RunnerApiLimits {
  /** A request's headers must have arrived this long after its first byte (Node's default: 60 s). */
  headersTimeoutMs: number;
  /** The whole request, headers and body, must have arrived by then (Node's default: 300 s). */
  requestTimeoutMs: number;
  /** Connections open at once; one more is closed at once. Runners hold about two each. */
  maxConnections: number;
}

export const DEFAULT_RUNNER_API_LIMITS: Readonly<RunnerApiLimits> = {
  headersTimeoutMs: 10_000,
  // The largest body (256 KiB) at 10 KiB/s; a registration or a heartbeat takes milliseconds.
  requestTimeoutMs: 30_000,
  maxConnections: 1000,
};

/** The HTTP(S) server of the runner API, with its limits set; the caller listens. */
export function createRunnerServer(
  handler: RequestListener,
  options: {
    tls?: { cert: string | Buffer; key: string | Buffer };
    limits?: Partial<RunnerApiLimits>;
    logger: Logger;
  },
): Server {
  const limits = { ...DEFAULT_RUNNER_API_LIMITS, ...options.limits };
  const serverOptions: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node looks for overdue requests (its default, 30 s, would let a 10 s limit run to 40 s).
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
    ),
    // Longer than a long-poll plus the runner's reconnect, so a kept-alive socket is not closed
    // under a runner that is about to reuse it.
    keepAliveTimeout: 75_000,
  };
  const server =
    options.tls === undefined
      ? createHttpServer(serverOptions, handler)
      : createHttpsServer({ ...serverOptions, ...options.tls }, handler);
  server.maxConnections = limits.maxConnections;
  server.on("drop", dropLogger(options.logger, limits.maxConnections));
  return server;
}

/** Logs the first refused connection at once, then at most one line a minute with the count. */
function dropLogger(logger: Logger, cap: number): () => void {
  let dropped = 0;
  let lastLog = 0;
  return () => {
    dropped++;
    const now = Date.now();
    if (lastLog !== 0 && now - lastLog < 60_000) return;
    logger.warn(
      { dropped, maxConnections: cap },
      "runner API: connection refused, the connection cap is reached (MOMLINK_RUNNER_MAX_CONNECTIONS)",
    );
    dropped = 0;
    lastLog = now;
  };
}

class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

// --- the dispatcher's outcomes as HTTP answers ---------------------------------------------------

/** A job this runner does not have is 404; one the lifecycle will not move (lost, done, early) is 409. */
function denialStatus(code: QueueDenialCode): 404 | 409 {
  switch (code) {
    case "not-found":
      return 404;
    case "not-running":
    case "out-of-order":
    case "not-offered":
    case "not-due":
      return 409;
    default: {
      const never: never = code;
      return never;
    }
  }
}

function reportReply<T extends object>(outcome: QueueOutcome<T>): Reply {
  return outcome.ok
    ? { status: 200, body: { ok: true, ...outcome.value } }
    : { status: denialStatus(outcome.code), body: { error: outcome.error } };
}

function pollReply(answer: PollAnswer): Reply {
  switch (answer.type) {
    case "job":
      return { status: 200, body: answer.wire, headers: { [LEASE_HEADER]: String(answer.leaseMs) } };
    case "nothing":
      return { status: 204 };
    case "refused":
      return { status: 401, body: { error: answer.error } };
    case "closing":
      return { status: 503, body: { error: "the bot is shutting down" } };
    default: {
      const never: never = answer;
      return never;
    }
  }
}

function registerReply(outcome: RegisterOutcome): Reply {
  if (outcome.ok) return { status: 200, body: outcome.response };
  // A token that registers no one is 401; a good token presented for another runner or platform, 400.
  return { status: outcome.code === "bad-token" ? 401 : 400, body: { error: outcome.error } };
}

export function createRunnerHandler(api: RunnerApi, logger: Logger): RequestListener {
  return (req, res) => {
    handle(api, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        send(res, { status: err.status, body: { error: err.message }, headers: err.headers });
        return;
      }
      if (isStoreFailure(err)) {
        // Nothing was committed: the runner logs this and sends the same request again.
        logger.warn({ err, method: req.method, path: pathOf(req) }, "runner API: the store is unavailable");
        send(res, {
          status: 503,
          body: { error: "the bot's database is unavailable for a moment: try again" },
          headers: { "retry-after": "1" },
        });
        return;
      }
      logger.error({ err, method: req.method, path: pathOf(req) }, "runner API request failed");
      send(res, { status: 500, body: { error: "internal error" } });
    });
  };
}

const JOB_ROUTE = /^\/v1\/jobs\/([^/]+)\/(events|result|lease)$/;

async function handle(api: RunnerApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = parseTarget(req.url);
  const path = url.pathname;
  if (path === `${API_PREFIX}/register`) {
    requireMethod(req, "POST");
    // Read before any authentication: a registration is small, so its body is capped far lower.
    const body = validate(
      registerRequestSchema,
      await readJson(req, { limit: MAX_REGISTER_BODY_BYTES }),
      "registration",
    );
    send(res, registerReply(await api.register(body)));
    return;
  }
  const isNext = path === `${API_PREFIX}/jobs/next`;
  const jobRoute = JOB_ROUTE.exec(path);
  if (!isNext && jobRoute === null) throw new HttpError(404, `no such endpoint: ${path}`);

  const bearer = bearerFrom(req.headers);
  if (!bearer.ok) throw new HttpError(401, bearer.error);
  const auth = await api.authenticate(bearer.credential);
  if (!auth.ok) throw new HttpError(401, auth.error);
  const runner = auth.runner;

  if (isNext) {
    requireMethod(req, "GET");
    const waitMs = parseWait(url.searchParams.get("wait")) * 1000;
    let answered = false;
    const answer = (a: PollAnswer) => {
      if (answered) return;
      answered = true;
      send(res, pollReply(a));
    };
    let gone: (() => void) | null = null;
    let closedEarly = false;
    res.on("close", () => {
      if (answered) return;
      if (gone === null) closedEarly = true;
      else gone();
    });
    gone = await api.poll({
      runner,
      credential: bearer.credential,
      waitMs,
      alive: () => !res.destroyed,
      answer,
    });
    if (closedEarly && !answered) gone();
    return;
  }

  const [, rawId, action] = jobRoute ?? [];
  requireMethod(req, "POST");
  const jobId = validate(jobIdSchema, decodePathPart(rawId ?? "", "job id"), "job id");
  switch (action) {
    case "events": {
      const seq = Number(url.searchParams.get("seq"));
      if (!Number.isInteger(seq) || seq < 1) throw new HttpError(400, "events need ?seq=<1, 2, ...>");
      const event = validate(stepEventSchema, await readJson(req), "step event");
      if (event.jobId !== jobId)
        throw new HttpError(400, `the event is for job ${event.jobId}, posted to job ${jobId}`);
      send(res, reportReply(await api.event(runner, jobId, seq, event)));
      return;
    }
    case "lease":
      await readJson(req, { emptyOk: true });
      send(res, reportReply(await api.heartbeat(runner, jobId)));
      return;
    case "result": {
      const result = validate(jobResultSchema, await readJson(req), "job result");
      send(res, reportReply(await api.result(runner, jobId, result)));
      return;
    }
    default:
      throw new HttpError(404, `no such endpoint: ${path}`);
  }
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? "/", "http://runner-api.invalid");
  } catch {
    throw new HttpError(400, "the request target is not a valid path");
  }
}

function decodePathPart(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(
      400,
      `the ${what} in the path is not valid percent-encoding: ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
}

function parseWait(raw: string | null): number {
  if (raw === null || raw === "") return 0;
  const wait = Number(raw);
  if (!Number.isInteger(wait) || wait < 0) throw new HttpError(400, "wait must be a whole number of seconds");
  return Math.min(wait, MAX_WAIT_SECONDS);
}

function requireMethod(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `use ${method} here`);
}

function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
  throw new HttpError(400, `invalid ${what}: ${problems}`);
}

async function readJson(
  req: IncomingMessage,
  options: { emptyOk?: boolean; limit?: number } = {},
): Promise<unknown> {
  const limit = options.limit ?? MAX_BODY_BYTES;
  // The unread rest of the body would follow on this connection: close it after the answer.
  const tooLarge = () => new HttpError(413, `body larger than ${limit} bytes`, { connection: "close" });
  // A declared length over the limit is refused before a byte of the body is read.
  if (Number(req.headers["content-length"] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") {
    if (options.emptyOk) return {};
    throw new HttpError(400, "a JSON body is required");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { "cache-control": "no-store", ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers).end(text);
}

/** The engine failed under a request (PostgreSQL down or restarting, SQLite busy past its timeout). */
function isStoreFailure(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  return err instanceof Error && "code" in err && err.code === "ERR_SQLITE_ERROR";
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "").split("?")[0] ?? "";
}
