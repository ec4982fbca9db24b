// The console sandbox on disk: two Linux "MOM hosts" (an EM_HOME each, with a sample `config`
// and `data`) and one share, all under one root that a marker file claims as ours. State is kept
// across restarts (a sandbox already linked stays linked); only a reset wipes it, and a reset
// refuses any directory the marker does not claim.
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parsePlanText } from "../domain/grammar.ts";
import { describeProblems } from "../domain/problem.ts";

export interface SandboxHost {
  /** The runner's name in the dispatcher. */
  runner: string;
  /** The MOM host name plans use (primary=/secondary=). */
  host: string;
  emHome: string;
}

export interface Sandbox {
  root: string;
  share: string;
  hosts: SandboxHost[];
  /** The /momlink plan ... line the welcome text suggests: the whole procedure, on the stand-in EMs. */
  planCommand: string;
  /** The same plan without services=manage failover-properties=set: links only (no stand-in EMs running). */
  linksPlanCommand: string;
}

/** What the suggested plan adds to the links: the sandbox's stand-in EMs stopped and started, the properties set. */
export const PROCEDURE_KEYS = "services=manage failover-properties=set";

export const MARKER_FILE = ".momlink-sandbox";
const MARKER_FORMAT = "momlink-sandbox/1";
const HOSTS = [
  { name: "mom-a", role: "primary" },
  { name: "mom-b", role: "secondary" },
] as const;
/** The dirs the suggested plan links; each gets an empty directory on the share. */
export const SANDBOX_DIRS = ["config", "data"] as const;

export class SandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxError";
  }
}

/** Where the runners' config files (credentials) live inside the sandbox. */
export function runnersDir(sandbox: Pick<Sandbox, "root">): string {
  return join(sandbox.root, "runners");
}

export function prepareSandbox(root: string, options: { reset?: boolean } = {}): Sandbox {
  if (process.platform === "win32") {
    // The sandbox runners are Linux runners (ln -s, POSIX paths); Windows hosts need real runners.
    throw new SandboxError(
      "the console sandbox needs a POSIX machine (Linux or macOS); on Windows, register real runners",
    );
  }
  const absolute = resolve(root);
  const sandbox = describeSandbox(absolute);
  const state = inspectRoot(absolute);
  if (options.reset && state === "sandbox") {
    rmSync(absolute, { recursive: true, force: true });
  } else if (state === "foreign") {
    throw new SandboxError(
      `${absolute} is not empty and is not a momlink sandbox (no ${MARKER_FILE} file in it): ` +
        `momlink will not ${options.reset ? "wipe" : "write into"} it. Move it away and start again.`,
    );
  }
  // The marker first: a sandbox interrupted while being created is still recognised as ours.
  mkdirSync(absolute, { recursive: true });
  writeFileSync(join(absolute, MARKER_FILE), `${JSON.stringify({ format: MARKER_FORMAT })}\n`, { flag: "w" });
  writeIfMissing(join(absolute, "README.txt"), README);
  for (const { name, role } of HOSTS) {
    const hostDir = join(absolute, name);
    // Only a host that does not exist yet is created: whatever a change did to it is kept.
    if (!exists(hostDir)) writeTree(join(hostDir, "em"), emHomeFiles(name, role));
  }
  // The share starts with one empty directory per linked dir: the plan seeds an empty share dir
  // from the primary, and the link target then exists as MKLINK /D on Windows requires.
  if (!exists(sandbox.share)) {
    for (const dir of SANDBOX_DIRS) mkdirSync(join(sandbox.share, dir), { recursive: true });
  }
  mkdirSync(runnersDir(sandbox), { recursive: true, mode: 0o700 });
  return sandbox;
}

