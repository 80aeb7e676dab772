/**
 * No secret in any output: every command of `glance` (the list comes from `glance --help`, so
 * a new command fails this file until it is added below) runs with `--debug` and realistic
 * arguments as demo, logged in three ways: (a) a password, (b) a token with
 * `--os-image-url`, (c) an application credential made for this run. Whatever a command
 * answers (many fail: demo may not deactivate, cache or write metadefs), its stdout and
 * stderr must hold neither the password, nor a token issued in the run (the ones this file
 * gets from Keystone's X-Subject-Token, and anything shaped like a Fernet token), nor the
 * application credential's secret. Everything made here is deleted in afterAll.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { keystoneLogin, openrc, requireLab, runGlance, type RunResult, uniqueName } from "../support/lab.js"
import { mapPool } from "../support/pool.js"

const up = requireLab()

const glanceUrl = "http://127.0.0.1:9292"
const fernetLike = /gAAAAA[A-Za-z0-9_-]{20,}/

/** Runs our `glance` with no OS_* but `env` (standard input on /dev/null). */
const run = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<RunResult> =>
  runGlance(undefined, args, { env, stdin: "ignore" })

/** Runs `jobs` with at most `width` at a time, in order of the results. */
const pool = <A>(jobs: ReadonlyArray<() => Promise<A>>, width: number): Promise<Array<A>> =>
  mapPool(jobs, width, (job) => job())

/** Logs a lab user in (project-scoped) and returns the token and the ids Keystone answers with. */
const login = keystoneLogin

/** Setup and cleanup steps must work: fail loudly, naming the step. */
const must = (r: RunResult, what: string): string => {
  assert.strictEqual(r.status, 0, `${what}: ${r.stderr}`)
  return r.stdout
}

const prefix = uniqueName("it-secrets")
const modes = ["password", "token", "appcred"] as const
type Mode = typeof modes[number]

/** What each mode needs, made in beforeAll. */
interface Fixture {
  readonly image: string
  readonly queued: string
  readonly doomed: string
}

const state = {
  dir: "",
  demoPassword: "",
  token: "",
  demoUserId: "",
  otherProject: "",
  appCredId: "",
  appCredSecret: "",
  namespace: `${prefix}-pub`,
  fixtures: {} as Record<Mode, Fixture>
}

const adminEnv = () => openrc("admin")
const demoEnv = () => openrc("demo")

beforeAll(async () => {
  if (!up) return
  state.dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-secrets-"))
  state.demoPassword = demoEnv().OS_PASSWORD!
  const demo = await login("demo")
  state.token = demo.token
  state.demoUserId = demo.userId
  state.otherProject = (await login("other")).projectId
  assert.match(state.token, fernetLike, "the lab's tokens are Fernet tokens, so the pattern below means something")

  const response = await fetch(`${demoEnv().OS_AUTH_URL}/users/${demo.userId}/application_credentials`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": state.token },
    body: JSON.stringify({ application_credential: { name: `${prefix}-appcred` } })
  })
  assert.strictEqual(response.status, 201, "application credential created")
  const credential = ((await response.json()) as { application_credential: { id: string; secret: string } })
    .application_credential
  state.appCredId = credential.id
  state.appCredSecret = credential.secret

  const data = Path.join(state.dir, "data.img")
  Fs.writeFileSync(data, "image data for the secrets test\n")
  const created = await pool(
    modes.flatMap((mode) => [
      () =>
        run([
          "image-create",
          "--name",
          `${prefix}-${mode}-data`,
          "--disk-format",
          "raw",
          "--container-format",
          "bare",
          "--file",
          data,
          "-f",
          "value",
          "-c",
          "id"
        ], demoEnv()),
      () => run(["image-create", "--name", `${prefix}-${mode}-queued`, "-f", "value", "-c", "id"], demoEnv()),
      () => run(["image-create", "--name", `${prefix}-${mode}-doomed`, "-f", "value", "-c", "id"], demoEnv())
    ]),
    9
  )
  modes.forEach((mode, i) => {
    const [image, queued, doomed] = created.slice(i * 3, i * 3 + 3).map((r) => must(r, `${mode} fixture`).trim())
    state.fixtures[mode] = { image: image!, queued: queued!, doomed: doomed! }
  })
  // A public namespace of admin's that demo reads: an object with a property, a property, a tag.
  const ns = state.namespace
  must(await run(["md-namespace-create", ns, "--visibility", "public"], adminEnv()), "md-namespace-create")
  const contents = [
    [
      "md-object-create",
      ns,
      "--name",
      "obj1",
      "--schema",
      "{\"properties\":{\"prop1\":{\"title\":\"Prop 1\",\"type\":\"string\"}}}"
    ],
    ["md-property-create", ns, "--name", "prop2", "--title", "Prop 2", "--schema", "{\"type\":\"string\"}"],
    ["md-tag-create", ns, "--name", "tag1"]
  ]
  const made = await pool(contents.map((args) => () => run(args, adminEnv())), 3)
  made.forEach((r, i) => must(r, contents[i]![0]!))
})

