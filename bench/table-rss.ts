/**
 * Peak RSS of `glance` printing very large answers: the scriptable misbehaving server
 * (test/support) serves PAGES pages of PER_PAGE plausible image records (made per request, never
 * held), and one image whose description has 200,000 lines. Each case runs `dist/glance.js` in
 * token + URL mode under /usr/bin/time, standard output to a file, and counts the lines printed.
 *
 *     npm run build && npx tsx bench/table-rss.ts                 # 200 pages x 1,000 images
 *     npx tsx bench/table-rss.ts --pages 20 --only table,json
 *     npx tsx bench/table-rss.ts --node-arg=--trace-gc            # a flag for node itself
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import * as MisbehavingServer from "../test/support/misbehavingServer.js"

const { values: options } = parseArgs({
  options: {
    pages: { type: "string", default: "200" },
    "per-page": { type: "string", default: "1000" },
    only: { type: "string", default: "table,verbose,json,yaml,value,newlines" },
    "node-arg": { type: "string", multiple: true, default: [] }
  }
})
const pages = Number(options.pages)
const perPage = Number(options["per-page"])
const total = pages * perPage

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`
const record = (n: number) =>
  MisbehavingServer.image({
    id: id(n),
    name: `image-${n}-${"x".repeat(n % 40)}`,
    checksum: "0123456789abcdef0123456789abcdef",
    os_hash_algo: "sha512",
    os_hash_value: "ab".repeat(64),
    size: n * 1024
  })
const tall = MisbehavingServer.image({ id: id(999_999_999), description: "line\n".repeat(200_000) })

const server = await MisbehavingServer.start()
MisbehavingServer.fakeGlance(server, [tall])
server.on("GET", "/v2/images", (request) => {
  const marker = request.query.get("marker")
  const start = marker === null ? 0 : parseInt(marker.slice(-12), 16) + 1
  const end = Math.min(start + perPage, total)
  const images = Array.from({ length: end - start }, (_, k) => record(start + k))
  return { json: { images, ...(end < total ? { next: `/v2/images?marker=${id(end - 1)}` } : {}) } }
})

const glance = Path.resolve(import.meta.dirname, "../dist/glance.js")
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-table-rss-"))
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")))

/** Runs glance under /usr/bin/time, asynchronously (this process is the server), stdout to a file. */
const measure = (argv: ReadonlyArray<string>) =>
  new Promise<{ status: number | null; wall: number; rss: number; lines: number; stderr: string }>(
    (resolve, reject) => {
      const out = Path.join(work, "stdout")
      const fd = Fs.openSync(out, "w")
      const child = spawn("/usr/bin/time", [
        "-f",
        "%e %M",
        process.execPath,
        ...options["node-arg"],
        glance,
        "--os-auth-token",
        "t",
        "--os-image-url",
        server.url,
        ...argv
      ], { env: { ...env, HOME: work }, stdio: ["ignore", fd, "pipe"] })
      let stderr = ""
      child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()))
      child.on("error", reject)
      child.on("close", (status) => {
        Fs.closeSync(fd)
        const lines = stderr.trim().split("\n")
        const [wall, rssKb] = lines.pop()!.split(" ").map(Number)
        let printed = 0
        const text = Fs.readFileSync(out, "latin1")
        for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) printed++
        Fs.rmSync(out)
        resolve({ status, wall: wall!, rss: rssKb! / 1024, lines: printed, stderr: lines.slice(-3).join(" ") })
      })
    }
  )

const list = ["image-list", "--page-size", String(perPage)]
const cases: Record<string, ReadonlyArray<string>> = {
  table: list,
  verbose: [...list, "--verbose"],
  json: [...list, "-f", "json"],
  yaml: [...list, "-f", "yaml"],
  value: [...list, "-f", "value"],
  newlines: ["image-show", String(tall.id)]
}
console.log(`${total} images (${pages} pages of ${perPage}); ${glance}`)
console.log("| case | exit | wall s | peak RSS MiB | lines printed |")
console.log("| ---- | ---- | ------ | ------------ | ------------- |")
try {
  for (const name of options.only.split(",")) {
    const r = await measure(cases[name]!)
    console.log(
      `| ${name} | ${r.status} | ${r.wall} | ${r.rss.toFixed(0)} | ${r.lines} |${r.stderr ? ` ${r.stderr}` : ""}`
    )
  }
} finally {
  await server.close()
  Fs.rmSync(work, { recursive: true, force: true })
}
