// Reading a column of a node:sqlite row as the type the schema promises: one set of decoders for
// every table reader (the change store, its inbox, the dispatcher's jobs, events and runners). The
// database is ours, but a wrong type here means it was altered: say which column and what it held,
// never cast.

import type { JsonObject } from "../domain/record.ts";

export type Row = Record<string, unknown>;

function held(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v;
}

export function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v !== "string") throw new Error(`database column ${col} holds ${held(v)}, expected text`);
  return v;
}

export function textOrNull(row: Row, col: string): string | null {
  return row[col] === null ? null : text(row, col);
}

export function int(row: Row, col: string): number {
  const v = row[col];
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new Error(`database column ${col} holds ${held(v)}, expected an integer`);
  }
  return v;
}

export function intOrNull(row: Row, col: string): number | null {
  return row[col] === null ? null : int(row, col);
}

/** A text column that holds one of a closed set of values (a state, a kind, a platform). */
export function oneOf<T extends string>(row: Row, col: string, values: readonly T[]): T {
  const v = text(row, col);
  const found = values.find((value) => value === v);
  if (found === undefined) {
    throw new Error(`database column ${col} holds ${held(v)}, expected one of ${values.join(", ")}`);
  }
  return found;
}

/**
 * A JSON text column, parsed and checked by `check` (a zod schema's safeParse, or a shape test):
 * text that does not parse, or parses to the wrong shape, is an altered row.
 */
export function json<T>(
  row: Row,
  col: string,
  check: (value: unknown) => { success: true; data: T } | { success: false },
): T {
  const raw = text(row, col);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`database column ${col} holds ${held(raw)}, expected JSON`);
  }
  const checked = check(value);
  if (!checked.success) throw new Error(`database column ${col} holds JSON of the wrong shape`);
  return checked.data;
}

export function jsonOrNull<T>(
  row: Row,
  col: string,
  check: (value: unknown) => { success: true; data: T } | { success: false },
): T | null {
  return row[col] === null ? null : json(row, col, check);
}

/** A JSON object column with no schema of its own (an audit entry's details, an inbox payload). */
export function jsonObject(row: Row, col: string): JsonObject {
  return json<JsonObject>(row, col, (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? { success: true, data: value as JsonObject }
      : { success: false },
  );
}
