/**
 * The image cache against the lab (admin): queue (fetched into the cache at once since
 * v2.16), list, delete, clear the queue; a download fills the cache. `clear("cache")` / `clear()` are not run here: they would empty the cache
 * other test files and the benchmarks rely on.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Cache, Images } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"
import { cacheLock, scopedLock } from "../support/lock.js"

const up = requireLab()

/** demo's cache service, beside admin's client. */
class DemoCache extends Context.Tag("test/DemoCache")<DemoCache, Cache.Service>() {}

const demo = Layer.effect(DemoCache, Cache.Cache).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with admin's client.
  Layer.provide(Layer.fresh(clientFor("demo")))
)

describe.skipIf(!up)("Cache against the lab (admin)", () => {
  // Live services: the test polls on the real clock.
  layer(Layer.merge(clientFor("admin"), demo), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("queue, list, delete, clear the queue; a download caches the image", () =>
      Effect.gen(function*() {
        const cache = yield* Cache.Cache
        const images = yield* Images.Images
        const data = new Uint8Array(4096).map((_, i) => i % 256)
        const image = yield* Images.createAndUpload(
          { name: uniqueName("it-cache"), disk_format: "raw", container_format: "bare" },
          Stream.make(data),
          { size: data.length }
        )
        yield* Effect.addFinalizer(() =>
          Effect.ignore(Effect.zipRight(cache.delete(image.id), images.delete(image.id)))
        )
        // The queue is shared with every other test file; cache.clear("queue") below empties it for all.
        yield* scopedLock(cacheLock, "cache.test.ts: queue, list, delete, clear")

        const isCached = Effect.map(cache.list, (state) => state.cached_images.find((c) => c.image_id === image.id))

        // Since v2.16 Glance hands a queued image to a worker at once: it goes through the queue into the cache.
        yield* cache.queue(image.id)
        const fetched = yield* isCached.pipe(
          Effect.filterOrFail((c) => c !== undefined, () => "not cached yet"),
          Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100 })
        )
        assert.strictEqual(fetched.size, data.length)
        yield* cache.delete(image.id)
        const afterDelete = yield* cache.list
        assert.notInclude(afterDelete.queued_images, image.id)
        assert.isUndefined(yield* isCached)

        yield* cache.queue(image.id)
        yield* cache.clear("queue")
        assert.notInclude((yield* cache.list).queued_images, image.id)
        yield* cache.delete(image.id)

        yield* Stream.runDrain(images.download(image.id))
        const cached = (yield* cache.list).cached_images.find((c) => c.image_id === image.id)
        assert.strictEqual(cached?.size, data.length)
        yield* cache.delete(image.id)
        assert.isUndefined(yield* isCached)

        const queued = yield* images.create({ name: uniqueName("it-cache-queued") })
        yield* Effect.addFinalizer(() => Effect.ignore(images.delete(queued.id)))
        const notActive = yield* Effect.flip(cache.queue(queued.id))
        assert.strictEqual(notActive._tag, "BadRequest")
        assert.include(notActive.message, "Only images with status active can be targeted for queueing")
      }))

    it.effect("demo may not see the cache", () =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip((yield* DemoCache).list)
        assert.strictEqual(refused._tag, "Forbidden")
        assert.include(refused.message, "cache_list")
      }))
  })
})
