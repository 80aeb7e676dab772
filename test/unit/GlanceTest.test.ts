import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Images } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"

// --- README "Testing your code offline": a user's program, and its test ---------------------------

/** Publishes bytes as a new raw image and returns its id (the user's code under test). */
const publish = (name: string, bytes: Uint8Array) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const image = yield* images.createAndUpload(
      { name, disk_format: "raw", container_format: "bare" },
      Stream.make(bytes),
      { size: bytes.byteLength }
    )
    return image.id
  })

describe("GlanceTest: testing your code offline", () => {
  it.effect("publish creates an active image whose data and sha512 are the bytes given", () =>
    Effect.gen(function*() {
      const bytes = new TextEncoder().encode("hello, glance")
      const id = yield* publish("greeting", bytes)
      const images = yield* Images.Images
      const image = yield* images.get(id)
      assert.strictEqual(image.status, "active")
      assert.strictEqual(image.size, bytes.byteLength)
      const back = yield* Stream.runCollect(images.download(id))
      assert.deepStrictEqual(Buffer.concat(Chunk.toReadonlyArray(back)), Buffer.from(bytes))
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("a failed upload leaves no half-made image behind", () =>
    Effect.gen(function*() {
      const control = yield* GlanceTest.Control
      const images = yield* Images.Images
      const seeded = yield* control.seed({ name: "before", disk_format: "raw", container_format: "bare" })
      yield* control.failNextUpload(seeded.id)
      const failure = yield* Effect.flip(images.upload(seeded.id, Stream.make(new Uint8Array(4))))
      assert.strictEqual(failure._tag, "BadRequest")
      assert.strictEqual((yield* images.get(seeded.id)).status, "queued")
    }).pipe(Effect.provide(GlanceTest.layer())))
})

describe("GlanceTest behaves like Glance", () => {
  it.effect("404 for an unknown image, 409 for uploading twice, 403 for deleting a protected image", () =>
    Effect.gen(function*() {
      const images = yield* Images.Images
      const control = yield* GlanceTest.Control
      const missing = yield* Effect.flip(images.get("00000000-0000-0000-0000-000000000000"))
      assert.strictEqual(missing._tag, "NotFound")
      const active = yield* control.seed({ name: "a", disk_format: "raw", container_format: "bare" }, new Uint8Array(3))
      const twice = yield* Effect.flip(images.upload(active.id, Stream.make(new Uint8Array(1))))
      assert.strictEqual(twice._tag, "Conflict")
      const locked = yield* control.seed({ name: "p", protected: true })
      const refused = yield* Effect.flip(images.delete(locked.id))
      assert.strictEqual(refused._tag, "Forbidden")
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("a corrupted download fails with ChecksumMismatch naming both hashes", () =>
    Effect.gen(function*() {
      const images = yield* Images.Images
      const control = yield* GlanceTest.Control
      const image = yield* control.seed(
        { name: "c", disk_format: "raw", container_format: "bare" },
        new Uint8Array(1000)
      )
      yield* control.corruptDownloads(image.id)
      const failure = yield* Effect.flip(Stream.runDrain(images.download(image.id)))
      assert.strictEqual(failure._tag, "ChecksumMismatch")
      if (failure._tag === "ChecksumMismatch") {
        assert.strictEqual(failure.expected, image.os_hash_value)
        assert.notStrictEqual(failure.actual, failure.expected)
      }
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("glance-direct import: stage makes it uploading, import makes it active; list filters by tag", () =>
    Effect.gen(function*() {
      const images = yield* Images.Images
      const image = yield* images.create({ name: "i", disk_format: "raw", container_format: "bare", tags: ["x"] })
      yield* images.stage(image.id, Stream.make(new Uint8Array(10)))
      assert.strictEqual((yield* images.get(image.id)).status, "uploading")
      yield* images.importImage(image.id, { method: "glance-direct" })
      assert.strictEqual((yield* images.waitFor(image.id)).status, "active")
      yield* images.create({ name: "other" })
      const tagged = yield* Stream.runCollect(images.list({ filters: { tag: ["x"] } }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(tagged).map((i) => i.id), [image.id])
    }).pipe(Effect.provide(GlanceTest.layer())))
})
