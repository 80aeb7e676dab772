/**
 * ImageInspector on real images made in this run with qemu-img (every format and variant it
 * creates), partitioned raw disks, ISO images, compressed images and crafted unsafe or broken
 * ones: the format, variant and safety findings expected, and the format and virtual size
 * `qemu-img info --output json` gives (or its refusal, for broken headers). The same again
 * through a stream (`peek`), which must give back every byte.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Decompression from "../../src/Decompression.js"
import * as ImageInspector from "../../src/ImageInspector.js"
import * as NodeDecompression from "../../src/node/decompression.js"
import { imageDir, makeSamples, qemuInfo, type Sample, tool } from "../support/diskImages.js"

const layer = Layer.merge(NodeContext.layer, NodeDecompression.layer)
const dir = imageDir("inspect")
let samples: Array<Sample> = []

// The suite's hook timeout (300 s): on a busy machine the samples took more than 120 s.
beforeAll(async () => {
  samples = await makeSamples(dir)
})
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

const sample = (name: string) => {
  const found = samples.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no sample ${name}`)
  return found
}

/** Every sample's name, known before the images are made (vitest collects tests first). */
const names = [
  "v2.qcow2",
  "v3.qcow2",
  "l2.qcow2",
  "backing.qcow2",
  "datafile.qcow2",
  "encrypted.qcow2",
  "v1.qcow",
  "x.qed",
  "monolithicSparse.vmdk",
  "streamOptimized.vmdk",
  "monolithicFlat.vmdk",
  "twoGbMaxExtentSparse.vmdk",
  "twoGbMaxExtentFlat.vmdk",
  "child.vmdk",
  "dynamic.vhd",
  "sized.vhd",
  "fixed.vhd",
  "dynamic.vhdx",
  "fixed.vhdx",
  "dynamic.vdi",
  "static.vdi",
  "x.ploop",
  "x.luks",
  "plain.raw",
  "odd.raw",
  "dos.raw",
  "gpt.raw",
  "plain.iso",
  "udf.iso",
  "packed.qcow2.gz",
  "packed.qcow2.xz",
  "packed.qcow2.bz2",
  "packed.qcow2.zst",
  "abs-extent.vmdk",
  "abs-flat.vmdk",
  "cut.qcow2",
  "cut.vhdx",
  "huge.qcow2",
  "huge.vdi",
  "badsum.vhd"
]

const checks = (report: ImageInspector.Report) => [...new Set(report.problems.map((p) => p.check))].sort()

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** A file as a stream of `size`-byte chunks, counting the bytes pulled from it. */
const chunked = (bytes: Uint8Array, size: number, pulled: { n: number }) =>
  Stream.fromIterable(Array.from({ length: Math.ceil(bytes.byteLength / size) }, (_, i) => i)).pipe(
    Stream.map((i) => bytes.subarray(i * size, (i + 1) * size)),
    Stream.tap((b) => Effect.sync(() => void (pulled.n += b.byteLength)))
  )

