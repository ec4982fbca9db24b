// Every call the model answers, in order, announced as it happens: a test awaits the call it
// expects instead of sleeping.
import { EventEmitter } from "node:events";
import type { Params, Reply, SlackResponse } from "./protocol.ts";

export interface RecordedCall {
  /** Position in the call log, from 0; pass `api.mark()` as `since` to ignore earlier calls. */
  seq: number;
  /** The Web API method, or `response_url` for posts to a response URL. */
  method: string;
  params: Params;
  token: string | undefined;
  status: number;
  response: SlackResponse;
}

export interface WaitOptions {
  /** Only calls with `seq >= since` count (see `mark()`). Default 0: every call so far counts. */
  since?: number;
  /** Reject after this long with a list of what did arrive. Default 5000. */
  timeoutMs?: number;
}

export class CallLog {
  readonly #events = new EventEmitter<{ call: [RecordedCall] }>();
  readonly #calls: RecordedCall[] = [];

  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }

  record(method: string, params: Params, token: string | undefined, reply: Reply): void {
    const call: RecordedCall = {
      seq: this.#calls.length,
      method,
      params,
      token,
      status: reply.status,
      response: reply.body,
    };
    this.#calls.push(call);
    this.#events.emit("call", call);
  }

  callsTo(method: string): RecordedCall[] {
    return this.#calls.filter((c) => c.method === method);
  }

  unknownCalls(): RecordedCall[] {
    return this.#calls.filter((c) => c.response.error === "unknown_method");
  }

  mark(): number {
    return this.#calls.length;
  }

  onCall(listener: (call: RecordedCall) => void): () => void {
    this.#events.on("call", listener);
    return () => this.#events.off("call", listener);
  }

  waitFor(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<RecordedCall> {
    const since = options.since ?? 0;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const matches = (call: RecordedCall) => call.method === method && call.seq >= since && predicate(call);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (outcome: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        outcome();
      };
      const check = (call: RecordedCall) => {
        try {
          if (matches(call)) finish(() => resolve(call));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const off = this.onCall(check);
      const timer = setTimeout(() => {
        const seen = this.callsTo(method).map((c) =>
          JSON.stringify({ seq: c.seq, params: c.params, error: c.response.error }),
        );
        finish(() =>
          reject(
            new Error(
              `No matching ${method} call within ${timeoutMs} ms. Calls to ${method}: ${seen.join("\n") || "none"}`,
            ),
          ),
        );
      }, timeoutMs);
      for (const call of this.#calls) check(call);
    });
  }
}
