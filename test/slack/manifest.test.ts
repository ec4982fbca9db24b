// manifest.yml is importable and asks for exactly the scopes the code needs: every Web API method
// the Slack layer calls is in the table below, and every scope it lists is needed by one of them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SUBCOMMANDS } from "../../src/slack/commands/index.ts";

const ROOT = join(import.meta.dirname, "../..");

/** The bot scope each Web API method needs (null: none), from Slack's method reference pages. */
const METHOD_SCOPES: Readonly<Record<string, string | null>> = {
  "auth.test": null,
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "chat.getPermalink": null,
  "views.open": null,
  "views.publish": null,
  "usergroups.list": "usergroups:read",
  "usergroups.users.list": "usergroups:read",
};

/** Scopes needed by features rather than methods. */
const FEATURE_SCOPES = ["commands"];

interface Manifest {
  features: {
    slash_commands: Array<{ command: string; usage_hint?: string; should_escape?: boolean }>;
    app_home: {
      home_tab_enabled: boolean;
      messages_tab_enabled: boolean;
      messages_tab_read_only_enabled: boolean;
    };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    socket_mode_enabled: boolean;
    interactivity: { is_enabled: boolean };
    event_subscriptions: { bot_events: string[] };
  };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "local" ? [] : sourceFiles(path); // local/ is the fake
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** `client.chat.postMessage(`, `client.usergroups.users.list(` ... anywhere in momlink's Slack layer (boot included). */
function calledMethods(): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(join(ROOT, "src/slack"))) {
    for (const match of readFileSync(file, "utf8").matchAll(
      /\bclient\s*\.\s*((?:[a-z]+\s*\.\s*)+[a-zA-Z]+)\s*\(/g,
    )) {
      found.add((match[1] ?? "").replace(/\s+/g, ""));
    }
  }
  return [...found].sort();
}

const manifest = parse(readFileSync(join(ROOT, "manifest.yml"), "utf8")) as Manifest;

describe("manifest.yml", () => {
  it("declares /momlink with a usage hint, Socket Mode, interactivity and the App Home tab", () => {
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({
        command: "/momlink",
        usage_hint: expect.stringContaining("plan primary=<host>"),
      }),
    ]);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    // Read-only Messages tab: the requester's direct messages show there; nobody can write to momlink.
    expect(manifest.features.app_home).toMatchObject({
      home_tab_enabled: true,
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: true,
    });
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(["app_home_opened"]);
  });

  it("names every subcommand in the usage hint, in the order /momlink help lists them", () => {
    const hint = manifest.features.slash_commands[0]?.usage_hint ?? "";
    const named = hint.split(" | ").map((part) => part.split(" ")[0]);
    expect(named).toEqual(Object.keys(SUBCOMMANDS));
  });

  it("knows the scope of every Web API method the Slack layer calls", () => {
    const methods = calledMethods();
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.filter((m) => !Object.hasOwn(METHOD_SCOPES, m))).toEqual([]);
  });

  it("lists a scope for every method that needs one, and no scope nothing needs", () => {
    const needed = new Set([
      ...FEATURE_SCOPES,
      ...calledMethods()
        .map((m) => METHOD_SCOPES[m])
        .filter((s): s is string => typeof s === "string"),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
