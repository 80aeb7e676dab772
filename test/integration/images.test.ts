import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { GlanceClient, Images } from "../../src/index.js"
import { NodeGlanceHttp } from "../../src/node/index.js"
import { clientFor, requireLab, settingsFor, uniqueName } from "../support/lab.js"

const up = requireLab()

describe.skipIf(!up)("Images against the lab (demo)", () => {
  it.layer(clientFor("demo"), { timeout: 60_000 })((it) => {
    it.effect("create, upload, download verified, list, delete", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const name = uniqueName("it-roundtrip")
        const created = yield* images.create({ name, disk_format: "raw", container_format: "bare" })
        assert.strictEqual(created.status, "queued")
        const data = new Uint8Array(300_000).map((_, i) => (i * 7) % 251)
        yield* images.upload(created.id, Stream.make(data.subarray(0, 100_000), data.subarray(100_000)), {
          size: data.length
        })
        const active = yield* images.get(created.id)
        assert.strictEqual(active.status, "active")
        assert.strictEqual(active.size, data.length)
        const back = yield* Stream.runCollect(images.download(created.id))
        const joined = Buffer.concat(Chunk.toReadonlyArray(back))
        assert.isTrue(joined.equals(Buffer.from(data)))
        const listed = yield* Stream.runCollect(images.list({ filters: { name } }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((i) => i.id), [created.id])
        yield* images.delete(created.id)
        const gone = yield* Effect.flip(images.get(created.id))
        assert.strictEqual(gone._tag, "NotFound")
      }))
  })
})

describe.skipIf(!up)("Images against the lab through glanceclient/node's client", () => {
  it.layer(
    GlanceClient.layer(settingsFor("demo")).pipe(
      Layer.provideMerge(Layer.merge(NodeGlanceHttp.layer(), NodeFileSystem.layer))
    ),
    { timeout: 60_000 }
  )((it) => {
    it.effect("upload with backpressure; download read into blocks, as a stream and into a file, verified", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const created = yield* images.create({
          name: uniqueName("it-node-client"),
          disk_format: "raw",
          container_format: "bare"
        })
        // 16.5 MiB: whole 1 MiB blocks and a short last one.
        const data = Crypto.randomBytes(16.5 * 1024 * 1024)
        yield* Effect.ensuring(
          Effect.gen(function*() {
            yield* images.upload(created.id, Stream.make(data.subarray(0, 1_000_000), data.subarray(1_000_000)), {
              size: data.length
            })
            const blocks = Chunk.toReadonlyArray(yield* Stream.runCollect(images.download(created.id)))
            assert.isTrue(Buffer.concat(blocks).equals(data))
            assert.deepStrictEqual(blocks.map((b) => b.byteLength), [...Array(16).fill(1048576), 524288])
            const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "it-node-client-"))
            yield* Images.downloadToFile(created.id, Path.join(dir, "image.raw"))
            assert.isTrue(Fs.readFileSync(Path.join(dir, "image.raw")).equals(data))
            assert.deepStrictEqual(Fs.readdirSync(dir), ["image.raw"])
            // Into the library's file sink: every block stays the consumer's, never refilled.
            const seen: Array<Uint8Array> = []
            yield* Stream.run(
              Stream.tap(images.download(created.id), (b) => Effect.sync(() => void seen.push(b))),
              Images.fileSink(Path.join(dir, "sunk.raw"))
            )
            assert.isTrue(Fs.readFileSync(Path.join(dir, "sunk.raw")).equals(data))
            assert.strictEqual(new Set(seen.map((b) => b.buffer)).size, 17, "17 blocks, none reused")
            assert.isTrue(Buffer.concat(seen).equals(data))
            Fs.rmSync(dir, { recursive: true })
            // An error answer on the same path is read whole and typed.
            const missing = yield* Effect.flip(Stream.runDrain(images.download(crypto.randomUUID())))
            assert.strictEqual(missing._tag, "NotFound")
          }),
          Effect.ignore(images.delete(created.id))
        )
      }))
  })
})
