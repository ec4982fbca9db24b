// Reading the answers of Windows' own tools without reading their words. Windows servers run in
// German, French, Japanese..., and sc, reg, chcp, fsutil and whoami translate their labels and
// messages. Every parse here keys on what is NOT translated: numbers, registry value names and
// types, SIDs, hex tags, and the documented order of fields. A parse that cannot decide returns
// null; the caller reports "unknown" with the raw text, never a guess. Pure: no I/O.
// Recorded outputs in English, German, French and Japanese: test/fixtures/windows/.

/** SERVICE_STATUS.dwCurrentState (winsvc.h): the number sc prints before the state's name. */
export const SERVICE_STATES: Readonly<Record<number, string>> = {
  1: "STOPPED",
  2: "START_PENDING",
  3: "STOP_PENDING",
  4: "RUNNING",
  5: "CONTINUE_PENDING",
  6: "PAUSE_PENDING",
  7: "PAUSED",
};

/**
 * The service state number from `sc query <name>`. sc prints SERVICE_NAME, then indented
 * `label : value` fields in a fixed order (TYPE, STATE, WIN32_EXIT_CODE, SERVICE_EXIT_CODE,
 * CHECKPOINT, WAIT_HINT); the labels are translated (STATUS, ÉTAT, 状態 ...), the numbers are not.
 * STATE is the second indented field whose value is a decimal number (TYPE is the first), with
 * or without a word after it: Windows prints `TYPE : 10  WIN32_OWN_PROCESS`, Wine's sc only
 * `TYPE : 110`; CHECKPOINT's `0x0` is no decimal number.
 */
