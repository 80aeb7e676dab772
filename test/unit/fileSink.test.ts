import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Images from "../../src/Images.js"
import { GlanceTest } from "../../src/testing/index.js"
import { makeFifo, readFifo } from "../support/fifo.js"

const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "glance-sink-"))

/** `count` blocks of `size` bytes, each filled with its index. */
const blocksOf = (size: number, count: number) =>
  Stream.range(0, count - 1).pipe(
    Stream.rechunk(1),
    Stream.map((i) => new Uint8Array(size).fill(i))
  )

describe("Images.fileSink", () => {
  it.effect("writes every block, renames into place, and leaves the blocks it was given as they were", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const path = Path.join(dir, "image.raw")
      const seen: Array<Uint8Array> = []
      const blocks = blocksOf(4096, 50).pipe(Stream.tap((b) => Effect.sync(() => seen.push(b))))
      yield* Stream.run(blocks, Images.fileSink(path))
      const data = Fs.readFileSync(path)
      assert.strictEqual(data.length, 50 * 4096)
      for (let i = 0; i < 50; i++) assert.strictEqual(data[i * 4096 + 17], i)
      // Nothing was handed back for reuse: every block is distinct and still holds its bytes.
      assert.strictEqual(new Set(seen).size, 50)
      assert.isTrue(seen.every((b, i) => b.every((x) => x === i)))
      assert.deepStrictEqual(Fs.readdirSync(dir), ["image.raw"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a failing stream leaves neither the file nor its temporary file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const path = Path.join(dir, "image.raw")
      Fs.writeFileSync(path, "old")
      const failing = Stream.concat(Stream.make(new Uint8Array(10_000)), Stream.fail("cut"))
      const error = yield* Effect.flip(Stream.run(failing, Images.fileSink(path)))
      assert.strictEqual(error, "cut")
      assert.deepStrictEqual(Fs.readdirSync(dir), ["image.raw"])
      assert.strictEqual(Fs.readFileSync(path, "utf8"), "old")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.live("an interrupted write removes its temporary file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const path = Path.join(dir, "image.raw")
      const endless = Stream.repeatEffect(Effect.as(Effect.sleep("1 millis"), new Uint8Array(65536)))
      const fiber = yield* Effect.fork(Stream.run(endless, Images.fileSink(path)))
      // The temporary file, while writing (a busy machine may take a while to open it).
      const writing = yield* Effect.sync(() => Fs.readdirSync(dir)).pipe(
        Effect.filterOrFail((names) => names.length > 0, () => "no temporary file after 20 s"),
        Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 2000 })
      )
      assert.strictEqual(writing.length, 1)
      assert.notInclude(writing, "image.raw")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(Fs.readdirSync(dir), [])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.live("a named pipe is written to in order and stays a pipe (a rename would have replaced it)", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const fifo = yield* Effect.promise(() => makeFifo(dir, "out.fifo"))
      const received = readFifo(fifo)
      yield* Stream.run(blocksOf(4096, 20), Images.fileSink(fifo))
      const data = yield* Effect.promise(() => received)
      assert.strictEqual(data.length, 20 * 4096)
      for (let i = 0; i < 20; i++) assert.strictEqual(data[i * 4096 + 5], i)
      assert.isTrue(Fs.lstatSync(fifo).isFIFO())
      assert.deepStrictEqual(Fs.readdirSync(dir), ["out.fifo"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a symbolic link is written through: the file it points to is replaced, the link stays", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = Path.join(dir, "target.raw")
      const link = Path.join(dir, "link.raw")
      Fs.writeFileSync(target, "old")
      Fs.symlinkSync("target.raw", link)
      yield* Stream.run(Stream.make(new Uint8Array([1, 2, 3])), Images.fileSink(link))
      assert.isTrue(Fs.lstatSync(link).isSymbolicLink())
      assert.deepStrictEqual([...Fs.readFileSync(target)], [1, 2, 3])
      assert.sameMembers(Fs.readdirSync(dir), ["target.raw", "link.raw"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})

describe("Images.uploadFile", () => {
  const withImages = Layer.merge(GlanceTest.layer(), NodeFileSystem.layer)

  it.effect("uploads a regular file with its size", () =>
    Effect.gen(function*() {
      const path = Path.join(tempDir(), "image.raw")
      Fs.writeFileSync(path, Buffer.alloc(3 * 1024 * 1024 + 7, 9))
      const images = yield* Images.Images
      const image = yield* images.create({ name: "from-file", disk_format: "raw", container_format: "bare" })
      yield* Images.uploadFile(image.id, path)
      const after = yield* images.get(image.id)
      assert.strictEqual(after.status, "active")
      assert.strictEqual(after.size, 3 * 1024 * 1024 + 7)
    }).pipe(Effect.provide(withImages)))

  it.effect("refuses a pipe (no size to send, no positioned reads) before sending anything", () =>
    Effect.gen(function*() {
      const fifo = yield* Effect.promise(() => makeFifo(tempDir(), "in.fifo"))
      const images = yield* Images.Images
      const image = yield* images.create({ name: "from-pipe", disk_format: "raw", container_format: "bare" })
      const error = yield* Effect.flip(Images.uploadFile(image.id, fifo))
      assert.strictEqual(error._tag, "SystemError")
      assert.match(error.message, /not a regular file/)
      assert.strictEqual((yield* images.get(image.id)).status, "queued")
    }).pipe(Effect.provide(withImages)))
})
