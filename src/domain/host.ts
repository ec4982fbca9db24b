// Host names: the two MOM hosts and the file server in a UNC share.
//
// Accepted forms (DOMAIN.md, UNC path rules):
// - a DNS name: labels of 1–63 ASCII letters, digits and hyphens, not starting or ending with a
//   hyphen, at most 255 characters, the last label not all digits (it would read as an address);
// - a NetBIOS computer name: a name without dots, at most 15 characters of the same alphabet.
//   Decision: a dotless name longer than 15 is refused rather than guessed to be a DNS short
//   name; Windows computer names are NetBIOS-limited, and the FQDN always works;
// - a dotted IPv4 address: exactly four decimal octets 0–255 without leading zeros.
//   Decision: `010.0.0.1`, `127.1`, `0x7f.0.0.1` and `2130706433` are refused: Windows'
//   resolver (inet_aton rules) reads a leading zero as octal and fills in short forms, so the
//   address that would be contacted is not the one a reviewer reads;
// - an IPv6 address as `<address, colons as hyphens>[s<zone>].ipv6-literal.net` — the only way
//   to write IPv6 in a UNC path.
import {
  atPositions,
  closest,
  describeChar,
  type Field,
  findChars,
  type Problem,
  showText,
} from "./problem.ts";

/** A problem before it is tied to a field and an example. */
export interface Issue {
  rule: string;
  message: string;
}

export const IPV6_LITERAL_SUFFIX = ".ipv6-literal.net";
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;
const HOST_CHAR = /^[A-Za-z0-9.-]$/;
/** `http://mom-a.corp.example/...`: what Slack sends for a name it made a link of (decoded, without a label). */
const URL_FORM = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i;

const GENERIC_HOST: Partial<Record<Field, string>> = {
  primary: "mom-a.corp.example",
  secondary: "mom-b.corp.example",
};

/** The eight 16-bit groups of an ipv6-literal.net name, or undefined when it is not one. */
export function parseIpv6Literal(host: string): number[] | undefined {
  const lower = host.toLowerCase();
  if (!lower.endsWith(IPV6_LITERAL_SUFFIX)) return undefined;
  const literal = lower.slice(0, -IPV6_LITERAL_SUFFIX.length);
  // `s<zone>` stands for `%<zone>`; hex groups never contain an `s`, so the split is unambiguous.
  const zoneAt = literal.indexOf("s");
  if (zoneAt !== -1 && !/^[a-z0-9]+$/.test(literal.slice(zoneAt + 1))) return undefined;
  const address = (zoneAt === -1 ? literal : literal.slice(0, zoneAt)).replaceAll("-", ":");
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = groupsOf(halves[0] ?? "");
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  const all = [...head, ...tail];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  if (halves.length === 2 ? all.length > 7 : all.length !== 8) return undefined;
  const zeros = Array.from({ length: 8 - all.length }, () => "0");
  return [...head, ...zeros, ...tail].map((group) => Number.parseInt(group, 16));
}

/** The four octets of a strict dotted-quad IPv4 address, or undefined. */
export function parseIpv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(?:0|[1-9][0-9]{0,2})$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

function ipv6Issue(host: string): Issue {
  return {
    rule: "host-ipv6-literal",
    message:
      `${showText(host)} is not a valid IPv6 literal: write the address with each \`:\` as \`-\` ` +
      `(and a zone \`%4\` as \`s4\`) followed by ${IPV6_LITERAL_SUFFIX}, e.g. fe80--1${IPV6_LITERAL_SUFFIX}.`,
  };
}

function numericIssue(host: string): Issue {
  const parts = host.split(".");
  let why = "a dotted IPv4 address needs exactly four decimal octets";
  if (parts.some((part) => /^0x/i.test(part)))
    why = "hexadecimal parts are read as numbers by Windows' resolver";
  else if (parts.length === 4 && parts.some((part) => /^0[0-9]/.test(part)))
    why = "a leading zero makes Windows' resolver read the octet as octal (010 is 8)";
  else if (parts.length === 4) why = "each octet must be 0–255";
  else if (parts.length < 4) why = `Windows would expand this short form (127.1 means 127.0.0.1)`;
  return { rule: "host-ipv4", message: `${showText(host)} is not a plain IPv4 address: ${why}.` };
}

/**
 * Every rule `host` breaks. `offset` shifts reported positions (the host inside a UNC path);
 * `alreadyReported` skips characters another check has named already.
 */
export function hostIssues(
  host: string,
  options: { offset?: number; alreadyReported?: (ch: string) => boolean } = {},
): Issue[] {
  if (host === "") return [{ rule: "host-empty", message: "the host name is empty." }];
  const form = notAHostName(host);
  if (form !== undefined) return [form];
  const issues = characterIssues(host, options.offset ?? 0, options.alreadyReported ?? (() => false));
  if (issues.length > 0 || [...host].some((c) => !HOST_CHAR.test(c))) return issues;
  const lower = host.toLowerCase();
  if (lower.endsWith(IPV6_LITERAL_SUFFIX))
    return parseIpv6Literal(host) === undefined ? [ipv6Issue(host)] : [];
  const labels = host.split(".");
  if (labels.every((label) => NUMERIC_LABEL.test(label))) {
    return parseIpv4(host) === undefined ? [numericIssue(host)] : [];
  }
  return dnsNameIssues(host, labels);
}

