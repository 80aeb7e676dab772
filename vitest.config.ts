import { defineConfig } from "vitest/config"

/**
 * Test files run side by side in separate processes. Lab tests are isolated from each other (their
 * own names, and a lock where Glance's state is shared: test/support/lock.ts), so they need no
 * order. TEST_WORKERS overrides the number of workers (measured on 2 cores: README, "Tests").
 */
const workers = Number(process.env.TEST_WORKERS ?? 4)

export default defineConfig({
  // Where vitest keeps the last run's durations, which order the next run (slowest files first).
  // Not node_modules/.vite: node_modules may be a hard-linked copy shared with other checkouts.
  cacheDir: ".vitest-cache",
  test: {
    include: ["test/**/*.test.ts"],
    // Asks once whether the lab is up and builds dist/glance.js if it is missing.
    globalSetup: ["test/support/globalSetup.ts"],
    // Counts the checks each test runs when ASSERTION_COUNTS names a file.
    setupFiles: ["test/support/assertionCount.ts"],
    pool: "forks",
    maxWorkers: workers,
    minWorkers: 1,
    // Longer than a child process's deadline (120 s, test/support/run.ts), so that a command that
    // hangs fails its test with the command's name and output, not just "timed out".
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
    reporters: ["default"]
  }
})
