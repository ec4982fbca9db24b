// The runner API over HTTP: routing, bearer auth, body limits and zod validation. Decisions live
// in the dispatcher; this layer only translates requests to calls and outcomes to responses.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { z } from "zod";
import { type StepEvent, stepEventSchema } from "../domain/job.ts";
import type { Logger } from "../log.ts";
import { bearerFrom } from "./auth.ts";
import type { AuthOutcome, RegisterOutcome, RunnerInfo } from "./registry.ts";
import {
  API_PREFIX,
  type JobResult,
  jobIdSchema,
  jobResultSchema,
  MAX_BODY_BYTES,
  MAX_WAIT_SECONDS,
  type RegisterRequest,
  registerRequestSchema,
} from "./wire.ts";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the dispatcher offers the HTTP layer. */
export interface RunnerApi {
  register(body: RegisterRequest): RegisterOutcome;
  authenticate(credential: string): AuthOutcome;
  /** Answers at once or later through `reply`; returns a function to call when the client goes away. */
  poll(p: {
    runner: RunnerInfo;
    credential: string;
    waitMs: number;
    alive: () => boolean;
    reply: (r: Reply) => void;
  }): () => void;
  event(runner: RunnerInfo, jobId: string, seq: number, event: StepEvent): Reply;
  heartbeat(runner: RunnerInfo, jobId: string): Reply;
  result(runner: RunnerInfo, jobId: string, result: JobResult): Reply;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function createRunnerHandler(api: RunnerApi, logger: Logger): RequestListener {
  return (req, res) => {
    handle(api, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        send(res, { status: err.status, body: { error: err.message } });
        return;
      }
      logger.error({ err, method: req.method, path: pathOf(req) }, "runner API request failed");
      send(res, { status: 500, body: { error: "internal error" } });
    });
  };
}

const JOB_ROUTE = /^\/v1\/jobs\/([^/]+)\/(events|result|lease)$/;

async function handle(api: RunnerApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://runner-api.invalid");
  const path = url.pathname;
  if (path === `${API_PREFIX}/register`) {
    requireMethod(req, "POST");
    const body = validate(registerRequestSchema, await readJson(req), "registration");
    const outcome = api.register(body);
    send(
      res,
      outcome.ok
        ? { status: 200, body: outcome.response }
        : { status: outcome.status, body: { error: outcome.error } },
    );
    return;
  }
  const isNext = path === `${API_PREFIX}/jobs/next`;
  const jobRoute = JOB_ROUTE.exec(path);
  if (!isNext && jobRoute === null) throw new HttpError(404, `no such endpoint: ${path}`);

  const bearer = bearerFrom(req.headers);
  if (!bearer.ok) throw new HttpError(401, bearer.error);
  const auth = api.authenticate(bearer.credential);
  if (!auth.ok) throw new HttpError(401, auth.error);
  const runner = auth.runner;

  if (isNext) {
    requireMethod(req, "GET");
    const waitMs = parseWait(url.searchParams.get("wait")) * 1000;
    let answered = false;
    const reply = (r: Reply) => {
      if (answered) return;
      answered = true;
      send(res, r);
    };
    const gone = api.poll({
      runner,
      credential: bearer.credential,
      waitMs,
      alive: () => !res.destroyed,
      reply,
    });
    res.on("close", () => {
      if (!answered) gone();
    });
    return;
  }

  const [, rawId, action] = jobRoute ?? [];
  requireMethod(req, "POST");
  const jobId = validate(jobIdSchema, decodeURIComponent(rawId ?? ""), "job id");
  switch (action) {
    case "events": {
      const seq = Number(url.searchParams.get("seq"));
      if (!Number.isInteger(seq) || seq < 1) throw new HttpError(400, "events need ?seq=<1, 2, ...>");
      const event = validate(stepEventSchema, await readJson(req), "step event");
      if (event.jobId !== jobId)
        throw new HttpError(400, `the event is for job ${event.jobId}, posted to job ${jobId}`);
      send(res, api.event(runner, jobId, seq, event));
      return;
    }
    case "lease":
      await readJson(req, true);
      send(res, api.heartbeat(runner, jobId));
      return;
    case "result":
      send(res, api.result(runner, jobId, validate(jobResultSchema, await readJson(req), "job result")));
      return;
    default:
      throw new HttpError(404, `no such endpoint: ${path}`);
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

async function readJson(req: IncomingMessage, emptyOk = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") {
    if (emptyOk) return {};
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

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "").split("?")[0] ?? "";
}
