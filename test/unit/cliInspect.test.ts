/**
 * `glance image-inspect` (dist/glance.js; `npm run build` first): no cloud, no credentials. Its
 * fields for a file, a pipe and compressed data; one line and exit 2 for a path that is not a file.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { imageDir, qemuInfo, tool } from "../support/diskImages.js"
import { cleanEnv, glanceBin } from "../support/lab.js"
import { run } from "../support/run.js"

const dir = imageDir("cli-inspect-unit")
const at = (name: string) => Path.join(dir, name)

beforeAll(async () => {
  await tool("qemu-img", ["create", "-q", "-f", "qcow2", at("base.qcow2"), "5G"])
  await tool("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "child.qcow2"], dir)
  Fs.copyFileSync(at("base.qcow2"), at("packed.qcow2"))
  await tool("gzip", ["-k", "-q", at("packed.qcow2")])
})
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const inspect = (args: ReadonlyArray<string>, input?: Uint8Array) =>
  run(process.execPath, [glanceBin, "image-inspect", ...args], { env: cleanEnv(), input })

const json = async (args: ReadonlyArray<string>, input?: Uint8Array) => {
  const result = await inspect(["-f", "json", ...args], input)
  assert.strictEqual(result.status, 0, result.stderr)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

describe("glance image-inspect", () => {
  it("prints the format, the virtual size qemu-img gives, and safe: yes for a plain qcow2", async () => {
    const report = await json([at("base.qcow2")])
    const info = await qemuInfo(at("base.qcow2"))
    assert.isTrue(info.ok)
    assert.strictEqual(report.format, "qcow2")
    assert.strictEqual(report.virtual_size, info.ok ? info.virtualSize : -1)
    assert.strictEqual(report.size, Fs.statSync(at("base.qcow2")).size)
    assert.strictEqual(report.min_disk, 5)
    assert.strictEqual(report.safe, "yes")
    assert.deepStrictEqual(report.problems, [])
    assert.deepStrictEqual(report.disk_formats, ["qcow2"])
  })

  it("says no, with the reason, for a backing file; exits 0 (it is a report)", async () => {
    const result = await inspect([at("child.qcow2")])
    assert.strictEqual(result.status, 0)
    assert.match(result.stdout, /\| safe +\| no +\|/)
    assert.match(result.stdout, /\| backing_file +\| base\.qcow2 +\|/)
    assert.include(result.stdout, "backing_file: qcow2 image has a backing file (base.qcow2)")
  })

  it("looks into gzip data, from a file and from standard input", async () => {
    const fromFile = await json([at("packed.qcow2.gz")])
    assert.strictEqual(fromFile.format, "qcow2")
    assert.strictEqual(fromFile.compression, "gzip")
    assert.strictEqual(fromFile.virtual_size, 5 * 1073741824)
    const fromPipe = await json(["-"], Fs.readFileSync(at("packed.qcow2.gz")))
    assert.strictEqual(fromPipe.format, "qcow2")
    assert.strictEqual(fromPipe.compression, "gzip")
  })

  it("refuses a missing file and a directory in one line, exit 2", async () => {
    for (const path of [at("missing.img"), dir]) {
      const result = await inspect([path])
      assert.strictEqual(result.status, 2)
      assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr)
      assert.include(result.stderr, path)
    }
  })
})
