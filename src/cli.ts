// The `momlink` command: one entry for the CLI, the bot (`serve`) and the runner agent.
// Each subcommand lives in src/cli/<name>.ts; this file only wires arguments to them (runner
// start's many flags: cli/runner-start-options.ts), and loads a subcommand's modules when that
// subcommand runs: `momlink plan` loads the grammar and the renderer (loaded here, they are
// small), `momlink runner ...` the runner and never the bot's SQLite store, Bolt or dispatcher
// (a runner may run on a Node 22 without node:sqlite; test/cli/runner.test.ts checks the graph).
import { readFileSync } from "node:fs";
import { flushCompileCache } from "node:module";
import { Command, CommanderError, Option } from "commander";
import { type CommandIo, runPlanCommand } from "./cli/plan.ts";
import { type RunnerStartFlags, withRunnerStartOptions } from "./cli/runner-start-options.ts";
import type { DispatchStore, Registry } from "./dispatch/index.ts";
import { PLAN_USAGE } from "./domain/grammar.ts";
import type { ChangeStore } from "./store/store.ts";

const io: CommandIo = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

/** The version in momlink's package.json (one small file read as the program is built), for --version. */
function packageVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const version = (raw as { version?: unknown }).version;
  return typeof version === "string" ? version : "unknown";
}

const program = new Command("momlink")
  .description(
    "Plan, review and apply MKLINK /D failover links for Introscope MOM pairs. " +
      "Run a subcommand with --help for its usage.",
  )
  .version(packageVersion(), "-V, --version", "print momlink's version")
  .showHelpAfterError("(run momlink --help for usage)")
  .exitOverride();

program
  .command("plan")
  .summary("validate a MOM pair and print the exact MKLINK scripts for both hosts")
  .description("Validate a MOM failover pair and print the scripts the team will approve.")
  // Optional for commander: without it, momlink plan prints the grammar rather than a bare "missing argument".
  .argument("[key=value...]", "the pair, in the same grammar as /momlink plan in Slack")
  .option("--json", "print the canonical plan as JSON (with its SHA-256 hash)")
  .option("--change-id <CHG-n>", "name the change (used in move-aside names and the script header)")
  .addHelpText("after", `\n${PLAN_USAGE}\n`)
  .action(async (tokens: string[], options: { json?: boolean; changeId?: string }) => {
    await run(async () => {
      // MOMLINK_ALLOWED_DIRS applies to the CLI as to the bot (config.ts reads it, and .env).
      const { readConfig } = await import("./startup.ts");
      const { allowedDirs, ticketPattern } = readConfig();
      process.exitCode = runPlanCommand(tokens, { ...options, allowedDirs, ticketPattern }, io);
    });
  });

program
  .command("serve")
  .summary("run the Slack bot (the local console when no Slack tokens are set); what npm start runs")
  .action(async () => {
    await run(async () => (await longRunning(import("./serve.ts"))).serve());
  });

program
  .command("console")
  .summary("the local console: play Slack in this terminal against the real bot")
  .option("--reset-sandbox", "wipe the console sandbox (./var/sandbox) and start it over")
  .action(async (options: { resetSandbox?: boolean }) => {
    await run(async () =>
      (await longRunning(import("./serve.ts"))).serve({
        forceConsole: true,
        resetSandbox: options.resetSandbox === true,
      }),
    );
  });

const runners = program
  .command("runners")
  .summary("add, list and revoke the runner agents on the MOM hosts (admins, on the bot's machine)");

runners
  .command("add")
  .description(
    "Add a runner for a MOM host and print a one-time registration token (valid 1 hour, single use) " +
      "and the exact `momlink runner register` command to run on that host.",
  )
  .argument("<name>", "the runner's name, e.g. the host's short name")
  .requiredOption("--host <hostname>", "the MOM host it serves, as plans name it (primary=/secondary=)")
  .addOption(
    new Option("--platform <platform>", "the host's operating system")
      .choices(["windows", "linux"])
      .default("windows"),
  )
  .option(
    "--server <url>",
    "the runner API URL as the host reaches it (printed in the command; default: this machine)",
  )
  .option("--reissue", "issue a new token for an existing runner (registering replaces its credential)")
  .option("--json", "print JSON (name, host, platform, token, expiresAt, keyId, registerCommand)")
  .action(
    async (
      name: string,
      options: {
        host: string;
        platform: "windows" | "linux";
        server?: string;
        reissue?: boolean;
        json?: boolean;
      },
    ) => {
      await withRegistry(
        async ({ registry, runnerPort }) => {
          const { addRunner, defaultServerUrl } = await import("./cli/runners.ts");
          return addRunner(
            registry,
            {
              name,
              host: options.host,
              platform: options.platform,
              server: options.server ?? defaultServerUrl(runnerPort),
              serverGuessed: options.server === undefined,
              ...(options.reissue ? { reissue: true } : {}),
              ...(options.json ? { json: true } : {}),
            },
            io,
          );
        },
        { create: true },
      );
    },
  );

