/**
 * The token cache of `glance` against the lab (issue 17): a proxy in front of the lab's Keystone
 * counts the logins; each run has its own XDG_CACHE_HOME.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type FaultProxy, startFaultProxy } from "../support/faultProxy.js"
import { openrc, requireLab, runGlance } from "../support/lab.js"

const up = requireLab()

const list = ["image-list", "--limit", "1"]
const password = openrc("demo").OS_PASSWORD!

describe.runIf(up)("glance --os-token-cache, against the lab", () => {
  let keystone: FaultProxy
  let cacheHome: string

  beforeAll(async () => {
    keystone = await startFaultProxy({ target: "http://127.0.0.1:5000" })
  })
  afterAll(async () => {
    await keystone?.close()
  })

  const logins = () => keystone.requests.filter((r) => r.method === "POST" && r.url.endsWith("/auth/tokens")).length

  /** Runs our glance as demo, logging in through the counting proxy, with the test's cache directory. */
  const glance = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
    runGlance("demo", args, {
      env: { OS_AUTH_URL: `${keystone.url}/v3`, XDG_CACHE_HOME: cacheHome, ...env },
      timeout: 90_000
    })

  const cacheFiles = () => {
    const dir = Path.join(cacheHome, "glanceclient")
    return Fs.existsSync(dir) ? Fs.readdirSync(dir).map((f) => Path.join(dir, f)) : []
  }

  const fresh = async () => {
    cacheHome = await Fs.promises.mkdtemp("/tmp/glance-token-cache-")
    keystone.reset()
  }

  it("the second image-list makes no Keystone request; --debug names the token by its {SHA256} form only", async () => {
    await fresh()
    const first = await glance(["--os-token-cache", ...list])
    assert.strictEqual(first.status, 0, first.stderr)
    assert.strictEqual(logins(), 1)
    const second = await glance(["--os-token-cache", "--debug", ...list])
    assert.strictEqual(second.status, 0, second.stderr)
    assert.strictEqual(logins(), 1, "the second run logged in")
    // Both a listing of at most one image (which one may differ: other test files add and delete
    // images meanwhile).
    for (const run of [first, second]) {
      const table = run.stdout.split("\n").filter((l) => l.startsWith("|"))
      assert.deepStrictEqual(table[0]?.split("|").map((c) => c.trim()), ["", "ID", "Name", ""], run.stdout)
      assert.isAtMost(table.length, 2, run.stdout)
    }
    const files = cacheFiles()
    assert.strictEqual(files.length, 1)
    assert.strictEqual(Fs.statSync(files[0]!).mode & 0o777, 0o600)
    assert.strictEqual(Fs.statSync(Path.dirname(files[0]!)).mode & 0o777, 0o700)
    const kept = JSON.parse(Fs.readFileSync(files[0]!, "utf8")) as { token: string }
    assert.notInclude(Fs.readFileSync(files[0]!, "utf8"), password)
    assert.match(second.stderr, /^using cached token \{SHA256\}[0-9a-f]{16}$/m)
    assert.notInclude(second.stderr + second.stdout, kept.token)
    assert.notInclude(second.stderr, "/auth/tokens", "the debug trace shows a login")
  }, 240_000)

  it("OS_TOKEN_CACHE and clouds.yaml's cache: {auth: true} turn it on; without them each run logs in", async () => {
    await fresh()
    await glance(list)
    await glance(list)
    assert.strictEqual(logins(), 2, "without the cache")
    assert.deepStrictEqual(cacheFiles(), [])

    keystone.reset()
    await glance(list, { OS_TOKEN_CACHE: "1" })
    const byEnv = await glance(list, { OS_TOKEN_CACHE: "true" })
    assert.strictEqual(byEnv.status, 0, byEnv.stderr)
    assert.strictEqual(logins(), 1, "OS_TOKEN_CACHE")

    await fresh()
    const env = openrc("demo")
    const clouds = Path.join(cacheHome, "clouds.yaml")
    Fs.writeFileSync(
      clouds,
      [
        "cache:",
        "  auth: true",
        "clouds:",
        "  cached:",
        "    auth:",
        `      auth_url: "${keystone.url}/v3"`,
        `      username: "${env.OS_USERNAME}"`,
        `      password: "${env.OS_PASSWORD}"`,
        `      project_name: "${env.OS_PROJECT_NAME}"`,
        "      user_domain_name: Default",
        "      project_domain_name: Default",
        "    region_name: RegionOne",
        ""
      ].join("\n"),
      { mode: 0o600 }
    )
    // No OS_* but these (runGlance without a user): the cloud and its settings come from clouds.yaml alone.
    const noOs = { OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: "cached" }
    const one = await runGlance(undefined, list, { env: { ...noOs, XDG_CACHE_HOME: cacheHome }, timeout: 90_000 })
    const two = await runGlance(undefined, list, { env: { ...noOs, XDG_CACHE_HOME: cacheHome }, timeout: 90_000 })
    assert.strictEqual(one.status, 0, one.stderr)
    assert.strictEqual(two.status, 0, two.stderr)
    assert.strictEqual(logins(), 1, "clouds.yaml cache: auth: true")
    assert.strictEqual(two.stdout, one.stdout)
  }, 300_000)

  it("a kept token the cloud refuses (401) is dropped: the run logs in again and succeeds", async () => {
    await fresh()
    await glance(["--os-token-cache", ...list])
    const [file] = cacheFiles()
    const kept = JSON.parse(Fs.readFileSync(file!, "utf8")) as { token: string }
    // A token Keystone never issued, in a file that is otherwise right (mode 600, unexpired).
    Fs.writeFileSync(file!, JSON.stringify({ ...kept, token: `gAAAAA${"x".repeat(150)}` }), { mode: 0o600 })
    keystone.reset()
    const r = await glance(["--os-token-cache", ...list])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(logins(), 1)
    const now = JSON.parse(Fs.readFileSync(file!, "utf8")) as { token: string }
    assert.notInclude(now.token, "xxxxxxxx")
    keystone.reset()
    const again = await glance(["--os-token-cache", ...list])
    assert.strictEqual(again.status, 0, again.stderr)
    assert.strictEqual(logins(), 0, "the new token was not kept")
  }, 300_000)

  it("a world-readable cache file is ignored with a warning and replaced by one of mode 600", async () => {
    await fresh()
    await glance(["--os-token-cache", ...list])
    const [file] = cacheFiles()
    Fs.chmodSync(file!, 0o644)
    keystone.reset()
    const r = await glance(["--os-token-cache", ...list])
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(logins(), 1, "the world-readable token was used")
    assert.include(
      r.stderr,
      `glance: warning: The token cache file ${file} is ignored: other users can read or write it (mode 644, not 600)`
    )
    assert.strictEqual(Fs.statSync(file!).mode & 0o777, 0o600)
  }, 240_000)
})
