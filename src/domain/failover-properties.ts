// What the EM pair's one shared `IntroscopeEnterpriseManager.properties` says about failover, in
// the words a preview shows: the failover keys beside the values the plan requires
// (`failover.primary: mom-x → mom-a`), and the settings the failover evidence depends on (the
// agent port, the log file and whether the EM logs at INFO at all).
//
// What it must keep true:
// - It never decides what is required: the plan does (Plan.failoverProperties); this compares.
// - A mismatch is information for the preview (default `failover-properties=check`), never an
//   exception; a key set twice is shown with every line, since Java silently takes the last one.
// - Values are compared exactly as Java reads them: `true ` with a trailing space is not `true`.
// - Pure: bytes in (through java-properties.ts, the one parser), text out.
//
// Use: `compareFailoverProperties(reading, plan.failoverProperties)` then `describeFailoverRow`;
// `emSettings(bytes)` for where the evidence comes from (port, log path, log level).
import {
  type PropertiesReading,
  type PropertiesResult,
  type PropertyAssignment,
  readProperties,
} from "./java-properties.ts";

export const AGENT_PORT_KEY = "introscope.enterprisemanager.port.channel1";
export const DEFAULT_AGENT_PORT = 5001;
export const LOG_FILE_KEY = "log4j.appender.logfile.File";
export const DEFAULT_LOG_FILE = "logs/IntroscopeEnterpriseManager.log";
export const MANAGER_LOGGER_KEY = "log4j.logger.Manager";

const PREFIX = "introscope.enterprisemanager.";

export interface FailoverPropertyRow {
  key: string;
  /** The key without `introscope.enterprisemanager.`, as a preview shows it. */
  label: string;
  /** What Java reads today (the last occurrence), or null when the key is absent. */
  current: string | null;
  required: string;
  matches: boolean;
  /** Every line the key is on, when it is on more than one. */
  duplicateLines: number[];
}

export function compareFailoverProperties(
  reading: PropertiesReading,
  required: readonly PropertyAssignment[],
): FailoverPropertyRow[] {
  return required.map(({ key, value }) => {
    const found = reading.keys.find((k) => k.key === key);
    const occurrences = found?.occurrences ?? [];
    const current = found?.value ?? null;
    return {
      key,
      label: key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key,
      current,
      required: value,
      matches: current === value && occurrences.every((o) => o.value === value),
      duplicateLines: occurrences.length > 1 ? occurrences.map((o) => o.line) : [],
    };
  });
}

/** One line for the preview: `failover.primary: mom-x → mom-a`, with the reason a row needs care. */
export function describeFailoverRow(row: FailoverPropertyRow): string {
  const shown = (value: string | null) =>
    value === null ? "(not set)" : value === "" ? "(empty)" : visible(value);
  const main = row.matches
    ? `${row.label}: ${shown(row.current)} (already set)`
    : `${row.label}: ${shown(row.current)} → ${shown(row.required)}`;
  if (row.duplicateLines.length === 0) return main;
  return `${main}; set ${row.duplicateLines.length} times (lines ${row.duplicateLines.join(", ")}): Java uses the last`;
}

/** Whitespace a reader would not see is spelled out: `true·` is why failover stays off. */
function visible(value: string): string {
  return value.replace(/^\s+|\s+$/g, (ws) =>
    [...ws].map((c) => (c === " " ? "·" : `\\u${hex4(c)}`)).join(""),
  );
}

function hex4(c: string): string {
  return (c.codePointAt(0) ?? 0).toString(16).padStart(4, "0");
}

export interface EmSettings {
  /** The port the EM listens on for agents (`port.channel1`), and where that number came from. */
  agentPort: { port: number; from: string };
  /** The EM log file as written in the properties (relative paths are relative to EM_HOME). */
  logFile: { path: string; from: string };
  /** Things that weaken the evidence: an unusable port value, INFO lines not logged to the file. */
  warnings: string[];
}

const LOG_LEVELS_BELOW_INFO = new Set(["WARN", "ERROR", "FATAL", "OFF"]);

/** The settings the failover evidence depends on, from the properties file's bytes. */
export function emSettings(bytes: Uint8Array): PropertiesResult<EmSettings> {
  const read = readProperties(bytes, [AGENT_PORT_KEY, LOG_FILE_KEY, MANAGER_LOGGER_KEY]);
  if (!read.ok) return read;
  const at = (key: string) => read.value.keys.find((k) => k.key === key);
  const where = (key: string) => `${key}, line ${at(key)?.occurrences.at(-1)?.line}`;
  const warnings: string[] = [];

  let agentPort = { port: DEFAULT_AGENT_PORT, from: `default (${AGENT_PORT_KEY} is not set)` };
  const portText = at(AGENT_PORT_KEY)?.value;
  if (portText != null) {
    const port = /^\s*\d{1,5}\s*$/.test(portText) ? Number(portText) : Number.NaN;
    if (port >= 1 && port <= 65535) agentPort = { port, from: where(AGENT_PORT_KEY) };
    else
      warnings.push(
        `${where(AGENT_PORT_KEY)} is \`${portText}\`, not a port number: the port check is skipped`,
      );
  }

  const logText = at(LOG_FILE_KEY)?.value;
  const logFile =
    logText == null || logText.trim() === ""
      ? { path: DEFAULT_LOG_FILE, from: `default (${LOG_FILE_KEY} is not set)` }
      : { path: logText.trim(), from: where(LOG_FILE_KEY) };

  // `log4j.logger.Manager=INFO, console, logfile`: the level, then the appenders.
  const logger = at(MANAGER_LOGGER_KEY)?.value;
  if (logger != null) {
    const [level = "", ...appenders] = logger.split(",").map((part) => part.trim());
    const name = (level.split("#")[0] ?? "").toUpperCase();
    if (LOG_LEVELS_BELOW_INFO.has(name)) {
      warnings.push(
        `${where(MANAGER_LOGGER_KEY)} logs at ${name}: the EM's [Manager.HotFailover] INFO lines will not be written, only the lock can tell`,
      );
    } else if (!appenders.includes("logfile")) {
      warnings.push(
        `${where(MANAGER_LOGGER_KEY)} does not send the EM's lines to the logfile appender: ${logFile.path} will not show the failover lines`,
      );
    }
  }
  return { ok: true, value: { agentPort, logFile, warnings } };
}
