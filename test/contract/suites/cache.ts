/**
 * The Cache contract: the cache API is for admins; only active images can be queued; a download
 * fills the cache. It never clears the whole cache: the lab is shared with other test runs.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { uniqueName } from "../../support/lab.js"
import { bytes, cacheTurn, downloaded, outcome, Parties, type Party, scopedImage, type Target } from "../support.js"

const missing = "00000000-0000-0000-0000-000000000000"

/** An active image of demo's, out of the cache again when the test ends. */
const activeImage = (demo: Party, admin: Party, data: Uint8Array) =>
  Effect.gen(function*() {
    const image = yield* scopedImage(demo, {
      name: uniqueName("ct-cache"),
      disk_format: "raw",
      container_format: "bare"
    })
    yield* Effect.addFinalizer(() => Effect.ignore(admin.cache.delete(image.id)))
    yield* demo.images.upload(image.id, Stream.make(data))
    return image
  })

/** The Cache cases. */
export const cacheSuite = (target: Target) =>
  layer(target.layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("the cache API is for admins only (an unknown image is 404 first)", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const image = yield* activeImage(demo, admin, bytes("not for demo to cache"))
        assert.deepStrictEqual({
          list: yield* outcome(demo.cache.list),
          queue: yield* outcome(demo.cache.queue(image.id)),
          delete: yield* outcome(demo.cache.delete(image.id)),
          clear: yield* outcome(demo.cache.clear("queue")),
          queueUnknown: yield* outcome(demo.cache.queue(missing)),
          deleteUnknown: yield* outcome(demo.cache.delete(missing))
        }, {
          list: "Forbidden",
          queue: "Forbidden",
          delete: "Forbidden",
          clear: "Forbidden",
          queueUnknown: "NotFound",
          deleteUnknown: "NotFound"
        })
      }))

    it.scoped("queue: only active images, listed as queued until deleted from the cache", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const queued = yield* scopedImage(demo, { name: uniqueName("ct-cache-queued") })
        assert.deepStrictEqual({
          notActive: yield* outcome(admin.cache.queue(queued.id)),
          unknown: yield* outcome(admin.cache.queue(missing)),
          deleteUnknown: yield* outcome(admin.cache.delete(missing))
        }, { notActive: "BadRequest", unknown: "NotFound", deleteUnknown: "NotFound" })

        const image = yield* activeImage(demo, admin, bytes("to be queued"))
        yield* cacheTurn(target, "contract cache: queue")
        yield* admin.cache.queue(image.id)
        // Glance's periodic prefetcher may cache a queued image at any moment (the lab's runs
        // every 300 s; the twin's never does): queued, or already moved on to cached.
        const state = yield* admin.cache.list
        assert.isTrue(
          state.queued_images.includes(image.id) || state.cached_images.some((c) => c.image_id === image.id),
          `${image.id} is neither queued nor cached: ${JSON.stringify(state)}`
        )
        yield* admin.cache.delete(image.id)
        const after = yield* admin.cache.list
        assert.notInclude(after.queued_images, image.id)
        assert.notInclude(after.cached_images.map((c) => c.image_id), image.id)
      }))

    it.scoped("a download fills the cache with the image's size; a later one is a hit", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const data = bytes("cached on the way out")
        const image = yield* activeImage(demo, admin, data)
        yield* downloaded(demo, image.id)
        // Glance commits the cached file just after the last byte is sent: look until it is there.
        const cachedEntry = Effect.map(admin.cache.list, (state) =>
          state.cached_images.find((c) => c.image_id === image.id))
        yield* cachedEntry.pipe(
          Effect.repeat({
            until: (e) =>
              e !== undefined,
            schedule: Schedule.spaced("100 millis"),
            times: 50
          })
        )
        const entry = yield* cachedEntry
        assert.strictEqual(entry?.size, data.byteLength)
        assert.strictEqual(entry?.hits, 0)
        yield* downloaded(demo, image.id)
        const again = yield* cachedEntry
        assert.strictEqual(again?.hits, 1)
        yield* admin.cache.delete(image.id)
        assert.notInclude((yield* admin.cache.list).cached_images.map((c) => c.image_id), image.id)
      }))
  })
