// A throwaway PostgreSQL server for the tests that need a real one (several bot replicas racing,
// LISTEN/NOTIFY, a server restarted mid-change): `initdb` into a temporary directory and `pg_ctl`
// on a free loopback port, stopped and removed afterwards. No mock and no in-process substitute:
// what the tests prove is how momlink behaves against the server operators run.
//
// PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to the
// `postgres` system account that Debian's package creates, and every server command runs through
// `runuser`. Without the binaries the caller skips, printing POSTGRES_INSTALL_HINT.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, readdirSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { freePort } from "./cli.ts";

export const POSTGRES_INSTALL_HINT =
  "apt-get install -y --no-install-recommends postgresql (Debian/Ubuntu; .ci/run does this when it is missing)";

/** The directory holding `initdb`, `pg_ctl` and `postgres`, or null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  const fromPath = (() => {
    try {
      const initdb = execFileSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).trim();
      // Follow a symlink (some images link initdb alone into /usr/local/bin): psql and postgres
      // sit beside the real one.
      return initdb === "" ? null : realpathSync(initdb).replace(/\/initdb$/, "");
    } catch {
      return null;
    }
  })();
  if (fromPath !== null) return fromPath;
  // Debian keeps the server binaries off PATH, one directory per major version: take the newest.
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  return newest === undefined ? null : join(root, newest, "bin");
}

export interface PostgresServer {
  /** `postgres://momlink@127.0.0.1:<port>/momlink`: trust authentication on loopback only. */
  url: string;
  port: number;
  /** A new, empty database on this server, for a test that must not see another's rows. */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement through psql and returns its unaligned output (what a test checks). */
  query(database: string, sql: string): Promise<string>;
  /** Stops the server abruptly (`-m immediate`, like a crash); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and removes its directory. Always call it. */
  close(): Promise<void>;
}

/** Starts a fresh cluster. Throws when the binaries are missing: check findPostgresBin() first. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (bin === null) throw new Error(`PostgreSQL is not installed: ${POSTGRES_INSTALL_HINT}`);
  const dir = await mkdtemp(join(tmpdir(), "momlink-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  // As root, the cluster is the postgres account's: it must be able to enter and write the directory.
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (program: string, args: string[]) => {
    const file = join(bin, program);
    return asRoot
      ? execa("runuser", ["-u", "postgres", "--", file, ...args], { timeout: 60_000, cwd: dir })
      : execa(file, args, { timeout: 60_000, cwd: dir });
  };
  await run("initdb", [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "momlink",
    "-E",
    "UTF8",
    "--no-sync",
    "--no-instructions",
  ]);
  const port = await freePort();
  // Durability off (fsync, synchronous_commit): a test cluster is thrown away; the
  // restart test stops with -m immediate and still finds every committed row (WAL is written).
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=100",
  ].join(" ");
  const start = async () => {
    await run("pg_ctl", [
      "-D",
      data,
      "-o",
      options,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
  };
  const stop = async () => {
    await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
  };
  await start();
  const psql = (database: string, sql: string) =>
    run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "momlink", "-d", database, "-qAt", "-c", sql]);
  await psql("postgres", "CREATE DATABASE momlink");
  const urlOf = (database: string) => `postgres://momlink@127.0.0.1:${port}/${database}`;
  return {
    url: urlOf("momlink"),
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await psql("postgres", `CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    query: async (database, sql) => (await psql(database, sql)).stdout.trim(),
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