/** A link or an IPv6 address with colons: something else than a host name was given. */
function notAHostName(host: string): Issue | undefined {
  const url = URL_FORM.exec(host);
  if (url !== null) {
    return {
      rule: "host-url",
      message:
        `${showText(host)} is a link, not a host name (Slack turns a name it recognises into a link): ` +
        `give the name alone, without \`${url[1]}://\`.`,
    };
  }
  if (/^\[?[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*(%[a-z0-9]+)?\]?$/i.test(host)) {
    return {
      rule: "host-ipv6-colons",
      message:
        `${showText(host)} is an IPv6 address with colons; in a UNC path or host name Windows needs ` +
        `the ${IPV6_LITERAL_SUFFIX} form with each \`:\` written as \`-\`.`,
    };
  }
  return undefined;
}

/** Each character a host name may not hold, once, with its positions (shifted by `offset`). */
function characterIssues(host: string, offset: number, skip: (ch: string) => boolean): Issue[] {
  return findChars(host, (c) => !HOST_CHAR.test(c) && !skip(c), offset).map(({ ch, positions }) => {
    const why = ch === "_" ? " (underscores are not valid in DNS host names)" : "";
    return {
      rule: "host-character",
      message:
        `${describeChar(ch)} ${atPositions(positions)} is not allowed in host ${showText(host)}: ` +
        `host names are letters, digits, hyphens and dots${why}.`,
    };
  });
}

/** The DNS and NetBIOS rules on a name's labels and length. */
function dnsNameIssues(host: string, labels: string[]): Issue[] {
  const issues: Issue[] = [];
  if (host.endsWith(".")) {
    issues.push({
      rule: "host-trailing-dot",
      message: `host ${showText(host)} ends with a dot: write the name without it.`,
    });
  }
  const named = host.endsWith(".") ? labels.slice(0, -1) : labels;
  if (named.some((label) => label === "")) {
    issues.push({
      rule: "host-empty-label",
      message: `host ${showText(host)} has an empty label (two dots in a row, or a leading dot).`,
    });
  }
  for (const label of named) {
    const what =
      named.length === 1 ? `host ${showText(host)}` : `label ${showText(label)} of host ${showText(host)}`;
    if (label.length > 63) {
      issues.push({
        rule: "host-label-too-long",
        message: `${what} is ${label.length} characters; a DNS label has at most 63.`,
      });
    }
    if (label.startsWith("-") || label.endsWith("-")) {
      issues.push({
        rule: "host-label-hyphen",
        message: `${what} starts or ends with a hyphen, which DNS does not allow.`,
      });
    }
  }
  if (host.length > 255) {
    issues.push({
      rule: "host-too-long",
      message: `host ${showText(host)} is ${host.length} characters; a DNS name has at most 255.`,
    });
  }
  if (named.length === 1 && host.length > 15) {
    issues.push({
      rule: "host-netbios-too-long",
      message:
        `host ${showText(host)} has no dots, so it is a NetBIOS computer name, and those have at most ` +
        `15 characters (this one has ${host.length}); use the full DNS name instead.`,
    });
  }
  const last = named[named.length - 1] ?? "";
  if (named.length > 1 && NUMERIC_LABEL.test(last)) {
    issues.push({
      rule: "host-numeric-tld",
      message: `host ${showText(host)} ends in the all-numeric label ${showText(last)}, which resolvers read as an address.`,
    });
  }
  return issues;
}

/**
 * A mechanical repair of `host` (IPv6 colons to the literal form, forbidden characters dropped,
 * hyphens trimmed from label ends, leading zeros dropped), or undefined when none applies.
 */
export function correctHost(given: string): string | undefined {
  // A link's host part: `http://mom-a.corp.example:80/x` is the name `mom-a.corp.example`.
  const host = URL_FORM.exec(given)?.[2] ?? given;
  const ipv6 = /^\[?([0-9a-f:]+)(?:%([a-z0-9]+))?\]?$/i.exec(host);
  if (ipv6?.[1]?.includes(":")) {
    const zone = ipv6[2] === undefined ? "" : `s${ipv6[2]}`;
    const candidate = `${ipv6[1].replaceAll(":", "-")}${zone}${IPV6_LITERAL_SUFFIX}`;
    return parseIpv6Literal(candidate) === undefined ? undefined : candidate;
  }
  // `mom-a:8081`: a port has no place in a host field (UNC paths cannot carry one either).
  const withoutPort = /^([^:]+):[0-9]+$/.exec(host)?.[1] ?? host;
  let candidate = [...withoutPort].filter((c) => HOST_CHAR.test(c)).join("");
  candidate = candidate
    .split(".")
    .filter((label) => label !== "")
    .map((label) => label.replace(/^-+|-+$/g, ""))
    .filter((label) => label !== "")
    .join(".");
  const labels = candidate.split(".");
  if (labels.length === 4 && labels.every((label) => /^[0-9]+$/.test(label))) {
    candidate = labels.map((label) => String(Number(label))).join(".");
  }
  if (candidate === "" || candidate === given || hostIssues(candidate).length > 0) return undefined;
  return candidate;
}

/** True for names that always mean "this machine". */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase().replace(/\.$/, "");
  if (lower === "localhost" || lower.endsWith(".localhost") || lower === "localhost.localdomain") return true;
  const v4 = parseIpv4(lower);
  if (v4 !== undefined) return v4[0] === 127 || v4.every((octet) => octet === 0);
  const v6 = parseIpv6Literal(lower);
  if (v6 === undefined) return false;
  const firstFive = v6.slice(0, 5).every((group) => group === 0);
  const last = v6[7] ?? 0;
  if (firstFive && v6[5] === 0 && v6[6] === 0 && (last === 1 || last === 0)) return true; // ::1, ::
  return firstFive && v6[5] === 0xffff && ((v6[6] ?? 0) >> 8 === 127 || (v6[6] === 0 && last === 0)); // ::ffff:127.x
}