afterAll(async () => {
  if (!up) return
  const listed = await run(["image-list", "-f", "json"], demoEnv())
  const ours = (JSON.parse(listed.stdout || "[]") as Array<{ ID: string; Name: string | null }>)
    .filter((i) => (i.Name ?? "").startsWith(prefix)).map((i) => i.ID)
  if (ours.length > 0) await run(["image-delete", ...ours], demoEnv())
  await pool(
    [state.namespace, ...modes.map((m) => `${prefix}-${m}-ns`), ...modes.map((m) => `${prefix}-${m}-imp`)].map(
      (ns) => () => run(["md-namespace-delete", ns], adminEnv())
    ),
    6
  )
  if (state.appCredId) {
    const response = await fetch(
      `${demoEnv().OS_AUTH_URL}/users/${state.demoUserId}/application_credentials/${state.appCredId}`,
      { method: "DELETE", headers: { "x-auth-token": state.token } }
    )
    if (response.status !== 204) console.warn(`application credential ${state.appCredId} not deleted`)
  }
  if (state.dir) Fs.rmSync(state.dir, { recursive: true, force: true })
})

/** How each mode logs in: the environment and the global options. */
const login$ = (mode: Mode): { env: Record<string, string>; global: Array<string> } => {
  switch (mode) {
    case "password": {
      // The password as a flag: anything that echoes the command line would show it.
      const { OS_PASSWORD, ...env } = demoEnv()
      return { env, global: ["--os-password", OS_PASSWORD!] }
    }
    case "token":
      return { env: {}, global: ["--os-auth-token", state.token, "--os-image-url", glanceUrl] }
    case "appcred":
      return {
        env: { OS_AUTH_URL: demoEnv().OS_AUTH_URL! },
        global: [
          "--os-application-credential-id",
          state.appCredId,
          "--os-application-credential-secret",
          state.appCredSecret
        ]
      }
  }
}

/**
 * Every command with realistic arguments, in two phases (what deletes runs after the rest).
 * Metadefs that demo would change are its own (`…-ns`, likely refused); those it reads are
 * admin's public namespace.
 */
