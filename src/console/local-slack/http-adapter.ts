// The model as Slack serves it over HTTP: `/api/<method>` and `/response/<id>`, bodies decoded as
// Slack decodes them, reachable through a Node server (`listen`, for Bolt's `slackApiUrl`) or a
// WHATWG fetch (Bolt's `clientOptions.fetch`, no port).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fail, isObject, jsonHeaders, type Params, type Reply, str } from "./protocol.ts";

export interface LocalServer {
  /** Base for Bolt's `clientOptions.slackApiUrl`, e.g. `http://127.0.0.1:40123/api/`. */
  url: string;
  close(): Promise<void>;
}

/** Where a decoded request goes: a Web API method, or a post to a response URL. */
export interface Routes {
  method(method: string, params: Params, token: string | undefined): Reply;
  responseUrl(id: string, params: Params): Reply;
}

/** Form fields Slack decodes from JSON strings (WebClient JSON-encodes every object argument). */
const JSON_FIELDS = new Set(["blocks", "attachments", "view", "metadata", "unfurls"]);

/** Decodes a request body as Slack does: form-encoded or JSON, JSON fields of a form decoded. */
export function decodeBody(
  contentType: string | undefined,
  raw: string,
): Params | "invalid_json" | "invalid_form_data" {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (raw === "") return {};
  if (type === "application/json") {
    try {
      const parsed: unknown = JSON.parse(raw);
      return isObject(parsed) ? parsed : "invalid_json";
    } catch {
      return "invalid_json";
    }
  }
  if (type !== "" && type !== "application/x-www-form-urlencoded") return "invalid_form_data";
  const params: Params = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value);
      } catch {
        params[key] = value; // left as text: the method reports it as malformed
      }
    } else {
      params[key] = value;
    }
  }
  return params;
}

function bearer(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function route(
  routes: Routes,
  httpMethod: string,
  url: URL,
  contentType: string | undefined,
  raw: string,
  authorization: string | null | undefined,
): Reply {
  const api = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
  const response = /^\/response\/(.+)$/.exec(url.pathname);
  if (api?.[1] !== undefined) {
    const decoded = httpMethod === "GET" ? {} : decodeBody(contentType, raw);
    if (typeof decoded === "string") return { status: 200, headers: jsonHeaders(), body: fail(decoded) };
    const params: Params = { ...Object.fromEntries(url.searchParams), ...decoded };
    // Slack takes the token from the Authorization header, or from a `token` field.
    const token = bearer(authorization) ?? str(params, "token");
    delete params.token;
    return routes.method(api[1], params, token);
  }
  if (response?.[1] !== undefined && httpMethod === "POST") {
    const decoded = decodeBody(contentType ?? "application/json", raw);
    const params = typeof decoded === "string" ? {} : decoded;
    return routes.responseUrl(response[1], params);
  }
  return { status: 404, headers: jsonHeaders(), body: fail("not_found") };
}

export async function serveFetch(
  routes: Routes,
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const raw = await request.text();
  const reply = route(
    routes,
    request.method,
    url,
    request.headers.get("content-type") ?? undefined,
    raw,
    request.headers.get("authorization"),
  );
  if (reply.held) {
    // Unanswered, as over HTTP: only the caller's own abort ends the wait.
    return new Promise((_resolve, reject) => {
      request.signal.addEventListener("abort", () => reject(request.signal.reason));
    });
  }
  const body =
    reply.status === 404 && reply.body.error === "not_found" ? "not found" : JSON.stringify(reply.body);
  return new Response(body, { status: reply.status, headers: reply.headers });
}

/** `baseUrl` is read when the body has arrived, so a request resolves against the current one. */
export function serveNodeRequest(
  routes: Routes,
  baseUrl: () => string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", baseUrl());
    const raw = Buffer.concat(chunks).toString("utf8");
    const reply = route(
      routes,
      req.method ?? "GET",
      url,
      req.headers["content-type"],
      raw,
      req.headers.authorization,
    );
    if (reply.held) return; // left open: closing the server (closeAllConnections) ends it
    res.writeHead(reply.status, reply.headers);
    res.end(JSON.stringify(reply.body));
  });
}

/** Serves `handler` on `host:port`; `onListening` gets the served base URL before the promise resolves. */
export function listenHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
  onListening: (baseUrl: string) => void,
): Promise<LocalServer> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
      const baseUrl = `http://${hostPart}:${address.port}/`;
      onListening(baseUrl);
      resolve({
        url: `${baseUrl}api/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
