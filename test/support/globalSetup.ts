/**
 * Once per `vitest run`, in vitest's main process (vitest.config.ts `globalSetup`): asks whether the
 * lab answers, so that no test file has to (`requireLab` in lab.ts reads the answer), and builds
 * dist/glance.js when it is missing (the CLI tests run it). Nothing here blocks a test worker.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { TestProject } from "vitest/node"
import { labIsUp } from "./labStatus.js"
import { run } from "./run.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Whether Keystone and Glance answered when the run started. */
    labUp: boolean
  }
}

const repoRoot = Path.resolve(import.meta.dirname, "../..")
const glanceBin = Path.join(repoRoot, "dist/glance.js")

/** The newest modification time of a file under `dir`. */
const newest = (dir: string): number =>
  Fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((latest, e) => Math.max(latest, Fs.statSync(Path.join(e.parentPath, e.name)).mtimeMs), 0)

const ensureBuilt = async () => {
  if (!Fs.existsSync(glanceBin)) {
    console.log("dist/glance.js is missing: npm run build")
    const built = await run("npm", ["run", "-s", "build"], { cwd: repoRoot, env: process.env, timeout: 600_000 })
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`)
  } else if (newest(Path.join(repoRoot, "src")) > Fs.statSync(glanceBin).mtimeMs) {
    console.warn("warning: dist/glance.js is older than src/: the CLI tests run the old build (npm run build)")
  }
}

export default async function setup(project: TestProject) {
  const [up] = await Promise.all([labIsUp(), ensureBuilt()])
  project.provide("labUp", up)
}