const commandsFor = (mode: Mode): Record<string, { readonly args: ReadonlyArray<string>; readonly late?: true }> => {
  const { image, queued, doomed } = state.fixtures[mode]
  const data = Path.join(state.dir, "data.img")
  const pub = state.namespace
  const ns = `${prefix}-${mode}-ns`
  const other = state.otherProject
  const nsFile = Path.join(state.dir, `${mode}-ns.json`)
  Fs.writeFileSync(nsFile, JSON.stringify({ namespace: `${prefix}-${mode}-imp`, visibility: "private" }))
  const formats = ["--disk-format", "raw", "--container-format", "bare"]
  const url = "http://127.0.0.1:1/nowhere.img"
  return {
    "add-location": { args: [queued, "--url", url] },
    "bash-completion": { args: [] },
    "cache-clear": { args: ["--target", "queue"], late: true },
    "cache-delete": { args: [image], late: true },
    "cache-list": { args: [] },
    "cache-queue": { args: [image] },
    "explain": { args: ["image"] },
    "help": { args: ["image-create"] },
    "image-create": { args: ["--name", `${prefix}-${mode}-new`, ...formats, "--file", data, "--property", "k=v"] },
    "image-create-via-import": {
      args: ["--name", `${prefix}-${mode}-viaimport`, ...formats, "--file", data, "--import-method", "glance-direct"]
    },
    "image-deactivate": { args: [image] },
    "image-delete": { args: [doomed], late: true },
    "image-download": { args: [image, "--file", Path.join(state.dir, `${mode}-download.img`)] },
    "image-import": { args: [queued, "--import-method", "web-download", "--uri", url] },
    "image-inspect": { args: [data] },
    "image-list": { args: ["--limit", "5"] },
    "image-reactivate": { args: [image], late: true },
    "image-show": { args: [image] },
    "image-stage": { args: [queued, "--file", data] },
    "image-tag-delete": { args: [image, "secret-test"], late: true },
    "image-tag-update": { args: [image, "secret-test"] },
    "image-tasks": { args: [image] },
    "image-transfer": { args: [image, "--to-store", "cheap"] },
    "image-update": { args: [image, "--description", "secrets test", "--property", "k=v"] },
    "image-upload": { args: [queued, "--file", data] },
    "import-info": { args: [] },
    "location-add": { args: [queued, "--url", url] },
    "location-delete": { args: [image, "--url", url], late: true },
    "location-update": { args: [image, "--url", url, "--metadata", "{}"] },
    "md-namespace-create": { args: [ns, "--visibility", "private"] },
    "md-namespace-delete": { args: [ns], late: true },
    "md-namespace-import": { args: ["--file", nsFile] },
    "md-namespace-list": { args: [] },
    "md-namespace-objects-delete": { args: [ns], late: true },
    "md-namespace-properties-delete": { args: [ns], late: true },
    "md-namespace-resource-type-list": { args: [pub] },
    "md-namespace-show": { args: [pub] },
    "md-namespace-tags-delete": { args: [ns], late: true },
    "md-namespace-update": { args: [ns, "--description", "secrets test"] },
    "md-object-create": { args: [ns, "--name", "o", "--schema", "{}"] },
    "md-object-delete": { args: [ns, "o"], late: true },
    "md-object-list": { args: [pub] },
    "md-object-property-show": { args: [pub, "obj1", "prop1"] },
    "md-object-show": { args: [pub, "obj1"] },
    "md-object-update": { args: [ns, "o", "--name", "o2"] },
    "md-property-create": { args: [ns, "--name", "p", "--title", "P", "--schema", "{\"type\":\"string\"}"] },
    "md-property-delete": { args: [ns, "p"], late: true },
    "md-property-list": { args: [pub] },
    "md-property-show": { args: [pub, "prop2"] },
    "md-property-update": { args: [ns, "p", "--title", "Q"] },
    "md-resource-type-associate": { args: [ns, "--name", "OS::Glance::Image"] },
    "md-resource-type-deassociate": { args: [ns, "OS::Glance::Image"], late: true },
    "md-resource-type-list": { args: [] },
    "md-tag-create": { args: [ns, "--name", "t"] },
    "md-tag-create-multiple": { args: [ns, "--names", "a,b"] },
    "md-tag-delete": { args: [ns, "t"], late: true },
    "md-tag-list": { args: [pub] },
    "md-tag-show": { args: [pub, "tag1"] },
    "md-tag-update": { args: [ns, "t", "--name", "t2"] },
    "member-create": { args: [image, other] },
    "member-delete": { args: [image, other], late: true },
    "member-get": { args: [image, other] },
    "member-list": { args: ["--image-id", image] },
    "member-update": { args: [image, other, "accepted"] },
    "stores-delete": { args: [image, "--store", "cheap"], late: true },
    "stores-info": { args: [] },
    "task-create": {
      args: [
        "--type",
        "import",
        "--input",
        JSON.stringify({
          import_from: url,
          import_from_format: "raw",
          image_properties: { name: `${prefix}-${mode}-task`, disk_format: "raw", container_format: "bare" }
        })
      ]
    },
    "task-list": { args: ["--page-size", "3"] },
    "task-show": { args: ["00000000-0000-0000-0000-000000000000"] },
    "usage": { args: [] }
  }
}

