// Pre-flight on the primary: the failover properties as they stand, in the file that will be the
// one shared IntroscopeEnterpriseManager.properties once config is linked — the share's copy when
// the share already holds one (and the plan does not reseed over it), else the primary's own,
// which seeding copies there. Read with the one properties parser, as Java reads it; the settings
// the failover evidence depends on (log file, log level) are checked too.
import { readFile } from "node:fs/promises";
import { propertiesFile, sharedPropertiesFile } from "../../domain/em-files.ts";
import type { PropertiesFacts } from "../../domain/facts.ts";
import { emSettings } from "../../domain/failover-properties.ts";
import { MAX_PROPERTIES_BYTES, readProperties } from "../../domain/java-properties.ts";
import type { StepContext } from "./context.ts";

const VALUE_MAX = 2000;
const OCCURRENCES_MAX = 20;
const WARNINGS_MAX = 10;

export async function checkFailoverProperties(ctx: StepContext): Promise<PropertiesFacts> {
  const { platform } = ctx;
  const shared = sharedPropertiesFile(platform.name, ctx.share);
  const fromShare = ctx.shareData !== "reseed" && (await platform.isFile(shared));
  const file = fromShare ? shared : platform.join(ctx.emHome, propertiesFile(platform.name));
  const source = fromShare ? "share" : "local";
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return {
      file,
      source,
      keys: null,
      detail: `cannot read ${file}: ${(error as Error).message}`,
      warnings: [],
    };
  }
  if (bytes.length > MAX_PROPERTIES_BYTES) {
    return {
      file,
      source,
      keys: null,
      detail: `${file} has ${bytes.length} bytes: too large to be read`,
      warnings: [],
    };
  }
  const data = new Uint8Array(bytes);
  const reading = readProperties(
    data,
    ctx.failoverProperties.map((p) => p.key),
  );
  if (!reading.ok) {
    return {
      file,
      source,
      keys: null,
      detail: `${reading.problem.message} (${reading.problem.fix})`,
      warnings: [],
    };
  }
  const settings = emSettings(data);
  const warnings = [...reading.value.warnings, ...(settings.ok ? settings.value.warnings : [])];
  return {
    file,
    source,
    keys: reading.value.keys.map((k) => ({
      key: k.key,
      value: k.value === null ? null : k.value.slice(0, VALUE_MAX),
      occurrences: k.occurrences
        .slice(-OCCURRENCES_MAX)
        .map((o) => ({ line: o.line, value: o.value.slice(0, VALUE_MAX) })),
    })),
    detail: `read ${file} (${bytes.length} bytes)`,
    warnings: warnings.slice(0, WARNINGS_MAX).map((w) => (w.length > 600 ? `${w.slice(0, 597)}...` : w)),
  };
}
