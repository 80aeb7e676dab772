/**
 * The in-memory `Cache` service (admin only): downloads fill the cache, `queue` queues active
 * images for the prefetcher (which never runs here), `delete` and `clear` empty it.
 */
import * as Effect from "effect/Effect"
import type * as Cache from "../../Cache.js"
import { traced } from "./spans.js"
import { type Caller, fail, type World } from "./world.js"

/** Builds the `Cache` service of a caller. */
export const makeCache = (world: World, caller: Caller): Cache.Service => {
  const admin = (action: string, method: string, path: string) =>
    caller.admin === true
      ? Effect.void
      : fail(403, `You are not authorized to complete ${action} action.`, method, path)
  const image = (id: string, method: string) =>
    world.images.has(id) ? Effect.void : fail(404, `Image ${id} not found.`, method, `/v2/cache/${id}`)
  const unqueue = (id: string) => {
    const at = world.queued.indexOf(id)
    if (at >= 0) world.queued.splice(at, 1)
  }
  return traced<Cache.Service>("Cache", {
    list: Effect.zipRight(
      admin("cache_list", "GET", "/v2/cache"),
      Effect.sync((): Cache.CacheState => ({
        cached_images: [...world.cached.entries()].map(([image_id, entry]) => ({ image_id, ...entry })),
        queued_images: [...world.queued]
      }))
    ),
    queue: (id) =>
      Effect.gen(function*() {
        // Glance looks the image up before it checks the policy.
        yield* image(id, "PUT")
        yield* admin("cache_image", "PUT", `/v2/cache/${id}`)
        if (world.images.get(id)!.image.status !== "active") {
          return yield* fail(
            400,
            "Only images with status active can be targeted for queueing",
            "PUT",
            `/v2/cache/${id}`
          )
        }
        if (!world.cached.has(id) && !world.queued.includes(id)) world.queued.push(id)
      }),
    delete: (id) =>
      Effect.gen(function*() {
        yield* image(id, "DELETE")
        yield* admin("cache_delete", "DELETE", `/v2/cache/${id}`)
        world.cached.delete(id)
        unqueue(id)
      }),
    clear: (target = "both") =>
      Effect.zipRight(
        admin("cache_delete", "DELETE", "/v2/cache"),
        Effect.sync(() => {
          if (target !== "queue") world.cached.clear()
          if (target !== "cache") world.queued.length = 0
        })
      )
  })
}