/** The commands `glance --help` lists. */
const listedCommands = async (): Promise<Array<string>> => {
  const help = (await run(["--help"], {})).stdout
  const section = help.slice(help.indexOf("<subcommand>\n"))
  return [...section.matchAll(/^ {4}([a-z][a-z-]+)/gm)].map((m) => m[1]!)
}

describe.skipIf(!up)("no secret in any output", () => {
  it("every command listed by glance --help has arguments here", async () => {
    const listed = await listedCommands()
    assert.isAtLeast(listed.length, 60)
    const covered = Object.keys(commandsFor("password"))
    assert.deepStrictEqual(listed.filter((c) => !covered.includes(c)), [], "commands without arguments in this file")
    assert.deepStrictEqual(covered.filter((c) => !listed.includes(c)), [], "commands that glance no longer has")
  })

  it("a secret flag put after the command (not parsed as one) is not echoed in the parse error", async () => {
    const password = state.demoPassword
    const cases: Array<ReadonlyArray<string>> = [
      ["image-show", "--os-password", password],
      ["image-show", "--os-password", password, "extra"],
      ["image-show", `--os-password=${password}`, "a", "b"],
      ["image-list", "--os-auth-token", state.token, "extra"],
      ["image-create", "--os-application-credential-secret", state.appCredSecret, "x"],
      ["--os-password", password, "image-lst"]
    ]
    const { OS_PASSWORD: _, ...env } = demoEnv()
    const results = await pool(cases.map((args) => () => run(args, env)), 6)
    results.forEach((r, i) => {
      const what = cases[i]![0] === "--os-password" ? "--os-password … image-lst" : cases[i]![0]!
      assert.notStrictEqual(r.status, 0, what)
      const output = r.stdout + r.stderr
      for (const secret of [password, state.token, state.appCredSecret]) {
        assert.isFalse(output.includes(secret), `${what}: a secret in the output`)
      }
    })
  })

  // One test per way of logging in: every command runs once in each, with --debug.
  for (const mode of modes) {
    it(`every command with --debug, logged in by ${mode}`, async () => {
      const secrets: Array<[string, string]> = [
        ["demo's password", state.demoPassword],
        ["the token of this run", state.token],
        ["the application credential secret", state.appCredSecret]
      ]
      const leaks: Array<string> = []
      let curlLines = 0
      let runs = 0
      const check = (command: string, r: RunResult) => {
        runs++
        const output = r.stdout + r.stderr
        for (const [what, secret] of secrets) {
          // Never print the secret itself in the failure.
          if (output.includes(secret)) leaks.push(`${mode} ${command}: ${what}`)
        }
        if (fernetLike.test(output)) leaks.push(`${mode} ${command}: a Fernet token`)
        if (/^REQ: curl /m.test(r.stderr)) curlLines++
        // The output was captured and the login was the one meant (a scan of nothing proves nothing).
        if (command === "image-show") {
          assert.strictEqual(r.status, 0, `${mode} image-show: ${r.stderr}`)
          assert.include(r.stdout, state.fixtures[mode].image, `${mode} image-show`)
          const logins = r.stderr.match(/^REQ: curl -g -i -X POST '[^']*\/auth\/tokens' .*$/gm) ?? []
          if (mode === "token") assert.deepStrictEqual(logins, [], "the token mode does not log in")
          else assert.include(logins.join("\n"), mode === "appcred" ? "application_credential" : "\"password\"")
        }
      }
      const { env, global } = login$(mode)
      const commands = Object.entries(commandsFor(mode))
      // What deletes or undoes runs after the rest.
      for (const late of [false, true]) {
        await mapPool(
          commands.filter(([, c]) => (c.late === true) === late),
          6,
          async ([command, c]) => check(command, await run(["--debug", ...global, command, ...c.args], env))
        )
      }
      assert.deepStrictEqual(leaks, [], "secrets in the output")
      assert.strictEqual(runs, commands.length, `${mode}: every command ran`)
      // help, bash-completion, image-inspect and the local checks send nothing; the rest must have been traced.
      assert.isAtLeast(curlLines, commands.length - 7, `${mode}: --debug traced the requests`)
    }, 300_000)
  }
})
