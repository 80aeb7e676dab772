/**
 * The python-glanceclient driver (test/support/pythonGlance.ts) against python-glanceclient run
 * as a process of its own: every side-by-side test trusts the driver to answer as
 * `/usr/bin/glance` would, so the same commands, one after another in one driver (so that what a
 * run leaves behind, --debug's logging above all, would show in the next), must print the same
 * bytes and exit with the same status.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { cleanEnv, openrc, requireLab, tokenEnv } from "../support/lab.js"
import { runPythonGlance } from "../support/pythonGlance.js"
import { run, type RunResult } from "../support/run.js"

const up = requireLab()

/** Each case: its arguments, how it logs in, and what it feeds on standard input. */
const cases: ReadonlyArray<{
  readonly args: ReadonlyArray<string>
  readonly login: "token" | "password"
  readonly env?: Record<string, string>
}> = [
  { args: ["--version"], login: "token" },
  { args: ["help", "image-list"], login: "token" },
  { args: ["image-list", "--bogus"], login: "token" },
  { args: ["--debug", "image-list", "--limit", "1"], login: "token" },
  // After --debug: its logging must not leak into the next run.
  { args: ["image-list", "--limit", "1"], login: "token" },
  { args: ["image-list", "--limit", "1"], login: "password" },
  { args: ["image-list", "--limit", "1"], login: "password", env: { OS_PASSWORD: "wrong" } },
  { args: ["image-show", "00000000-0000-0000-0000-000000000000"], login: "token" },
  { args: ["--os-image-api-version", "1", "image-list"], login: "token" },
  { args: ["image-list", "--limit", "1"], login: "token", env: { OS_IMAGE_URL: "http://127.0.0.1:9" } }
]

/** Request ids, times, token hashes, HOME paths and Python object addresses differ from run to run; nothing else may. */
const normal = (text: string) =>
  text.replace(/req-[0-9a-f-]+/g, "req-…").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, "T")
    .replace(/^Date: .*$/gm, "Date: …").replace(/\{SHA256\}[0-9a-f]+/g, "{SHA256}…")
    .replace(/\/tmp\/pyglance-home-\w+/g, "HOME").replace(/ at 0x[0-9a-f]+/g, " at 0x…")

describe.runIf(up)("the python-glanceclient driver", () => {
  it("answers as /usr/bin/glance does, run after run", async () => {
    const token = await tokenEnv("demo")
    const results: Array<[string, RunResult, RunResult]> = []
    for (const c of cases) {
      const login = c.login === "token" ? token : openrc("demo")
      const env = (home: string) => ({ ...cleanEnv(), ...login, ...c.env, HOME: home, COLUMNS: "200" })
      const homes = [1, 2].map(() => Fs.mkdtempSync("/tmp/pyglance-home-"))
      try {
        const [process, driver] = await Promise.all([
          run("/usr/bin/glance", c.args, { env: env(homes[0]!), stdin: "ignore" }),
          runPythonGlance(c.args, { env: env(homes[1]!), stdin: "ignore" })
        ])
        results.push([c.args.join(" "), process, driver])
      } finally {
        for (const home of homes) Fs.rmSync(home, { recursive: true, force: true })
      }
    }
    for (const [label, process, driver] of results) {
      assert.strictEqual(driver.status, process.status, `${label}: exit status`)
      assert.strictEqual(normal(driver.stdout), normal(process.stdout), `${label}: stdout`)
      assert.strictEqual(normal(driver.stderr), normal(process.stderr), `${label}: stderr`)
    }
    // The cases are not all alike: they cover success, usage errors and failures.
    assert.deepStrictEqual([...new Set(results.map(([, p]) => p.status))].sort(), [0, 1, 2])
  }, 170_000)
})
