// The runner's HTTP client for the runner API: one keep-alive agent per server (HTTPS with an
// optional private CA), JSON in and out, a time limit on every request. A base URL's path (a
// reverse proxy's prefix) is kept. Nothing here decides anything: the listener (client.ts) does.
// Both HTTP modules come through process.getBuiltinModule, not an ESM import: importing node:http
// as ESM reads every export, and its lazy WebSocket getters load undici (some 11 MB of an idle
// runner, bench/startup.ts); node:https (and with it TLS) is loaded only for an https server.
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { errorBodySchema } from "../protocol/wire.ts";

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  json: unknown;
}

export interface Transport {
  send(
    method: "GET" | "POST",
    path: string,
    options?: { body?: unknown; credential?: string; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<HttpReply>;
  close(): void;
}

export function createTransport(server: string, caFile?: string): Transport {
  // A base with a trailing slash keeps a reverse proxy's path prefix (https://bot/momlink/).
  const base = new URL(server.endsWith("/") ? server : `${server}/`);
  const tls = base.protocol === "https:";
  const ca = caFile === undefined ? undefined : readFileSync(caFile);
  const http = process.getBuiltinModule("node:http");
  const https = tls ? process.getBuiltinModule("node:https") : undefined;
  const agent =
    https === undefined
      ? new http.Agent({ keepAlive: true, maxSockets: 4 })
      : new https.Agent({ keepAlive: true, maxSockets: 4, ...(ca === undefined ? {} : { ca }) });
  const make = https === undefined ? http.request : https.request;
  return {
    send(method, path, options = {}) {
      const url = new URL(path, base);
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { accept: "application/json" };
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
      }
      if (options.credential !== undefined) headers.authorization = `Bearer ${options.credential}`;
      return new Promise<HttpReply>((resolve, reject) => {
        const req = make(
          url,
          { method, headers, agent, ...(options.signal ? { signal: options.signal } : {}) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              let json: unknown = null;
              if (text !== "") {
                try {
                  json = JSON.parse(text);
                } catch {
                  json = { error: text.slice(0, 200) };
                }
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
            });
          },
        );
        req.setTimeout(options.timeoutMs ?? 30_000, () =>
          req.destroy(new Error("the bot did not answer in time")),
        );
        req.on("error", reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

export function errorText(reply: HttpReply): string {
  const parsed = errorBodySchema.safeParse(reply.json);
  return parsed.success ? parsed.data.error : `HTTP ${reply.status}`;
}

export const retryable = (status: number) => status >= 500 || status === 429 || status === 408;
