// Reading a column of a node:sqlite row as the type the schema promises. The database is ours,
// but a wrong type here means it was altered: say which column and what it held, never cast.

export type Row = Record<string, unknown>;

export function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v !== "string") throw new Error(`database column ${col} holds ${typeof v}, expected text`);
  return v;
}

export function textOrNull(row: Row, col: string): string | null {
  return row[col] === null ? null : text(row, col);
}

export function int(row: Row, col: string): number {
  const v = row[col];
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new Error(`database column ${col} holds ${typeof v}, expected an integer`);
  }
  return v;
}
