// Change ids: `CHG-<n>`, n from 1 to 999,999,999. The one parser for an id a person typed (Slack
// subcommands, the records CLI, verify's target) and the one bound every schema uses (the job
// contract, job ids, move-aside names). The number is read as a string of digits, never through
// Number(): `CHG-99999999999999999999999` must be refused, not turned into `CHG-1e+23`.

/** At most this many digits after `CHG-` (the job schema's bound since the first release). */
export const MAX_CHANGE_ID_DIGITS = 9;

/** The canonical id as a regular-expression source, without anchors: `CHG-[1-9][0-9]{0,8}`. */
export const CHANGE_ID_SOURCE = `CHG-[1-9][0-9]{0,${MAX_CHANGE_ID_DIGITS - 1}}`;

/** A canonical change id, as the store writes it and jobs carry it. */
export const CHANGE_ID_PATTERN = new RegExp(`^${CHANGE_ID_SOURCE}$`);

export const CHANGE_ID_EXAMPLE = "CHG-12";

export type ChangeIdParse = { ok: true; id: string } | { ok: false; reason: string };

/** True when `text` is meant as a change id (`CHG-`/`chg-` first), valid or not. */
export function looksLikeChangeId(text: string): boolean {
  return /^chg-/i.test(text.trim());
}

/**
 * `CHG-12`, `chg-12`, `CHG-012` → `CHG-12`. Anything else is refused with a sentence saying why
 * (no digits, not only digits, zero, more than MAX_CHANGE_ID_DIGITS digits).
 */
export function parseChangeId(text: string): ChangeIdParse {
  const typed = text.trim();
  const shown = typed.length > 40 ? `${typed.slice(0, 30)}…` : typed;
  const refuse = (why: string): ChangeIdParse => ({
    ok: false,
    reason: `\`${shown}\` is not a change id: ${why}`,
  });
  if (!looksLikeChangeId(typed)) return refuse(`ids look like ${CHANGE_ID_EXAMPLE}`);
  const digits = typed.slice("CHG-".length);
  if (digits === "") return refuse(`a number must follow CHG-, e.g. ${CHANGE_ID_EXAMPLE}`);
  if (!/^[0-9]+$/.test(digits)) return refuse(`only digits follow CHG-, e.g. ${CHANGE_ID_EXAMPLE}`);
  const number = digits.replace(/^0+/, "");
  if (number === "") return refuse("change numbers start at CHG-1");
  if (number.length > MAX_CHANGE_ID_DIGITS) {
    return refuse(
      `its number has ${number.length} digits, and momlink's have at most ${MAX_CHANGE_ID_DIGITS}`,
    );
  }
  return { ok: true, id: `CHG-${number}` };
}
