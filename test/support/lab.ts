/**
 * Access to the project's Keystone + Glance lab (scripts/lab/start.sh) for integration tests.
 * In CI (`CI=true`) a missing lab fails the test file; locally the file is skipped with a message.
 * Whether the lab is up is asked once per run (globalSetup.ts); commands run asynchronously with a
 * deadline (`runGlance`, `runPython`), never blocking the test worker.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { inject } from "vitest"
import type { Settings } from "../../src/CloudConfig.js"
import * as GlanceClient from "../../src/GlanceClient.js"
import { labDir } from "./labStatus.js"
import { runPythonGlance } from "./pythonGlance.js"
import * as Run from "./run.js"

export { labDir, labIsUp } from "./labStatus.js"

/** The repository root. */
export const repoRoot = Path.resolve(import.meta.dirname, "../..")

const readEnvFile = (path: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const line of Fs.readFileSync(path, "utf8").split("\n")) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim())
    if (m) out[m[1]!] = m[2]!.replace(/^["']|["']$/g, "")
  }
  return out
}

/**
 * True when integration tests must run (CI) or can run (lab up). Throws in CI when the lab is down.
 * The answer comes from globalSetup.ts, asked once when the run started.
 */
export const requireLab = (): boolean => {
  const up = inject("labUp")
  if (up === undefined) {
    throw new Error("the lab's status is unknown: vitest.config.ts must run test/support/globalSetup.ts")
  }
  if (up) return true
  if (process.env.CI === "true" || process.env.CI === "1") {
    throw new Error(`The lab is not up (LAB_DIR=${labDir}): start it with scripts/lab/start.sh`)
  }
  console.warn(`SKIPPED: the lab is not up (start it with: bash scripts/lab/start.sh)`)
  return false
}

/** The lab's users. */
export type LabUser = "admin" | "demo" | "other"

/** The `OS_*` variables of a lab user, as its openrc file sets them. */
export const openrc = (user: LabUser): Record<string, string> => readEnvFile(Path.join(labDir, `${user}-openrc`))

/** Library settings for a lab user. */
export const settingsFor = (user: LabUser, extra: Settings = {}): Settings => {
  const env = openrc(user)
  return {
    authUrl: env.OS_AUTH_URL,
    username: env.OS_USERNAME,
    password: Redacted.make(env.OS_PASSWORD!),
    projectName: env.OS_PROJECT_NAME,
    userDomainName: env.OS_USER_DOMAIN_NAME,
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME,
    regionName: env.OS_REGION_NAME,
    interface: "public",
    ...extra
  }
}

/** The Node platform the library runs on in tests: the platform's HttpClient, with the portable transport and hasher. */
export const platform = Layer.mergeAll(
  GlanceClient.portable.pipe(Layer.provideMerge(NodeHttpClient.layer)),
  NodeFileSystem.layer
)

/** The whole client, logged in as a lab user (build it once per file: a login costs ~0.25 s). */
export const clientFor = (user: LabUser, extra: Settings = {}) =>
  GlanceClient.layer(settingsFor(user, extra)).pipe(Layer.provideMerge(platform))

/** The built `glance` executable (GLANCE_BIN: another build, e.g. of a clean checkout, to run the same tests against). */
export const glanceBin = process.env.GLANCE_BIN ?? Path.join(repoRoot, "dist/glance.js")

/** What a finished command printed and its exit status (what the helpers of test files look at). */
export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly status: number
}

