// A whole pair request: every field checked, cross-field rules applied, every problem returned.
// The grammar calls `validatePair` once; the Slack modal calls the per-field validators as the
// user fills fields in, and `validatePair` on submit.
import { validateChoice } from "./choices.ts";
import { parseDirs } from "./dirs.ts";
import { GENERIC_WINDOWS_EM_HOME, validateEmHome } from "./em-home.ts";
import { isLoopbackHost, sameMachine, sameMachineNote, validateHost } from "./host.ts";
import { type PairSpec, PLAN_KEYS, PLATFORMS, type PlanKey, type Platform } from "./pair.ts";
import { GENERIC_LINUX_EM_HOME, GENERIC_LINUX_SHARE, validatePosixPath } from "./posix-path.ts";
import {
  closest,
  describeChar,
  exampleToken,
  type Field,
  fail,
  ok,
  type Problem,
  type Result,
  showText,
} from "./problem.ts";
import { checkReason } from "./reason.ts";
import { type TicketPattern, validateTicket } from "./ticket.ts";
import { undoTypedText, type ValueKind } from "./typed-text.ts";
import { type UncContext, validateUncShare } from "./unc.ts";

/** The grammar's keys (pair.ts PLAN_KEYS) with their raw (unvalidated) string values. */
export type RawPairInput = { [K in PlanKey]?: string | undefined };

export interface ValidatePairOptions {
  allowedDirs: readonly string[];
  /**
   * Keys whose absence a caller has already explained (the grammar, after an empty value or a
   * mistyped key): no second "missing" problem for them.
   */
  explained?: readonly Field[];
  /** The configured ticket pattern: a ticket is then required and must match (ticket.ts). */
  ticketPattern?: TicketPattern | undefined;
}

const REQUIRED = ["primary", "secondary", "em-home", "share"] as const;
/** Problems are shown in grammar order: the command's own first, then each key's. */
const FIELD_ORDER: readonly Field[] = ["command", ...PLAN_KEYS];

/** A valid value to show for `field` when the user's own value offers no correction. */
export function genericExample(field: Field, platform: Platform = "windows"): string {
  switch (field) {
    case "primary":
      return "primary=mom-a.corp.example";
    case "secondary":
      return "secondary=mom-b.corp.example";
    case "em-home":
    case "secondary-em-home":
      return exampleToken(field, platform === "linux" ? GENERIC_LINUX_EM_HOME : GENERIC_WINDOWS_EM_HOME);
    case "share":
      return exampleToken(field, platform === "linux" ? GENERIC_LINUX_SHARE : "\\\\san-server\\mom-failover");
    case "dirs":
      return "dirs=config,data,traces";
    case "platform":
      return "platform=windows";
    case "share-data":
      return "share-data=reseed";
    case "share-access":
      return "share-access=checked-by-hand";
    case "services":
      return "services=manage";
    case "failover-properties":
      return "failover-properties=set";
    case "ticket":
      return "ticket=CHG0012345";
    case "reason":
      return "reason='quarterly failover test'";
    case "command":
      return "primary=mom-a.corp.example";
    default: {
      const unreachable: never = field;
      return unreachable;
    }
  }
}

/** `platform=`: windows (the default) or linux, any case. */
export function validatePlatform(value: string | undefined): { value?: Platform; problems: Problem[] } {
  if (value === undefined) return { value: "windows", problems: [] };
  const platform = PLATFORMS.find((candidate) => candidate === value.toLowerCase());
  if (platform !== undefined) return { value: platform, problems: [] };
  const guess = closest(value, PLATFORMS);
  return {
    problems: [
      {
        field: "platform",
        rule: "platform-unknown",
        message: `${showText(value)} is not a platform${guess === undefined ? "" : ` (did you mean ${guess}?)`}; use windows or linux.`,
        example: `platform=${guess ?? "windows"}`,
      },
    ],
  };
}

/** A MOM host (`primary` or `secondary`): host-name rules, and never this machine. */
export function validateMomHost(value: string, field: "primary" | "secondary"): Problem[] {
  const problems = validateHost(value, field);
  if (problems.length === 0 && isLoopbackHost(value)) {
    problems.push({
      field,
      rule: "host-loopback",
      message:
        `${showText(value)} always means "this machine": name the MOM host as the other MOM and the ` +
        "runners know it.",
      example: genericExample(field),
    });
  }
  return problems;
}

/** The share root: UNC on Windows, an absolute (NFS mount) path on Linux. */
export function validateShare(
  value: string,
  platform: Platform,
  ctx: UncContext,
): { value?: string; problems: Problem[] } {
  if (platform === "windows") return validateUncShare(value, ctx);
  return validatePosixPath(value, "share", {
    label: "the share mount path",
    dirs: ctx.dirs,
    suffix: "",
    generic: GENERIC_LINUX_SHARE,
  });
}

