/**
 * The library's core runs wherever @effect/platform does: no module of src/ outside src/node,
 * src/cli and src/bin.ts imports a Node.js built-in or @effect/platform-node, or uses `Buffer`,
 * `process` or `require`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"

const src = Path.resolve(import.meta.dirname, "../../src")
const nodeOnly = ["node", "cli", "bin.ts"].map((p) => Path.join(src, p))

const coreFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    if (nodeOnly.some((p) => path === p)) return []
    return entry.isDirectory() ? coreFiles(path) : path.endsWith(".ts") ? [path] : []
  })

/** The code of a file without its comments and string contents (so prose may mention node:crypto). */
const code = (text: string) =>
  text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").replace(/`(?:\\.|[^`\\])*`/g, "``")

const forbidden: ReadonlyArray<readonly [RegExp, string]> = [
  [/from\s+"node:[^"]+"/, "a node: import"],
  [
    /from\s+"(?:fs|path|os|crypto|stream|http|https|net|tls|url|util|buffer|worker_threads|child_process)"/,
    "a Node built-in"
  ],
  [/from\s+"@effect\/platform-node[^"]*"/, "@effect/platform-node"],
  [/\bBuffer\b/, "Buffer"],
  [/\bprocess\b/, "process"],
  [/(?<![.\w])require\s*\(/, "require()"]
]

describe("the core has no Node-only code", () => {
  const files = coreFiles(src)

  it("scans the core (the scan finds its files)", () => {
    assert.isAbove(files.length, 20)
    assert.isTrue(files.some((f) => f.endsWith("Images.ts")))
    assert.isFalse(files.some((f) => f.includes(`${Path.sep}node${Path.sep}`)))
  })

  it("no Node import, Buffer, process or require in src/ outside src/node, src/cli and src/bin.ts", () => {
    const found = files.flatMap((file) => {
      const text = code(Fs.readFileSync(file, "utf8"))
      return forbidden.filter(([pattern]) => pattern.test(text)).map(([, what]) =>
        `${Path.relative(src, file)}: ${what}`
      )
    })
    assert.deepStrictEqual(found, [])
  })

  it("the scan would catch one", () => {
    const sample = `import * as Crypto from "node:crypto"\nconst b = Buffer.alloc(1)\nconst p = process.pid\n`
    assert.deepStrictEqual(forbidden.filter(([p]) => p.test(code(sample))).map(([, w]) => w), [
      "a node: import",
      "Buffer",
      "process"
    ])
  })
})
