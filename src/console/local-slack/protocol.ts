// The shape of one Web API call as every method handler sees it: decoded params in, Slack's
// `{ ok, error }` envelope out, and the HTTP reply that carries it.

export type Params = Record<string, unknown>;
export type SlackResponse = { ok: boolean; error?: string } & Record<string, unknown>;
export type MethodHandler = (params: Params) => SlackResponse;

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: SlackResponse;
  /** Never answered (a test holding the method, see InjectedFailures.hold): the caller waits until it gives up. */
  held?: true;
}

/** A fresh object each time: a reply may add headers of its own (Retry-After). */
export function jsonHeaders(): Record<string, string> {
  return { "content-type": "application/json; charset=utf-8" };
}

export function str(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number") return String(value);
  return undefined;
}

export function flag(params: Params, key: string): boolean {
  const value = params[key];
  return value === true || value === "true" || value === "1" || value === 1;
}

export function fail(error: string, extra: Record<string, unknown> = {}): SlackResponse {
  return { ok: false, error, ...extra };
}

export function missing(field: string): SlackResponse {
  return fail("invalid_arguments", {
    response_metadata: { messages: [`[ERROR] missing required field: ${field}`] },
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
