/**
 * The inspection before an upload, against the lab: a refused upload says why in one line and
 * leaves no image behind (nor data on an existing one); an accepted one carries the detected
 * disk format, and decompressed data is what the cloud stores. Images are made with qemu-img
 * in this run; every image created here is deleted.
 */
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { imageDir, qemuInfo, tool } from "../support/diskImages.js"
import { cleanEnv, glanceBin, openrc, requireLab, runGlance, uniqueName } from "../support/lab.js"
import { run } from "../support/run.js"

const up = requireLab()
const dir = imageDir("cli-inspect")
const at = (name: string) => Path.join(dir, name)
const created: Array<string> = []

beforeAll(async () => {
  const qemu = (args: ReadonlyArray<string>) => tool("qemu-img", ["create", "-q", ...args], dir)
  await qemu(["-f", "qcow2", "disk.qcow2", "2G"])
  await qemu(["-f", "qcow2", "-b", "disk.qcow2", "-F", "qcow2", "child.qcow2"])
  await qemu(["-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "10M"])
  await qemu(["-f", "vmdk", "-o", "subformat=streamOptimized", "stream.vmdk", "10M"])
  Fs.writeFileSync(at("plain.raw"), Buffer.alloc(65536, 1))
  Fs.copyFileSync(at("disk.qcow2"), at("packed.qcow2"))
  await tool("xz", ["-k", "-q", at("packed.qcow2")])
  await tool("zstd", ["-k", "-q", at("packed.qcow2")])
})

afterAll(async () => {
  for (const id of created) await runGlance("demo", ["image-delete", id])
  Fs.rmSync(dir, { recursive: true, force: true })
})

/** The ids of the demo project's images with this name. */
const idsNamed = async (name: string) => {
  const result = await runGlance("demo", ["image-list", "--property-filter", `name=${name}`, "-f", "value", "-c", "ID"])
  assert.strictEqual(result.status, 0, result.stderr)
  return result.stdout.split("\n").filter((l) => l.trim() !== "")
}

/** Runs image-create, remembering what it made for the cleanup; gives back the fields shown. */
const createImage = async (args: ReadonlyArray<string>, input?: Uint8Array) => {
  const result = await runGlance("demo", ["image-create", ...args, "-f", "json"], { input })
  if (result.status === 0) created.push((JSON.parse(result.stdout) as { id: string }).id)
  return result
}

const sha512 = (path: string) => createHash("sha512").update(Fs.readFileSync(path)).digest("hex")

/** Exactly one line on stderr (no stack trace). */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split("\n")
  assert.strictEqual(lines.length, 1, stderr)
  return lines[0]!
}

describe.skipIf(!up)("inspection before an upload (lab)", () => {
  it("refuses a qcow2 given as raw before creating anything", async () => {
    const name = uniqueName("it-inspect-mismatch")
    const result = await createImage([
      "--name",
      name,
      "--disk-format",
      "raw",
      "--container-format",
      "bare",
      "--file",
      at("disk.qcow2")
    ])
    assert.strictEqual(result.status, 1)
    const line = oneLine(result.stderr)
    assert.match(line, /^Refusing to upload .*disk\.qcow2: the data is a qcow2 image, not the raw given/)
    assert.include(line, "--disk-format qcow2")
    assert.deepStrictEqual(await idsNamed(name), [])
  })

  it("refuses a qcow2 with a backing file, and a VMDK whose data is in another file", async () => {
    for (const [file, words] of [["child.qcow2", "backing file (disk.qcow2)"], ["flat.vmdk", "other files"]]) {
      const name = uniqueName("it-inspect-unsafe")
      const result = await createImage(["--name", name, "--container-format", "bare", "--file", at(file!)])
      assert.strictEqual(result.status, 1)
      const line = oneLine(result.stderr)
      assert.include(line, "not safe to upload")
      assert.include(line, words!)
      assert.include(line, "--allow-unsafe-image")
      assert.deepStrictEqual(await idsNamed(name), [])
    }
  })

  it("refuses compressed data with a hint, from a file and from a pipe", async () => {
    const name = uniqueName("it-inspect-xz")
    const fromFile = await createImage(["--name", name, "--file", at("packed.qcow2.xz")])
    assert.strictEqual(fromFile.status, 1)
    assert.match(oneLine(fromFile.stderr), /an xz-compressed qcow2 image; give --decompress/)
    const fromPipe = await createImage(["--name", name], Fs.readFileSync(at("packed.qcow2.zst")))
    assert.strictEqual(fromPipe.status, 1)
    assert.match(oneLine(fromPipe.stderr), /standard input: it is a zstd-compressed qcow2 image/)
    assert.deepStrictEqual(await idsNamed(name), [])
  })

  it("refuses data piped on standard input that contradicts --disk-format, before creating anything", async () => {
    const name = uniqueName("it-inspect-pipe")
    const result = await createImage(
      ["--name", name, "--disk-format", "vmdk", "--container-format", "bare"],
      Fs.readFileSync(at("disk.qcow2"))
    )
    assert.strictEqual(result.status, 1)
    assert.include(oneLine(result.stderr), "the data is a qcow2 image, not the vmdk given")
    assert.deepStrictEqual(await idsNamed(name), [])
  })

  it("takes the detected disk format, says so, and the cloud agrees on the virtual size", async () => {
    const name = uniqueName("it-inspect-detect")
    const result = await createImage(["--name", name, "--file", at("disk.qcow2")])
    assert.strictEqual(result.status, 0, result.stderr)
    const image = JSON.parse(result.stdout) as Record<string, unknown>
    assert.strictEqual(image.disk_format, "qcow2")
    assert.strictEqual(image.container_format, "bare")
    assert.strictEqual(image.status, "active")
    assert.include(result.stderr, "--disk-format qcow2 --container-format bare (inspected: a qcow2 image)")
    assert.include(result.stderr, "--min-disk 2 would keep it off flavors with smaller disks")
    const info = await qemuInfo(at("disk.qcow2"))
    assert.isTrue(info.ok && image.virtual_size === info.virtualSize, JSON.stringify(image))
  })

  it("decompresses piped zstd data with --decompress: the cloud stores the disk inside", async () => {
    const name = uniqueName("it-inspect-decompress")
    const result = await createImage(["--name", name, "--decompress"], Fs.readFileSync(at("packed.qcow2.zst")))
    assert.strictEqual(result.status, 0, result.stderr)
    const image = JSON.parse(result.stdout) as Record<string, unknown>
    assert.strictEqual(image.disk_format, "qcow2")
    assert.strictEqual(image.size, Fs.statSync(at("packed.qcow2")).size)
    assert.strictEqual(image.os_hash_value, sha512(at("packed.qcow2")))
    assert.include(result.stderr, "decompressing zstd data while it is uploaded")
  })

  it("--no-inspect uploads as python-glanceclient does; --allow-unsafe-image uploads with a warning", async () => {
    const raw = await createImage([
      "--name",
      uniqueName("it-inspect-noinspect"),
      "--disk-format",
      "raw",
      "--container-format",
      "bare",
      "--no-inspect",
      "--file",
      at("disk.qcow2")
    ])
    assert.strictEqual(raw.status, 0, raw.stderr)
    assert.strictEqual((JSON.parse(raw.stdout) as Record<string, unknown>).disk_format, "raw")
    assert.strictEqual(raw.stderr, "")
    const unsafe = await createImage([
      "--name",
      uniqueName("it-inspect-allow"),
      "--allow-unsafe-image",
      "--file",
      at("child.qcow2")
    ])
    assert.strictEqual(unsafe.status, 0, unsafe.stderr)
    assert.include(unsafe.stderr, "warning: uploading an unsafe image (--allow-unsafe-image)")
  })

  it("image-upload and image-stage refuse data that contradicts the image's disk format, and send nothing", async () => {
    // Standard input from /dev/null: no data, so the image stays queued.
    const made = await run("sh", [
      "-c",
      "exec \"$0\" \"$@\" </dev/null",
      process.execPath,
      glanceBin,
      "image-create",
      "--name",
      uniqueName("it-inspect-existing"),
      "--disk-format",
      "raw",
      "--container-format",
      "bare",
      "-f",
      "json"
    ], { env: { ...cleanEnv(), ...openrc("demo") } })
    assert.strictEqual(made.status, 0, made.stderr)
    const id = (JSON.parse(made.stdout) as { id: string; status: string }).id
    created.push(id)
    assert.strictEqual((JSON.parse(made.stdout) as { status: string }).status, "queued")
    for (const verb of ["image-upload", "image-stage"]) {
      const result = await runGlance("demo", [verb, id, "--file", at("disk.qcow2")])
      assert.strictEqual(result.status, 1)
      assert.include(oneLine(result.stderr), `image-update --disk-format qcow2 ${id}`)
      const shown = await runGlance("demo", ["image-show", id, "-f", "value", "-c", "status"])
      assert.strictEqual(shown.stdout.trim(), "queued")
    }
    const accepted = await runGlance("demo", ["image-upload", id, "--file", at("plain.raw")])
    assert.strictEqual(accepted.status, 0, accepted.stderr)
    const shown = await runGlance("demo", ["image-show", id, "-f", "value", "-c", "status"])
    assert.strictEqual(shown.stdout.trim(), "active")
  })

  it("image-create-via-import inspects before creating: refuses unsafe data, imports a detected VMDK", async () => {
    const refusedName = uniqueName("it-inspect-import-unsafe")
    const refused = await runGlance("demo", [
      "image-create-via-import",
      "--name",
      refusedName,
      "--file",
      at("child.qcow2")
    ])
    assert.strictEqual(refused.status, 1)
    assert.include(oneLine(refused.stderr), "backing file")
    assert.deepStrictEqual(await idsNamed(refusedName), [])
    const name = uniqueName("it-inspect-import")
    const result = await runGlance("demo", [
      "image-create-via-import",
      "--name",
      name,
      "--file",
      at("stream.vmdk"),
      "--wait",
      "--timeout",
      "60",
      "-f",
      "json"
    ])
    const ids = await idsNamed(name)
    created.push(...ids)
    assert.strictEqual(result.status, 0, result.stderr)
    const image = JSON.parse(result.stdout) as Record<string, unknown>
    assert.strictEqual(image.disk_format, "vmdk")
    assert.strictEqual(image.status, "active")
    assert.include(result.stderr, "--disk-format vmdk --container-format bare (inspected: a vmdk image)")
  })
})
