// The properties reader against the real thing: java.util.Properties.load(InputStream), the call
// an Enterprise Manager reads its properties with, over the fixtures, tricky hand-written files,
// random files, and the files momlink's editor wrote. Skips when no JDK is installed.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProperties, setProperties } from "../../src/domain/java-properties.ts";
import { findJava, JAVA_INSTALL_HINT, javaSource, runJava } from "../support/java.ts";
import { assignments, fixture, latin1, propertiesFile } from "./java-properties-support.ts";

const java = findJava();
if (java === null) console.warn(`java-properties.java.test.ts skipped: no JDK (${JAVA_INSTALL_HINT})`);

interface OracleAnswer {
  file: string;
  ok: boolean;
  values?: Record<string, string>;
  error?: string;
}

const FIXTURE_NAMES = [
  "em-linux-lf.properties",
  "em-windows-crlf.properties",
  "mixed-endings.properties",
  "latin1-escapes.properties",
  "duplicated-key.properties",
  "separators.properties",
];

const TRICKY: string[] = [
  "a=1,\\\n#2\n",
  "# c \\\nk=v\n",
  "a=x\\\\\nb=y\n",
  "a=x\\\n\nb=y\n",
  "a=1\rb=2,\\\r\n 3\r\n",
  "flag\n  \\\n  x=1\n",
  "a  =  =1\nb : :2\nc\t\t3\n",
  "key\\\n  part=value\n",
  "   \\",
  "a=x\\",
  "\f\t k = v\f",
  "k=\\u00e9\\u20AC\\uD83D\\uDE00\\q\\b\n",
];

/** momlink's last-wins reading, keys sorted like the oracle's TreeMap. */
function momlinkReading(bytes: Uint8Array): Record<string, string> | string {
  const parsed = parseProperties(bytes);
  if (!parsed.ok) return parsed.problem.rule;
  const values = new Map<string, string>();
  for (const entry of parsed.value.entries) values.set(entry.key, entry.value);
  return Object.fromEntries([...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe.skipIf(java === null)("the reader agrees with java.util.Properties.load", () => {
  let dir = "";
  const files = new Map<string, Uint8Array>();
  const answers = new Map<string, OracleAnswer>();
  const seed = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "momlink-properties-oracle-"));
    const add = async (name: string, bytes: Uint8Array) => {
      const path = join(dir, name);
      await writeFile(path, bytes);
      files.set(path, bytes);
    };
    for (const name of FIXTURE_NAMES) await add(name, fixture(name));
    for (const [i, input] of TRICKY.entries()) await add(`tricky-${i}.properties`, latin1(input));
    await add("malformed-escape.properties", latin1("a=1\nb=\\u12G4\n"));
    // Random files, and what the editor made of them with random assignments.
    const samples = fc.sample(fc.tuple(propertiesFile, assignments), { numRuns: 150, seed });
    for (const [i, [bytes, list]] of samples.entries()) {
      await add(`random-${i}.properties`, bytes);
      const edit = setProperties(bytes, list);
      if (edit.ok) await add(`random-${i}-edited.properties`, edit.value.bytes);
    }
    const output = await runJava(java as string, javaSource("PropertiesOracle.java"), [...files.keys()]);
    for (const line of output.trim().split("\n")) {
      const answer = JSON.parse(line) as OracleAnswer;
      answers.set(answer.file, answer);
    }
  }, 120_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("on every fixture, tricky file, random file and edited file", () => {
    expect(answers.size).toBe(files.size);
    const disagreements: string[] = [];
    for (const [path, bytes] of files) {
      const answer = answers.get(path);
      const ours = momlinkReading(bytes);
      const theirs = answer?.ok ? answer.values : `java refused: ${answer?.error}`;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        disagreements.push(`${path}: momlink ${JSON.stringify(ours)} java ${JSON.stringify(theirs)}`);
      }
    }
    expect(disagreements, `fast-check seed ${seed}`).toEqual([
      // The one file Java refuses to load, momlink refuses too (and says which line).
      expect.stringContaining(
        'malformed-escape.properties: momlink "malformed-unicode-escape" java "java refused: Malformed \\\\uxxxx encoding."',
      ),
    ]);
  });
});
