/**
 * The bad-input matrix of `glance` (issue 6): each mistake must give exactly one line on
 * stderr that names the problem (no stack trace, no error-object dump, no secret), exit 1 or
 * 2, nothing on stdout, and nothing created on the server. Every case that could create an
 * image carries a unique name, and the test checks the project's images for it before and
 * after the run. Cases already proven elsewhere are not repeated: `glance --bogus`,
 * `image-list --bogus`, `image-show` of a malformed id and `--property novalue` on
 * image-create/update are in cli.test.ts "glance with bad input"; the unknown cloud, the
 * clouds.yaml that is not YAML, the wrong password and the unreachable Keystone on
 * `image-list` are in auth.test.ts. Here they are run on commands that would create or
 * change something.
 *
 * Where python-glanceclient (`HOME=$(mktemp -d) glance ...`) answers differently, the case
 * says so; the last test checks those differences still hold.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import {
  cleanEnv,
  glanceBin,
  keystoneLogin,
  labDir,
  openrc,
  requireLab,
  runGlance,
  runPython,
  type RunResult,
  uniqueName
} from "../support/lab.js"
import { run as runCommand } from "../support/run.js"

const up = requireLab()

const glanceUrl = "http://127.0.0.1:9292"
const demoPassword = up ? openrc("demo").OS_PASSWORD! : "unused"

/** A Keystone token for demo (scoped to its project), as X-Subject-Token hands it out. */
const login = async (): Promise<string> => (await keystoneLogin("demo")).token

let token = ""

/** The images demo can see whose name contains `fragment` (every page). */
const imagesNamed = async (fragment: string): Promise<Array<{ readonly id: string; readonly name: string }>> => {
  const found: Array<{ id: string; name: string }> = []
  let next: string | undefined = "/v2/images?limit=1000"
  while (next !== undefined) {
    const response = await fetch(`${glanceUrl}${next}`, { headers: { "x-auth-token": token } })
    assert.strictEqual(response.status, 200, "listing images")
    const page = (await response.json()) as { images: Array<{ id: string; name: string | null }>; next?: string }
    for (const image of page.images) {
      if ((image.name ?? "").includes(fragment)) found.push({ id: image.id, name: image.name! })
    }
    next = page.next
  }
  return found
}

const temps: Array<string> = []
const tempDir = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-bad-input-"))
  temps.push(dir)
  return dir
}

/** A queued image of demo's, target of the upload cases; deleted in afterAll. */
let queued = ""
const queuedName = uniqueName("it-bad-queued")
/** A project id for member-create (the image is checked first, so it need not exist). */
const otherProject = "0123456789abcdef0123456789abcdef"

beforeAll(async () => {
  if (!up) return
  token = await login()
  const created = await demo(["image-create", "--name", queuedName, "-f", "json"])
  assert.strictEqual(created.status, 0, created.stderr)
  queued = (JSON.parse(created.stdout) as { id: string }).id
})

afterAll(async () => {
  if (queued) await demo(["image-delete", queued])
  for (const dir of temps) Fs.rmSync(dir, { recursive: true, force: true })
})

const fernetLike = /gAAAAA[A-Za-z0-9_-]{20,}/

/**
 * Asserts the shape every bad input must have, and returns the one line: exit 1 or 2, stdout
 * empty, one non-empty stderr line without a stack trace, error-object dump or secret.
 */
