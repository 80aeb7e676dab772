/**
 * The package as an Effect user meets it: `npm pack`, then the tarball installed into an empty
 * project next to its peers (effect 3, @effect/platform), a strict TypeScript program compiled
 * against it (test/consumer/) and run over `GlanceTest` and against the lab. Also what npm says
 * to a project on effect 4 or pinned to effect 3.21: a refusal at install, not a failure at run
 * time. Needs `npm run build` first. Installs read npm's cache first (`--prefer-offline`); the
 * registry is asked only for what the cache lacks.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { openrc, repoRoot, requireLab, uniqueName } from "../support/lab.js"
import { run, type RunResult } from "../support/run.js"

const up = requireLab()

/** The peers the package is installed with: the versions the repository builds with. */
const peerVersion = (name: string): string =>
  JSON.parse(Fs.readFileSync(Path.join(repoRoot, "node_modules", name, "package.json"), "utf8")).version

const installDeadline = 300_000
const npmFlags = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]

const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glanceclient-package-"))
afterAll(() => Fs.rmSync(work, { recursive: true, force: true }))

let tarball = ""
let files: Array<string> = []
const consumer = Path.join(work, "consumer")

const npm = async (args: ReadonlyArray<string>, cwd: string, timeout = installDeadline): Promise<RunResult> =>
  run("npm", args, { cwd, timeout, env: { ...process.env, npm_config_update_notifier: "false" } })

const ok = (r: RunResult, what: string): RunResult => {
  assert.strictEqual(r.status, 0, `${what} failed:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-1000)}`)
  return r
}

const emptyProject = (name: string, dependencies: Record<string, string> = {}): string => {
  const dir = Path.join(work, name)
  Fs.mkdirSync(dir, { recursive: true })
  Fs.writeFileSync(
    Path.join(dir, "package.json"),
    JSON.stringify({ name, private: true, type: "module", dependencies })
  )
  return dir
}

/** Every installed package under `dir/node_modules`, by its folder (nested copies included). */
const installedPackages = (dir: string): Array<string> => {
  const found: Array<string> = []
  const walk = (modules: string) => {
    if (!Fs.existsSync(modules)) return
    for (const entry of Fs.readdirSync(modules)) {
      if (entry.startsWith(".")) continue
      const names = entry.startsWith("@")
        ? Fs.readdirSync(Path.join(modules, entry)).map((n) => `${entry}/${n}`)
        : [entry]
      for (const name of names) {
        const folder = Path.join(modules, name)
        if (!Fs.existsSync(Path.join(folder, "package.json"))) continue
        found.push(folder)
        walk(Path.join(folder, "node_modules"))
      }
    }
  }
  walk(Path.join(dir, "node_modules"))
  return found
}

