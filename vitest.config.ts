import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files share one lab; run files one at a time so timings and the cache stay sane.
    fileParallelism: false,
    reporters: ["default"]
  }
})
