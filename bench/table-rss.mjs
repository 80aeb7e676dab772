#!/usr/bin/env node
// Peak RSS of `glance` printing a very large answer: a fake Glance on loopback (node:http, in this
// process) serves PAGES pages of PER_PAGE images (generated, never held), and one image whose
// description has 200,000 newlines. Each case runs `dist/glance.js` under /usr/bin/time with
// stdout to a file, then counts the rows printed.
//
//   node bench/table-rss.mjs                      # 200 pages x 1,000 images
//   node bench/table-rss.mjs --pages 20 --only table,json
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"

const root = Path.resolve(import.meta.dirname, "..")
const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const pages = Number(flag("pages", "200"))
const perPage = Number(flag("per-page", "1000"))
const only = flag("only", "table,verbose,json,yaml,value,newlines").split(",")
const total = pages * perPage
// Extra arguments for node itself, e.g. --node-args=--trace-gc (space-separated).
const nodeArgs = (args.find((a) => a.startsWith("--node-args="))?.slice("--node-args=".length) ?? "").split(" ").filter(
  Boolean
)

const id = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`
const imageRecord = (n, extra = {}) => ({
  id: id(n),
  name: `image-${n}-${"x".repeat(n % 40)}`,
  status: "active",
  visibility: "private",
  protected: false,
  os_hidden: false,
  checksum: "0123456789abcdef0123456789abcdef",
  os_hash_algo: "sha512",
  os_hash_value: "ab".repeat(64),
  size: n * 1024,
  virtual_size: null,
  disk_format: "raw",
  container_format: "bare",
  min_disk: 0,
  min_ram: 0,
  owner: "0123456789abcdef0123456789abcdef",
  tags: [],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  self: `/v2/images/${id(n)}`,
  file: `/v2/images/${id(n)}/file`,
  schema: "/v2/schemas/image",
  ...extra
})
const newlines = imageRecord(0, { id: id(999_999_999), description: "line\n".repeat(200_000) })

const server = Http.createServer((req, res) => {
  const url = new URL(req.url, "http://x")
  const send = (status, body) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
    res.end(text)
  }
  if (url.pathname === "/versions" || url.pathname === "/") {
    return send(300, {
      versions: [{ id: "v2.17", status: "CURRENT", links: [{ rel: "self", href: `${base}/v2/` }] }]
    })
  }
  if (url.pathname === "/v2/images") {
    const marker = url.searchParams.get("marker")
    const start = marker === null ? 0 : parseInt(marker.slice(-12), 16) + 1
    const end = Math.min(start + perPage, total)
    const images = []
    for (let n = start; n < end; n++) images.push(imageRecord(n))
    const next = end < total ? `/v2/images?marker=${id(end - 1)}` : undefined
    return send(200, { images, ...(next ? { next } : {}), first: "/v2/images", schema: "/v2/schemas/images" })
  }
  if (url.pathname === `/v2/images/${newlines.id}`) return send(200, newlines)
  send(404, { message: "not found" })
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const base = `http://127.0.0.1:${server.address().port}`

const glance = Path.join(root, "dist/glance.js")
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-table-rss-"))
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")))

/** Runs glance under /usr/bin/time (asynchronously: this process serves it), stdout to a file. */
const measure = (name, argv) =>
  new Promise((resolve, reject) => {
    const out = Path.join(work, `${name}.out`)
    const fd = Fs.openSync(out, "w")
    const child = spawn("/usr/bin/time", [
      "-f",
      "%e %M",
      process.execPath,
      ...nodeArgs,
      glance,
      "--os-auth-token",
      "t",
      "--os-image-url",
      base,
      ...argv
    ], { env: { ...env, HOME: work }, stdio: ["ignore", fd, "pipe"] })
    let stderr = ""
    child.stderr.on("data", (b) => (stderr += b))
    child.on("error", reject)
    child.on("close", (status) => {
      Fs.closeSync(fd)
      const lines = stderr.trim().split("\n")
      const [wall, rssKb] = lines.pop().split(" ").map(Number)
      const printed = Fs.readFileSync(out, "utf8")
      if (process.env.GLANCE_BENCH_STDOUT) Fs.copyFileSync(out, process.env.GLANCE_BENCH_STDOUT)
      Fs.rmSync(out)
      if (process.env.GLANCE_BENCH_STDERR) Fs.writeFileSync(process.env.GLANCE_BENCH_STDERR, stderr)
      resolve({
        name,
        status,
        wall,
        rss: rssKb / 1024,
        lines: printed.split("\n").length - 1,
        error: lines.slice(-3).join(" ")
      })
    })
  })

const cases = {
  table: ["image-list", "--page-size", String(perPage)],
  verbose: ["image-list", "--page-size", String(perPage), "--verbose"],
  json: ["image-list", "--page-size", String(perPage), "-f", "json"],
  yaml: ["image-list", "--page-size", String(perPage), "-f", "yaml"],
  value: ["image-list", "--page-size", String(perPage), "-f", "value"],
  newlines: ["image-show", newlines.id]
}
console.log(`${total} images (${pages} pages of ${perPage}); glance ${glance}`)
console.log("| case | exit | wall s | peak RSS MiB | lines printed |")
console.log("| --- | --- | --- | --- | --- |")
for (const name of only) {
  const r = await measure(name, cases[name])
  console.log(
    `| ${name} | ${r.status} | ${r.wall} | ${r.rss.toFixed(0)} | ${r.lines} |${
      r.error ? ` ${r.error.slice(0, 200)}` : ""
    }`
  )
}
server.close()
Fs.rmSync(work, { recursive: true, force: true })
