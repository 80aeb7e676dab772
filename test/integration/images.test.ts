import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Images } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

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
