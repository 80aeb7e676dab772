/**
 * What the cloud's Image API offers: its import methods, its stores (multistore clouds) and
 * the caller's quota usage.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { NotSupported } from "./GlanceError.js"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"

/** `true`, `"true"` or `"True"`: Glance writes some flags as strings. */
const Flag = Schema.Union(
  Schema.Boolean,
  Schema.transform(Schema.String, Schema.Boolean, {
    strict: true,
    decode: (s) => s.toLowerCase() === "true",
    encode: (b) => String(b)
  })
)

/**
 * A store of a multistore cloud.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Store = Schema.Struct(
  {
    id: Schema.String,
    description: Schema.optional(Schema.String),
    default: Schema.optionalWith(Flag, { default: () => false }),
    "read-only": Schema.optionalWith(Flag, { default: () => false })
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * A store of a multistore cloud.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store extends Schema.Schema.Type<typeof Store> {}

/**
 * A store with its driver and settings, as admins see it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StoreDetail = Schema.Struct(
  {
    id: Schema.String,
    description: Schema.optional(Schema.String),
    default: Schema.optionalWith(Flag, { default: () => false }),
    type: Schema.optional(Schema.String),
    properties: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * A store with its driver and settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreDetail extends Schema.Schema.Type<typeof StoreDetail> {}

/**
 * One quota of the caller's project: its limit (-1 for none) and what is used.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Quota = Schema.Struct({ limit: Schema.Number, usage: Schema.Number })

/**
 * One quota of the caller's project.
 *
 * @since 0.1.0
 * @category models
 */
export interface Quota extends Schema.Schema.Type<typeof Quota> {}

const ImportInfo = Schema.Struct({
  "import-methods": Schema.Struct({ value: Schema.Array(Schema.String) })
})
const StoresInfo = Schema.Struct({ stores: Schema.Array(Store) })
const StoresDetailInfo = Schema.Struct({ stores: Schema.Array(StoreDetail) })
const UsageInfo = Schema.Struct({ usage: Schema.Record({ key: Schema.String, value: Quota }) })

/**
 * Every failure of a discovery call: the request's, or `NotSupported` when the cloud lacks the feature.
 *
 * @since 0.1.0
 * @category errors
 */
export type InfoError = GlanceHttpError | NotSupported

/**
 * The discovery operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The import methods the cloud has enabled (`glance-direct`, `web-download`, …). */
  readonly importMethods: Effect.Effect<ReadonlyArray<string>, InfoError>
  /** The stores of a multistore cloud; `NotSupported` when multistore is not enabled. */
  readonly stores: Effect.Effect<ReadonlyArray<Store>, InfoError>
  /** The stores with their drivers and settings (admin, v2.15). */
  readonly storesDetail: Effect.Effect<ReadonlyArray<StoreDetail>, InfoError>
  /** The caller's quotas and usage, keyed by resource (`image_size_total`, …; v2.13). */
  readonly usage: Effect.Effect<Readonly<Record<string, Quota>>, InfoError>
}

/**
 * The discovery operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Info extends Context.Tag("glanceclient/Info")<Info, Service>() {}

/**
 * Builds the discovery operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp

  const importMethods = Effect.gen(function*() {
    yield* http.endpoint.require("2.6", "Listing import methods")
    const info = yield* http.json(HttpClientRequest.get("/v2/info/import"), ImportInfo)
    return info["import-methods"].value
  }).pipe(Effect.withSpan("Info.importMethods"))

  const stores = Effect.gen(function*() {
    const info = yield* http.json(HttpClientRequest.get("/v2/info/stores"), StoresInfo).pipe(
      Effect.catchTag(
        "NotFound",
        () => Effect.fail(new NotSupported({ message: `Multistore is not enabled on ${http.endpoint.url}` }))
      )
    )
    return info.stores
  }).pipe(Effect.withSpan("Info.stores"))

  const storesDetail = Effect.gen(function*() {
    yield* http.endpoint.require("2.15", "Listing store details")
    const info = yield* http.json(HttpClientRequest.get("/v2/info/stores/detail"), StoresDetailInfo)
    return info.stores
  }).pipe(Effect.withSpan("Info.storesDetail"))

  const usage = Effect.gen(function*() {
    yield* http.endpoint.require("2.13", "Quota usage")
    const info = yield* http.json(HttpClientRequest.get("/v2/info/usage"), UsageInfo)
    return info.usage
  }).pipe(Effect.withSpan("Info.usage"))

  return Info.of({ importMethods, stores, storesDetail, usage })
})

/**
 * The discovery operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Info, never, GlanceHttp> = Layer.effect(Info, make)