runners
  .command("list")
  .description(
    "List runners: name, host, platform, version, last seen, status (pending, online, offline, revoked).",
  )
  .option("--json", "print JSON")
  .action(async (options: { json?: boolean }) => {
    await withRegistry(async ({ registry, keyId }) =>
      (await import("./cli/runners.ts")).listRunners(registry, { keyId, ...options }, io),
    );
  });

runners
  .command("revoke")
  .description("Revoke a runner: its credential and unused tokens stop working; its next request is refused.")
  .argument("<name>", "the runner's name (momlink runners list)")
  .action(async (name: string) => {
    await withRegistry(async ({ registry }) =>
      (await import("./cli/runners.ts")).revokeRunner(registry, name, io),
    );
  });

const runner = program
  .command("runner")
  .summary("the runner agent on a MOM host: register it once, then start it (as a service)");

runner
  .command("register")
  .description(
    "Exchange the one-time token from `momlink runners add` for this runner's credential, pin the bot's " +
      "signing key, and store both in the config file (mode 0600).",
  )
  .requiredOption("--server <url>", "the bot's runner API, e.g. https://momlink-bot:8787")
  .requiredOption("--token <token>", "the one-time registration token (mlt_...)")
  .requiredOption(
    "--config <file>",
    "where to store the credential, e.g. C:\\ProgramData\\momlink\\runner.json",
  )
  .option("--key-id <id>", "the bot's key id as `runners add` printed it: registration stops if it differs")
  .option("--ca <pem file>", "trust only this CA for an https server with a private CA")
  .action(async (options: { server: string; token: string; config: string; keyId?: string; ca?: string }) => {
    const { registerRunnerCommand } = await import("./cli/runner.ts");
    process.exitCode = await registerRunnerCommand(options, io);
  });

withRunnerStartOptions(
  runner
    .command("start")
    .description(
      "Run the agent: long-poll the bot, check each job's signature, run it within the --allow-em-home " +
        "and --allow-share roots, report the results. Logs JSON lines; stops cleanly on SIGINT/SIGTERM. Exit " +
        "status: 0 stopped, 2 configuration problem, 3 revoked (register again).",
    ),
).action(async (options: RunnerStartFlags) => {
  const { startRunnerCommand } = await longRunning(import("./cli/runner.ts"));
  const { config, allowEmHome, allowShare, platform, unknownServiceIsStopped, logLevel, ...service } =
    options;
  process.exitCode = await startRunnerCommand(
    {
      ...service,
      config,
      allowEmHome: allowEmHome ?? [],
      allowShare: allowShare ?? [],
      logLevel,
      ...(platform === undefined ? {} : { platform }),
      ...(unknownServiceIsStopped ? { unknownServiceIsStopped: true } : {}),
    },
    io,
  );
});

const records = program.command("records").summary("read change records and the audit log (for auditors)");

records
  .command("list")
  .description("List changes, newest first.")
  .option("--json", "print JSON")
  .option("--host <host>", "only changes touching this MOM host")
  .action(async (options: { json?: boolean; host?: string }) => {
    await withStore(async (store) => (await import("./cli/records.ts")).listRecords(store, options, io));
  });

records
  .command("show")
  .description("Show one change with its plan hash and every audit event.")
  .argument("<CHG-n>", "the change id")
  .option("--json", "print JSON (id, state, requester, hash, approvals, rollback approvals, plan, events)")
  .action(async (id: string, options: { json?: boolean }) => {
    await withStore(async (store) => (await import("./cli/records.ts")).showRecord(store, id, options, io));
  });

records
  .command("export")
  .description("Export the whole audit log in the order it was written.")
  .requiredOption("--format <format>", "jsonl or csv")
  .action(async (options: { format: string }) => {
    await withStore(async (store) =>
      (await import("./cli/records.ts")).exportAudit(store, options.format, io),
    );
  });

/**
 * The modules of a process that runs for days, once loaded. Node writes its compile cache
 * (bin/momlink.js) when a process exits; written now, the next start is fast even if this one is
 * killed rather than stopped.
 */
async function longRunning<T>(modules: Promise<T>): Promise<T> {
  const loaded = await modules;
  flushCompileCache();
  return loaded;
}

