// Output capture: bounded, and the end (where errors are) is never the part dropped.
import { describe, expect, it } from "vitest";
import { BoundedCapture, execaStarter } from "../../../src/runner/platform/process.ts";

describe("bounded output capture", () => {
  it("keeps everything under the limit", () => {
    const capture = new BoundedCapture(1024);
    capture.push(Buffer.from("hello "));
    capture.push(Buffer.from("world"));
    expect(Buffer.from(capture.bytes()).toString()).toBe("hello world");
    expect(capture.truncated).toBe(false);
  });

  it("keeps the head and the tail of a long output and says how much was left out", () => {
    const capture = new BoundedCapture(200);
    for (let i = 0; i < 1000; i++) capture.push(Buffer.from(`line ${i}\n`));
    const text = Buffer.from(capture.bytes()).toString();
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 999\n")).toBe(true);
    expect(text).toMatch(/\[\.\.\. \d+ bytes of output omitted \.\.\.\]/);
    expect(capture.truncated).toBe(true);
    expect(text.length).toBeLessThan(300);
  });

  it("does not kill a talkative process: it runs to its end with its output bounded", async () => {
    const result = await execaStarter({
      file: process.execPath,
      args: ["-e", "for (let i = 0; i < 20000; i++) console.log('copied file ' + i); console.log('done')"],
      timeoutMs: 20_000,
      outputLimit: 4096,
    });
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(Buffer.from(result.output).toString()).toMatch(/done\n$/);
  });

  it("reports a program that cannot start", async () => {
    const result = await execaStarter({
      file: "/nonexistent/momlink-tool",
      args: [],
      timeoutMs: 5000,
      outputLimit: 1024,
    });
    expect(result.exitCode).toBeNull();
    expect(result.startError).toMatch(/ENOENT/);
  });
});