describe("ImageInspector.inspectFile agrees with qemu-img info", () => {
  it("made every sample", () => {
    assert.deepStrictEqual(samples.map((s) => s.name), names)
  })

  for (const name of names) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const s = sample(name)
        const report = yield* ImageInspector.inspectFile(s.path)
        assert.strictEqual(report.format, s.format, JSON.stringify(report.problems))
        assert.strictEqual(report.qemuFormat, s.qemuFormat)
        if (s.variant !== undefined) assert.strictEqual(report.variant, s.variant)
        assert.strictEqual(report.compression, s.compression)
        assert.deepStrictEqual(checks(report), [...s.problems].sort(), JSON.stringify(report.problems))
        assert.strictEqual(report.safe, s.problems.length === 0)
        assert.strictEqual(report.size, Fs.statSync(s.path).size)
        // Compressed: qemu-img is asked about the data inside.
        const qemuPath = s.compression === undefined ? s.path : Path.join(dir, "packed.qcow2")
        const info = yield* Effect.promise(() => qemuInfo(qemuPath, s.qemuFormatFlag))
        if (s.qemuRefuses === true) {
          assert.isFalse(info.ok, `qemu-img opened ${name}`)
        } else {
          assert.isTrue(info.ok, info.ok ? "" : info.error)
          if (!info.ok) return
          assert.strictEqual(info.format, s.qemuFormat)
          assert.strictEqual(report.virtualSize, info.virtualSize)
        }
        // Headers only: a large image is not read through.
        assert.isAtMost(report.bytesRead, 64 * 1024 + 4096)
      }).pipe(Effect.provide(layer)))
  }

  it.effect("names what it found: backing file, data file, extents, encryption, partition tables", () =>
    Effect.gen(function*() {
      const inspect = (name: string) => ImageInspector.inspectFile(sample(name).path)
      const backing = yield* inspect("backing.qcow2")
      assert.strictEqual(backing.backingFile, "v3.qcow2")
      assert.strictEqual(backing.backingFormat, "qcow2")
      const data = yield* inspect("datafile.qcow2")
      assert.strictEqual(data.dataFile, Path.join(dir, "data.raw"))
      const encrypted = yield* inspect("encrypted.qcow2")
      assert.strictEqual(encrypted.encryption, "luks")
      assert.isTrue(encrypted.safe)
      const flat = yield* inspect("abs-flat.vmdk")
      assert.deepStrictEqual(flat.externalExtents, ["/etc/hostname"])
      const sparse = yield* inspect("abs-extent.vmdk")
      assert.deepStrictEqual(sparse.externalExtents, ["/etc/passwd"])
      const child = yield* inspect("child.vmdk")
      assert.strictEqual(child.backingFile, "monolithicSparse.vmdk")
      assert.strictEqual((yield* inspect("dos.raw")).partitionTable, "mbr")
      assert.strictEqual((yield* inspect("gpt.raw")).partitionTable, "gpt")
      assert.strictEqual((yield* inspect("plain.raw")).partitionTable, undefined)
      const fixed = yield* inspect("fixed.vhd")
      assert.deepStrictEqual(fixed.accepts, ["raw", "ami", "vhd"])
      const vpc = yield* Effect.promise(() => qemuInfo(sample("fixed.vhd").path, "vpc"))
      assert.isTrue(vpc.ok && fixed.warnings.some((w) => w.includes(`vhd of ${vpc.virtualSize} bytes`)))
    }).pipe(Effect.provide(layer)))

  it.effect("reads a compressed file's format only through a decompressor, else says what it cannot see", () =>
    Effect.gen(function*() {
      const report = yield* ImageInspector.inspectFile(sample("packed.qcow2.xz").path)
      assert.strictEqual(report.format, "raw")
      assert.strictEqual(report.compression, "xz")
      assert.isFalse(report.decompressed)
      assert.strictEqual(report.virtualSize, undefined)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("ImageInspector.peek: the same answers from a stream, every byte given back", () => {
  for (const name of names) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const s = sample(name)
        const bytes = Fs.readFileSync(s.path)
        const byFile = yield* ImageInspector.inspectFile(s.path)
        const pulled = { n: 0 }
        const { report, stream } = yield* ImageInspector.peek(chunked(bytes, 4096, pulled))
        const pulledByInspection = pulled.n
        assert.strictEqual(report.format, byFile.format)
        assert.strictEqual(report.compression, byFile.compression)
        assert.deepStrictEqual(checks(report), checks(byFile))
        if (byFile.format !== "raw" && byFile.format !== "luks") {
          assert.strictEqual(report.virtualSize, byFile.virtualSize)
        }
        // What comes out is the data (decompressed, for compressed data), whole and in order.
        const out = Chunk.toReadonlyArray(yield* Stream.runCollect(stream))
        const expected = s.compression === undefined ? bytes : Fs.readFileSync(Path.join(dir, "packed.qcow2"))
        assert.strictEqual(sha256(Buffer.concat(out)), sha256(expected))
        if (s.compression === undefined && bytes.byteLength > 128 * 1024 && s.format !== "vhdx") {
          assert.isBelow(pulledByInspection, 68 * 1024, "the inspection read more than the headers")
        }
      }).pipe(Effect.scoped, Effect.provide(layer)))
  }
})