const isSameOrUnder = (path: string, root: string): boolean => path === root || path.startsWith(`${root}/`);

/** Each required key that is absent and that the caller has not already explained. */
function missingKeys(raw: RawPairInput, explained: ReadonlySet<Field>): Problem[] {
  return REQUIRED.filter((key) => raw[key] === undefined && !explained.has(key)).map((key) => ({
    field: key,
    rule: "missing-key",
    message: `${key}= is required.`,
    example: genericExample(key, raw.platform?.toLowerCase() === "linux" ? "linux" : "windows"),
  }));
}

/** Both MOM hosts, and that they are two machines. */
function pairHostProblems(primary: string | undefined, secondary: string | undefined): Problem[] {
  const problems = primary === undefined ? [] : validateMomHost(primary, "primary");
  if (secondary === undefined) return problems;
  const secondaryProblems = validateMomHost(secondary, "secondary");
  problems.push(...secondaryProblems);
  if (primary !== undefined && secondaryProblems.length === 0 && sameMachine(primary, secondary)) {
    problems.push({
      field: "secondary",
      rule: "pair-same-host",
      message:
        `secondary ${showText(secondary)} is the same machine as primary ${showText(primary)}` +
        `${sameMachineNote(primary, secondary)}: a failover pair needs two MOM hosts.`,
      example: sameMachine(primary, "mom-b.corp.example")
        ? "secondary=mom-c.corp.example"
        : genericExample("secondary"),
    });
  }
  return problems;
}

/** On Linux, a share mount path inside an EM_HOME (or around one) would link into what it replaces. */
function shareOverlapProblems(shareRoot: string, homes: readonly (string | undefined)[]): Problem[] {
  const home = homes.find(
    (h) => h !== undefined && (isSameOrUnder(h, shareRoot) || isSameOrUnder(shareRoot, h)),
  );
  if (home === undefined) return [];
  return [
    {
      field: "share",
      rule: "pair-share-overlaps-em-home",
      message:
        `the share mount path ${showText(shareRoot)} overlaps EM_HOME ${showText(home)}: the links would ` +
        "point into the directories they replace.",
      example: genericExample("share", "linux"),
    },
  ];
}

type TypedProblem = Omit<Problem, "example" | "field"> & { field: PlanKey };

const WINDOWS_PATH_KEYS: ReadonlySet<PlanKey> = new Set(["em-home", "secondary-em-home", "share"]);

/**
 * The input with what keyboards and chat clients did to each value undone (typed-text.ts), and
 * the problems that refuses. Their examples are filled in once the undone input was judged.
 */
function undoTypedInput(raw: RawPairInput): { raw: RawPairInput; problems: TypedProblem[] } {
  const linux = raw.platform?.toLowerCase() === "linux";
  const undone: RawPairInput = {};
  const problems: TypedProblem[] = [];
  for (const key of PLAN_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    const kind: ValueKind =
      key === "reason" ? "text" : WINDOWS_PATH_KEYS.has(key) && !linux ? "windows-path" : "value";
    const result = undoTypedText(value, kind);
    undone[key] = result.value;
    problems.push(...result.problems.map(({ rule, message }) => ({ field: key, rule, message })));
  }
  return { raw: undone, problems };
}

/**
 * Validates every field of a pair request and the rules between them. A value a keyboard or chat
 * client changed (a smart dash, a yen sign for a backslash, a wrapped value) is refused with the
 * value undone as its example, and that undone value is judged for everything else.
 */
export function validatePair(raw: RawPairInput, options: ValidatePairOptions): Result<PairSpec> {
  const typed = undoTypedInput(raw);
  const result = validateUndone(typed.raw, options);
  if (typed.problems.length === 0) return result;
  const others = result.ok ? [] : result.problems;
  const withExamples = typed.problems.map((problem) => ({
    ...problem,
    example:
      others.find((p) => p.field === problem.field)?.example ??
      exampleToken(problem.field, typed.raw[problem.field] ?? ""),
  }));
  return fail(orderProblems([...withExamples, ...others]));
}

