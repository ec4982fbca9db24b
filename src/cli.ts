// The `momlink` command: one entry for the CLI, the bot (`serve`) and, later, the runner agent.
// Each subcommand lives in src/cli/<name>.ts; this file only wires arguments to them.
import { Command, CommanderError } from "commander";
import { runPlanCommand } from "./cli/plan.ts";
import { PLAN_USAGE } from "./domain/grammar.ts";
import { DEFAULT_ALLOWED_DIRS } from "./domain/pair.ts";

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
  .action((tokens: string[], options: { json?: boolean; changeId?: string }) => {
    process.exitCode = runPlanCommand(tokens, { ...options, allowedDirs: DEFAULT_ALLOWED_DIRS }, io);
  });

program
  .command("serve", { isDefault: false })
  .summary("run the Slack bot (or the local console when no Slack tokens are set)")
  .action(() => {
    io.stdout(
      "The Slack bot is not built yet. Meanwhile, plan a pair with the CLI:\n\n" +
        "  npx momlink plan primary=mom-a secondary=mom-b em-home='D:\\Introscope\\EM' share='\\\\san-server\\mom-failover'\n\n" +
        `${program.helpInformation()}`,
    );
  });

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
