// `/momlink runners`: the registered runner agents, their platform and version, when each was
// last seen and whether it is online (long-polling now, or seen within the last minute).
import type { RunnerInfo } from "../../change/ports/runners.ts";
import { escapeMrkdwn, slackTime } from "../mrkdwn.ts";
import { ephemeral, type Subcommand } from "./subcommand.ts";

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function relativeTime(at: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

export function runnerLines(runners: readonly RunnerInfo[], now: Date): string[] {
  return runners.map((r) => {
    const state =
      r.status === "revoked"
        ? "revoked"
        : r.status === "pending"
          ? "added, not registered yet"
          : r.online
            ? "*online*"
            : "offline";
    const version = r.version === null ? "" : ` · v${escapeMrkdwn(r.version)}`;
    const seen =
      r.lastSeen === null
        ? "never seen"
        : `last seen ${relativeTime(r.lastSeen, now)} (${slackTime(r.lastSeen)})`;
    return `• *${escapeMrkdwn(r.name)}* for ${escapeMrkdwn(r.host)} · ${r.platform}${version} · ${seen} · ${state}`;
  });
}

export const runRunners: Subcommand = async ({ slack, bot }) => {
  const runners = await bot.changes.runners();
  if (runners === null) {
    await slack.ack(
      ephemeral(
        "This momlink runs without a runner API (MOMLINK_RUNNER_PORT is not set): plans show the worst case and nothing runs on the hosts.",
      ),
    );
    return;
  }
  if (runners.length === 0) {
    await slack.ack(
      ephemeral(
        "No runners yet. On the bot's machine: `momlink runners add <name> --host <host>`, then `momlink runner register` on the MOM host.",
      ),
    );
    return;
  }
  const now = bot.messageContext().now;
  const online = runners.filter((r) => r.online).length;
  await slack.ack(
    ephemeral([`*Runners* (${online} of ${runners.length} online)`, ...runnerLines(runners, now)].join("\n")),
  );
};
