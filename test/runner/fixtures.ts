// Real directories standing in for two MOM hosts and their share, and jobs built the way the
// dispatcher builds them (a plan from the domain builder, bound to its hash).
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostFacts } from "../../src/domain/facts.ts";
import type { Job, JobKind } from "../../src/domain/job.ts";
import type { PairSpec } from "../../src/domain/pair.ts";
import { pairSpecSchema } from "../../src/domain/pair-schema.ts";
import { buildPlan, type Plan } from "../../src/domain/plan.ts";
import { execaStarter, type ProcessStarter } from "../../src/runner/platform/process.ts";

export interface Sandbox {
  root: string;
  hosts: string;
  primaryEmHome: string;
  secondaryEmHome: string;
  share: string;
  cleanup(): Promise<void>;
}

export const CHANGE = "CHG-7";
export const PRIMARY = "mom-a";
export const SECONDARY = "mom-b";

/** Two EM_HOMEs with a real `config` (properties file, lock dir, a binary file) and `data`, and an empty share root. */
export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "momlink-runner-"));
  const hosts = join(root, "hosts");
  const primaryEmHome = join(hosts, PRIMARY, "Introscope 10.7");
  const secondaryEmHome = join(hosts, SECONDARY, "Introscope 10.7");
  const share = join(root, "san", "mom-failover");
  for (const [emHome, who] of [
    [primaryEmHome, "primary"],
    [secondaryEmHome, "secondary"],
  ] as const) {
    await writeTree(emHome, {
      "config/IntroscopeEnterpriseManager.properties": `introscope.enterprisemanager.failover.enable=true\n# ${who}\n`,
      "config/internal/server/README": `lock files live here (${who})\n`,
      "config/domains.xml": `<domains owner="${who}"/>\n`,
      "config/binary.bin": Buffer.from([0, 1, 2, 255, 254, 10, 13, who.length]),
      "data/smartstor/metrics.data": `${who} metrics\n`.repeat(50),
      "data/ünïcode name.txt": `${who}\n`,
    });
  }
  await mkdir(share, { recursive: true });
  return {
    root,
    hosts,
    primaryEmHome,
    secondaryEmHome,
    share,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function writeTree(base: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(base, relative);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, content);
  }
}

/**
 * A digest of everything under `root`: each entry's relative path, type, file bytes and mode,
 * and link targets. Equal digests mean byte for byte the same tree.
 */
export async function treeDigest(root: string): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      hash.update(`missing ${prefix}\n`);
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const relative = `${prefix}/${name}`;
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        hash.update(`link ${relative} -> ${await readlink(path)}\n`);
      } else if (info.isDirectory()) {
        hash.update(`dir ${relative} ${info.mode.toString(8)}\n`);
        await walk(path, relative);
      } else {
        const content = createHash("sha256")
          .update(await readFile(path))
          .digest("hex");
        hash.update(`file ${relative} ${info.mode.toString(8)} ${content}\n`);
      }
    }
  };
  await walk(root, "");
  return hash.digest("hex");
}

export function linuxSpec(sandbox: Sandbox, dirs = ["config", "data"]): PairSpec {
  return pairSpecSchema.parse({
    platform: "linux",
    primary: PRIMARY,
    secondary: SECONDARY,
    emHome: sandbox.primaryEmHome,
    secondaryEmHome: sandbox.secondaryEmHome,
    share: sandbox.share,
    dirs,
    configAdded: false,
  });
}

let jobCounter = 0;

/** A job as the dispatcher sends it: the plan, bound to its hash, for one host. */
export function jobFor(
  plan: Plan,
  kind: JobKind,
  role: "primary" | "secondary",
  overrides: Partial<Job> = {},
): Job {
  const hostPlan = plan.hosts[role === "primary" ? 0 : 1];
  jobCounter++;
  return {
    id: `job-${jobCounter}`,
    kind,
    changeId: CHANGE,
    runner: hostPlan.host,
    host: hostPlan.host,
    role,
    planHash: plan.hash,
    plan: structuredClone(plan) as unknown as Record<string, unknown>,
    issuedAt: new Date(Date.now() - 1000).toISOString(),
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
    ...overrides,
  };
}

export function planFor(spec: PairSpec, facts?: { primary?: HostFacts; secondary?: HostFacts }): Plan {
  return buildPlan({ spec, changeId: CHANGE, ...(facts === undefined ? {} : { facts }) });
}

/** What the fake systemctl says of the EM unit: stopped, running, or no such unit (state unknown). */
export type FakeUnitState = "inactive" | "active" | "not-found";

/**
 * The real starter, except for `systemctl`, which answers as a host whose EM unit is in the
 * state `state` says (this test machine has no systemd).
 */
export function starterWithService(state: () => FakeUnitState): ProcessStarter {
  return async (request) => {
    if (request.file === "systemctl") {
      const unit = state();
      const load = unit === "not-found" ? "not-found" : "loaded";
      const active = unit === "not-found" ? "inactive" : unit;
      return {
        exitCode: 0,
        output: Buffer.from(`LoadState=${load}\nActiveState=${active}\n`),
        truncated: false,
        timedOut: false,
      };
    }
    return execaStarter(request);
  };
}

/**
 * `momlink runner start` arguments for a runner limited to a sandbox's EM_HOMEs and share, on a
 * machine without the EM's service (a service it cannot query counts as stopped).
 */
export function runnerStartArgs(config: string, roots: { hosts: string; share: string }): string[] {
  return [
    "runner",
    "start",
    "--config",
    config,
    "--allow-em-home",
    roots.hosts,
    "--allow-share",
    roots.share,
    "--unknown-service-is-stopped",
  ];
}
