// A local Socket Mode endpoint: the WebSocket Slack would hand out from apps.connections.open.
// Bolt's SocketModeReceiver connects, gets `hello`, and from then on receives envelopes and acks
// them by envelope_id. `send` resolves with that ack (its payload carries e.g. a view's
// response_action errors), so a test awaits Bolt's answer instead of sleeping.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

export interface Ack {
  envelope_id: string;
  /** What the app passed to ack(): `{}` for a bare ack(), `{ text }` for ack("text"). */
  payload?: Record<string, unknown>;
}

export interface SendOptions {
  /** Reject when Bolt has not acked within this time (Slack gives up after 3 s). Default 5000. */
  timeoutMs?: number;
  /** events_api redelivery, as Slack marks a retry. */
  retryAttempt?: number;
  retryReason?: string;
}

export interface SocketModeServer {
  /** The WebSocket URL apps.connections.open should return. */
  url: string;
  /** Resolves once a client is connected and greeted with `hello`. */
  connected(): Promise<void>;
  /** Open connections right now. */
  readonly connections: number;
  send(type: EnvelopeType, payload: Record<string, unknown>, options?: SendOptions): Promise<Ack>;
  slashCommand(payload: object, options?: SendOptions): Promise<Ack>;
  interactive(payload: object, options?: SendOptions): Promise<Ack>;
  event(payload: object, options?: SendOptions): Promise<Ack>;
  /** Asks the client to reconnect, as Slack does when it recycles a connection. */
  disconnect(reason?: string): void;
  close(): Promise<void>;
}

function closeGracefully(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const fallback = setTimeout(() => socket.terminate(), 2_000);
    socket.once("close", () => {
      clearTimeout(fallback);
      resolve();
    });
    if (socket.readyState === socket.OPEN) socket.close(1001, "server closing");
  });
}

export async function startSocketModeServer(options: { appId?: string } = {}): Promise<SocketModeServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const { port } = wss.address() as AddressInfo;
  const greeted = new Set<WebSocket>();
  const waiting: Array<() => void> = [];
  const pending = new Map<string, (ack: Ack) => void>();

  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (typeof message !== "object" || message === null) return;
      const ack = message as Ack;
      if (typeof ack.envelope_id !== "string") return;
      pending.get(ack.envelope_id)?.(ack);
    });
    socket.on("close", () => greeted.delete(socket));
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: greeted.size + 1,
        debug_info: { host: "local-socket-mode", build_number: 1, approximate_connection_time: 3600 },
        connection_info: { app_id: options.appId ?? "A0LOCALAPP" },
      }),
    );
    greeted.add(socket);
    for (const resolve of waiting.splice(0)) resolve();
  });

  const latest = (): WebSocket | undefined => [...greeted].filter((s) => s.readyState === s.OPEN).at(-1);

  const send = (
    type: EnvelopeType,
    payload: Record<string, unknown>,
    sendOptions: SendOptions = {},
  ): Promise<Ack> => {
    const socket = latest();
    if (socket === undefined) return Promise.reject(new Error("No Socket Mode client is connected"));
    const envelope_id = randomUUID();
    const envelope: Record<string, unknown> = {
      envelope_id,
      type,
      payload,
      accepts_response_payload: type !== "events_api",
    };
    if (type === "events_api") {
      envelope.retry_attempt = sendOptions.retryAttempt ?? 0;
      envelope.retry_reason = sendOptions.retryReason ?? "";
    }
    const timeoutMs = sendOptions.timeoutMs ?? 5_000;
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(envelope_id);
        reject(new Error(`No ack for ${type} envelope ${envelope_id} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(envelope_id, (ack) => {
        clearTimeout(timer);
        pending.delete(envelope_id);
        resolve(ack);
      });
      socket.send(JSON.stringify(envelope));
    });
  };

  return {
    url: `ws://127.0.0.1:${port}/link/`,
    connected: () => (latest() !== undefined ? Promise.resolve() : new Promise<void>((r) => waiting.push(r))),
    get connections() {
      return greeted.size;
    },
    send,
    slashCommand: (payload, o) => send("slash_commands", payload as Record<string, unknown>, o),
    interactive: (payload, o) => send("interactive", payload as Record<string, unknown>, o),
    event: (payload, o) => send("events_api", payload as Record<string, unknown>, o),
    disconnect: (reason = "refresh_requested") => {
      for (const socket of greeted) {
        socket.send(
          JSON.stringify({ type: "disconnect", reason, debug_info: { host: "local-socket-mode" } }),
        );
      }
    },
    close: async () => {
      // A close handshake, not a reset: after app.stop() the client is mid-handshake, and cutting
      // it off makes Bolt log a WebSocket error after the test has ended.
      await Promise.all([...wss.clients].map(closeGracefully));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