const rejected = (r: RunResult, what: string, exit: ReadonlyArray<number> = [1, 2]): string => {
  assert.include(exit, r.status, `${what}: exit status ${r.status}; stderr: ${r.stderr}`)
  assert.strictEqual(r.stdout, "", `${what}: nothing on stdout`)
  const lines = r.stderr.split("\n").filter((l) => l.trim().length > 0)
  assert.lengthOf(lines, 1, `${what}: one line on stderr, got: ${r.stderr}`)
  const line = lines[0]!
  assert.notMatch(line, /^\s+at |\w*Error\b:|\bError \{|\[object |\{\s*'|_tag/, `${what}: a dump in ${line}`)
  assert.notMatch(line, /Failed validating|On instance\[/, `${what}: a schema dump in ${line}`)
  assert.notInclude(line, demoPassword, `${what}: the password`)
  if (token) assert.notInclude(line, token, `${what}: the token`)
  assert.notMatch(line, fernetLike, `${what}: a token`)
  return line
}

/** Runs a case that carries the unique `name`, and checks no image with it exists before or after. */
const createsNothing = async (name: string, run: () => Promise<RunResult>, what: string): Promise<string> => {
  assert.deepStrictEqual(await imagesNamed(name), [], `${what}: no image named ${name} before`)
  const r = await run()
  const after = await imagesNamed(name)
  // An image made by mistake is deleted before the test fails for it.
  for (const image of after) {
    const response = await fetch(`${glanceUrl}/v2/images/${image.id}`, {
      method: "DELETE",
      headers: { "x-auth-token": token }
    })
    await response.body?.cancel()
  }
  assert.deepStrictEqual(
    after.map((i) => i.name),
    [],
    `${what}: an image was created (deleted again); stderr: ${r.stderr}`
  )
  return rejected(r, what)
}

/**
 * Runs our `glance` as `user` (or with no OS_* at all), standard input on /dev/null unless
 * `input` is piped to it.
 */
const run = (
  user: "demo" | undefined,
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string>
    readonly input?: string
    readonly login?: "password" | "token"
  } = {}
): Promise<RunResult> =>
  runGlance(user, args, {
    env: options.env,
    login: options.login,
    timeout: 60_000,
    ...(options.input === undefined ? { stdin: "ignore" } : { input: options.input })
  })

/**
 * Runs our `glance` as demo with no image data on standard input, with demo's token and the image
 * URL: the cases of bad ids, flags and data are about input, not logins ("configuration and login"
 * below logs in with the password).
 */
const demo = (args: ReadonlyArray<string>) => run("demo", args, { login: "token" })

/** Runs our `glance` as demo from demo's openrc (a password login), with no data on standard input. */
const demoLoggingIn = (args: ReadonlyArray<string>) => run("demo", args)

/** Runs our `glance` as demo (token and image URL) with `data` piped on standard input. */
const demoWithStdin = (args: ReadonlyArray<string>, data: string) => run("demo", args, { input: data, login: "token" })

/** The queued image is still queued and without data (no upload reached it). */
const assertStillQueued = async () => {
  const r = await demo(["image-show", queued, "-f", "json"])
  assert.strictEqual(r.status, 0, r.stderr)
  const image = JSON.parse(r.stdout) as { status: string; size: number | null }
  assert.strictEqual(image.status, "queued")
  assert.isNull(image.size)
}

const formats = ["--disk-format", "raw", "--container-format", "bare"]

describe.skipIf(!up)("bad input: image ids", { timeout: 180_000 }, () => {
  // python-glanceclient sends malformed ids to Glance too, and prints the same 404 line
  // (image-download words it "Unable to download image 'x'. (HTTP 404 …)").
  const ids = () => ["not-a-uuid", "12345678-1234-1234-1234-12345678zzzz", "../../v2/images", Crypto.randomUUID()]

  it("image-update, -delete, -download, -upload, -tag-update, member-create of a malformed or missing id", async () => {
    const dir = tempDir()
    const file = Path.join(dir, "data.img")
    Fs.writeFileSync(file, "some data")
    for (const id of ids()) {
      // Each case its own name, so that the cases run at once and a mistake is blamed on its own.
      const cases: Array<[string, (name: string) => ReadonlyArray<string>]> = [
        ["image-update", (name) => ["image-update", id, "--name", name]],
        ["image-delete", () => ["image-delete", id]],
        ["image-download", () => ["image-download", id, "--file", Path.join(dir, "out.img")]],
        ["image-upload", () => ["image-upload", id, "--file", file]],
        ["image-tag-update", (name) => ["image-tag-update", id, name]],
        ["member-create", () => ["member-create", id, otherProject]],
        ["image-tasks", () => ["image-tasks", id]]
      ]
      const lines = await Promise.all(cases.map(([what, args]) => {
        const name = uniqueName("it-bad-id")
        return createsNothing(name, () => demo(args(name)), `${what} ${id}`)
      }))
      for (const [i, line] of lines.entries()) {
        const what = cases[i]![0]
        // A path in place of an id reaches no route; Glance's 404 then names nothing.
        if (id.includes("/") && !line.includes(id)) assert.include(line, "404", what)
        else assert.include(line, id, `${what} names the id`)
      }
      assert.deepStrictEqual(Fs.readdirSync(dir), ["data.img"], "no download file or part file left")
    }
  })
})

describe.skipIf(!up)("bad input: flags", { timeout: 180_000 }, () => {
  it("an unknown flag on a command that creates: exit 2, the flag named, nothing created", async () => {
    for (const args of [["--bogus"], ["--bogus=1"], ["--nmae", "x"]]) {
      const name = uniqueName("it-bad-flag")
      const line = await createsNothing(
        name,
        () => demo(["image-create", "--name", name, ...formats, ...args]),
        `image-create ${args[0]}`
      )
      assert.include(line, args[0]!.split("=")[0]!)
    }
  })

  it("a misspelt global option names the option, never the value after it", async () => {
    const name = uniqueName("it-bad-global")
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`
    const line = await createsNothing(
      name,
      () => demo(["--os-passwrd", secret, "image-create", "--name", name]),
      "--os-passwrd"
    )
    assert.include(line, "--os-passwrd")
    assert.notInclude(line, secret)
    // A value-taking global option at the end, with no value and no command.
    assert.strictEqual(
      rejected(await demo(["--os-password"]), "--os-password", [2]),
      "argument --os-password: expected one argument"
    )
  })

  it("--property without '=' or with an empty key, on image-create-via-import: nothing created", async () => {
    for (const datum of ["novalue", "=value"]) {
      const name = uniqueName("it-bad-prop")
      const line = await createsNothing(
        name,
        () => demo(["image-create-via-import", "--name", name, ...formats, "--property", datum]),
        `--property ${datum}`
      )
      assert.include(line, "--property")
      assert.include(line, datum)
    }
  })

  it("invalid enum values: one line listing the values the cloud's schema allows, nothing created", async () => {
    // python-glanceclient checks them against the schema too, but prints jsonschema's
    // 20-line dump ("Failed validating 'enum' in schema…"), exit 1.
    const cases: Array<[string, ReadonlyArray<string>]> = [
      ["--disk-format", ["qcow2", "raw", "iso"]],
      ["--container-format", ["bare", "ovf", "docker"]],
      ["--visibility", ["private", "public", "shared", "community"]]
    ]
    for (const [flag, allowed] of cases) {
      const name = uniqueName("it-bad-enum")
      const args = flag === "--visibility" ? formats : flag === "--disk-format" ? formats.slice(2) : formats.slice(0, 2)
      const line = await createsNothing(
        name,
        () => demo(["image-create", "--name", name, ...args, flag, "bogus"]),
        `image-create ${flag} bogus`
      )
      assert.include(line, "bogus")
      assert.include(line, flag.slice(2).replace("-", "_"))
      for (const value of allowed) assert.include(line, value, `${flag}: the allowed values`)
    }
    // image-update with a bad value leaves the image as it was.
    const line = rejected(await demo(["image-update", queued, "--disk-format", "bogus"]), "image-update --disk-format")
    assert.include(line, "qcow2")
    const shown = JSON.parse((await demo(["image-show", queued, "-f", "json"])).stdout) as {
      disk_format: string | null
    }
    assert.isNull(shown.disk_format)
  })

  it("negative sizes: --min-disk -1, --min-ram -1, --size -1: nothing created", async () => {
    for (const flag of ["--min-disk", "--min-ram"]) {
      const name = uniqueName("it-bad-neg")
      const line = await createsNothing(
        name,
        () => demo(["image-create", "--name", name, ...formats, flag, "-1"]),
        `${flag} -1`
      )
      assert.include(line, flag.slice(2).replace("-", "_"))
      assert.include(line, "-1")
    }
    assert.include(rejected(await demo(["image-upload", queued, "--size", "-1"]), "--size -1"), "--size")
    await assertStillQueued()
  })

  it("a huge --limit, --limit -1 and --page-size 0 name the flag and the allowed range", async () => {
    // python-glanceclient takes --limit 99999999999999999999 and --page-size 0 and lists
    // everything; we refuse a number we cannot represent exactly, and a page of nothing.
    const cases = [
      [["image-list", "--limit", "99999999999999999999"], "--limit"],
      [["image-list", "--limit=99999999999999999999"], "--limit"],
      [["image-list", "--page-size", "99999999999999999999"], "--page-size"],
      [["image-list", "--limit", "-1"], "--limit"],
      [["image-list", "--page-size", "0"], "--page-size"],
      [["task-list", "--page-size", "0"], "--page-size"],
      [["image-create", "--min-disk", "99999999999999999999"], "--min-disk"]
    ] as const
    const results = await Promise.all(cases.map(([args]) => demo(args)))
    for (const [i, [args, flag]] of cases.entries()) {
      const line = rejected(results[i]!, args.join(" "), [2])
      assert.include(line, flag, args.join(" "))
    }
    // "not a integer" is @effect/cli's grammar; ours names the flag and says what fits.
    const line = rejected(results[0]!, "huge --limit", [2])
    assert.include(line, "99999999999999999999")
    assert.notInclude(line, "a integer")
  })

  it("a name that is not UTF-8 (raw bytes in argv): refused before anything is sent", async () => {
    // python-glanceclient sends it and Glance answers HTTP 500; Node would silently turn the
    // bytes into U+FFFD and create an image with a name nobody typed.
    const name = uniqueName("it-bad-utf8")
    const run = () =>
      runCommand("/bin/sh", [
        "-c",
        `exec "$0" "$1" image-create --name "$(printf '${name}-caf\\351\\377')"`,
        process.execPath,
        glanceBin
      ], { env: { ...cleanEnv(), ...openrc("demo") }, stdin: "ignore", timeout: 60_000 })
    const line = await createsNothing(name, run, "non-UTF-8 --name")
    assert.include(line, "UTF-8")
    assert.include(line, "--name")
  })
})

describe.skipIf(!up)("bad input: image data", { timeout: 180_000 }, () => {
  it("--file and data on standard input at once: refused, nothing created or uploaded", async () => {
    // python-glanceclient silently takes --file and ignores the pipe.
    const file = Path.join(tempDir(), "data.img")
    Fs.writeFileSync(file, "file data")
    const cases = [
      ["image-create", (name: string) => ["image-create", "--name", name, ...formats, "--file", file]],
      ["image-create-via-import", (name: string) => [
        "image-create-via-import",
        "--name",
        name,
        ...formats,
        "--file",
        file
      ]],
      ["image-upload", () => ["image-upload", queued, "--file", file]],
      ["image-stage", () => ["image-stage", queued, "--file", file]]
    ] as const
    const lines = await Promise.all(cases.map(([what, args]) => {
      const name = uniqueName("it-bad-both")
      return createsNothing(name, () => demoWithStdin(args(name), "piped data"), what)
    }))
    for (const [i, line] of lines.entries()) {
      const what = cases[i]![0]
      assert.include(line, "--file", what)
      assert.include(line, "standard input", what)
    }
    await assertStillQueued()
  })

  it("a missing file, a directory, an unreadable file, a file that fails on read: nothing created", async () => {
    const dir = tempDir()
    const missing = Path.join(dir, "not-there.img")
    // chmod 000 stops everyone but root. Root reads any mode, so as root the unreadable
    // file is /proc/sys/vm/compact_memory (mode 0200, which proc enforces even for root).
    const root = process.getuid?.() === 0
    const unreadable = root ? "/proc/sys/vm/compact_memory" : Path.join(dir, "secret.img")
    if (!root) Fs.writeFileSync(unreadable, "data", { mode: 0o000 })
    assert.throws(() => Fs.openSync(unreadable, "r"), /EACCES/, "the unreadable case is unreadable for this user")
    // /proc/self/mem opens for anyone but its first read fails (EIO): an error after open.
    const failsOnRead = "/proc/self/mem"
    const cases: Array<[string, string]> = [
      [missing, missing],
      [dir, "directory"],
      [unreadable, unreadable],
      [failsOnRead, failsOnRead]
    ]
    for (const [file, expected] of cases) {
      const commands = ["image-create", "image-create-via-import", "image-upload", "image-stage"] as const
      const lines = await Promise.all(commands.map((command) => {
        const name = uniqueName("it-bad-file")
        const args = command === "image-upload" || command === "image-stage"
          ? [command, queued, "--file", file]
          : [command, "--name", name, ...formats, "--file", file]
        return createsNothing(name, () => demo(args), `${command} --file ${file}`)
      }))
      for (const [i, line] of lines.entries()) assert.include(line, expected, `${commands[i]} --file ${file}`)
    }
    await assertStillQueued()
    assert.deepStrictEqual(Fs.readdirSync(dir).filter((f) => f !== "secret.img"), [], "nothing left in the folder")
  })
})

describe.skipIf(!up)("bad input: configuration and login", { timeout: 180_000 }, () => {
  const cloudsYaml = Path.join(labDir, "clouds.yaml")

  it("a clouds.yaml that is not YAML, an unknown cloud: one line naming the file or the cloud", async () => {
    const dir = tempDir()
    const bad = Path.join(dir, "clouds.yaml")
    Fs.writeFileSync(bad, "clouds:\n  lab-demo: [unclosed\n\t- tab\n", { mode: 0o600 })
    const notAMapping = Path.join(dir, "list.yaml")
    Fs.writeFileSync(notAMapping, "just a string\n", { mode: 0o600 })
    const cases: Array<[Record<string, string>, ReadonlyArray<string>, ReadonlyArray<string>]> = [
      [{ OS_CLIENT_CONFIG_FILE: bad }, ["--os-cloud", "lab-demo"], [bad, "YAML"]],
      [{ OS_CLIENT_CONFIG_FILE: notAMapping }, ["--os-cloud", "lab-demo"], [notAMapping]],
      [{ OS_CLIENT_CONFIG_FILE: cloudsYaml }, ["--os-cloud", "nope"], ["nope", "lab-demo"]],
      [{ OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: "nope" }, [], ["nope"]]
    ]
    for (const [env, global, expected] of cases) {
      const name = uniqueName("it-bad-cloud")
      const line = await createsNothing(
        name,
        () => run(undefined, [...global, "image-create", "--name", name], { env }),
        `${JSON.stringify(env)} ${global.join(" ")}`
      )
      for (const e of expected) assert.include(line, e)
    }
  })

  it("a region without an image endpoint, a token with an empty catalog: one line saying so", async () => {
    const name = uniqueName("it-bad-region")
    const line = await createsNothing(
      name,
      () => demoLoggingIn(["--os-region-name", "Nowhere", "image-create", "--name", name]),
      "--os-region-name Nowhere"
    )
    assert.include(line, "Nowhere")
    assert.include(line, "image")
    assert.match(line, /endpoint/)
    assert.include(line, "RegionOne")
    // An unscoped token (no project) has no catalog at all.
    const env = openrc("demo")
    const response = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "demo", domain: { name: "Default" }, password: env.OS_PASSWORD } }
          }
        }
      })
    })
    await response.body?.cancel()
    const unscoped = response.headers.get("x-subject-token")!
    const name2 = uniqueName("it-bad-catalog")
    const line2 = await createsNothing(
      name2,
      () =>
        run(undefined, ["--os-auth-token", unscoped, "image-create", "--name", name2], {
          env: { OS_AUTH_URL: env.OS_AUTH_URL! }
        }),
      "unscoped token"
    )
    assert.match(line2, /catalog/)
    assert.include(line2, "image")
    assert.notInclude(line2, unscoped)
  })

  it("a wrong password, an unreachable auth URL, an unsupported API version: nothing created", async () => {
    const wrong = `Wr0ng-${Math.random().toString(36).slice(2)}`
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["--os-password", wrong], "Invalid OpenStack Identity credentials"],
      [["--os-auth-url", "http://127.0.0.1:1/v3"], "http://127.0.0.1:1/v3"],
      [["--os-image-api-version", "1"], "v2"]
    ]
    for (const [global, expected] of cases) {
      const name = uniqueName("it-bad-login")
      const file = Path.join(tempDir(), "data.img")
      Fs.writeFileSync(file, "data")
      const line = await createsNothing(
        name,
        () => demoLoggingIn([...global, "image-create", "--name", name, ...formats, "--file", file]),
        global.join(" ")
      )
      assert.include(line, expected)
      assert.notInclude(line, wrong)
    }
  })
})

describe.skipIf(!up)("bad input: python-glanceclient, for the differences noted above", { timeout: 180_000 }, () => {
  it("takes a huge --limit and --page-size 0; dumps the schema for a bad enum value", async () => {
    const [limit, page, enumDump] = await Promise.all([
      runPython("demo", ["image-list", "--limit", "99999999999999999999"], { login: "token" }),
      runPython("demo", ["image-list", "--page-size", "0"], { login: "token" }),
      runPython("demo", ["image-create", "--name", "x", ...formats.slice(2), "--disk-format", "bogus"], {
        login: "token"
      })
    ])
    assert.strictEqual(limit.status, 0, limit.stderr)
    assert.strictEqual(page.status, 0, page.stderr)
    assert.strictEqual(enumDump.status, 1)
    assert.include(enumDump.stderr, "Failed validating")
    assert.isAbove(enumDump.stderr.split("\n").length, 5)
  })
})
