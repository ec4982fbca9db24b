import { describe, expect, it } from "vitest";
import {
  compareFailoverProperties,
  describeFailoverRow,
  emSettings,
} from "../../src/domain/failover-properties.ts";
import { readProperties } from "../../src/domain/java-properties.ts";
import { buildPlan } from "../../src/domain/plan.ts";
import { fixture, latin1 } from "./java-properties-support.ts";

// What a plan for primary=mom-a secondary=mom-b requires, from the plan builder itself.
const required = buildPlan({
  changeId: "CHG-1",
  spec: {
    platform: "windows",
    primary: "mom-a",
    secondary: "mom-b",
    emHome: String.raw`D:\Introscope\EM`,
    secondaryEmHome: String.raw`D:\Introscope\EM`,
    share: String.raw`\\san-server\mom-failover`,
    dirs: ["config"],
    configAdded: false,
  },
}).failoverProperties;

function preview(bytes: Uint8Array): string[] {
  const reading = readProperties(
    bytes,
    required.map((r) => r.key),
  );
  if (!reading.ok) throw new Error(reading.problem.message);
  return compareFailoverProperties(reading.value, required).map(describeFailoverRow);
}

describe("the failover properties beside the required ones, as the preview shows them", () => {
  const table: [string, Uint8Array, string[]][] = [
    [
      "a fresh Linux install: off, an old primary-primary list, no secondary",
      fixture("em-linux-lf.properties"),
      [
        "failover.enable: false → true",
        "failover.primary: mom-old-a.corp.example,mom-old-b.corp.example → mom-a",
        "failover.secondary: (not set) → mom-b",
      ],
    ],
    [
      "a pair set up for other hosts",
      fixture("em-windows-crlf.properties"),
      [
        "failover.enable: true (already set)",
        "failover.primary: mom-x → mom-a",
        "failover.secondary: mom-y → mom-b",
      ],
    ],
    [
      "a duplicated primary: every line shown, Java's choice named",
      fixture("duplicated-key.properties"),
      [
        "failover.enable: true (already set)",
        "failover.primary: mom-z → mom-a; set 2 times (lines 3, 10): Java uses the last",
        "failover.secondary: mom-y → mom-b",
      ],
    ],
    [
      "a trailing space that keeps failover off is made visible",
      latin1(
        "introscope.enterprisemanager.failover.enable=true \nintroscope.enterprisemanager.failover.primary=mom-a\nintroscope.enterprisemanager.failover.secondary=\n",
      ),
      [
        "failover.enable: true· → true",
        "failover.primary: mom-a (already set)",
        "failover.secondary: (empty) → mom-b",
      ],
    ],
    [
      "a duplicate whose last copy is right still needs the edit",
      latin1(
        "introscope.enterprisemanager.failover.primary=mom-x\nintroscope.enterprisemanager.failover.primary=mom-a\n",
      ),
      [
        "failover.enable: (not set) → true",
        "failover.primary: mom-a → mom-a; set 2 times (lines 1, 2): Java uses the last",
        "failover.secondary: (not set) → mom-b",
      ],
    ],
  ];

  it.each(table)("%s", (_, bytes, lines) => {
    expect(preview(bytes)).toEqual(lines);
  });
});

describe("emSettings: where the failover evidence comes from", () => {
  it("reads the agent port and the log file, saying from which line", () => {
    const settings = emSettings(fixture("em-linux-lf.properties"));
    expect(settings).toEqual({
      ok: true,
      value: {
        agentPort: { port: 5001, from: "introscope.enterprisemanager.port.channel1, line 16" },
        logFile: {
          path: "logs/IntroscopeEnterpriseManager.log",
          from: "log4j.appender.logfile.File, line 43",
        },
        warnings: [],
      },
    });
  });

  it("falls back to the documented defaults and says so", () => {
    expect(emSettings(latin1("# nothing here\n"))).toEqual({
      ok: true,
      value: {
        agentPort: { port: 5001, from: "default (introscope.enterprisemanager.port.channel1 is not set)" },
        logFile: {
          path: "logs/IntroscopeEnterpriseManager.log",
          from: "default (log4j.appender.logfile.File is not set)",
        },
        warnings: [],
      },
    });
  });

  const warnings: [string, string, string][] = [
    [
      "a port that is not a number",
      "introscope.enterprisemanager.port.channel1=50O1\n",
      "introscope.enterprisemanager.port.channel1, line 1 is `50O1`, not a port number: the port check is skipped",
    ],
    [
      "an EM that logs only warnings",
      "log4j.logger.Manager=WARN, console, logfile\n",
      "log4j.logger.Manager, line 1 logs at WARN: the EM's [Manager.HotFailover] INFO lines will not be written, only the lock can tell",
    ],
    [
      "an EM that logs to the console only",
      "log4j.logger.Manager=INFO, console\n",
      "log4j.logger.Manager, line 1 does not send the EM's lines to the logfile appender: logs/IntroscopeEnterpriseManager.log will not show the failover lines",
    ],
  ];

  it.each(warnings)("warns about %s", (_, file, warning) => {
    const settings = emSettings(latin1(file));
    expect(settings.ok && settings.value.warnings).toEqual([warning]);
  });

  it("accepts CA's custom severity syntax for the level", () => {
    const settings = emSettings(
      latin1("log4j.logger.Manager=VERBOSE#com.wily.util.feedback.Log4JSeverityLevel, console, logfile\n"),
    );
    expect(settings.ok && settings.value.warnings).toEqual([]);
  });

  it("passes a refusal of the file through", () => {
    const settings = emSettings(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]));
    expect(!settings.ok && settings.problem.rule).toBe("byte-order-mark");
  });
});