/** RFC 5952 text of eight 16-bit groups: lower case, no leading zeros, the longest zero run as `::`. */
function ipv6Text(groups: readonly number[]): string {
  let best = { at: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let end = i;
    while (end < groups.length && groups[end] === 0) end += 1;
    if (end - i > best.length) best = { at: i, length: end - i };
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.length < 2) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}

/**
 * The one identity of a machine, however its name is written; every comparison of hosts goes
 * through it (the lock, the pair check, the runner registry, history, verify, the runner's own
 * check of a job). Host names as typed are kept for messages; only keys are compared.
 * - a name: its first DNS label, lower case (`MOM-A.corp.example` → `mom-a`). Decision: two FQDNs
 *   that share a first label count as one machine: that label is the Windows computer name a MOM
 *   is known by, and a false "same" only refuses a plan and says why, while a false "different"
 *   would let two changes touch one machine;
 * - a dotted IPv4 address: itself (`10.0.0.5`);
 * - an ipv6-literal.net name: the address in RFC 5952 form (`fe80::1`), the zone left out (it
 *   names an interface of the machine that connects, not the host); an IPv4-mapped address
 *   (`--ffff-a00-5.ipv6-literal.net`, ::ffff:10.0.0.5) is that IPv4 address.
 * Addresses are never resolved: an address and a name are two keys.
 */
export function hostKey(host: string): string {
  const lower = host.trim().toLowerCase().replace(/\.$/, "");
  const v6 = parseIpv6Literal(lower);
  if (v6 !== undefined) {
    const mapped = v6.slice(0, 5).every((group) => group === 0) && v6[5] === 0xffff;
    const [high = 0, low = 0] = v6.slice(6);
    return mapped ? [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".") : ipv6Text(v6);
  }
  if (parseIpv4(lower) !== undefined) return lower;
  return lower.split(".")[0] ?? lower;
}

/** True when `a` and `b` name one machine: the same hostKey (and neither is empty). */
export function sameMachine(a: string, b: string): boolean {
  const x = hostKey(a);
  return x !== "" && x === hostKey(b);
}

/**
 * For a message saying `a` and `b` are one machine: why, when they are written differently
 * (" (both are the machine `mom-a`: …)"), or "" when they are the same text.
 */
export function sameMachineNote(a: string, b: string): string {
  const plain = (host: string) => host.trim().toLowerCase().replace(/\.$/, "");
  if (plain(a) === plain(b)) return "";
  return ` (both are the machine \`${hostKey(a)}\`: momlink knows a host by its first name label, the computer name, or by its address)`;
}

/** Problems for a host typed as `field` (primary or secondary): form rules only. */
export function validateHost(value: string, field: Field): Problem[] {
  const issues = hostIssues(value);
  if (issues.length === 0) return [];
  const corrected = correctHost(value);
  const example = `${field}=${corrected ?? GENERIC_HOST[field] ?? "mom-a.corp.example"}`;
  const hint = corrected === undefined ? closestHint(value) : "";
  return issues.map((issue) => ({ field, ...issue, message: issue.message + hint, example }));
}

// A key typed where a host belongs (`primary=secondary=mom-b`) is worth pointing out.
function closestHint(value: string): string {
  const key = closest(value.split("=")[0] ?? "", ["primary", "secondary", "share", "em-home"]);
  return value.includes("=") && key !== undefined ? ` (a space seems to be missing before \`${key}=\`)` : "";
}
