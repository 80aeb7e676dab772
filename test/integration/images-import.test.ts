/**
 * The import workflow and the image actions against the lab: glance-direct (stage + import),
 * web-download refused, copy-image between stores, deleting from one store, deactivation,
 * tags, locations, tasks, and the no-half-made-image rule of `createAndUpload` /
 * `createViaImport`. One login per user for the whole file.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Images, Info } from "../../src/index.js"
import { clientFor, labDir, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

/** The services of the `admin` user, beside demo's. */
class Admin extends Context.Tag("test/Admin")<Admin, {
  readonly images: Images.Service
  readonly info: Info.Service
}>() {}

const admin = Layer.effect(Admin, Effect.all({ images: Images.Images, info: Info.Info })).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with demo's client.
  Layer.provide(Layer.fresh(clientFor("admin")))
)

const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 31 + seed) % 251)

const fields = (prefix: string) => ({
  name: uniqueName(prefix),
  disk_format: "raw",
  container_format: "bare"
})

/** Deletes the image when the test's scope closes, whatever happened. */
const cleanup = (id: string) =>
  Effect.flatMap(Images.Images, (images) => Effect.addFinalizer(() => Effect.ignore(images.delete(id))))

const fast = { interval: "200 millis", timeout: "60 seconds" } as const

