/**
 * Random and broken headers: mutated and truncated headers of real images (made with qemu-img in
 * this run) and random bytes behind every magic number the inspector knows. Each inspection must
 * succeed with a report (never a defect), read no byte past its limit, make a bounded number of
 * reads, and pull a bounded amount from an endless stream. Deterministic: a seeded generator.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as ImageInspector from "../../src/ImageInspector.js"
import { imageDir, tool } from "../support/diskImages.js"

const dir = imageDir("fuzz")
const seeds: Array<{ readonly name: string; readonly bytes: Uint8Array }> = []

/** The first bytes of images of every format, and of what raw data may hold. */
beforeAll(async () => {
  const make = async (name: string, args: ReadonlyArray<string>) => {
    await tool("qemu-img", ["create", "-q", ...args, Path.join(dir, name), "64M"])
    const bytes = Fs.readFileSync(Path.join(dir, name))
    // Enough to hold every header but VHDX's metadata (which lies at 3 MiB in qemu's images).
    seeds.push({ name, bytes: bytes.subarray(0, 320 * 1024) })
  }
  await make("a.qcow2", ["-f", "qcow2"])
  await make("b.qcow2", ["-f", "qcow2", "-o", "compat=0.10"])
  await make("c.qcow", ["-f", "qcow"])
  await make("d.qed", ["-f", "qed"])
  await make("e.vmdk", ["-f", "vmdk"])
  await make("f.vmdk", ["-f", "vmdk", "-o", "subformat=streamOptimized"])
  await make("g.vmdk", ["-f", "vmdk", "-o", "subformat=monolithicFlat"])
  await make("h.vhd", ["-f", "vpc"])
  await make("i.vhdx", ["-f", "vhdx"])
  await make("j.vdi", ["-f", "vdi"])
  await make("k.ploop", ["-f", "parallels"])
  await make("l.luks", ["--object", "secret,id=s,data=x", "-f", "luks", "-o", "key-secret=s,iter-time=10"])
})
afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))

/** mulberry32: a small seeded generator, so a failure is reproducible. */
const generator = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const magics: ReadonlyArray<ReadonlyArray<number>> = [
  [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3],
  [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 1],
  [...Buffer.from("QED\0")],
  [...Buffer.from("KDMV")],
  [...Buffer.from("COWD")],
  [...Buffer.from("conectix")],
  [...Buffer.from("vhdxfile")],
  [...Buffer.from("WithouFreSpacExt"), 2, 0, 0, 0],
  [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0, 1],
  [...Buffer.from("# Disk DescriptorFile\nversion=1\n")],
  [0x1f, 0x8b, 0x08],
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  [0x28, 0xb5, 0x2f, 0xfd]
]

/** Extreme values written over header fields. */
const extremes = [0, 1, 0x7f, 0x80, 0xff]

const limit = 1024 * 1024

/** A mutated copy of a header: bytes flipped or set to extremes where the headers are, then cut somewhere. */
const mutate = (random: () => number, bytes: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(bytes)
  const edits = 1 + Math.floor(random() * 16)
  for (let i = 0; i < edits; i++) {
    // Mostly in the first sector, sometimes in the rest.
    const at = Math.floor(random() * (random() < 0.8 ? Math.min(512, out.length) : out.length))
    const width = 1 + Math.floor(random() * 8)
    const value = random() < 0.5 ? extremes[Math.floor(random() * extremes.length)]! : Math.floor(random() * 256)
    out.fill(value, at, Math.min(at + width, out.length))
  }
  return random() < 0.5 ? out.subarray(0, Math.floor(random() * out.length)) : out
}

const randomBytes = (random: () => number, length: number, prefix: ReadonlyArray<number>) => {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256)
  out.set(prefix.slice(0, length))
  return out
}

/** An in-memory reader that counts its reads and the furthest byte asked for. */
const countingReader = (bytes: Uint8Array, seekable = true) => {
  const stats = { reads: 0, furthest: 0, total: 0 }
  const reader: ImageInspector.Reader<never> = {
    limit,
    seekable,
    size: () => (seekable ? bytes.byteLength : undefined),
    read: (offset, length) =>
      Effect.sync(() => {
        stats.reads++
        stats.furthest = Math.max(stats.furthest, offset + length)
        const out = bytes.slice(offset, offset + length)
        stats.total += out.byteLength
        return out
      })
  }
  return { reader, stats }
}

