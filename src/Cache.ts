/**
 * The image cache of the Image API (v2.14, admin): what the API node has cached, what is
 * queued for caching, and the means to queue, evict and clear.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { NotSupported } from "./GlanceError.js"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"

/**
 * An image held in the cache.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CachedImage = Schema.Struct(
  {
    image_id: Schema.String,
    hits: Schema.optional(Schema.Number),
    last_accessed: Schema.optional(Schema.Number),
    last_modified: Schema.optional(Schema.Number),
    size: Schema.optional(Schema.Number)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * An image held in the cache.
 *
 * @since 0.1.0
 * @category models
 */
export interface CachedImage extends Schema.Schema.Type<typeof CachedImage> {}

/**
 * The body of `GET /v2/cache`: cached images and the ids queued for caching.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CacheState = Schema.Struct({
  cached_images: Schema.Array(CachedImage),
  queued_images: Schema.Array(Schema.String)
})

/**
 * The cached images and the ids queued for caching.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheState extends Schema.Schema.Type<typeof CacheState> {}

/**
 * What `clear` empties.
 *
 * @since 0.1.0
 * @category models
 */
export type ClearTarget = "both" | "cache" | "queue"

/**
 * Every failure of a cache call: the request's, or `NotSupported` when the cloud has no cache API.
 *
 * @since 0.1.0
 * @category errors
 */
export type CacheError = GlanceHttpError | NotSupported

/**
 * The cache operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The cached images and the queue. */
  readonly list: Effect.Effect<CacheState, CacheError>
  /** Queues an image for caching; the cache prefetcher fetches it later. */
  readonly queue: (imageId: string) => Effect.Effect<void, CacheError>
  /** Removes an image from the cache and the queue. */
  readonly delete: (imageId: string) => Effect.Effect<void, CacheError>
  /** Empties the cache, the queue, or both (the default). */
  readonly clear: (target?: ClearTarget) => Effect.Effect<void, CacheError>
}

/**
 * The image cache operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Cache extends Context.Tag("glanceclient/Cache")<Cache, Service>() {}

/**
 * Builds the cache operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp
  const gate = http.endpoint.require("2.14", "The image cache API")

  const list = Effect.zipRight(gate, http.json(HttpClientRequest.get("/v2/cache"), CacheState)).pipe(
    Effect.withSpan("Cache.list")
  )

  const queue = Effect.fn("Cache.queue")(function*(imageId: string) {
    yield* gate
    yield* http.send(HttpClientRequest.put(`/v2/cache/${encodeURIComponent(imageId)}`))
  })

  const del = Effect.fn("Cache.delete")(function*(imageId: string) {
    yield* gate
    yield* http.send(HttpClientRequest.del(`/v2/cache/${encodeURIComponent(imageId)}`))
  })

  const clear = Effect.fn("Cache.clear")(function*(target: ClearTarget = "both") {
    yield* gate
    const request = HttpClientRequest.del("/v2/cache")
    yield* http.send(
      target === "both" ? request : HttpClientRequest.setHeader(request, "x-image-cache-clear-target", target)
    )
  })

  return Cache.of({ list, queue, delete: del, clear })
})

/**
 * The cache operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Cache, never, GlanceHttp> = Layer.effect(Cache, make)