/** How `runGlance` and `runPython` run a command. */
export interface GlanceRunOptions {
  /**
   * `"password"` (the default): the user's openrc, so the command logs in at Keystone and finds
   * Glance in the catalog, as a user's would. `"token"`: a token of the user's, got once per test
   * process, with the image URL (`OS_AUTH_TOKEN`, `OS_IMAGE_URL`; both clients read them), so the
   * command goes straight to Glance: for tests of commands, not of logins (a password login costs
   * the lab's Keystone more than most commands cost Glance, and Keystone is shared by every test).
   */
  readonly login?: "password" | "token" | undefined
  readonly env?: Record<string, string> | undefined
  /** Bytes piped to standard input (then closed), or pieces written as they come (a slow pipe). */
  readonly input?: Run.RunOptions["input"]
  /** `"ignore"`: standard input on /dev/null (no data, as from a script); a descriptor: a redirected file. */
  readonly stdin?: Run.RunOptions["stdin"]
  /** A descriptor standard output is redirected to. */
  readonly stdout?: number | undefined
  readonly cwd?: string | undefined
  /** Milliseconds before the command is killed and the test fails (default 120 s). */
  readonly timeout?: number | undefined
  /** Kills the command (and fails its promise) when it aborts. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Runs our `glance` asynchronously with a lab user's environment (a fresh HOME, no inherited
 * OS_*); `user` undefined runs it with no credentials at all. Standard input is an empty pipe
 * unless `input` or `stdin` says otherwise. Rejects past its deadline, naming the command.
 */
export const runGlance = async (
  user: LabUser | undefined,
  args: ReadonlyArray<string>,
  options: GlanceRunOptions = {}
): Promise<Run.RunResult> => {
  if (!Fs.existsSync(glanceBin)) throw new Error(`${glanceBin} is missing: run npm run build first`)
  const login = user === undefined ? {} : options.login === "token" ? await tokenEnv(user) : openrc(user)
  return Run.run(process.execPath, [glanceBin, ...args], {
    env: { ...cleanEnv(), ...login, ...options.env },
    input: options.input,
    stdin: options.stdin,
    stdout: options.stdout,
    cwd: options.cwd ?? repoRoot,
    timeout: options.timeout,
    signal: options.signal
  })
}

/** The lab's Glance, as the lab wrote it in lab.env. */
export const glanceUrl = (): string => readEnvFile(Path.join(labDir, "lab.env")).GLANCE_URL ?? "http://127.0.0.1:9292"

const tokens = new Map<LabUser, { readonly token: Promise<string>; readonly at: number }>()

/**
 * `OS_AUTH_TOKEN` and `OS_IMAGE_URL` for a lab user: one Keystone login per test process, renewed
 * after 30 minutes (the lab's tokens live an hour).
 */
export const tokenEnv = async (user: LabUser): Promise<Record<string, string>> => {
  let entry = tokens.get(user)
  if (entry === undefined || Date.now() - entry.at > 30 * 60_000) {
    entry = { token: keystoneLogin(user).then((l) => l.token), at: Date.now() }
    tokens.set(user, entry)
    entry.token.catch(() => tokens.delete(user))
  }
  return { OS_AUTH_TOKEN: await entry.token, OS_IMAGE_URL: glanceUrl() }
}

/**
 * Runs python-glanceclient's `glance` with a fresh HOME of its own (its schema cache breaks
 * against multistore), in one of this test process's python-glanceclient drivers
 * (pythonGlance.ts: as a fresh process would run it, without its second of start-up).
 */
export const runPython = async (
  user: LabUser,
  args: ReadonlyArray<string>,
  options: GlanceRunOptions = {}
): Promise<Run.RunResult> => {
  if (options.input !== undefined && typeof options.input !== "string" && !(options.input instanceof Uint8Array)) {
    throw new Error("runPython: a slow-pipe input is not supported (give the bytes)")
  }
  const login = options.login === "token" ? await tokenEnv(user) : openrc(user)
  const home = await Fs.promises.mkdtemp("/tmp/pyglance-home-")
  try {
    return await runPythonGlance(args, {
      env: { ...cleanEnv(), ...login, HOME: home, ...options.env },
      input: options.input,
      stdin: options.stdin,
      stdout: options.stdout,
      cwd: options.cwd,
      timeout: options.timeout,
      signal: options.signal
    })
  } finally {
    await Fs.promises.rm(home, { recursive: true, force: true })
  }
}

let sharedHome: string | undefined

/** The environment without any OS_* variable, with an empty HOME of this test process (removed at exit). */
export const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OS_") && v !== undefined) env[k] = v
  if (sharedHome === undefined) {
    const home = Fs.mkdtempSync("/tmp/glance-home-")
    sharedHome = home
    process.once("exit", () => Fs.rmSync(home, { recursive: true, force: true }))
  }
  env.HOME = sharedHome
  return env
}

/** A unique name for a test image, so parallel runs and leftovers never collide. */
export const uniqueName = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`

/** What a password login of a lab user straight at Keystone answers (see `keystoneLogin`). */
export interface KeystoneLogin {
  readonly token: string
  readonly userId: string
  readonly projectId: string
}

/** Logs a lab user in at Keystone (password, project-scoped), outside the client under test. */
export const keystoneLogin = async (user: LabUser): Promise<KeystoneLogin> => {
  const env = openrc(user)
  const response = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: {
            user: {
              name: env.OS_USERNAME,
              domain: { name: env.OS_USER_DOMAIN_NAME ?? "Default" },
              password: env.OS_PASSWORD
            }
          }
        },
        scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: env.OS_PROJECT_DOMAIN_NAME ?? "Default" } } }
      }
    })
  })
  if (response.status !== 201) throw new Error(`${user} cannot log in at Keystone (HTTP ${response.status})`)
  const body = (await response.json()) as { token: { user: { id: string }; project: { id: string } } }
  return {
    token: response.headers.get("x-subject-token")!,
    userId: body.token.user.id,
    projectId: body.token.project.id
  }
}
