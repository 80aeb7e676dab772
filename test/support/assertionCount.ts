/**
 * A vitest setup file that counts the assertions each test file runs, so a change to the suite can
 * show it kept (or added) checks per file. Active only when `ASSERTION_COUNTS` names a file: each
 * test file appends one JSON line `{ file, checks, tests }` to it, where `checks` counts chai's
 * assertion core (`Assertion.prototype.assert`, which `assert.*` and `expect(...)` both end in) and
 * `tests` the tests that ran. Counted per file, so concurrent tests are counted right.
 * `node scripts/assertion-counts.mjs FILE` sums the lines per file.
 */
import * as Fs from "node:fs"
import { afterAll, afterEach, beforeAll, chai } from "vitest"

const target = process.env.ASSERTION_COUNTS

interface Counter {
  count: number
}

const counterKey = Symbol.for("glanceclient/test/assertionCount")

if (target !== undefined && target !== "") {
  const proto = chai.Assertion.prototype as unknown as Record<symbol | string, unknown>
  // Patch chai once per worker (setup files run again for every test file).
  if (proto[counterKey] === undefined) {
    const counter: Counter = { count: 0 }
    const original = proto.assert as (...args: Array<unknown>) => unknown
    proto.assert = function(this: unknown, ...args: Array<unknown>) {
      counter.count++
      return original.apply(this, args)
    }
    proto[counterKey] = counter
  }
  const counter = proto[counterKey] as Counter
  let start = 0
  let tests = 0
  beforeAll(() => {
    start = counter.count
    tests = 0
  })
  afterEach(() => {
    tests++
  })
  afterAll((suite) => {
    const file = "filepath" in suite ? suite.filepath : suite.file.filepath
    Fs.appendFileSync(target, JSON.stringify({ file, checks: counter.count - start, tests }) + "\n")
  })
}
