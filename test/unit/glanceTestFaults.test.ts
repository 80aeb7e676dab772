/**
 * GlanceTest's faults as a test of real code arms them: before the code under test creates the
 * image (the next upload of any image, or of those a predicate picks), failing as the real client
 * would (`TransportError` for a broken connection, `ChecksumMismatch` for corrupt data).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Images } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"

/** The code under test: creates and uploads an image, returning its id. */
const publish = (name: string) =>
  Images.createAndUpload(
    { name, disk_format: "raw", container_format: "bare" },
    Stream.make(new Uint8Array(16)),
    { size: 16 }
  ).pipe(Effect.map((image) => image.id))

describe("GlanceTest.Control faults", () => {
  it.effect("failNextUpload() breaks the next upload of whatever image, once, as a TransportError", () =>
    Effect.gen(function*() {
      const control = yield* GlanceTest.Control
      yield* control.failNextUpload()
      const error = yield* Effect.flip(publish("first"))
      assert.isTrue(error._tag === "ImageNotCreated" && error.cause._tag === "TransportError", String(error))
      assert.deepStrictEqual(yield* control.images, [], "the half-made image was deleted")
      // Armed once: the next publish works.
      const id = yield* publish("second")
      const image = yield* Effect.flatMap(Images.Images, (images) => images.get(id))
      assert.strictEqual(image.status, "active")
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("a predicate picks the image by what the code under test gives it", () =>
    Effect.gen(function*() {
      const control = yield* GlanceTest.Control
      yield* control.failNextUpload((image) => image.name === "doomed")
      yield* publish("fine")
      const error = yield* Effect.flip(publish("doomed"))
      assert.isTrue(error._tag === "ImageNotCreated" && error.cause._tag === "TransportError", String(error))
      assert.deepStrictEqual((yield* control.images).map((image) => image.name), ["fine"])
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("corruptDownloads() makes every verified download fail with ChecksumMismatch", () =>
    Effect.gen(function*() {
      const control = yield* GlanceTest.Control
      yield* control.corruptDownloads()
      const id = yield* publish("any")
      const images = yield* Images.Images
      const error = yield* Effect.flip(Stream.runDrain(images.download(id)))
      assert.strictEqual(error._tag, "ChecksumMismatch")
      // Unverified, the corrupt bytes arrive.
      const bytes = yield* Stream.runCollect(images.download(id, { verify: false }))
      assert.strictEqual(bytes.pipe((c) => [...c].reduce((n, b) => n + b.byteLength, 0)), 16)
    }).pipe(Effect.provide(GlanceTest.layer())))
})
