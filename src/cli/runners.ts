// `momlink runners add|list|revoke`: the admin's side of runner registration, on the bot's machine.
// It works on the bot's database and key file directly (registry + keys, never a second
// dispatcher with its own lease checks); the running bot re-checks credentials before each
// hand-over, so a revoke here takes effect there too.
import { hostname } from "node:os";
import { type AddedRunner, DispatchError, type Registry, type RunnerInfo } from "../dispatch/index.ts";
import { correctHost, hostIssues } from "../domain/host.ts";
import type { Platform } from "../domain/pair.ts";
import type { CommandIo } from "./plan.ts";
import { table } from "./table.ts";

export const EXIT_OK = 0;
/** The runner exists, does not exist, or the bot refused the change. */
export const EXIT_FAILED = 1;
/** A usage error: bad name, bad host. Nothing was written. */
export const EXIT_USAGE = 2;

/** The default port of the runner API (MOMLINK_RUNNER_PORT). */
export const DEFAULT_RUNNER_PORT = 8787;

export interface AddOptions {
  name: string;
  host: string;
  platform: Platform;
  /** Issue a new token for a runner that already exists (registering with it replaces its credential). */
  reissue?: boolean;
  /** The runner API URL as the MOM host reaches it, for the printed command. */
  server: string;
  /** True when the admin did not give --server: the output says the URL is a guess. */
  serverGuessed: boolean;
  json?: boolean;
}

/** Where the bot's runner API probably is, when the admin did not say: this machine, the configured port. */
export function defaultServerUrl(port: number | undefined): string {
  return `http://${hostname()}:${port ?? DEFAULT_RUNNER_PORT}`;
}

/** Where `runner register` keeps the credential by default, per platform (printed, not enforced). */
export function suggestedConfigPath(platform: Platform): string {
  return platform === "windows" ? "C:\\ProgramData\\momlink\\runner.json" : "/etc/momlink/runner.json";
}

/** The command an admin runs on the MOM host; every word is free of shell and cmd.exe metacharacters. */
export function registerCommand(input: {
  server: string;
  token: string;
  keyId: string;
  platform: Platform;
}): string {
  const momlink =
    input.platform === "windows" ? "node C:\\momlink\\bin\\momlink.js" : "node /opt/momlink/bin/momlink.js";
  return [
    momlink,
    "runner register",
    `--server ${quoteArg(input.server)}`,
    `--token ${input.token}`,
    `--key-id ${input.keyId}`,
    `--config ${suggestedConfigPath(input.platform)}`,
  ].join(" ");
}

// A server URL comes from the admin; quote it if it holds anything a shell or cmd.exe would read.
function quoteArg(value: string): string {
  return /^[A-Za-z0-9_./:@+=-]+$/.test(value) ? value : `"${value.replaceAll('"', "")}"`;
}

export async function addRunner(registry: Registry, options: AddOptions, io: CommandIo): Promise<number> {
  const badHost = badHostText(options);
  if (badHost !== undefined) {
    io.stderr(badHost);
    return EXIT_USAGE;
  }
  const existing = await registry.getRunner(options.name);
  const live = existing !== null && existing.status !== "revoked";
  if (live && !options.reissue) {
    io.stderr(alreadyExistsText(existing));
    return EXIT_FAILED;
  }
  let added: AddedRunner;
  try {
    added = await registry.addRunner({ name: options.name, host: options.host, platform: options.platform });
  } catch (error) {
    if (!(error instanceof DispatchError)) throw error;
    io.stderr(`momlink: ${error.message}\n`);
    return error.code === "invalid-name" || error.code === "invalid-host" ? EXIT_USAGE : EXIT_FAILED;
  }
  const command = registerCommand({
    server: options.server,
    token: added.token,
    keyId: added.keyId,
    platform: options.platform,
  });
  if (options.json) {
    const { name, token, expiresAt, keyId } = added;
    const { host, platform } = options;
    const shown = { name, host, platform, token, expiresAt, keyId, registerCommand: command };
    io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
    return EXIT_OK;
  }
  io.stdout(addedText(added, options, command, live));
  return EXIT_OK;
}

/** Every rule --host breaks and a corrected command, or undefined when it is a host name. */
function badHostText(options: AddOptions): string | undefined {
  const issues = hostIssues(options.host);
  if (issues.length === 0) return undefined;
  const corrected = correctHost(options.host);
  return (
    `momlink: --host ${JSON.stringify(options.host)} is not a host name momlink accepts:\n` +
    `${issues.map((i) => `- ${i.message} [${i.rule}]`).join("\n")}\n` +
    `  try: momlink runners add ${options.name} --host ${corrected ?? "mom-a.corp.example"}\n`
  );
}

