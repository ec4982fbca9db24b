// The one serialisation a plan hash is computed over. Approvals bind to that hash, so the text
// must not depend on key insertion order, whitespace or which side of the wire built the object.
import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted (by UTF-16 code unit, as Array.prototype.sort does), no
 * whitespace, arrays in order and `undefined` object fields left out, so that an absent optional
 * field and one set to `undefined` hash alike. Throws on values JSON cannot carry faithfully
 * (non-finite numbers, bigint, functions, symbols, `undefined` in arrays, class instances,
 * cycles): a plan never holds them, so meeting one is a bug, not user input.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$", new Set());
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function write(value: unknown, at: string, open: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${at}`);
      return JSON.stringify(value);
    case "object":
      return writeObject(value, at, open);
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value} at ${at}`);
  }
}

function writeObject(value: object, at: string, open: Set<object>): string {
  if (open.has(value)) throw new TypeError(`canonicalJson: cycle at ${at}`);
  open.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item: unknown, i) => {
        if (item === undefined) throw new TypeError(`canonicalJson: undefined array item at ${at}[${i}]`);
        return write(item, `${at}[${i}]`, open);
      });
      return `[${items.join(",")}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: not a plain object at ${at}`);
    }
    const record = value as Record<string, unknown>;
    const fields: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const field = record[key];
      if (field === undefined) continue;
      fields.push(`${JSON.stringify(key)}:${write(field, `${at}.${key}`, open)}`);
    }
    return `{${fields.join(",")}}`;
  } finally {
    open.delete(value);
  }
}
