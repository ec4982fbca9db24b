// What the failover end-to-end tests share: a stand-in EM for each sandbox host, the runner
// options that make its emctl the runner's service control (as on a host without systemd), and
// planning, approving and waiting for a change to end through signed Slack requests.
import { join } from "node:path";
import {
  type StandInOptions,
  standInServiceCommands,
  standInStatus,
} from "../../src/sandbox/stand-in-em/index.ts";
import { PRIMARY, SECONDARY } from "../runner/fixtures.ts";
import { ALICE, BOB, type Deployment, sandboxPlan } from "./support.ts";

export type Ems = Record<typeof PRIMARY | typeof SECONDARY, StandInOptions>;

/** A stand-in EM per host that reads its failover settings from the properties at start, like a real one. */
export function standInEms(bot: Deployment): Ems {
  const em = (host: string, emHome: string): StandInOptions => ({
    emHome,
    host,
    runDir: join(bot.hosts.root, "run", host),
    pollMs: 50,
    failover: "properties",
  });
  return {
    [PRIMARY]: em(PRIMARY, bot.hosts.primaryEmHome),
    [SECONDARY]: em(SECONDARY, bot.hosts.secondaryEmHome),
  };
}

/** `--service-start/--service-stop/--service-status` running the stand-in's emctl, and short waits. */
export function serviceArgs(em: StandInOptions, start?: string[]): string[] {
  const commands = standInServiceCommands(em);
  return [
    "--service-start",
    JSON.stringify(start ?? commands.start),
    "--service-stop",
    JSON.stringify(commands.stop),
    "--service-status",
    JSON.stringify(commands.status),
    "--service-stop-wait",
    "30",
    "--service-start-wait",
    "30",
  ];
}

/** The stand-in's role (primary, standby, standalone) or why it has none (stopped, dead). */
export async function roleOf(em: StandInOptions): Promise<string> {
  const status = await standInStatus(em);
  return status.state === "running" ? status.role : status.state;
}

/** Plans as Alice, approves as Bob, and waits for the change to end in `final`; reads the message's text. */
export async function planAndApprove(
  bot: Deployment,
  changeId: string,
  words: string,
  final: "Succeeded" | "Failed",
): Promise<() => string> {
  const posted = bot.fake.api.waitFor("chat.postMessage", (c) => String(c.params.text).includes(changeId), {
    timeoutMs: 30_000,
  });
  await bot.command(ALICE, `${sandboxPlan(bot.hosts, "config,data")} ${words}`);
  const message = await posted;
  const ts = String(message.response.ts);
  const channel = String(message.response.channel);
  const ended = bot.fake.api.waitFor(
    "chat.update",
    (c) => String(c.params.ts) === ts && JSON.stringify(c.params.blocks ?? "").includes(`*${final}*`),
    { timeoutMs: 120_000 },
  );
  await bot.click(ts, "momlink_approve", BOB);
  await ended;
  return () => JSON.stringify(bot.fake.api.message(channel, ts)?.blocks ?? "").replaceAll("\\\\", "\\");
}
