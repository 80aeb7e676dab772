/**
 * Access to the project's Keystone + Glance lab (scripts/lab/start.sh) for integration tests.
 * In CI (`CI=true`) a missing lab fails the test file; locally the file is skipped with a message.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { Settings } from "../../src/CloudConfig.js"
import * as GlanceClient from "../../src/GlanceClient.js"
import * as Run from "./run.js"

/** Where the lab keeps its state. */
export const labDir = process.env.LAB_DIR ?? "/tmp/openstack-lab"

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

/** Whether Keystone and Glance answer. */
export const labIsUp = (): boolean =>
  spawnSync("bash", [Path.join(repoRoot, "scripts/lab/status.sh")], { env: { ...process.env, LAB_DIR: labDir } })
    .status === 0

/** True when integration tests must run (CI) or can run (lab up). Throws in CI when the lab is down. */
export const requireLab = (): boolean => {
  const up = labIsUp()
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

/** The built `glance` executable. */
export const glanceBin = Path.join(repoRoot, "dist/glance.js")

/** Result of running a command. */
export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly status: number
}

/** Runs our `glance` with a lab user's environment (a fresh HOME, no inherited OS_*). */
export const glance = (
  user: LabUser | undefined,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string | Buffer; readonly cwd?: string } = {}
): RunResult => {
  if (!Fs.existsSync(glanceBin)) execFileSync("npm", ["run", "-s", "build"], { cwd: repoRoot, stdio: "inherit" })
  const result = spawnSync(process.execPath, [glanceBin, ...args], {
    env: { ...cleanEnv(), ...(user ? openrc(user) : {}), ...options.env },
    input: options.input ?? "",
    cwd: options.cwd ?? repoRoot,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000
  })
  return { stdout: result.stdout.toString(), stderr: result.stderr.toString(), status: result.status ?? -1 }
}

/** Runs python-glanceclient's `glance` with a fresh HOME (its schema cache breaks against multistore). */
export const pythonGlance = (
  user: LabUser,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): RunResult => {
  const home = Fs.mkdtempSync("/tmp/pyglance-home-")
  const result = spawnSync("glance", args, {
    env: { ...cleanEnv(), ...openrc(user), HOME: home, ...env },
    input: "",
    maxBuffer: 64 * 1024 * 1024
  })
  Fs.rmSync(home, { recursive: true, force: true })
  return { stdout: result.stdout.toString(), stderr: result.stderr.toString(), status: result.status ?? -1 }
}

/** How `runGlance` runs a command. */
export interface GlanceRunOptions {
  readonly env?: Record<string, string> | undefined
  readonly input?: string | Uint8Array | undefined
  readonly cwd?: string | undefined
  /** Milliseconds before the command is killed and the test fails (default 120 s). */
  readonly timeout?: number | undefined
}

/**
 * Runs our `glance` asynchronously with a lab user's environment (a fresh HOME, no inherited
 * OS_*); `user` undefined runs it with no credentials at all. Rejects past its deadline.
 */
export const runGlance = (
  user: LabUser | undefined,
  args: ReadonlyArray<string>,
  options: GlanceRunOptions = {}
): Promise<Run.RunResult> => {
  if (!Fs.existsSync(glanceBin)) throw new Error(`${glanceBin} is missing: run npm run build first`)
  return Run.run(process.execPath, [glanceBin, ...args], {
    env: { ...cleanEnv(), ...(user ? openrc(user) : {}), ...options.env },
    input: options.input,
    cwd: options.cwd ?? repoRoot,
    timeout: options.timeout
  })
}

/**
 * Runs python-glanceclient's `glance` asynchronously with a fresh HOME of its own (its schema
 * cache breaks against multistore).
 */
export const runPython = async (
  user: LabUser,
  args: ReadonlyArray<string>,
  options: GlanceRunOptions = {}
): Promise<Run.RunResult> => {
  const home = await Fs.promises.mkdtemp("/tmp/pyglance-home-")
  try {
    return await Run.run("glance", args, {
      env: { ...cleanEnv(), ...openrc(user), HOME: home, ...options.env },
      input: options.input,
      cwd: options.cwd,
      timeout: options.timeout
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
