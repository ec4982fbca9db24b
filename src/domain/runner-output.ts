// Runner output ends up in record reasons, thread replies and message lines, each with its own
// room; these keep every one of them bounded the same way (on the one clip of shorten.ts).
import { clip as clipText } from "./shorten.ts";

/** How much of a failed step's output goes into the record's failure reason (the thread gets more). */
export const REASON_OUTPUT = 300;
/** How much of each failed step's output goes into the thread reply. */
export const THREAD_OUTPUT = 2500;

/** Runner output as part of a one-line reason: lines joined, bounded (the thread gets it whole). */
export function brief(text: string): string {
  return clip(text.replace(/\s*\n\s*/g, "; "), REASON_OUTPUT);
}

/** Runner output trimmed, then cut as every message cuts (domain/shorten.ts). */
export function clip(text: string, max: number): string {
  return clipText(text.trim(), max);
}