export function parseScQueryState(text: string): number | null {
  const numeric = text
    .split(/\r?\n/)
    .map((line) => /^[ \t]+[^:\s][^:]*:[ \t]*(\d+)(?:[ \t]|$)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
  if (numeric.length < 2) return null;
  const state = Number(numeric[1]);
  return SERVICE_STATES[state] === undefined ? null : state;
}

/** `sc query` exit codes the runner acts on (winerror.h). */
export const SC_EXIT = { accessDenied: 5, noSuchService: 1060 } as const;

/**
 * A service name the Service Control Manager could hold: 1-256 characters, no `/` or `\`
 * (Microsoft, CreateServiceW lpServiceName); spaces are valid (the argv keeps the name one
 * argument). Also refused: control characters and `"` (no service name needs them, and a quote
 * would change how sc.exe splits its command line), and edge spaces (a typing slip).
 */
export function serviceNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > 256) return "a Windows service name has 1 to 256 characters";
  if (/[\\/]/.test(name)) return "a Windows service name cannot contain / or \\";
  if (/[\p{Cc}"]/u.test(name)) return "a service name with a control character or a quote is refused";
  if (name.trim() !== name) return "the service name starts or ends with a space";
  return null;
}

/**
 * The values of one key as `reg query <key>` lists them: `    <name>    REG_<type>    <data>`.
 * Value names and type names are data, not translated text; header and error lines are ignored.
 * Names compare case-insensitively, as the registry does.
 */
export function parseRegValues(text: string): Map<string, { type: string; data: string }> {
  const values = new Map<string, { type: string; data: string }>();
  for (const line of text.split(/\r?\n/)) {
    const found = /^ {4}(\S(?:.*?\S)?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line);
    if (found === null) continue;
    values.set((found[1] ?? "").toLowerCase(), { type: found[2] ?? "", data: found[3] ?? "" });
  }
  return values;
}

/** A REG_DWORD value of a `reg query` listing (`0x1`), or null when it is absent or not a DWORD. */
export function regDword(
  values: ReadonlyMap<string, { type: string; data: string }>,
  name: string,
): number | null {
  const value = values.get(name.toLowerCase());
  if (value?.type !== "REG_DWORD" || !/^0x[0-9a-f]{1,8}$/i.test(value.data.trim())) return null;
  return Number.parseInt(value.data.trim().slice(2), 16);
}

/**
 * The code page number `chcp` printed: `Active code page: 437`, `Aktive Codepage: 850.`,
 * `Page de codes active : 850`, `現在のコード ページ: 932`. The last number on the line, whatever
 * words or punctuation surround it.
 */
export function parseCodePage(text: string): number | null {
  const found = /(\d{3,5})\D*$/.exec(text.trim());
  const cp = found ? Number(found[1]) : 0;
  return cp > 0 && cp < 65536 ? cp : null;
}

/** The reparse tag `fsutil reparsepoint query` prints first (`0xa000000c`): a number, in every language. */
export function parseReparseTag(text: string): number | null {
  const found = /\b0x([0-9a-f]{8})\b/i.exec(text);
  return found ? Number.parseInt(found[1] ?? "", 16) : null;
}

/** Reparse tag of a directory symbolic link (winnt.h); a junction is IO_REPARSE_TAG_MOUNT_POINT. */
export const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;

/** Where Windows keeps SymlinkEvaluation (fsutil behavior set writes the first; filesys.admx the second). */
export const FILESYSTEM_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem";
export const SYMLINK_POLICY_KEY = "HKLM\\Software\\Policies\\Microsoft\\Windows\\Filesystems\\NTFS";
const L2R = "SymlinkLocalToRemoteEvaluation";

type RegValues = ReadonlyMap<string, { type: string; data: string }>;

/**
 * Whether local links to remote targets are followed, from the two registry keys (null values:
 * the key could not be read). The group policy "Selectively allow the evaluation of a symbolic
 * link" wins when it is on (SymLinkState=1); otherwise the machine's own setting counts. 1 means
 * enabled, 0 disabled; a value that is absent or anything else decides nothing (ok null).
 */
export function symlinkEvaluationFromRegistry(
  policy: RegValues | null,
  local: RegValues | null,
): { ok: boolean | null; detail: string } {
  const decide = (value: number | null) => (value === 1 ? true : value === 0 ? false : null);
  const policyOn = policy === null ? null : regDword(policy, "SymLinkState");
  if (policyOn === 1) {
    const value = policy === null ? null : regDword(policy, L2R);
    return {
      ok: decide(value),
      detail:
        value === null
          ? `the group policy is on (${SYMLINK_POLICY_KEY} SymLinkState=1) but sets no ${L2R}`
          : `group policy ${SYMLINK_POLICY_KEY}: SymLinkState=1, ${L2R}=${value}`,
    };
  }
  const value = local === null ? null : regDword(local, L2R);
  const policyWords = policyOn === null ? "no group policy" : `group policy off (SymLinkState=${policyOn})`;
  if (value === null) {
    return {
      ok: null,
      detail: `${policyWords}, and ${FILESYSTEM_KEY} ${local === null ? "could not be read" : `has no ${L2R} value`}`,
    };
  }
  return { ok: decide(value), detail: `${policyWords}; ${FILESYSTEM_KEY} ${L2R}=${value}` };
}

/** A REG_SZ (or REG_EXPAND_SZ) value of a `reg query` listing, or null when it is absent. */
export function regString(
  values: ReadonlyMap<string, { type: string; data: string }>,
  name: string,
): string | null {
  const value = values.get(name.toLowerCase());
  return value?.type === "REG_SZ" || value?.type === "REG_EXPAND_SZ" ? value.data : null;
}

/** Where the Service Control Manager keeps a service's logon account (`sc qc` shows it as SERVICE_START_NAME). */
export function serviceKey(name: string): string {
  return `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`;
}

/**
 * The account `whoami /user /fo csv /nh` names: `"corp\svc-apm","S-1-5-21-...-1105"`. The name of a
 * built-in account is translated (`nt-autorität\system`); its SID is not, and decides.
 */
export function parseWhoamiUser(text: string): { name: string; sid: string } | null {
  const found = /^"([^"\r\n]+)","(S-1-[0-9-]+)"\s*$/m.exec(text);
  return found ? { name: found[1] ?? "", sid: found[2] ?? "" } : null;
}