function describeSandbox(root: string): Sandbox {
  const hosts = HOSTS.map(({ name }) => ({ runner: name, host: name, emHome: join(root, name, "em") }));
  const share = join(root, "share");
  const [primary, secondary] = hosts as [SandboxHost, SandboxHost];
  const words = [
    "platform=linux",
    `primary=${primary.host}`,
    `secondary=${secondary.host}`,
    `em-home=${quoted(primary.emHome)}`,
    `secondary-em-home=${quoted(secondary.emHome)}`,
    `share=${quoted(share)}`,
    `dirs=${SANDBOX_DIRS.join(",")}`,
  ];
  const args = words.join(" ");
  // The suggestion must work: a root the plan grammar refuses (a `$` or `;` in a path...) is said now.
  const parsed = parsePlanText(`${args} ${PROCEDURE_KEYS}`);
  if (!parsed.ok) {
    throw new SandboxError(
      `the sandbox at ${root} cannot be planned against: ${describeProblems(parsed.problems)}\nPut the sandbox in a plainer path.`,
    );
  }
  return {
    root,
    share,
    hosts,
    planCommand: `/momlink plan ${args} ${PROCEDURE_KEYS}`,
    linksPlanCommand: `/momlink plan ${args}`,
  };
}

/** Where each sandbox host's stand-in EM keeps its pid file and console output (not inside EM_HOME). */
export function standInRunDir(sandbox: Pick<Sandbox, "root">, host: SandboxHost): string {
  return join(sandbox.root, "run", host.host);
}

// A path with spaces goes in single quotes; the grammar refuses quotes inside Linux paths anyway.
function quoted(path: string): string {
  return /\s/u.test(path) ? `'${path}'` : path;
}

function inspectRoot(root: string): "missing" | "empty" | "sandbox" | "foreign" {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(root);
  } catch {
    return "missing";
  }
  // A symbolic link as the root is refused: wiping it would mean deciding what it points at.
  if (!info.isDirectory()) return "foreign";
  const marker = join(root, MARKER_FILE);
  if (exists(marker) && lstatSync(marker).isFile()) return "sandbox";
  return readdirSync(root).length === 0 ? "empty" : "foreign";
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function writeIfMissing(path: string, content: string): void {
  if (!exists(path)) writeFileSync(path, content);
}

function writeTree(base: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(base, relative);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
  }
}

function emHomeFiles(host: string, role: "primary" | "secondary"): Record<string, string> {
  return {
    "config/IntroscopeEnterpriseManager.properties": [
      `# Introscope Enterprise Manager properties: a momlink sandbox sample on ${host} (${role}), not a working EM.`,
      "introscope.enterprisemanager.port.channel1=5001",
      "introscope.enterprisemanager.webserver.port=8081",
      "introscope.enterprisemanager.clustering.login.em1.host=collector-1.corp.example",
      "",
      "# Hot failover: both MOMs run on one shared copy of this directory once momlink links it,",
      "# and the lock files in config/internal/server decide which one is active.",
      "#introscope.enterprisemanager.failover.enable=true",
      "#introscope.enterprisemanager.failover.primary=mom-a",
      "#introscope.enterprisemanager.failover.secondary=mom-b",
      "#introscope.enterprisemanager.failover.interval=120",
      "",
    ].join("\n"),
    "config/domains.xml": `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${host}: sample -->\n<domains version="10.7">\n  <SuperDomain/>\n</domains>\n`,
    "config/internal/server/README.txt": `primary_em.lck and secondary_em.lck appear here while an EM runs (${host}).\n`,
    "data/README.txt": `SmartStor data of ${host} would live here.\n`,
    "data/smartstor/metrics.data": `${host} sample metrics\n`,
  };
}

const README = `This is momlink's console sandbox: two pretend Linux MOM hosts and one share.

  mom-a/em   EM_HOME of the primary (config, data)
  mom-b/em   EM_HOME of the secondary
  share      the "network share" both link to (config, data start empty)
  runners    the sandbox runners' credentials (owner-only)

The console runs a real runner for each host in-process; approved plans create real symbolic
links here. \`momlink console --reset-sandbox\` wipes this directory and starts it over.
`;
