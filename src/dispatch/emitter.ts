// A typed event emitter for the dispatcher's listeners: `on` returns its own unsubscribe, and a
// listener that throws is reported and never stops the others (nor the protocol step that emitted).

/** The emitting half, for the parts that report events but take no listeners. */
export type Emit<E extends { [K in keyof E]: unknown[] }> = <K extends keyof E & string>(
  event: K,
  ...args: E[K]
) => void;

export function createEmitter<E extends { [K in keyof E]: unknown[] }>(
  failed: (err: unknown, event: keyof E & string) => void,
) {
  // Handlers are stored untyped; on() and emit() are the typed doors.
  type AnyHandler = (...args: unknown[]) => void;
  const handlers = new Map<keyof E, Set<AnyHandler>>();

  function on<K extends keyof E & string>(event: K, handler: (...args: E[K]) => void): () => void {
    let set = handlers.get(event);
    if (set === undefined) {
      set = new Set();
      handlers.set(event, set);
    }
    const stored = handler as unknown as AnyHandler;
    set.add(stored);
    return () => set.delete(stored);
  }

  function emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const handler of handlers.get(event) ?? []) {
      try {
        handler(...args);
      } catch (err) {
        failed(err, event);
      }
    }
  }

  return { on, emit };
}
