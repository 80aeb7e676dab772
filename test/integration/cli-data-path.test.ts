/**
 * `glance image-download` against a fake Glance that misbehaves on the data path (what a real
 * Glance never does): one clear line on stderr, exit 1 and no file for every case, and a weak hash
 * verified with one warning.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { serveImage } from "../support/compositions.js"
import { runGlance } from "../support/lab.js"
import * as MisbehavingServer from "../support/misbehavingServer.js"

const id = "6a4cbf5c-1d3c-4d4f-9a7e-3f2b8c1d0e01"
const data = Crypto.randomBytes(2 * 1024 * 1024 + 77)
const hex = (algorithm: string, bytes: Uint8Array) => Crypto.createHash(algorithm).update(bytes).digest("hex")
const good = {
  size: data.byteLength,
  checksum: hex("md5", data),
  os_hash_algo: "sha512",
  os_hash_value: hex("sha512", data)
}

let server: MisbehavingServer.MisbehavingServer
beforeAll(async () => {
  server = await MisbehavingServer.start()
})
afterAll(() => server.close())

const serve = (record: Record<string, unknown>, ...files: Array<MisbehavingServer.Reply>) =>
  serveImage(server, id, record, ...files)

/** `glance image-download ID --file F [extra]` with a token and the fake's URL; the directory's files after. */
const download = async (extra: ReadonlyArray<string> = []) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-cli-data-"))
  const file = Path.join(dir, "out.img")
  const result = await runGlance(undefined, ["image-download", id, "--file", file, ...extra], {
    env: { OS_AUTH_TOKEN: "token", OS_IMAGE_URL: server.url },
    timeout: 60_000
  })
  const files = Fs.readdirSync(dir)
  const bytes = files.includes("out.img") ? Fs.readFileSync(file) : undefined
  Fs.rmSync(dir, { recursive: true, force: true })
  return { ...result, files, bytes, lines: result.stderr.trim().split("\n").filter((l) => l.length > 0) }
}

describe("glance image-download: the data path fails closed", () => {
  for (const algo of ["none", "../../x", ""]) {
    it(`os_hash_algo ${JSON.stringify(algo)} with a wrong md5 checksum: exit 1, one line naming it, no file`, async () => {
      serve({ ...good, os_hash_algo: algo, checksum: "0".repeat(32) }, { body: data })
      const got = await download()
      expect(got.status).toBe(1)
      expect(got.lines, got.stderr).toHaveLength(1)
      expect(got.lines[0]).toContain(JSON.stringify(algo))
      expect(got.files).toEqual([])
      // --allow-md5-fallback checks the checksum, which is wrong: never ignored.
      const fallback = await download(["--allow-md5-fallback"])
      expect(fallback.status).toBe(1)
      // The weak-hash warning, then the one error line.
      expect(fallback.lines, fallback.stderr).toHaveLength(2)
      expect(fallback.lines[0]).toMatch(/^glance: warning: .* md5 only/)
      expect(fallback.lines[1]).toMatch(/md5/)
      expect(fallback.files).toEqual([])
    })
  }

  it("an md5-only image verifies, with one warning line on stderr (and nothing on stdout)", async () => {
    serve({ size: data.byteLength, checksum: hex("md5", data) }, { body: data })
    const got = await download()
    expect(got.status).toBe(0)
    expect(got.bytes?.equals(data)).toBe(true)
    expect(got.lines).toEqual([
      `glance: warning: Image ${id} is verified with md5 only, a hash whose collisions can be forged`
    ])
    expect(got.stdout).toBe("")
  })

  it("more bytes than the recorded size: stopped, exit 1, no file", async () => {
    serve({ ...good, size: 100_000 }, { body: { endless: true }, framing: "close" })
    const got = await download()
    expect(got.status).toBe(1)
    expect(got.lines).toHaveLength(1)
    expect(got.lines[0]).toContain("more data")
    expect(got.files).toEqual([])
  })

  it("a redirect on the data path is never saved as the image", async () => {
    serve(good, { status: 302, headers: { location: "http://127.0.0.2:9/x" }, body: "<html>moved</html>" })
    const got = await download()
    expect(got.status).toBe(1)
    expect(got.lines).toHaveLength(1)
    expect(got.lines[0]).toContain("302")
    expect(got.files).toEqual([])
  })

  it("a 500 with an endless body: one line, exit 1, promptly", async () => {
    serve(good, { status: 500, body: { endless: true } })
    const got = await download()
    expect(got.status).toBe(1)
    expect(got.lines).toHaveLength(1)
    expect(got.files).toEqual([])
  })

  it("a resume answered 200 with an endless body is refused", async () => {
    serve(good, { body: data, cutAfter: 1_000_000 }, { body: { endless: true } })
    const got = await download()
    expect(got.status).toBe(1)
    expect(got.lines).toHaveLength(1)
    expect(got.lines[0]).toContain("instead of 206")
    expect(got.files).toEqual([])
  })
})