describe("Decompression (Node layer)", () => {
  const cases = [
    ["gzip", "gzip", "gz"],
    ["xz", "xz", "xz"],
    ["bzip2", "bzip2", "bz2"],
    ["zstd", "zstd", "zst"]
  ] as const

  for (const [compression, command, suffix] of cases) {
    it.effect(`${compression}: decompresses while streaming, and fails on truncated data`, () =>
      Effect.gen(function*() {
        const original = Path.join(dir, `random-${compression}.raw`)
        // Half random (incompressible), half zeros: several blocks of every decoder.
        const random = Buffer.alloc(3 * 1048576)
        for (let i = 0; i < random.byteLength; i += 64) {
          createHash("sha512").update(`${compression}${i}`).digest().copy(random, i)
        }
        Fs.writeFileSync(original, Buffer.concat([random, Buffer.alloc(2 * 1048576)]))
        yield* Effect.promise(() => tool(command, ["-k", "-f", "-q", original]))
        const packed = Fs.readFileSync(`${original}.${suffix}`)
        assert.strictEqual(Decompression.detect(packed), compression)
        const d = yield* Decompression.Decompression
        const whole = yield* Stream.runCollect(d.decompress(compression, chunked(packed, 65536, { n: 0 })))
        assert.strictEqual(
          sha256(Buffer.concat(Chunk.toReadonlyArray(whole))),
          sha256(Fs.readFileSync(original))
        )
        const cut = packed.subarray(0, Math.floor(packed.byteLength / 2))
        const failed = yield* Effect.either(Stream.runDrain(d.decompress(compression, chunked(cut, 65536, { n: 0 }))))
        assert.isTrue(Either.isLeft(failed) && failed.left._tag === "DecompressionError", String(failed))
      }).pipe(Effect.provide(layer)))
  }

  it("recognises each compression by its first bytes only", () => {
    assert.strictEqual(Decompression.detect(Uint8Array.from([0x1f, 0x8b, 0x08, 0])), "gzip")
    assert.strictEqual(Decompression.detect(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), "xz")
    assert.strictEqual(Decompression.detect(Buffer.from("BZh91AY&SY")), "bzip2")
    assert.strictEqual(Decompression.detect(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd])), "zstd")
    assert.strictEqual(Decompression.detect(Uint8Array.from([0x50, 0x2a, 0x4d, 0x18])), "zstd")
    assert.strictEqual(Decompression.detect(Buffer.from("BZh0xxxxxx")), undefined)
    assert.strictEqual(Decompression.detect(Buffer.from("QFI\xfb")), undefined)
  })
})

describe("ImageInspector.checkUpload", () => {
  const report = (name: string) => ImageInspector.inspectFile(sample(name).path).pipe(Effect.provide(layer))

  it.effect("takes the detected format when none is given, and the given one when the data agrees", () =>
    Effect.gen(function*() {
      const qcow2 = yield* report("v3.qcow2")
      assert.deepStrictEqual(ImageInspector.checkUpload(qcow2, {}), Either.right("qcow2"))
      assert.deepStrictEqual(ImageInspector.checkUpload(qcow2, { diskFormat: "qcow2" }), Either.right("qcow2"))
      const fixed = yield* report("fixed.vhd")
      assert.deepStrictEqual(ImageInspector.checkUpload(fixed, { diskFormat: "vhd" }), Either.right("vhd"))
      assert.deepStrictEqual(ImageInspector.checkUpload(fixed, {}), Either.right("raw"))
    }))

  it.effect("refuses a contradicting disk format, unless the container is not bare or it is a kernel", () =>
    Effect.gen(function*() {
      const qcow2 = yield* report("v3.qcow2")
      const refused = ImageInspector.checkUpload(qcow2, { diskFormat: "raw" })
      assert.isTrue(Either.isLeft(refused) && refused.left.reason === "format")
      assert.include(Either.isLeft(refused) ? refused.left.message : "", "qcow2")
      assert.isTrue(Either.isRight(ImageInspector.checkUpload(qcow2, { diskFormat: "raw", containerFormat: "ova" })))
      assert.isTrue(Either.isRight(ImageInspector.checkUpload(qcow2, { diskFormat: "aki" })))
    }))

  it.effect("refuses an unsafe image unless allowed, and compressed data it could not look into", () =>
    Effect.gen(function*() {
      const backing = yield* report("backing.qcow2")
      const refused = ImageInspector.checkUpload(backing, { diskFormat: "qcow2" })
      assert.isTrue(Either.isLeft(refused) && refused.left.reason === "unsafe")
      assert.include(Either.isLeft(refused) ? refused.left.message : "", "backing file (v3.qcow2)")
      assert.isTrue(Either.isRight(ImageInspector.checkUpload(backing, { diskFormat: "qcow2", allowUnsafe: true })))
      const opaque = yield* ImageInspector.inspectFile(sample("packed.qcow2.gz").path).pipe(
        Effect.provide(NodeContext.layer)
      )
      const compressed = ImageInspector.checkUpload(opaque, {})
      assert.isTrue(Either.isLeft(compressed) && compressed.left.reason === "compressed")
    }))

  it.effect("suggests a min_disk in GiB from the virtual size", () =>
    Effect.gen(function*() {
      assert.strictEqual(ImageInspector.minDisk(yield* report("v3.qcow2")), 1)
      assert.strictEqual(ImageInspector.minDisk(yield* report("l2.qcow2")), 3)
    }))
})
