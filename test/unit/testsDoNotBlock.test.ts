/**
 * The test files themselves: none runs a child process synchronously. A `spawnSync` of a long
 * command freezes the vitest worker (its RPC to the main process times out and the run exits 1
 * with every test green); test/support/run.ts, `runGlance` and `runPython` run children
 * asynchronously with a deadline instead.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"

const testDir = Path.resolve(import.meta.dirname, "..")
const blocking = /\b(spawnSync|execSync|execFileSync)\s*[(,}]/

describe("the test suite", () => {
  it("runs no child process synchronously", () => {
    const files = Fs.readdirSync(testDir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && Path.join(testDir, f) !== import.meta.filename)
    assert.isAbove(files.length, 40, "the test files were found")
    const found: Array<string> = []
    for (const file of files) {
      const lines = Fs.readFileSync(Path.join(testDir, file), "utf8").split("\n")
      lines.forEach((line, i) => {
        if (blocking.test(line)) found.push(`test/${file}:${i + 1}: ${line.trim()}`)
      })
    }
    assert.deepStrictEqual(found, [], "use run() from test/support/run.ts, or runGlance/runPython from lab.ts")
  })
})