program
  .command("store")
  .summary("move the bot's store between engines (SQLite to PostgreSQL)")
  .command("copy")
  .description(
    "Copy every table of a SQLite store (changes, approvals, notices, audit, inbox, runners, credentials, jobs, " +
      "step events) into a new, empty PostgreSQL database, in one transaction: it migrates the target, " +
      "refuses one that holds any row, keeps every id, and prints the counts it read back. The SQLite " +
      "file is only read; stop momlink serve on it first (the copy refuses while it runs).",
  )
  .option("--from <file>", "the SQLite file (default: MOMLINK_DB)")
  .option(
    "--to <url>",
    "postgres://user:password@host:5432/db?sslmode=verify-full (default: MOMLINK_DATABASE_URL)",
  )
  .option("--json", "print JSON (from, to with the password hidden, and per table: read, inPostgres, nextId)")
  .action(async (options: { from?: string; to?: string; json?: boolean }) => {
    await run(async () => {
      const { readConfig } = await import("./startup.ts");
      const config = readConfig();
      const { storeCopy } = await import("./cli/store.ts");
      process.exitCode = await storeCopy(
        {
          from: options.from ?? config.db,
          to: options.to ?? config.databaseUrl,
          json: options.json === true,
        },
        io,
      );
    });
  });

/** Start-up problems are the operator's to fix: print them plainly, exit 2, no stack trace. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    // Loaded lazily: `momlink plan` should not pay for Bolt and SQLite at start.
    const { StartError } = await import("./startup.ts");
    if (!(error instanceof StartError)) throw error;
    io.stderr(`${error.message}\n`);
    process.exitCode = 2;
  }
}

async function withStore(action: (store: ChangeStore) => Promise<number>): Promise<void> {
  await run(async () => {
    const { readConfig } = await import("./startup.ts");
    const config = readConfig();
    // The replicas' database when MOMLINK_DATABASE_URL is set, else the SQLite file. Reading
    // commands never create a SQLite file: a mistyped MOMLINK_DB is an error, not an empty export.
    const store =
      config.databaseUrl === undefined
        ? (await import("./store/sqlite.ts")).openSqliteStore(config.db, { create: false })
        : await (await import("./store/postgres/change-store.ts")).openPostgresStore(config.databaseUrl);
    try {
      process.exitCode = await action(store);
    } finally {
      await store.close();
    }
  });
}

/**
 * The bot's runner registry on the configured database and the signing key beside it. Only
 * `runners add` may create a missing database (an admin may add the first runner before the bot
 * ever ran), and it says so; the other commands need the bot's existing one.
 */
async function withRegistry(
  action: (context: { registry: Registry; keyId: string; runnerPort: number | undefined }) => Promise<number>,
  options: { create: boolean } = { create: false },
): Promise<void> {
  await run(async () => {
    const { readConfig, StartError } = await import("./startup.ts");
    const config = readConfig();
    const { createRegistry, loadOrCreateSigningKeys, signingKeyFileOf } = await import("./dispatch/index.ts");
    // Opened first: a missing database stops a reading command before a signing key is made beside it.
    const opened = await openRegistryStore(config, options.create);
    let keys: ReturnType<typeof loadOrCreateSigningKeys>;
    try {
      keys = loadOrCreateSigningKeys(signingKeyFileOf(config));
    } catch (error) {
      await opened.close();
      throw new StartError(`momlink: ${(error as Error).message}`);
    }
    try {
      const registry = createRegistry({ store: opened.store, keys, clock: () => new Date() });
      process.exitCode = await action({ registry, keyId: keys.keyId, runnerPort: config.runnerPort });
    } finally {
      await opened.close();
    }
  });
}

/** The runner tables of the replicas' PostgreSQL database when MOMLINK_DATABASE_URL is set, else of the SQLite file. */
async function openRegistryStore(
  config: { db: string; databaseUrl?: string | undefined },
  create: boolean,
): Promise<{ store: DispatchStore; close(): Promise<void> }> {
  if (config.databaseUrl !== undefined) {
    const { openPostgres } = await import("./store/postgres/connect.ts");
    const { postgresDispatchStore } = await import("./store/postgres/dispatch-store.ts");
    const connection = openPostgres(config.databaseUrl, { max: 2, applicationName: "momlink runners" });
    return { store: postgresDispatchStore(connection), close: () => connection.close() };
  }
  const { DISPATCH_SCHEMA, sqliteDispatchStore } = await import("./dispatch/index.ts");
  const { openDatabase } = await import("./store/database.ts");
  const { existsSync } = await import("node:fs");
  const created = config.db !== ":memory:" && !existsSync(config.db);
  const { db } = openDatabase(config.db, { schemas: [DISPATCH_SCHEMA], create });
  if (created) {
    io.stderr(
      `momlink: created a new database at ${config.db} (MOMLINK_DB); the bot must use this same file to see the runner\n`,
    );
  }
  return { store: sqliteDispatchStore(db), close: async () => db.close() };
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed the message or the help; map usage errors to status 2.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    throw error;
  }
}
