// The `momlink` command: one entry for the CLI, the bot (`serve`) and, later, the runner agent.
// Each subcommand lives in src/cli/<name>.ts; this file only wires arguments to them.
import { Command, CommanderError } from "commander";
import { runPlanCommand } from "./cli/plan.ts";
import { exportAudit, listRecords, showRecord } from "./cli/records.ts";
import { PLAN_USAGE } from "./domain/grammar.ts";
import type { ChangeStore } from "./store/store.ts";

const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

const program = new Command("momlink")
  .description(
    "Plan, review and apply MKLINK /D failover links for Introscope MOM pairs.\n" +
      "Run a subcommand with --help for its usage.",
  )
  .showHelpAfterError("(run momlink --help for usage)")
  .exitOverride();

program
  .command("plan")
  .summary("validate a MOM pair and print the exact MKLINK scripts for both hosts")
  .description("Validate a MOM failover pair and print the scripts the team will approve.")
  .argument("<key=value...>", "the pair, in the same grammar as /momlink plan in Slack")
  .option("--json", "print the canonical plan as JSON (with its SHA-256 hash)")
  .option("--change-id <CHG-n>", "name the change (used in move-aside names and the script header)")
  .addHelpText("after", `\n${PLAN_USAGE}\n`)
  .action(async (tokens: string[], options: { json?: boolean; changeId?: string }) => {
    await run(async () => {
      // MOMLINK_ALLOWED_DIRS applies to the CLI as to the bot (config.ts reads it, and .env).
      const { readConfig } = await import("./startup.ts");
      const { allowedDirs } = readConfig();
      process.exitCode = runPlanCommand(tokens, { ...options, allowedDirs }, io);
    });
  });

program
  .command("serve")
  .summary("run the Slack bot (the local console when no Slack tokens are set); what npm start runs")
  .action(async () => {
    await run(async () => (await import("./serve.ts")).serve());
  });

program
  .command("console")
  .summary("the local console: play Slack in this terminal against the real bot")
  .action(async () => {
    await run(async () => (await import("./serve.ts")).serve({ forceConsole: true }));
  });

const records = program.command("records").summary("read change records and the audit log (for auditors)");

records
  .command("list")
  .description("List changes, newest first.")
  .option("--json", "print JSON")
  .option("--host <host>", "only changes touching this MOM host")
  .action(async (options: { json?: boolean; host?: string }) => {
    await withStore((store) => listRecords(store, options, io));
  });

records
  .command("show")
  .description("Show one change with its plan hash and every audit event.")
  .argument("<CHG-n>", "the change id")
  .option("--json", "print JSON (id, state, requester, hash, approvals, plan, events)")
  .action(async (id: string, options: { json?: boolean }) => {
    await withStore((store) => showRecord(store, id, options, io));
  });

records
  .command("export")
  .description("Export the whole audit log in the order it was written.")
  .requiredOption("--format <format>", "jsonl or csv")
  .action(async (options: { format: string }) => {
    await withStore((store) => exportAudit(store, options.format, io));
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

async function withStore(action: (store: ChangeStore) => number): Promise<void> {
  await run(async () => {
    const { readConfig } = await import("./startup.ts");
    const { openSqliteStore } = await import("./store/sqlite.ts");
    const store = openSqliteStore(readConfig().db);
    try {
      process.exitCode = action(store);
    } finally {
      store.close();
    }
  });
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
