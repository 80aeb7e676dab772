/**
 * `--size` on image-create, image-create-via-import, image-upload and image-stage (python-glanceclient
 * 4.10), against the lab. `--debug` shows what is sent: `x-openstack-image-size` with the data, and
 * no request that creates anything when the size is refused.
 *
 * The lab's Glance (25.x) does not read `x-openstack-image-size` (it takes the size from the data);
 * the header is checked here as sent, the image's size as Glance recorded it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { keystoneLogin, requireLab, runGlance, uniqueName } from "../support/lab.js"

const up = requireLab()

describe.runIf(up)("--size, against the lab", () => {
  let dir: string
  let file: string
  const created: Array<string> = []

  beforeAll(async () => {
    dir = await Fs.promises.mkdtemp("/tmp/glance-size-")
    file = Path.join(dir, "eleven.raw")
    Fs.writeFileSync(file, "hello world")
  })
  afterAll(async () => {
    for (const id of created) await runGlance("demo", ["image-delete", id], { timeout: 60_000 })
    await Fs.promises.rm(dir, { recursive: true, force: true })
  })

  const glance = (args: ReadonlyArray<string>, input?: string) =>
    runGlance("demo", ["--debug", ...args], { timeout: 120_000, ...(input !== undefined ? { input } : {}) })

  const fieldOf = (stdout: string, name: string) => new RegExp(`^\\| ${name} +\\| (\\S*)`, "m").exec(stdout)?.[1]
  /** The requests to Glance that create or send something (the login is not one). */
  const creates = (stderr: string) =>
    stderr.split("\n").filter((l) => /^REQ: curl .* -X (POST|PUT)/.test(l) && !l.includes("/auth/tokens"))
  const make = ["--disk-format", "raw", "--container-format", "bare", "--no-inspect"]

  it(
    "image-create --size that matches the file: sent as x-openstack-image-size, the image active with that size",
    async () => {
      const r = await glance(["image-create", "--name", uniqueName("size"), ...make, "--file", file, "--size", "11"])
      const id = fieldOf(r.stdout, "id")
      if (id) created.push(id)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(fieldOf(r.stdout, "size"), "11")
      assert.strictEqual(fieldOf(r.stdout, "status"), "active")
      const put = creates(r.stderr).find((l) => l.includes("/file'"))
      assert.include(put, "-H 'x-openstack-image-size: 11'")
    },
    240_000
  )

  it("image-create without --size sends the file's size too", async () => {
    const r = await glance(["image-create", "--name", uniqueName("size"), ...make, "--file", file])
    const id = fieldOf(r.stdout, "id")
    if (id) created.push(id)
    assert.strictEqual(r.status, 0, r.stderr)
    assert.include(creates(r.stderr).find((l) => l.includes("/file'")), "-H 'x-openstack-image-size: 11'")
  }, 240_000)

  for (const command of ["image-create", "image-create-via-import"]) {
    it(
      `${command} --size that does not match the file is refused before any request that creates something`,
      async () => {
        const r = await glance([command, "--name", uniqueName("size"), ...make, "--file", file, "--size", "5"])
        assert.strictEqual(r.status, 1)
        assert.strictEqual(
          r.stderr.trim().split("\n").at(-1),
          "Size mismatch: provided size 5 does not match the size of the image 11"
        )
        assert.deepStrictEqual(creates(r.stderr), [])
      },
      240_000
    )

    it(`${command} refuses size as a property, before any request that creates something`, async () => {
      const r = await glance([command, "--name", uniqueName("size"), ...make, "--property", "size=5"])
      assert.strictEqual(r.status, 1)
      assert.strictEqual(
        r.stderr.trim().split("\n").at(-1),
        "Setting 'size' during image creation is not supported. Please use --size only when uploading data."
      )
      assert.deepStrictEqual(creates(r.stderr), [])
    }, 240_000)
  }

  it("image-create-via-import --size: the staged data carries x-openstack-image-size", async () => {
    const r = await glance([
      "image-create-via-import",
      "--name",
      uniqueName("size"),
      ...make,
      "--file",
      file,
      "--size",
      "11",
      "--wait"
    ])
    const id = fieldOf(r.stdout, "id")
    if (id) created.push(id)
    assert.strictEqual(r.status, 0, r.stderr)
    assert.include(creates(r.stderr).find((l) => l.includes("/stage'")), "-H 'x-openstack-image-size: 11'")
    assert.strictEqual(fieldOf(r.stdout, "size"), "11")
  }, 300_000)

  it(
    "image-upload and image-stage: a mismatch is refused before the data is sent; a match is sent with the header",
    async () => {
      // A queued record, made outside the client under test.
      const { token } = await keystoneLogin("demo")
      const response = await fetch("http://127.0.0.1:9292/v2/images", {
        method: "POST",
        headers: { "content-type": "application/json", "x-auth-token": token },
        body: JSON.stringify({ name: uniqueName("size"), disk_format: "raw", container_format: "bare" })
      })
      const { id } = (await response.json()) as { id: string }
      created.push(id)
      for (const command of ["image-upload", "image-stage"]) {
        const refused = await glance([command, id, "--file", file, "--size", "12", "--no-inspect"])
        assert.strictEqual(refused.status, 1, command)
        assert.include(refused.stderr, "Size mismatch: provided size 12 does not match the size of the image 11")
        assert.deepStrictEqual(creates(refused.stderr), [], command)
      }
      const staged = await glance(["image-stage", id, "--file", file, "--size", "11", "--no-inspect"])
      assert.strictEqual(staged.status, 0, staged.stderr)
      assert.include(creates(staged.stderr).find((l) => l.includes("/stage'")), "-H 'x-openstack-image-size: 11'")
    },
    300_000
  )

  it(
    "with a pipe, --size is the length: more or less data than it says fails the upload and deletes the image",
    async () => {
      for (
        const [input, line] of [
          ["hello world", "standard input holds more than the 5 bytes --size gives"],
          ["hi", "standard input ended after 2 bytes, short of the 5 --size gives"]
        ] as const
      ) {
        const r = await glance(["image-create", "--name", uniqueName("size"), ...make, "--size", "5"], input)
        assert.strictEqual(r.status, 2, r.stderr)
        assert.strictEqual(r.stderr.trim().split("\n").at(-1), line)
        assert.match(r.stderr, /glance: the upload failed, so image [0-9a-f-]{36} was deleted/)
      }
      const exact = await glance(["image-create", "--name", uniqueName("size"), ...make, "--size", "5"], "hello")
      const id = fieldOf(exact.stdout, "id")
      if (id) created.push(id)
      assert.strictEqual(exact.status, 0, exact.stderr)
      assert.strictEqual(fieldOf(exact.stdout, "size"), "5")
      assert.include(creates(exact.stderr).find((l) => l.includes("/file'")), "-H 'x-openstack-image-size: 5'")
    },
    300_000
  )
})
