import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { Cache, Images, Members, Schemas } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"

// --- README "Testing your code offline": a user's program, and its test ---------------------------

/** Publishes bytes as a new raw image and returns its id (the user's code under test). */
const publish = (name: string, bytes: Uint8Array) =>
  Effect.gen(function*() {
    const image = yield* Images.createAndUpload(
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
      assert.strictEqual(failure._tag, "TransportError")
      assert.strictEqual((yield* images.get(seeded.id)).status, "queued")
    }).pipe(Effect.provide(GlanceTest.layer())))
})

// --- README "Testing your code offline": several projects over one world ----------------------------

/** Shares an image with a project, and accepts an image offered (the user's code under test). */
const shareWith = (imageId: string, project: string) =>
  Effect.flatMap(Members.Members, (members) => members.create(imageId, project))
const accept = (imageId: string, project: string) =>
  Effect.flatMap(Members.Members, (members) => members.update(imageId, project, "accepted"))

describe("GlanceTest: several projects over one world", () => {
  it.effect("alice shares an image with bob; bob sees it once he accepts", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const alice = GlanceTest.layerFor(world, { project: "alice" })
      const bob = GlanceTest.layerFor(world, { project: "bob" })
      const image = yield* publish("shared", new Uint8Array(8)).pipe(Effect.provide(alice))
      yield* shareWith(image, "bob").pipe(Effect.provide(alice)) // your code
      const bobLists = Effect.flatMap(Images.Images, (images) => Stream.runCollect(images.list()))
      assert.strictEqual(Chunk.size(yield* bobLists.pipe(Effect.provide(bob))), 0) // not accepted yet
      yield* accept(image, "bob").pipe(Effect.provide(bob)) // your code
      assert.strictEqual(Chunk.size(yield* bobLists.pipe(Effect.provide(bob))), 1)
    }))

  it.effect("seeding is per project; Control.images shows every project's images", () =>
    Effect.gen(function*() {
      const world = GlanceTest.world()
      const seed = (project: string, visibility: Images.CreateFields["visibility"]) =>
        Effect.flatMap(GlanceTest.Control, (control) => control.seed({ name: project, visibility })).pipe(
          Effect.provide(GlanceTest.layerFor(world, { project }))
        )
      const mine = yield* seed("alice", "private")
      const theirs = yield* seed("bob", "private")
      assert.strictEqual(mine.owner, "alice")
      const aliceGets = (id: string) =>
        Effect.flatMap(Images.Images, (images) => Effect.either(images.get(id))).pipe(
          Effect.provide(GlanceTest.layerFor(world, { project: "alice" }))
        )
      assert.isTrue((yield* aliceGets(mine.id))._tag === "Right")
      const hidden = yield* aliceGets(theirs.id)
      assert.strictEqual(hidden._tag === "Left" && hidden.left._tag, "NotFound")
      const all = yield* Effect.flatMap(GlanceTest.Control, (c) => c.images).pipe(
        Effect.provide(GlanceTest.layerFor(world, { project: "alice" }))
      )
      assert.sameMembers(all.map((i) => i.id), [mine.id, theirs.id])
    }))

  it.effect("seeding fields Glance would refuse is a bug in the setup: the effect dies with Glance's error", () =>
    Effect.gen(function*() {
      const control = yield* GlanceTest.Control
      const exit = yield* Effect.exit(control.seed({ name: "x", disk_format: "floppy" as "raw" }))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.strictEqual((defect as { _tag?: string })._tag, "BadRequest")
      assert.deepStrictEqual(yield* control.images, [])
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
      assert.strictEqual((yield* Images.waitFor(image.id)).status, "active")
      yield* images.create({ name: "other" })
      const tagged = yield* Stream.runCollect(images.list({ filters: { tag: ["x"] } }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(tagged).map((i) => i.id), [image.id])
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("Schemas.validateImageFields works offline against the lab's image schema", () =>
    Effect.gen(function*() {
      const schemas = yield* Schemas.Schemas
      yield* schemas.validateImageFields({ disk_format: "qcow2", container_format: "bare", os_distro: "debian" })
      const error = yield* Effect.flip(schemas.validateImageFields({ disk_format: "floppy" }))
      assert.include(error.message, "disk_format \"floppy\"")
    }).pipe(Effect.provide(GlanceTest.layer())))

  it.effect("the cache (admin): clear empties the cache, the queue, or both", () =>
    Effect.gen(function*() {
      const cache = yield* Cache.Cache
      const images = yield* Images.Images
      const control = yield* GlanceTest.Control
      const seed = control.seed({ name: "c", disk_format: "raw", container_format: "bare" }, new Uint8Array(8))
      const cached = yield* seed
      const queued = yield* seed
      yield* Stream.runDrain(images.download(cached.id))
      yield* cache.queue(queued.id)
      const state = yield* cache.list
      assert.deepStrictEqual([state.cached_images.map((c) => c.image_id), state.queued_images], [[cached.id], [
        queued.id
      ]])
      yield* cache.clear("queue")
      assert.deepStrictEqual((yield* cache.list).queued_images, [])
      assert.strictEqual((yield* cache.list).cached_images.length, 1)
      yield* cache.clear()
      assert.deepStrictEqual(yield* cache.list, { cached_images: [], queued_images: [] })
    }).pipe(Effect.provide(GlanceTest.layer({ admin: true }))))
})