const bytesUnder = (path: string): number => {
  const stat = Fs.lstatSync(path)
  if (!stat.isDirectory()) return stat.size
  return Fs.readdirSync(path).reduce((n, entry) => n + bytesUnder(Path.join(path, entry)), 0)
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`

beforeAll(async () => {
  for (const built of ["dist/src/index.js", "dist/src/node/index.js", "dist/src/testing/index.js", "dist/glance.js"]) {
    if (!Fs.existsSync(Path.join(repoRoot, built))) throw new Error(`${built} is missing: run npm run build first`)
  }
  const packed = ok(await npm(["pack", "--json", "--pack-destination", work], repoRoot), "npm pack")
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = Path.join(work, info!.filename)
  files = info!.files.map((f) => f.path)
  emptyProject("consumer", {
    glanceclient: `file:${tarball}`,
    effect: peerVersion("effect"),
    "@effect/platform": peerVersion("@effect/platform")
  })
  ok(await npm(["install", ...npmFlags], consumer), "npm install of the tarball with its peers")
}, 2 * installDeadline)

describe("the published package", () => {
  it("holds the library, its sources and docs and the bundled command; not the command's modules", () => {
    for (
      const expected of ["package.json", "README.md", "LICENSE", "dist/glance.js", "dist/src/index.js", "src/Images.ts"]
    ) {
      assert.include(files, expected)
    }
    assert.isTrue(files.some((f) => f.startsWith("docs/")), "docs/ is in the package (the README links there)")
    const command = files.filter((f) => /^(dist\/)?src\/(cli\/|bin\.)/.test(f) || f === "dist/glance.js.map")
    assert.deepStrictEqual(command, [], "the command is the bundle only")
  })

  it("the README's and docs' relative links point at files in the package (they work on the registry page)", () => {
    const shipped = new Set(files)
    const pages = files.filter((f) => f.endsWith(".md"))
    assert.include(pages, "README.md")
    const broken: Array<string> = []
    let checked = 0
    for (const page of pages) {
      const text = Fs.readFileSync(Path.join(repoRoot, page), "utf8")
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith("#")) continue
        const file = Path.posix.normalize(Path.posix.join(Path.posix.dirname(page), decodeURI(target!.split("#")[0]!)))
        checked++
        if (!shipped.has(file)) broken.push(`${page} -> ${target}`)
      }
    }
    assert.isAbove(checked, 10, "the links were found")
    assert.deepStrictEqual(broken, [])
  })

  it("compiles the README's example code: test/consumer/offline.ts holds it as the README shows it", () => {
    const yourCode = (text: string) => {
      const start = text.indexOf("// Your code:\n")
      assert.isAtLeast(start, 0, "no // Your code: block")
      return text.slice(start, text.indexOf("\n\n", start))
    }
    const readme = Fs.readFileSync(Path.join(repoRoot, "README.md"), "utf8")
    const consumerCode = Fs.readFileSync(Path.join(repoRoot, "test/consumer/offline.ts"), "utf8")
    assert.strictEqual(yourCode(consumerCode), yourCode(readme))
  })

  it("ships every source a source map points at", () => {
    const shipped = new Set(files)
    const maps = files.filter((f) => f.endsWith(".map"))
    assert.isAbove(maps.length, 0)
    const installed = Path.join(consumer, "node_modules/glanceclient")
    const missing: Array<string> = []
    for (const map of maps) {
      const { sources } = JSON.parse(Fs.readFileSync(Path.join(installed, map), "utf8")) as { sources: Array<string> }
      for (const source of sources) {
        const path = Path.posix.normalize(Path.posix.join(Path.posix.dirname(map), source))
        if (!shipped.has(path)) missing.push(`${map} → ${source}`)
      }
    }
    assert.deepStrictEqual(missing, [])
  })

  it("installs with its peers as one copy of effect, without the command's packages", () => {
    const packages = installedPackages(consumer)
    const names = packages.map((folder) => Path.relative(Path.join(consumer, "node_modules"), folder))
    const copies = (name: string) => names.filter((n) => n === name || n.endsWith(`/node_modules/${name}`))
    assert.strictEqual(copies("effect").length, 1, names.join(", "))
    assert.strictEqual(copies("@effect/platform").length, 1, names.join(", "))
    for (
      const cliOnly of ["@effect/cli", "@effect/platform-node", "@effect/printer", "@effect/cluster", "@effect/sql"]
    ) {
      assert.deepStrictEqual(copies(cliOnly), [], `${cliOnly} is installed`)
    }
    const total = packages.reduce((n, folder) => n + bytesUnder(folder), 0)
    // glanceclient's own share: the package and what its `dependencies` bring (the peers aside).
    const own = new Set<string>()
    const visit = (folder: string) => {
      if (own.has(folder)) return
      own.add(folder)
      const manifest = JSON.parse(Fs.readFileSync(Path.join(folder, "package.json"), "utf8"))
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const nested = Path.join(folder, "node_modules", dependency)
        visit(Fs.existsSync(nested) ? nested : Path.join(consumer, "node_modules", dependency))
      }
    }
    visit(Path.join(consumer, "node_modules/glanceclient"))
    const ownBytes = [...own].reduce((n, folder) => n + bytesUnder(folder), 0)
    console.log(
      `npm install glanceclient effect @effect/platform: ${packages.length} packages, ${mib(total)}; ` +
        `glanceclient and its dependencies: ${own.size} packages, ${mib(ownBytes)}`
    )
    assert.isBelow(ownBytes, 8 * 1048576, "glanceclient's own share of the install")
  })

  it("imports by its public entry points only", async () => {
    const script = `
      const tried = {}
      for (const specifier of process.argv.slice(1)) {
        tried[specifier] = await import(specifier).then(() => "ok", (e) => e.code ?? String(e))
      }
      console.log(JSON.stringify(tried))
    `
    const specifiers = [
      "glanceclient",
      "glanceclient/node",
      "glanceclient/testing",
      "glanceclient/bin",
      "glanceclient/Images",
      "glanceclient/cli/main",
      "glanceclient/node/blockGet",
      "glanceclient/internal/http",
      "glanceclient/dist/src/index.js"
    ]
    const r = ok(
      await run("node", ["--input-type=module", "-e", script, ...specifiers], { cwd: consumer, timeout: 60_000 }),
      "importing the package"
    )
    const refused = "ERR_PACKAGE_PATH_NOT_EXPORTED"
    assert.deepStrictEqual(JSON.parse(r.stdout), {
      "glanceclient": "ok",
      "glanceclient/node": "ok",
      "glanceclient/testing": "ok",
      "glanceclient/bin": refused,
      "glanceclient/Images": refused,
      "glanceclient/cli/main": refused,
      "glanceclient/node/blockGet": refused,
      "glanceclient/internal/http": refused,
      "glanceclient/dist/src/index.js": refused
    })
  })

  it("compiles a strict TypeScript program against it, which runs over GlanceTest and against the lab", async () => {
    ok(
      await npm([
        "install",
        ...npmFlags,
        "-D",
        `typescript@${peerVersion("typescript")}`,
        `@types/node@${peerVersion("@types/node")}`
      ], consumer),
      "npm install of typescript"
    )
    for (const file of Fs.readdirSync(Path.join(repoRoot, "test/consumer"))) {
      Fs.copyFileSync(Path.join(repoRoot, "test/consumer", file), Path.join(consumer, file))
    }
    // skipLibCheck is off: the package's declarations are checked too.
    ok(await run("node", ["node_modules/typescript/bin/tsc", "-p", "."], { cwd: consumer, timeout: 600_000 }), "tsc")

    const offline = ok(await run("node", ["out/offline.js"], { cwd: consumer, timeout: 60_000 }), "the offline example")
    assert.deepStrictEqual(JSON.parse(offline.stdout), { status: "active", size: 13, known: true })

    if (!up) return
    const lab = ok(
      await run("node", ["out/lab.js"], {
        cwd: consumer,
        timeout: 120_000,
        env: { ...process.env, ...openrc("demo"), CONSUMER_IMAGE_NAME: uniqueName("package-test") }
      }),
      "the lab example"
    )
    const result = JSON.parse(lab.stdout) as Record<string, unknown>
    assert.strictEqual(result.status, "active")
    assert.strictEqual(result.downloaded, result.sent)
    assert.strictEqual(result.size, result.sent)
  }, 900_000)

  it("is refused at install next to effect 4, or effect pinned to 3.21; an effect 3 range gets one copy", async () => {
    const attempts = [
      ["effect-4", "4.1.0", false],
      ["effect-3.21-pinned", "3.21.2", false],
      ["effect-3.21-range", "^3.21.2", true]
    ] as const
    for (const [name, effect, installs] of attempts) {
      const dir = emptyProject(name, { effect, glanceclient: `file:${tarball}` })
      const r = await npm(["install", ...npmFlags], dir)
      if (installs) {
        ok(r, `npm install with effect ${effect}`)
        const effects = installedPackages(dir).filter((folder) => Path.basename(folder) === "effect")
        assert.strictEqual(effects.length, 1)
        const version = JSON.parse(Fs.readFileSync(Path.join(effects[0]!, "package.json"), "utf8")).version as string
        assert.match(version, /^3\.(2[2-9]|[3-9]\d)\./)
      } else {
        assert.notStrictEqual(r.status, 0, `npm install with effect ${effect} succeeded`)
        assert.include(r.stderr, "ERESOLVE")
        assert.match(r.stderr, /peer effect@"\^3\.22/)
        assert.isFalse(Fs.existsSync(Path.join(dir, "node_modules/glanceclient")))
      }
    }
  }, 3 * installDeadline)
})