/** The built-in service accounts by SID, with the names a service's ObjectName may give them (lower case). */
const BUILT_IN: Readonly<Record<string, { label: string; names: readonly string[] }>> = {
  "S-1-5-18": {
    label: "LocalSystem",
    names: ["localsystem", ".\\localsystem", "nt authority\\system", "system"],
  },
  "S-1-5-19": {
    label: "LocalService",
    names: ["nt authority\\localservice", "nt authority\\local service", "localservice"],
  },
  "S-1-5-20": {
    label: "NetworkService",
    names: ["nt authority\\networkservice", "nt authority\\network service", "networkservice"],
  },
};

/** The runner's account for a sentence: the built-in name for a well-known SID, else the name whoami gave. */
export function accountLabel(account: { name: string; sid: string }): string {
  return BUILT_IN[account.sid]?.label ?? account.name;
}

/**
 * Is the EM service's logon account (its ObjectName: `LocalSystem`, `CORP\svc-apm`, `.\apm`,
 * `svc-apm@corp.example`) the account this runner runs as? Built-in accounts compare by SID, named
 * ones by `DOMAIN\user` (`.` is this computer), case-insensitively. null when the forms cannot be
 * compared here (a UPN, a DNS domain name, a name without a domain): someone must check by hand.
 */
export function sameAccount(
  emAccount: string,
  runner: { name: string; sid: string },
  computerName: string,
): boolean | null {
  const em = emAccount.trim().toLowerCase();
  const builtIn = Object.entries(BUILT_IN).find(([, account]) => account.names.includes(em));
  if (builtIn !== undefined) return builtIn[0] === runner.sid;
  if (BUILT_IN[runner.sid] !== undefined) return false; // a named account is never a built-in one
  const qualified = em.startsWith(".\\") ? `${computerName.toLowerCase()}\\${em.slice(2)}` : em;
  const [domain, user, ...rest] = qualified.split("\\");
  if (rest.length > 0 || user === undefined || user === "" || domain === undefined || /[.@]/.test(domain)) {
    return null;
  }
  return qualified === runner.name.trim().toLowerCase();
}

/**
 * What `robocopy <source> <target> /L /FP /NC /NS /NDL /NJH /NJS` lists: one full path a line, no
 * class column (its words, "New File", "*EXTRA File", are translated), no header or summary. A
 * path under the source is a file robocopy would copy; under the target, an extra file there.
 * Returned relative to their root, in the listing's order; other lines are ignored.
 */
export function parseRobocopyListing(
  text: string,
  source: string,
  target: string,
): { toCopy: string[]; extra: string[] } {
  const toCopy: string[] = [];
  const extra: string[] = [];
  const under = (path: string, root: string) => {
    const prefix = `${root.replace(/\\+$/, "")}\\`;
    return path.toLowerCase().startsWith(prefix.toLowerCase()) ? path.slice(prefix.length) : null;
  };
  for (const line of text.split(/\r?\n/)) {
    const path = line.trim();
    if (path === "") continue;
    const fromSource = under(path, source);
    if (fromSource !== null && fromSource !== "") toCopy.push(fromSource);
    else {
      const fromTarget = under(path, target);
      if (fromTarget !== null && fromTarget !== "") extra.push(fromTarget);
    }
  }
  return { toCopy, extra };
}

/** robocopy's exit code as the bit flags Microsoft documents: 1 files copied, 2 extra files or directories, 4 mismatched, 8 failures, 16 a fatal error. */
export function robocopyExitBits(code: number | null): {
  ok: boolean;
  copies: boolean;
  extra: boolean;
  mismatched: boolean;
} {
  const value = code ?? 16;
  return {
    ok: value >= 0 && value < 8,
    copies: (value & 1) !== 0,
    extra: (value & 2) !== 0,
    mismatched: (value & 4) !== 0,
  };
}