describe.skipIf(!up)("Image import and actions against the lab", () => {
  // Live services: `waitFor` sleeps on the real clock here, but for the one TestClock test.
  layer(Layer.merge(clientFor("demo"), admin), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("glance-direct: create, stage, import, waitFor active, same bytes back, its task", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const created = yield* images.create(fields("it-direct"))
        yield* cleanup(created.id)
        const data = bytes(200_000)
        yield* images.stage(created.id, Stream.make(data.subarray(0, 50_000), data.subarray(50_000)), {
          size: data.length
        })
        assert.strictEqual((yield* images.get(created.id)).status, "uploading")
        yield* images.importImage(created.id, { method: "glance-direct" })
        const active = yield* Images.waitFor(created.id, fast)
        assert.strictEqual(active.status, "active")
        assert.strictEqual(active.size, data.length)
        const back = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(images.download(created.id))))
        assert.isTrue(back.equals(Buffer.from(data)))
        const tasks = yield* images.tasks(created.id)
        assert.isTrue(tasks.some((t) => t.type === "api_image_import" && t.status === "success"), JSON.stringify(tasks))
      }))

    it.scoped("createViaImport glance-direct with wait: an active image in one call", () =>
      Effect.gen(function*() {
        const data = bytes(10_000, 7)
        const image = yield* Images.createViaImport(fields("it-via-import"), {
          method: "glance-direct",
          body: Stream.make(data),
          size: data.length,
          wait: fast
        })
        yield* cleanup(image.id)
        assert.strictEqual(image.status, "active")
        assert.strictEqual(image.size, data.length)
      }))

    it.scoped("a glance-direct import that fails: waitFor fails at once with Glance's reason", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const created = yield* images.create(fields("it-direct-fail"))
        yield* cleanup(created.id)
        yield* images.stage(created.id, Stream.make(bytes(1000)), { size: 1000 })
        // Lose the staged data behind Glance's back (the lab's staging store is a local directory).
        Fs.rmSync(Path.join(labDir, "glance/staging", created.id))
        yield* images.importImage(created.id, { method: "glance-direct" })
        const error = yield* Effect.flip(Images.waitFor(created.id, fast))
        assert.strictEqual(error._tag, "ImageFailed")
        if (error._tag !== "ImageFailed") return
        assert.strictEqual(error.reason, "import-failed")
        assert.strictEqual(
          error.message,
          `Image ${created.id} failed to import into store fast: Task failed due to Internal Error (it is importing)`
        )
      }))

    it.scoped("web-download from a loopback URI: refused, the image stays queued, waitFor times out clearly", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const created = yield* images.create(fields("it-web"))
        yield* cleanup(created.id)
        const refused = yield* Effect.flip(
          images.importImage(created.id, { method: "web-download", uri: "http://127.0.0.1:9/nothing" })
        )
        assert.strictEqual(refused._tag, "BadRequest")
        assert.include(refused.message, "URI for web-download does not pass filtering: http://127.0.0.1:9/nothing")
        const waited = yield* Effect.flip(Images.waitFor(created.id, { interval: "200 millis", timeout: "1 second" }))
        assert.strictEqual(waited._tag, "ImageFailed")
        if (waited._tag === "ImageFailed") {
          assert.strictEqual(waited.reason, "timeout")
          assert.strictEqual(waited.status, "queued")
          assert.strictEqual(waited.message, `Image ${created.id} did not become active within 1s (it is queued)`)
        }
      }))

    it.scoped("createViaImport web-download refused: the new image is deleted and the error says so", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const { name } = fields("it-web-via")
        const error = yield* Effect.flip(
          Images.createViaImport({ ...fields("x"), name }, {
            method: "web-download",
            uri: "http://127.0.0.1:9/nothing"
          })
        )
        assert.strictEqual(error._tag, "ImageNotCreated")
        if (error._tag !== "ImageNotCreated") return
        assert.isTrue(error.deleted)
        assert.match(error.message, new RegExp(`new image ${error.imageId} was deleted: URI for web-download`))
        assert.strictEqual((yield* Effect.flip(images.get(error.imageId)))._tag, "NotFound")
        const left = yield* Stream.runCollect(images.list({ filters: { name } }))
        assert.strictEqual(Chunk.size(left), 0)
      }))

    it.scoped("createViaImport checks its input before creating anything", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const { name, ...formats } = fields("it-via-bad")
        const noFormats = yield* Effect.flip(
          Images.createViaImport({ name }, { method: "web-download", uri: "http://127.0.0.1:9/x" })
        )
        assert.strictEqual(noFormats._tag, "InvalidInput")
        assert.strictEqual(
          noFormats.message,
          "Glance imports only into images with disk_format and container_format set"
        )
        const noBody = yield* Effect.flip(Images.createViaImport({ name, ...formats }, { method: "glance-direct" }))
        assert.strictEqual(noBody._tag, "InvalidInput")
        const noUri = yield* Effect.flip(Images.createViaImport({ name, ...formats }, { method: "web-download" }))
        assert.strictEqual(noUri._tag, "InvalidInput")
        const noRemote = yield* Effect.flip(Images.createViaImport({ name, ...formats }, { method: "glance-download" }))
        assert.strictEqual(noRemote._tag, "InvalidInput")
        assert.strictEqual(Chunk.size(yield* Stream.runCollect(images.list({ filters: { name } }))), 0)
      }))

    it.scoped("createAndUpload: a body that breaks deletes the new image, and the error names it", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const name = uniqueName("it-broken")
        const body = Stream.concat(Stream.make(bytes(64 * 1024)), Stream.fail(new Error("the disk went away")))
        const error = yield* Effect.flip(Images.createAndUpload({ ...fields("x"), name }, body, { size: 1_000_000 }))
        assert.strictEqual(error._tag, "ImageNotCreated")
        if (error._tag !== "ImageNotCreated") return
        assert.isTrue(error.deleted)
        assert.strictEqual(
          error.message,
          `Uploading the data of image ${error.imageId} failed, so the new image ${error.imageId} was deleted: the disk went away`
        )
        assert.strictEqual((yield* Effect.flip(images.get(error.imageId)))._tag, "NotFound")

        const good = yield* Images.createAndUpload(fields("it-good"), Stream.make(bytes(1000)), { size: 1000 })
        yield* cleanup(good.id)
        assert.strictEqual(good.status, "active")
      }))

    it.scoped("createAndUpload: when the new image cannot be deleted either, the error says it is left queued", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const body = Stream.concat(Stream.make(bytes(1000)), Stream.fail(new Error("the disk went away")))
        // A protected image refuses deletion (403), so the half-made image stays.
        const error = yield* Effect.flip(
          Images.createAndUpload({ ...fields("it-protected"), protected: true }, body, { size: 100_000 })
        )
        assert.strictEqual(error._tag, "ImageNotCreated")
        if (error._tag !== "ImageNotCreated") return
        yield* Effect.addFinalizer(() =>
          Effect.ignore(
            images.update(error.imageId, { set: { protected: false } }).pipe(
              Effect.zipRight(images.delete(error.imageId))
            )
          )
        )
        assert.isFalse(error.deleted)
        assert.match(
          error.message,
          new RegExp(
            `^Uploading the data of image ${error.imageId} failed: the disk went away\\. Deleting the new image ` +
              `${error.imageId} failed too \\(.*protected.*\\), so it is left behind in status queued$`
          )
        )
        assert.strictEqual((yield* images.get(error.imageId)).status, "queued")
      }))

    it.scoped("glance-download from the other region: the image's data fetched by Glance, same hashes", () =>
      Effect.gen(function*() {
        // The lab's RegionTwo endpoint is this same Glance (on localhost), so an image can be
        // "downloaded" from the other region into a new one.
        const images = yield* Images.Images
        const data = bytes(70_000, 7)
        const source = yield* Images.createAndUpload(fields("it-gd-src"), Stream.make(data), { size: data.length })
        yield* cleanup(source.id)
        const target = yield* images.create(fields("it-gd-dst"))
        yield* cleanup(target.id)
        yield* images.importImage(target.id, {
          method: "glance-download",
          remoteRegion: "RegionTwo",
          remoteImageId: source.id
        })
        const done = yield* Images.waitFor(target.id, fast)
        assert.strictEqual(done.status, "active")
        assert.strictEqual(done.size, data.length)
        assert.strictEqual(done.os_hash_value, source.os_hash_value)
        const back = yield* Stream.runCollect(images.download(target.id))
        assert.isTrue(Buffer.concat(Chunk.toReadonlyArray(back)).equals(Buffer.from(data)))
      }))

    it.scoped("copy-image to store cheap (admin), stores lists both, then deleteFromStore", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const { images: asAdmin, info } = yield* Admin
        const stores = yield* info.stores
        assert.deepStrictEqual(stores.map((s) => [s.id, s.default]), [["fast", true], ["cheap", false]])

        const image = yield* Images.createAndUpload(fields("it-copy"), Stream.make(bytes(5000)), { size: 5000 })
        yield* cleanup(image.id)
        assert.strictEqual(image.stores, "fast")

        yield* asAdmin.importImage(image.id, { method: "copy-image", stores: ["cheap"] })
        const copied = yield* Images.waitFor(image.id, { ...fast, stores: ["fast", "cheap"] }).pipe(
          Effect.provideService(Images.Images, asAdmin)
        )
        assert.deepStrictEqual(Images.storeList(copied.stores).sort(), ["cheap", "fast"])

        yield* asAdmin.deleteFromStore(image.id, "cheap")
        assert.deepStrictEqual(Images.storeList((yield* images.get(image.id)).stores), ["fast"])
        const again = yield* Effect.flip(asAdmin.deleteFromStore(image.id, "cheap"))
        // Glance refuses to remove the last copy: 403, not 404.
        assert.strictEqual(again._tag, "Forbidden")
        assert.include(again.message, "Cannot delete image data from the only store containing it")
      }))

    it.scoped("deactivate and reactivate: no download while deactivated", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const { images: asAdmin } = yield* Admin
        const image = yield* Images.createAndUpload(fields("it-deact"), Stream.make(bytes(100)), { size: 100 })
        yield* cleanup(image.id)
        yield* asAdmin.deactivate(image.id)
        assert.strictEqual((yield* images.get(image.id)).status, "deactivated")
        const blocked = yield* Effect.flip(Stream.runDrain(images.download(image.id, { verify: false })))
        assert.strictEqual(blocked._tag, "Forbidden")
        yield* asAdmin.reactivate(image.id)
        assert.strictEqual((yield* images.get(image.id)).status, "active")
        // The lab runs the legacy policies (enforce_new_defaults off): the owner may do it too.
        yield* images.deactivate(image.id)
        assert.strictEqual((yield* images.get(image.id)).status, "deactivated")
        yield* images.reactivate(image.id)
        assert.strictEqual((yield* images.get(image.id)).status, "active")
        const queued = yield* images.create(fields("it-deact-queued"))
        yield* cleanup(queued.id)
        const notActive = yield* Effect.flip(asAdmin.deactivate(queued.id))
        assert.strictEqual(notActive._tag, "Forbidden")
        assert.include(notActive.message, "Not allowed to deactivate image in status 'queued'")
      }))

    it.scoped("tags: add, add again (idempotent), remove", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const image = yield* images.create(fields("it-tags"))
        yield* cleanup(image.id)
        yield* images.addTag(image.id, "blue")
        yield* images.addTag(image.id, "blue")
        yield* images.addTag(image.id, "with space")
        assert.deepStrictEqual([...(yield* images.get(image.id)).tags!].sort(), ["blue", "with space"])
        yield* images.removeTag(image.id, "blue")
        assert.deepStrictEqual((yield* images.get(image.id)).tags, ["with space"])
        const missing = yield* Effect.flip(images.removeTag(image.id, "blue"))
        assert.strictEqual(missing._tag, "NotFound")
      }))

    it.scoped("locations: NotSupported where the cloud hides them", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const image = yield* images.create(fields("it-loc"))
        yield* cleanup(image.id)
        const add = yield* Effect.flip(images.addLocation(image.id, "http://127.0.0.1:9/x", {}))
        assert.strictEqual(add._tag, "NotSupported")
        assert.include(add.message, "does not show image locations")
        assert.strictEqual((yield* Effect.flip(images.deleteLocations(image.id, ["x"])))._tag, "NotSupported")
        assert.strictEqual((yield* Effect.flip(images.updateLocation(image.id, "x", {})))._tag, "NotSupported")
      }))

    it.scoped("waitFor runs on Effect's clock: under TestClock ten minutes pass at once", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const image = yield* images.create(fields("it-clock"))
        yield* cleanup(image.id)
        const waiting = yield* Effect.fork(Images.waitFor(image.id, { timeout: "10 minutes", interval: "1 minute" }))
        yield* TestClock.adjust("10 minutes")
        const error = yield* Effect.flip(Fiber.join(waiting))
        assert.strictEqual(error._tag, "ImageFailed")
        if (error._tag === "ImageFailed") assert.strictEqual(error.reason, "timeout")
      }).pipe(Effect.provide(TestContext.TestContext)))
  })
})
