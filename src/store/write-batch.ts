// Writes asked for in one turn of the event loop become one write transaction (group commit): at
// K=50, fifty plan requests arrive at once and each needs its inbox row on disk before its ack, and
// a hundred runners report a step every few tens of milliseconds; one commit each (one fsync on the
// event loop, on SQLite) is what kept the loop from answering Slack (issue 10). Used by the
// dispatch store for the runners' reports (scripted-store.ts, both engines) and by the change
// store's SQLite inbox for received requests (store/sqlite-inbox.ts).
//
// What it keeps true:
// - each caller's promise settles only after the transaction holding its write committed: a POST
//   or a Slack request is answered once its row is on disk, as when each was its own commit;
// - writes with one key keep the order they were asked in (a job's seq n+1 sees seq n's write in
//   the same transaction); across keys the batch runs in key order, so two replicas' batches lock
//   the rows they share in one order and cannot wait on each other;
// - one write that throws (a row that no longer decodes, say) fails only itself: the batch rolled
//   back whole, and each of its writes is then run again alone, in the same order. Where a failed
//   COMMIT may still have landed (a PostgreSQL connection lost during it), a write run again must
//   be idempotent: a step event (by its seq), a result and a sighting are; a received request on
//   SQLite is batched only there, where a failed COMMIT is rolled back (transaction.ts).
import type { Script } from "./script.ts";

/** How a batch is written: its units together in one transaction, or one alone. */
export interface BatchWriter<U> {
  /** Runs every unit in turn in one transaction; their answers in the same order. */
  together(units: readonly U[]): Promise<unknown[]>;
  alone(unit: U): Promise<unknown>;
}

interface Pending<U> {
  key: string;
  unit: U;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes the units asked for within one turn of the event loop as one transaction. A unit may be
 * run twice (once in the batch, once alone if the batch failed): it must build its writes afresh
 * each time (a script maker, a function), and a batch that failed wrote nothing.
 */
export function batchedWrites<U>(writer: BatchWriter<U>): <T>(key: string, unit: U) => Promise<T> {
  let pending: Pending<U>[] = [];

  async function alone(p: Pending<U>): Promise<void> {
    await writer.alone(p.unit).then(p.resolve, p.reject);
  }

  async function flush(): Promise<void> {
    // A stable sort: by key, and within a key in the order asked.
    const batch = pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    pending = [];
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) return alone(only);
    let answers: unknown[];
    try {
      answers = await writer.together(batch.map((p) => p.unit));
    } catch {
      for (const p of batch) await alone(p);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(answers[i]);
    });
  }

  return <T>(key: string, unit: U) =>
    new Promise<T>((resolve, reject) => {
      // Run after the poll phase that read this turn's requests: they all join this batch.
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({ key, unit, resolve: resolve as (value: unknown) => void, reject });
    });
}

/** Every script `makes` builds, in turn, as one script; their answers in the same order. */
export function* inTurn(makes: readonly (() => Script<unknown>)[]): Script<unknown[]> {
  const answers: unknown[] = [];
  for (const make of makes) answers.push(yield* make());
  return answers;
}
