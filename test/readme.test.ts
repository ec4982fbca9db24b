// The README's configuration table and .env.example are where operators learn the settings: a
// variable config.ts reads but neither names would be a setting nobody can find.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "../src/config.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const envExample = readFileSync(new URL("../.env.example", import.meta.url), "utf8");

/** The rows of the README's "### Configuration" table, as the variable names in their first cell. */
function configurationTable(): string[] {
  const section = readme.split(/^### Configuration$/m)[1]?.split(/^#{1,3} /m)[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] ?? ""));
}

describe("the documented configuration", () => {
  it("the README's configuration table names every variable momlink reads, and nothing else", () => {
    expect(new Set(configurationTable())).toEqual(new Set(VARIABLES));
  });

  it(".env.example has a line for every variable momlink reads", () => {
    for (const name of VARIABLES) expect(envExample).toMatch(new RegExp(`^${name}=`, "m"));
  });

  it("says approvers are required outside the console", () => {
    const row = readme.split("\n").find((line) => line.startsWith("| `MOMLINK_APPROVERS`"));
    expect(row).toMatch(/required outside the local console/);
  });
});