/** The inputs: every seed mutated many times, and random bytes behind every magic number. */
const inputs = (): Array<{ readonly label: string; readonly bytes: Uint8Array }> => {
  const random = generator(20240601)
  const out: Array<{ label: string; bytes: Uint8Array }> = []
  for (const seed of seeds) {
    for (let i = 0; i < 40; i++) out.push({ label: `${seed.name} mutation ${i}`, bytes: mutate(random, seed.bytes) })
    for (let cut = 0; cut < 600; cut += 37) {
      out.push({ label: `${seed.name} cut at ${cut}`, bytes: seed.bytes.subarray(0, cut) })
    }
  }
  for (const magic of magics) {
    for (let i = 0; i < 10; i++) {
      out.push({
        label: `random behind ${Buffer.from(magic).toString("latin1").slice(0, 8)} ${i}`,
        bytes: randomBytes(random, Math.floor(random() * 8192), magic)
      })
    }
  }
  return out
}

describe("ImageInspector on random and broken headers", () => {
  it.effect("always answers with a report, within its limit and a bounded number of reads", () =>
    Effect.gen(function*() {
      const all = inputs()
      assert.isAbove(all.length, 700)
      let unsafe = 0
      for (const { bytes, label } of all) {
        const { reader, stats } = countingReader(bytes)
        const exit = yield* Effect.exit(ImageInspector.inspect(reader))
        assert.isTrue(Exit.isSuccess(exit), `${label}: ${Exit.isFailure(exit) ? String(exit.cause) : ""}`)
        if (Exit.isFailure(exit)) continue
        assert.isAtMost(stats.furthest, limit, `${label} read past its limit`)
        assert.isAtMost(stats.reads, 300, `${label} made ${stats.reads} reads`)
        if (!exit.value.safe) unsafe++
      }
      // Broken headers are findings, not silence.
      assert.isAbove(unsafe, all.length / 4)
    }))

  it.effect("pulls a bounded amount from an endless stream, and gives back what it pulled first", () =>
    Effect.gen(function*() {
      const zeros = new Uint8Array(65536)
      for (const { bytes, label } of inputs().filter((_, i) => i % 3 === 0)) {
        let pulled = 0
        const endless = Stream.concat(
          Stream.fromIterable([bytes]).pipe(Stream.filter((b) => b.byteLength > 0)),
          Stream.repeatValue(zeros)
        ).pipe(Stream.tap((b) => Effect.sync(() => void (pulled += b.byteLength))))
        const peeked = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const { report, stream } = yield* ImageInspector.peek(endless, { limit, decompress: false })
          const pulledByInspection = pulled
          const first = yield* Stream.runCollect(Stream.take(stream, 1))
          return { report, pulledByInspection, first: [...first] }
        })))
        assert.isTrue(Exit.isSuccess(peeked), `${label}: ${Exit.isFailure(peeked) ? String(peeked.cause) : ""}`)
        if (Exit.isFailure(peeked)) continue
        assert.isAtMost(peeked.value.pulledByInspection, limit + bytes.byteLength + zeros.byteLength, label)
        const expectedFirst = bytes.byteLength > 0 ? bytes : zeros
        assert.strictEqual(peeked.value.first[0]!.byteLength, expectedFirst.byteLength, label)
      }
    }))

  it.effect("reads little from data it does not recognise: the first sectors, an ISO descriptor, the last sector", () =>
    Effect.gen(function*() {
      const random = generator(7)
      for (let i = 0; i < 50; i++) {
        const data = randomBytes(random, 1048576, [])
        const byPosition = countingReader(data)
        assert.strictEqual((yield* ImageInspector.inspect(byPosition.reader)).format, "raw")
        // The head (2048), the first volume descriptor (2048), the GPT probe, the fixed-VHD footer (512).
        assert.isAtMost(byPosition.stats.total, 2048 + 2048 + 8 + 512)
        const inOrder = countingReader(data, false)
        assert.strictEqual((yield* ImageInspector.inspect(inOrder.reader)).format, "raw")
        assert.isAtMost(inOrder.stats.furthest, 16 * 2048 + 2048)
      }
    }))
})