/** The runner is live already: how to issue it a new token, or to retire it. */
function alreadyExistsText(existing: RunnerInfo): string {
  return (
    `momlink: runner "${existing.name}" already exists (host ${existing.host}, ${existing.platform}, ${statusOf(existing)}).\n` +
    (existing.status === "pending"
      ? "- a new token for it (the one issued before stays valid until it is used or expires):\n"
      : "- a new token for it (the agent must register again; its current credential stops working then):\n") +
    `    momlink runners add ${existing.name} --host ${existing.host} --platform ${existing.platform} --reissue\n` +
    `- or retire it first: momlink runners revoke ${existing.name}\n`
  );
}

/** The token, shown once, and the two commands the admin runs on the MOM host. */
function addedText(added: AddedRunner, options: AddOptions, command: string, reissued: boolean): string {
  const config = suggestedConfigPath(options.platform);
  const lines = [
    reissued
      ? `New registration token for runner ${added.name} (host ${options.host}, ${options.platform}).`
      : `Runner ${added.name} added for host ${options.host} (${options.platform}).`,
    "",
    `Registration token (single use, valid until ${added.expiresAt}; shown only now):`,
    `  ${added.token}`,
    `Bot signing key id: ${added.keyId}`,
    "",
    `On ${options.host}${options.platform === "windows" ? ", in an elevated prompt" : ", as the account the runner will run as"}:`,
    `  ${command}`,
    "then start the agent (README: Runners), naming the EM_HOME roots it may change and the shares it may link to:",
    `  ${options.platform === "windows" ? "node C:\\momlink\\bin\\momlink.js" : "node /opt/momlink/bin/momlink.js"} runner start --config ${config} --allow-em-home <EM_HOME root> --allow-share <share root>`,
  ];
  if (options.serverGuessed) {
    lines.push(
      "",
      `(${options.server} is a guess: pass --server <url> for the address the host reaches the bot's runner API at, https:// behind TLS.)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What the STATUS column shows: pending, online, offline or revoked. */
export function statusOf(runner: RunnerInfo): "pending" | "online" | "offline" | "revoked" {
  if (runner.status !== "active") return runner.status;
  return runner.online ? "online" : "offline";
}

export async function listRunners(
  registry: Registry,
  options: { json?: boolean; keyId: string },
  io: CommandIo,
): Promise<number> {
  const runners = await registry.listRunners();
  if (options.json) {
    const rows = runners.map((r) => ({
      name: r.name,
      host: r.host,
      platform: r.platform,
      status: statusOf(r),
      version: r.version,
      hostname: r.hostname,
      registeredAt: r.registeredAt,
      lastSeen: r.lastSeen,
    }));
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  if (runners.length === 0) {
    io.stdout("no runners yet: add one with momlink runners add <name> --host <MOM host>\n");
    return EXIT_OK;
  }
  const rows = runners.map((r) => [
    r.name,
    r.host,
    r.platform,
    r.version ?? "-",
    r.lastSeen ?? "never",
    statusOf(r),
  ]);
  io.stdout(`${table([["NAME", "HOST", "PLATFORM", "VERSION", "LAST SEEN", "STATUS"], ...rows])}\n`);
  io.stdout(`(bot signing key id ${options.keyId})\n`);
  return EXIT_OK;
}

export async function revokeRunner(registry: Registry, name: string, io: CommandIo): Promise<number> {
  const runner = await registry.getRunner(name);
  if (runner === null) {
    io.stderr(`momlink: no runner named "${name}" (momlink runners list shows them)\n`);
    return EXIT_FAILED;
  }
  if (runner.status === "revoked") {
    io.stdout(`runner ${runner.name} was already revoked; nothing changed\n`);
    return EXIT_OK;
  }
  await registry.revoke(runner.name);
  const lines = [
    `Runner ${runner.name} (host ${runner.host}) revoked: its credential and any unused token no longer work.`,
    "The agent is refused at its next request to the bot (at the latest when its current long-poll ends) and stops.",
    `To bring it back: momlink runners add ${runner.name} --host ${runner.host} --platform ${runner.platform}, then register it again.`,
  ];
  io.stdout(`${lines.join("\n")}\n`);
  return EXIT_OK;
}