function validateUndone(raw: RawPairInput, options: ValidatePairOptions): Result<PairSpec> {
  const problems = missingKeys(raw, new Set(options.explained ?? []));

  const platformResult = validatePlatform(raw.platform);
  problems.push(...platformResult.problems);
  // With an unknown platform, judge the paths by their shape rather than report a wrong kind.
  const platform: Platform = platformResult.value ?? (raw["em-home"]?.startsWith("/") ? "linux" : "windows");

  const dirs = parseDirs(raw.dirs, options.allowedDirs);
  problems.push(...dirs.problems);
  const choices = choicesOf(raw);
  problems.push(...choices.problems);
  // A ticket= the grammar already refused (an empty value) is not also reported missing.
  if (raw.ticket !== undefined || !options.explained?.includes("ticket")) {
    problems.push(...validateTicket(raw.ticket, options.ticketPattern));
  }
  const reason = validatePlanReason(raw.reason);
  problems.push(...reason.problems);

  const { primary, secondary } = raw;
  problems.push(...pairHostProblems(primary, secondary));

  const emHome =
    raw["em-home"] === undefined
      ? undefined
      : validateEmHome(raw["em-home"], "em-home", platform, { dirs: dirs.value });
  const secondaryEmHome =
    raw["secondary-em-home"] === undefined
      ? emHome
      : validateEmHome(raw["secondary-em-home"], "secondary-em-home", platform, { dirs: dirs.value });
  problems.push(...(emHome?.problems ?? []));
  if (raw["secondary-em-home"] !== undefined) problems.push(...(secondaryEmHome?.problems ?? []));

  const share =
    raw.share === undefined
      ? undefined
      : validateShare(raw.share, platform, { primary, secondary, dirs: dirs.value });
  problems.push(...(share?.problems ?? []));

  if (platform === "linux" && share?.value !== undefined) {
    problems.push(...shareOverlapProblems(share.value, [emHome?.value, secondaryEmHome?.value]));
  }

  // A required key the caller explained is still missing: no spec, and no problem of our own.
  const incomplete = REQUIRED.some((key) => raw[key] === undefined);
  if (problems.length > 0 || incomplete) return fail(orderProblems(problems));
  if (
    primary === undefined ||
    secondary === undefined ||
    emHome?.value === undefined ||
    secondaryEmHome?.value === undefined ||
    share?.value === undefined ||
    platformResult.value === undefined
  ) {
    throw new Error("validatePair: a field without problems has no value"); // a bug, not an input error
  }
  return ok({
    platform: platformResult.value,
    primary,
    secondary,
    emHome: emHome.value,
    secondaryEmHome: secondaryEmHome.value,
    share: share.value,
    dirs: dirs.value,
    configAdded: dirs.configAdded,
    ...choices.spec,
    ...(raw.ticket === undefined ? {} : { ticket: raw.ticket }),
    ...(reason.value === undefined ? {} : { reason: reason.value }),
  });
}

type Choices = Pick<PairSpec, "shareData" | "shareAccess" | "manageServices" | "setFailoverProperties">;

/** The choice keys (choices.ts), each checked; a default value (require-stopped, check) is not recorded. */
function choicesOf(raw: RawPairInput): { spec: Choices; problems: Problem[] } {
  const shareData = validateChoice("share-data", raw["share-data"]);
  const shareAccess = validateChoice("share-access", raw["share-access"]);
  const services = validateChoice("services", raw.services);
  const failoverProperties = validateChoice("failover-properties", raw["failover-properties"]);
  return {
    problems: [
      ...shareData.problems,
      ...shareAccess.problems,
      ...services.problems,
      ...failoverProperties.problems,
    ],
    spec: {
      ...(shareData.value === undefined ? {} : { shareData: shareData.value }),
      ...(shareAccess.value === undefined ? {} : { shareAccess: shareAccess.value }),
      ...(services.value === "manage" ? { manageServices: true as const } : {}),
      ...(failoverProperties.value === "set" ? { setFailoverProperties: true as const } : {}),
    },
  };
}

/** Characters that would break a record's line or make it read otherwise than it is stored: controls and bidi overrides. */
const REASON_REFUSED = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** `reason=`: words a reader sees (domain/reason.ts), on one line, read the way they are stored. */
export function validatePlanReason(value: string | undefined): { value?: string; problems: Problem[] } {
  if (value === undefined) return { problems: [] };
  const refused = REASON_REFUSED.exec(value)?.[0];
  if (refused !== undefined) {
    return {
      problems: [
        {
          field: "reason",
          rule: "reason-character",
          message: `reason holds ${describeChar(refused)}: a reason is one line of words, without control or direction-changing characters.`,
          example: exampleToken(
            "reason",
            value.replace(new RegExp(REASON_REFUSED.source, "gu"), " ").trim() || "quarterly failover test",
          ),
        },
      ],
    };
  }
  const checked = checkReason(value);
  if (checked.ok) return { value: checked.reason, problems: [] };
  return {
    problems: [
      {
        field: "reason",
        rule: "reason-invalid",
        message: checked.problem,
        example: genericExample("reason"),
      },
    ],
  };
}

/** Problems grouped by field in grammar order, each field's problems in the order found. */
export function orderProblems(problems: readonly Problem[]): Problem[] {
  const rank = (problem: Problem): number => FIELD_ORDER.indexOf(problem.field);
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => rank(a.problem) - rank(b.problem) || a.index - b.index)
    .map(({ problem }) => problem);
}
