import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start real servers and child processes; on the 2-core CI machine a
    // generous per-test budget avoids flaky time-outs without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
