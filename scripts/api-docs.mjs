// Generates the API reference (docs/api/, Markdown) from the JSDoc of the public entry points with
// TypeDoc (typedoc.json). `--check` generates it into a temporary folder and fails, naming the
// files, when docs/api/ differs: the reference in the repository is stale.
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const root = Path.resolve(import.meta.dirname, "..")
const committed = Path.join(root, "docs/api")
const check = process.argv.includes("--check")
const out = check ? Fs.mkdtempSync(Path.join(Os.tmpdir(), "glanceclient-api-")) : committed

const typedoc = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [Path.join(root, "node_modules/typedoc/bin/typedoc"), ...args], {
      cwd: root,
      stdio: "inherit"
    })
    child.on("error", reject)
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`typedoc exited with ${code}`))))
  })

const files = (dir) =>
  Fs.existsSync(dir)
    ? Fs.readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => Path.relative(dir, Path.join(entry.parentPath, entry.name)))
      .sort()
    : []

try {
  if (!check) Fs.rmSync(committed, { recursive: true, force: true })
  await typedoc(["--out", out, "--logLevel", "Warn"])
  if (check) {
    const fresh = files(out)
    const old = new Set(files(committed))
    const stale = [
      ...fresh.filter((f) =>
        !old.has(f) || !Fs.readFileSync(Path.join(out, f)).equals(Fs.readFileSync(Path.join(committed, f)))
      ),
      ...[...old].filter((f) => !fresh.includes(f))
    ]
    if (stale.length > 0) {
      console.error(`docs/api is stale (regenerate: npm run docs:api): ${stale.slice(0, 20).join(", ")}`)
      process.exitCode = 1
    }
  }
} finally {
  if (check) Fs.rmSync(out, { recursive: true, force: true })
}
