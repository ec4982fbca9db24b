// What counts as a reason an operator gave (rejecting a plan): real text, of a size a record and a
// Slack thread can hold. Pure, and the one rule: the reject modal shows its problem on the field,
// and the state machine (record.ts) refuses a reason that breaks it, whoever the caller is.
//
// Blank means nothing visible: whitespace, and the invisible format characters (\p{Cf}: U+200B
// zero-width space, U+2060 word joiner, U+FEFF, soft hyphen...) that a forged or pasted reason can
// be made of. Length is counted in characters (code points), as a person counts them, not in
// UTF-16 units. Escaping for Slack is the renderer's job, not this one's.

export const MAX_REASON_CHARACTERS = 500;

export type ReasonCheck = { ok: true; reason: string } | { ok: false; problem: string };

/** Whitespace, separators and format characters: nothing a reader sees. */
const INVISIBLE = /[\s\p{Z}\p{Cf}]/gu;
const INVISIBLE_AT_ENDS = /^[\s\p{Z}\p{Cf}]+|[\s\p{Z}\p{Cf}]+$/gu;

/** The reason as it is kept (invisible characters at either end removed), or what is wrong with it. */
export function checkReason(text: string): ReasonCheck {
  if (text.replace(INVISIBLE, "") === "") {
    return {
      ok: false,
      problem:
        "The reason is blank: say why, in words, for the record and the requester (spaces and invisible characters such as U+200B do not count).",
    };
  }
  const reason = text.replace(INVISIBLE_AT_ENDS, "");
  const length = [...reason].length;
  if (length > MAX_REASON_CHARACTERS) {
    return {
      ok: false,
      problem: `The reason must be at most ${MAX_REASON_CHARACTERS} characters (this one has ${length}): keep the essentials, and put details in the change's thread.`,
    };
  }
  return { ok: true, reason };
}
