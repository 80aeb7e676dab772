/**
 * Images of the Image API v2: list, show, create, update, delete, and their data, streamed
 * both ways and verified against the hash Glance recorded.
 *
 * @since 0.1.0
 */
import { type PlatformError, SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import {
  ChecksumMismatch,
  ImageFailed,
  ImageNotCreated,
  InvalidInput,
  NoImageData,
  NotSupported,
  SizeMismatch,
  TransportError,
  UnverifiableImage
} from "./GlanceError.js"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"
import { type GlanceAlgorithm, glanceAlgorithm, Hasher, weakAlgorithms } from "./Hasher.js"
import { ImageData } from "./ImageData.js"
import { Info } from "./Info.js"
import * as Bytes from "./internal/bytes.js"
import { displayUrl } from "./internal/http.js"
import { openLiterals } from "./internal/literals.js"
import { messageOf } from "./internal/messages.js"
import { Task } from "./Tasks.js"

/**
 * The status of an image: the values Glance documents, or any other string a newer cloud sends.
 * `queued` (a record without data), `saving` (data being uploaded), `uploading` (data staged for an
 * import), `importing`, `active`, `deactivated`, `killed` (its data could not be saved), `deleted`,
 * `pending_delete`.
 *
 * @since 0.1.0
 * @category models
 */
export type ImageStatus =
  | "queued"
  | "saving"
  | "uploading"
  | "importing"
  | "active"
  | "deactivated"
  | "killed"
  | "deleted"
  | "pending_delete"
  | (string & {})

/**
 * The schema of `ImageStatus`: decodes any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImageStatus: Schema.Schema<ImageStatus> = openLiterals(
  "queued",
  "saving",
  "uploading",
  "importing",
  "active",
  "deactivated",
  "killed",
  "deleted",
  "pending_delete"
)

/**
 * Who sees an image: `public` (everyone), `private` (its project), `shared` (its project and the
 * members it accepted), `community` (anyone who knows its id); any other string a newer cloud sends.
 *
 * @since 0.1.0
 * @category models
 */
export type Visibility =
  | "public"
  | "private"
  | "shared"
  | "community"
  | (string & {})

/**
 * The schema of `Visibility`: decodes any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Visibility: Schema.Schema<Visibility> = openLiterals("public", "private", "shared", "community")

/**
 * An image as Glance returns it: the core fields typed, every custom property kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Image = Schema.Struct(
  {
    id: Schema.String,
    name: Schema.optional(Schema.NullOr(Schema.String)),
    status: ImageStatus,
    visibility: Schema.optional(Visibility),
    protected: Schema.optional(Schema.Boolean),
    os_hidden: Schema.optional(Schema.Boolean),
    checksum: Schema.optional(Schema.NullOr(Schema.String)),
    os_hash_algo: Schema.optional(Schema.NullOr(Schema.String)),
    os_hash_value: Schema.optional(Schema.NullOr(Schema.String)),
    size: Schema.optional(Schema.NullOr(Schema.Number)),
    virtual_size: Schema.optional(Schema.NullOr(Schema.Number)),
    disk_format: Schema.optional(Schema.NullOr(Schema.String)),
    container_format: Schema.optional(Schema.NullOr(Schema.String)),
    min_disk: Schema.optional(Schema.Number),
    min_ram: Schema.optional(Schema.Number),
    owner: Schema.optional(Schema.NullOr(Schema.String)),
    tags: Schema.optional(Schema.Array(Schema.String)),
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String),
    stores: Schema.optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * An image as Glance returns it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Image extends Schema.Schema.Type<typeof Image> {}

/**
 * One page of `GET /v2/images`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImagePage = Schema.Struct({
  images: Schema.Array(Image),
  next: Schema.optional(Schema.String)
})

/**
 * The fields of a new image; any other key is a custom property.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateFields {
  readonly name?: string | undefined
  readonly id?: string | undefined
  readonly disk_format?: string | undefined
  readonly container_format?: string | undefined
  readonly visibility?: Visibility | undefined
  readonly protected?: boolean | undefined
  readonly os_hidden?: boolean | undefined
  readonly min_disk?: number | undefined
  readonly min_ram?: number | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly [property: string]: unknown
}

/**
 * Changes to an image: properties to set (added or replaced) and properties to remove.
 *
 * @since 0.1.0
 * @category models
 */
export interface UpdateChanges {
  readonly set?: Readonly<Record<string, unknown>> | undefined
  readonly remove?: ReadonlyArray<string> | undefined
}

/**
 * The operations of the v2.1 JSON-patch media type that Glance takes.
 *
 * @since 0.1.0
 * @category models
 */
export type PatchOp = "add" | "remove" | "replace"

/**
 * One JSON-patch operation of the v2.1 media type.
 *
 * @since 0.1.0
 * @category models
 */
export interface PatchOperation {
  readonly op: PatchOp
  readonly path: string
  readonly value?: unknown
}

/**
 * How to list images.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListOptions {
  /** Filters sent as query parameters (`status`, `visibility`, `owner`, `tag`, any property, `in:` and `gt:` operators). */
  readonly filters?: Readonly<Record<string, string | number | boolean | ReadonlyArray<string>>> | undefined
  /** `sort=name:asc,status` style. */
  readonly sort?: string | undefined
  /** Repeated `sort_key`. */
  readonly sortKey?: ReadonlyArray<string> | undefined
  /** Repeated `sort_dir`. */
  readonly sortDir?: ReadonlyArray<"asc" | "desc"> | undefined
  /** Images per request (default 200, as python-glanceclient). */
  readonly pageSize?: number | undefined
  /** The most images to return in all. */
  readonly limit?: number | undefined
}

/**
 * How to upload image data.
 *
 * @since 0.1.0
 * @category models
 */
export interface UploadOptions {
  /** The body's length; sent as `Content-Length` and `x-openstack-image-size` (and checked by Glance) when known. */
  readonly size?: number | undefined
  /** The store to upload to (multistore clouds, `X-Image-Meta-Store`). */
  readonly store?: string | undefined
}

/**
 * How many times a download asks again for the rest after its connection broke.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxResumes = 3

/**
 * How to download image data.
 *
 * @since 0.1.0
 * @category models
 */
export interface DownloadOptions {
  /** Verify the bytes against the hash Glance recorded (default true; see `verification`). */
  readonly verify?: boolean | undefined
  /**
   * Verify with the md5 `checksum` when `os_hash_algo` names an algorithm that cannot be used
   * here (unknown, or not offered by the `Hasher`); without it such an image is not downloaded.
   */
  readonly allowMd5Fallback?: boolean | undefined
}

/**
 * Every failure of a download.
 *
 * @since 0.1.0
 * @category errors
 */
export type DownloadError = GlanceHttpError | ChecksumMismatch | NoImageData | UnverifiableImage | SizeMismatch

/**
 * The import methods of `POST /v2/images/{id}/import`.
 *
 * @since 0.1.0
 * @category models
 */
export type ImportMethod = "glance-direct" | "web-download" | "copy-image" | "glance-download"

/**
 * How to import image data (v2.6).
 *
 * @since 0.1.0
 * @category models
 */
export interface ImportOptions {
  /** Staged data (`glance-direct`), a URL (`web-download`), another store, or another region. */
  readonly method: ImportMethod
  /** The URL `web-download` fetches. */
  readonly uri?: string | undefined
  /** The region whose Image API holds the source image (`glance-download`). */
  readonly remoteRegion?: string | undefined
  /** The source image (`glance-download`). */
  readonly remoteImageId?: string | undefined
  /** The catalog interface of the remote Image API (`glance-download`, Glance's default `public`). */
  readonly remoteServiceInterface?: string | undefined
  /** The stores to import into (multistore, v2.8). */
  readonly stores?: ReadonlyArray<string> | undefined
  /** Import into every store (multistore, v2.8). */
  readonly allStores?: boolean | undefined
  /** Whether one store failing fails the whole import (Glance's default: true). */
  readonly allStoresMustSucceed?: boolean | undefined
}

/**
 * How to stage data for a `glance-direct` import.
 *
 * @since 0.1.0
 * @category models
 */
export interface StageOptions {
  /** The body's length; sent as `Content-Length` and `x-openstack-image-size` when known. */
  readonly size?: number | undefined
}

/**
 * What `waitFor` waits for, and how long.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  /** The status, or any of the statuses, to reach (default `active`). */
  readonly status?: ImageStatus | ReadonlyArray<ImageStatus> | undefined
  /** Stores the image's data must be in too (a `copy-image` import), multistore clouds. */
  readonly stores?: ReadonlyArray<string> | undefined
  /** How long to wait in all (default 10 minutes). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The time between two looks at the image (default 2 seconds). */
  readonly interval?: Duration.DurationInput | undefined
  /**
   * An import of the image was accepted just before (`importImage`): Glance may end a failing one
   * before the first look, so an image short of the goal without the import's task lock, whose
   * newest task failed, fails the wait at once instead of being waited for until the timeout.
   */
  readonly afterImport?: boolean | undefined
}

/**
 * How to create an image through the import workflow.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateViaImportOptions<E> extends ImportOptions {
  /** The data to stage first, for `glance-direct`. */
  readonly body?: Stream.Stream<Uint8Array, E> | undefined
  /** The body's length. */
  readonly size?: number | undefined
  /** Wait for the import to end too (`true` for the `waitFor` defaults); a failed or timed-out import then deletes the image. */
  readonly wait?: boolean | Omit<WaitOptions, "status" | "afterImport"> | undefined
}

/**
 * Where a store keeps an image's data, as clouds with `show_multiple_locations` show it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Location = Schema.Struct(
  {
    url: Schema.String,
    metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown })
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * Where a store keeps an image's data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Location extends Schema.Schema.Type<typeof Location> {}

const ImageLocations = Schema.Struct({ locations: Schema.optional(Schema.Array(Location)) })

/**
 * The checksum Glance verifies the data at a new location against (`addImageLocation`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidationData {
  readonly os_hash_algo: string
  readonly os_hash_value: string
}

const minor = (version: string) => Number(version.split(".")[1] ?? 0)

/**
 * Adds a location to a `queued` image with `POST /v2/images/{id}/locations` (Image API v2.17;
 * Glance answers 202 and activates the image once it has the data); `NotSupported` before any
 * request when the cloud does not list v2.17.
 *
 * @since 0.1.0
 * @category operations
 */
export const addImageLocation: (
  id: string,
  url: string,
  options?: { readonly validationData?: ValidationData | undefined }
) => Effect.Effect<void, GlanceHttpError | NotSupported, GlanceHttp> = Effect.fn("Images.addImageLocation")(function*(
  id: string,
  url: string,
  options: { readonly validationData?: ValidationData | undefined } = {}
) {
  const http = yield* GlanceHttp
  const listed = yield* http.endpoint.versions
  if (!listed.includes("2.17")) {
    const latest = [...listed].sort((a, b) => minor(a) - minor(b)).at(-1)
    return yield* new NotSupported({
      message: `Adding an image location is not supported by this cloud (needs Image API v2.17; ${http.endpoint.url} ${
        latest === undefined ? "lists no v2 version" : `offers up to v${latest}`
      })`
    })
  }
  const body = options.validationData === undefined ? { url } : { url, validation_data: options.validationData }
  yield* http.send(
    HttpClientRequest.post(`/v2/images/${encodeURIComponent(id)}/locations`).pipe(
      HttpClientRequest.bodyUnsafeJson(body)
    )
  )
})

const ImageTasks = Schema.Struct({ tasks: Schema.Array(Task) })

/**
 * Every failure of an operation that needs a v2.x feature or checks its input first.
 *
 * @since 0.1.0
 * @category errors
 */
export type OperationError = GlanceHttpError | NotSupported | InvalidInput

/**
 * The body of an import request, or why the options cannot make one.
 *
 * @internal
 */
export const importBody = (options: ImportOptions): Either.Either<Record<string, unknown>, InvalidInput> => {
  const invalid = (message: string) => Either.left(new InvalidInput({ message }))
  const method: Record<string, unknown> = { name: options.method }
  switch (options.method) {
    case "web-download":
      if (options.uri === undefined) return invalid("The web-download import needs a URI to fetch")
      method.uri = options.uri
      break
    case "glance-download":
      if (options.remoteRegion === undefined || options.remoteImageId === undefined) {
        return invalid("The glance-download import needs the remote region and the remote image id")
      }
      method.glance_region = options.remoteRegion
      method.glance_image_id = options.remoteImageId
      if (options.remoteServiceInterface !== undefined) {
        method.glance_service_interface = options.remoteServiceInterface
      }
      break
  }
  if (options.method !== "web-download" && options.uri !== undefined) {
    return invalid(`The ${options.method} import takes no URI (only web-download does)`)
  }
  if (options.stores !== undefined && options.allStores === true) {
    return invalid("Give either stores or allStores, not both")
  }
  const body: Record<string, unknown> = { method }
  if (options.stores !== undefined) body.stores = options.stores
  if (options.allStores !== undefined) body.all_stores = options.allStores
  if (options.allStoresMustSucceed !== undefined) body.all_stores_must_succeed = options.allStoresMustSucceed
  return Either.right(body)
}

/**
 * The stores named by a comma-separated image property (`stores`, `os_glance_failed_import`).
 *
 * @internal
 */
export const storeList = (value: unknown): Array<string> =>
  typeof value === "string" ? value.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : []

/**
 * The images operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * All images matching the options, page by page as the stream is read.
   *
   * @example
   * ```ts
   * import { Effect, Stream } from "effect"
   * import { Images } from "glanceclient"
   *
   * // The names of at most 50 active images, by name: pages are fetched as the stream is read.
   * const names = Effect.flatMap(Images.Images, (images) =>
   *   images.list({ filters: { status: "active" }, sort: "name:asc", limit: 50 }).pipe(
   *     Stream.map((image) => image.name ?? image.id),
   *     Stream.runCollect
   *   ))
   * ```
   */
  readonly list: (options?: ListOptions) => Stream.Stream<Image, GlanceHttpError>
  /** One image. */
  readonly get: (id: string) => Effect.Effect<Image, GlanceHttpError>
  /** Creates an image record (status `queued`). */
  readonly create: (fields: CreateFields) => Effect.Effect<Image, GlanceHttpError>
  /** Sets and removes properties with one JSON-patch request. */
  readonly update: (id: string, changes: UpdateChanges) => Effect.Effect<Image, GlanceHttpError>
  /** Applies raw JSON-patch operations. */
  readonly patch: (id: string, operations: ReadonlyArray<PatchOperation>) => Effect.Effect<Image, GlanceHttpError>
  /** Deletes an image. */
  readonly delete: (id: string) => Effect.Effect<void, GlanceHttpError>
  /** Uploads data to a `queued` image; its blocks are only read (never changed, kept or reused). */
  readonly upload: <E>(
    id: string,
    body: Stream.Stream<Uint8Array, E>,
    options?: UploadOptions
  ) => Effect.Effect<void, GlanceHttpError | E>
  /**
   * Uploads data that `fill` reads into blocks the library lends: `fill` writes up to
   * `block.byteLength` bytes at the start of the block and returns how many (0 at the end). A
   * block is `fill`'s only while the effect `fill` returns runs; where the transport allows it
   * (`ImageTransport.bodyBlockDoneOnPull`), the same few blocks carry the whole image.
   */
  readonly uploadEach: <E>(
    id: string,
    fill: (block: Uint8Array) => Effect.Effect<number, E>,
    options?: UploadOptions
  ) => Effect.Effect<void, GlanceHttpError | E>
  /**
   * The image's data, verified as it flows (fails at the end with `ChecksumMismatch` when
   * corrupt). Every block the stream emits is new memory that belongs to the consumer: it may be
   * kept, shared between consumers (`Stream.broadcast`) or changed, and the library never writes to it again.
   *
   * @example
   * ```ts
   * import { Effect, Stream } from "effect"
   * import { Images } from "glanceclient"
   *
   * // Into a file (written to a temporary name, renamed once the hash matched)…
   * const save = (id: string, path: string) =>
   *   Effect.flatMap(Images.Images, (images) => Stream.run(images.download(id), Images.fileSink(path)))
   *
   * // …or counted as it flows, without keeping it.
   * const size = (id: string) =>
   *   Effect.flatMap(Images.Images, (images) =>
   *     Stream.runFold(images.download(id), 0, (total, block) => total + block.byteLength))
   * ```
   */
  readonly download: (id: string, options?: DownloadOptions) => Stream.Stream<Uint8Array, DownloadError>
  /**
   * The image's data, verified as it flows, handed block by block to `write`. Each block is lent:
   * it is `write`'s only while the effect `write` returns runs, and is refilled with later bytes
   * once that effect ends, so `write` must have written it away (to a file, a socket) by then
   * and keep no reference. In exchange a whole image goes through a few reused blocks.
   */
  readonly downloadEach: <E, R>(
    id: string,
    write: (block: Uint8Array) => Effect.Effect<void, E, R>,
    options?: DownloadOptions
  ) => Effect.Effect<void, DownloadError | E, R>
  /** Stages data for a `glance-direct` import; the image goes `uploading` (v2.6). */
  readonly stage: <E>(
    id: string,
    body: Stream.Stream<Uint8Array, E>,
    options?: StageOptions
  ) => Effect.Effect<void, GlanceHttpError | NotSupported | E>
  /** Starts an import (Glance answers 202 and works in the background: `waitFor` the result). */
  readonly importImage: (id: string, options: ImportOptions) => Effect.Effect<void, OperationError>
  /** Makes an active image's data unavailable (admin by default, v2.3). */
  readonly deactivate: (id: string) => Effect.Effect<void, GlanceHttpError | NotSupported>
  /** Makes a deactivated image's data available again (admin by default, v2.3). */
  readonly reactivate: (id: string) => Effect.Effect<void, GlanceHttpError | NotSupported>
  /** Adds a tag to an image. */
  readonly addTag: (id: string, tag: string) => Effect.Effect<void, GlanceHttpError>
  /** Removes a tag from an image. */
  readonly removeTag: (id: string, tag: string) => Effect.Effect<void, GlanceHttpError>
  /** The tasks that worked on an image, its imports included (v2.12). */
  readonly tasks: (id: string) => Effect.Effect<ReadonlyArray<Task>, GlanceHttpError | NotSupported>
  /** Adds a location; `NotSupported` when the cloud does not show locations. */
  readonly addLocation: (
    id: string,
    url: string,
    metadata?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Image, OperationError>
  /** Removes locations by URL; `NotSupported` when the cloud does not show locations. */
  readonly deleteLocations: (id: string, urls: ReadonlyArray<string>) => Effect.Effect<Image, OperationError>
  /** Replaces the metadata of a location; `NotSupported` when the cloud does not show locations. */
  readonly updateLocation: (
    id: string,
    url: string,
    metadata: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Image, OperationError>
  /** Deletes an image's data from one store, keeping it in the others (v2.10). */
  readonly deleteFromStore: (id: string, store: string) => Effect.Effect<void, GlanceHttpError | NotSupported>
}

/**
 * The images operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Images extends Context.Tag("glanceclient/Images")<Images, Service>() {}

/**
 * The query parameters of a list request.
 *
 * @internal
 */
export const listParams = (options: ListOptions): Array<[string, string]> => {
  const params: Array<[string, string]> = [[
    "limit",
    String(Math.min(options.pageSize ?? 200, options.limit ?? Infinity))
  ]]
  for (const [key, value] of Object.entries(options.filters ?? {})) {
    if (Array.isArray(value)) { for (const v of value) params.push([key, String(v)]) }
    else params.push([key, String(value)])
  }
  for (const key of options.sortKey ?? []) params.push(["sort_key", key])
  for (const dir of options.sortDir ?? []) params.push(["sort_dir", dir])
  if (options.sort !== undefined) params.push(["sort", options.sort])
  return params
}

/**
 * The image fields only Glance sets (ids, status, sizes, hashes, timestamps, links, stores and
 * locations): a create or a patch naming one is refused with 403.
 *
 * @internal
 */
export const readOnlyFields: ReadonlySet<string> = new Set([
  "id",
  "status",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "created_at",
  "updated_at",
  "direct_url",
  "self",
  "file",
  "schema",
  "stores",
  "locations"
])

/**
 * The JSON-patch operations for `UpdateChanges`.
 *
 * @internal
 */
export const patchOperations = (changes: UpdateChanges): Array<PatchOperation> => [
  ...Object.entries(changes.set ?? {}).map(([key, value]): PatchOperation => ({ op: "add", path: `/${key}`, value })),
  ...(changes.remove ?? []).map((key): PatchOperation => ({ op: "remove", path: `/${key}` }))
]

const patchContentType = "application/openstack-images-v2.1-json-patch"

/**
 * Builds the images operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp | ImageData | Hasher> = Effect.gen(function*() {
  const http = yield* GlanceHttp
  const data = yield* ImageData
  const hasher = yield* Hasher

  const get = Effect.fn("Images.get")(function*(id: string) {
    return yield* http.json(HttpClientRequest.get(`/v2/images/${encodeURIComponent(id)}`), Image)
  })

  const list = (options: ListOptions = {}): Stream.Stream<Image, GlanceHttpError> => {
    const first = HttpClientRequest.get("/v2/images").pipe(HttpClientRequest.setUrlParams(listParams(options)))
    const images = http.paginate(first, ImagePage, (page) => page.images)
    return (options.limit === undefined ? images : Stream.take(images, options.limit)).pipe(
      Stream.withSpan("Images.list")
    )
  }

  const create = Effect.fn("Images.create")(function*(fields: CreateFields) {
    return yield* http.json(
      HttpClientRequest.post("/v2/images").pipe(HttpClientRequest.bodyUnsafeJson(fields)),
      Image
    )
  })

  const patch = Effect.fn("Images.patch")(function*(id: string, operations: ReadonlyArray<PatchOperation>) {
    return yield* http.json(
      HttpClientRequest.patch(`/v2/images/${encodeURIComponent(id)}`).pipe(
        HttpClientRequest.bodyText(JSON.stringify(operations), patchContentType)
      ),
      Image
    )
  })

  const update = (id: string, changes: UpdateChanges) =>
    patch(id, patchOperations(changes)).pipe(Effect.withSpan("Images.update"))

  const del = Effect.fn("Images.delete")(function*(id: string) {
    yield* http.send(HttpClientRequest.del(`/v2/images/${encodeURIComponent(id)}`))
  })

  /**
   * Sends a request with a streamed body on the image-data path. When the body itself fails (a
   * file that cannot be read, a pipe that breaks), the request is aborted rather than ended: some
   * platform clients end a request whose body failed, and Glance would keep the truncated data
   * as an active image.
   */
  const sendAborting = <E>(
    request: HttpClientRequest.HttpClientRequest,
    body: Stream.Stream<Uint8Array, E>
  ): Effect.Effect<void, GlanceHttpError | E> =>
    Effect.gen(function*() {
      const bodyFailed = yield* Deferred.make<never, E>()
      const guarded = Stream.catchAll(
        body,
        (e) => Stream.fromEffect(Effect.zipRight(Deferred.fail(bodyFailed, e), Effect.never))
      )
      const withBody = HttpClientRequest.bodyStream(guarded, {
        contentType: "application/octet-stream",
        ...(request.body._tag === "Stream" && request.body.contentLength !== undefined
          ? { contentLength: request.body.contentLength }
          : {})
      })(request)
      const sent = Effect.flatMap(data.execute(withBody), (response) => Effect.ignore(response.text))
      yield* Effect.raceFirst(sent, Deferred.await(bodyFailed))
    })

  const upload = <E>(id: string, body: Stream.Stream<Uint8Array, E>, options: UploadOptions = {}) =>
    Effect.suspend(() => {
      const request = HttpClientRequest.put(`/v2/images/${encodeURIComponent(id)}/file`).pipe(
        HttpClientRequest.bodyStream(Stream.empty, {
          contentType: "application/octet-stream",
          ...(options.size !== undefined ? { contentLength: options.size } : {})
        }),
        options.store !== undefined ? HttpClientRequest.setHeader("x-image-meta-store", options.store) : (r) => r,
        options.size !== undefined
          ? HttpClientRequest.setHeader("x-openstack-image-size", String(options.size))
          : (r) => r
      )
      return sendAborting(request, body).pipe(Effect.withSpan("Images.upload", { attributes: { "image.id": id } }))
    })

  const uploadEach = <E>(
    id: string,
    fill: (block: Uint8Array) => Effect.Effect<number, E>,
    options: UploadOptions = {}
  ): Effect.Effect<void, GlanceHttpError | E> => upload(id, filledBlocks(fill, data.bodyBlockDoneOnPull), options)

  /**
   * A body that survives a broken connection: it asks again for the rest with `Range` from the
   * byte reached (up to `maxResumes` times), so a consumer sees each byte once. An answer to the
   * `Range` request that is not a `206` starting at that byte is refused before its body is read.
   */
  const resumable = (
    request: HttpClientRequest.HttpClientRequest,
    first: HttpClientResponse.HttpClientResponse,
    blocks: Bytes.BlockPool | undefined
  ): Stream.Stream<Uint8Array, GlanceHttpError> => {
    let received = 0
    const url = displayUrl(http.endpoint.url + request.url)
    const from = (
      response: HttpClientResponse.HttpClientResponse,
      resumes: number
    ): Stream.Stream<Uint8Array, GlanceHttpError> =>
      data.body(request, response, { blocks }).pipe(
        Stream.mapChunks((chunk) => {
          received += Bytes.byteLength(chunk)
          return chunk
        }),
        Stream.catchAll((error): Stream.Stream<Uint8Array, GlanceHttpError> =>
          resumes >= maxResumes || first.status !== 200
            ? Stream.fail(error)
            : Stream.unwrap(Effect.gen(function*() {
              yield* Effect.annotateCurrentSpan("download.resumedAt", received)
              yield* Effect.sleep(Duration.millis(200 * 2 ** resumes))
              const again = yield* data.execute(HttpClientRequest.setHeader(request, "range", `bytes=${received}-`))
              const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(again.headers["content-range"] ?? "")
              if (again.status !== 206 || range === null || Number(range[1]) !== received) {
                return Stream.fail(
                  new TransportError({
                    message: `${error.message}; asked for the rest from byte ${received}, the server answered ${
                      again.status === 206
                        ? `with the range ${JSON.stringify(again.headers["content-range"] ?? "")}`
                        : `${again.status} instead of 206 Partial Content`
                    }, so the download was given up`,
                    method: request.method,
                    url
                  })
                )
              }
              return from(again, resumes + 1)
            }))
        )
      )
    return from(first, 0)
  }

  /** The verified data of an image, its blocks taken from `blocks` when the library's own sink reads it. */
  const verifiedData = (
    id: string,
    options: DownloadOptions,
    blocks: Bytes.BlockPool | undefined
  ): Stream.Stream<Uint8Array, DownloadError> =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const verify = options.verify ?? true
      const image = verify ? yield* get(id) : undefined
      const request = HttpClientRequest.get(`/v2/images/${encodeURIComponent(id)}/file`).pipe(
        HttpClientRequest.setHeader("accept", "application/octet-stream")
      )
      const decide = (contentMd5: string | undefined) =>
        image === undefined ? Effect.succeed(Option.none()) : verification(image, {
          contentMd5,
          allowMd5Fallback: options.allowMd5Fallback ?? false,
          offers: (algorithm) => Option.isSome(hasher.make(algorithm))
        })
      // Refused before the request, unless only the answer's Content-MD5 can decide.
      const early = yield* Effect.either(decide(undefined))
      const needsHeader = (options.allowMd5Fallback === true || !image?.os_hash_value) && !image?.checksum
      if (Either.isLeft(early) && !needsHeader) return yield* early.left
      const response = yield* data.execute(request)
      if (response.status === 204) return yield* new NoImageData({ imageId: id })
      const expected = Either.isRight(early) && (Option.isSome(early.right) || !needsHeader)
        ? early.right
        : yield* decide(response.headers["content-md5"])
      if (Option.isSome(expected) && weakAlgorithms.has(expected.value.algorithm)) {
        yield* Effect.logWarning(
          `Image ${id} is verified with ${expected.value.algorithm} only, a hash whose collisions can be forged`
        )
      }
      const hash = Option.flatMap(expected, (e) => hasher.make(e.algorithm))
      const declared = Number(response.headers["content-length"] ?? NaN)
      const sizes = [image?.size, Number.isFinite(declared) ? declared : undefined].filter(
        (n): n is number => typeof n === "number"
      )
      const limit = sizes.length === 0 ? undefined : Math.min(...sizes)
      let received = 0
      const checked = resumable(request, response, blocks).pipe(
        Stream.mapChunksEffect((chunk): Effect.Effect<Chunk.Chunk<Uint8Array>, SizeMismatch> => {
          received += Bytes.byteLength(chunk)
          if (limit !== undefined && received > limit) {
            return Effect.fail(new SizeMismatch({ imageId: id, expected: limit, received, complete: false }))
          }
          if (Option.isSome(hash)) { for (const block of chunk) hash.value.update(block) }
          return Effect.succeed(chunk)
        })
      )
      const end = Effect.suspend((): Effect.Effect<void, SizeMismatch | ChecksumMismatch> => {
        if (image?.size != null && received !== image.size) {
          return Effect.fail(new SizeMismatch({ imageId: id, expected: image.size, received, complete: true }))
        }
        if (Option.isNone(hash) || Option.isNone(expected)) return Effect.void
        const actual = hash.value.digest()
        const { algorithm, value } = expected.value
        return actual === value
          ? Effect.void
          : Effect.fail(new ChecksumMismatch({ imageId: id, algorithm, expected: value, actual }))
      })
      return Stream.concat(checked, Stream.execute(end))
    }))

  const download = (id: string, options: DownloadOptions = {}): Stream.Stream<Uint8Array, DownloadError> =>
    verifiedData(id, options, undefined).pipe(Stream.withSpan("Images.download", { attributes: { "image.id": id } }))

  const downloadEach = <E, R>(
    id: string,
    write: (block: Uint8Array) => Effect.Effect<void, E, R>,
    options: DownloadOptions = {}
  ): Effect.Effect<void, DownloadError | E, R> =>
    Effect.suspend(() => {
      // Enough blocks for the transport's read-ahead, the block being written and one being filled.
      const pool = new Bytes.BlockPool(Bytes.blockSize, 8)
      return Stream.runForEach(
        verifiedData(id, options, pool),
        (block) => Effect.zipRight(write(block), Effect.sync(() => pool.release(block)))
      )
    }).pipe(Effect.withSpan("Images.downloadEach", { attributes: { "image.id": id } }))

  const imageUrl = (id: string) => `/v2/images/${encodeURIComponent(id)}`

  const stage = <E>(id: string, body: Stream.Stream<Uint8Array, E>, options: StageOptions = {}) =>
    Effect.gen(function*() {
      yield* http.endpoint.require("2.6", "Staging image data")
      const request = HttpClientRequest.put(`${imageUrl(id)}/stage`).pipe(
        HttpClientRequest.bodyStream(Stream.empty, {
          contentType: "application/octet-stream",
          ...(options.size !== undefined ? { contentLength: options.size } : {})
        }),
        options.size !== undefined
          ? HttpClientRequest.setHeader("x-openstack-image-size", String(options.size))
          : (r) => r
      )
      yield* sendAborting(request, body)
    }).pipe(Effect.withSpan("Images.stage", { attributes: { "image.id": id } }))

  const importImage = Effect.fn("Images.importImage")(function*(id: string, options: ImportOptions) {
    const body = yield* importBody(options)
    yield* http.endpoint.require("2.6", "Image import")
    if (options.stores !== undefined || options.allStores !== undefined) {
      yield* http.endpoint.require("2.8", "Importing into chosen stores")
    }
    yield* http.send(HttpClientRequest.post(`${imageUrl(id)}/import`).pipe(HttpClientRequest.bodyUnsafeJson(body)))
  })

  const deactivate = Effect.fn("Images.deactivate")(function*(id: string) {
    yield* http.endpoint.require("2.3", "Deactivating images")
    yield* http.send(HttpClientRequest.post(`${imageUrl(id)}/actions/deactivate`))
  })

  const reactivate = Effect.fn("Images.reactivate")(function*(id: string) {
    yield* http.endpoint.require("2.3", "Reactivating images")
    yield* http.send(HttpClientRequest.post(`${imageUrl(id)}/actions/reactivate`))
  })

  const addTag = Effect.fn("Images.addTag")(function*(id: string, tag: string) {
    yield* http.send(HttpClientRequest.put(`${imageUrl(id)}/tags/${encodeURIComponent(tag)}`))
  })

  const removeTag = Effect.fn("Images.removeTag")(function*(id: string, tag: string) {
    yield* http.send(HttpClientRequest.del(`${imageUrl(id)}/tags/${encodeURIComponent(tag)}`))
  })

  const tasks = Effect.fn("Images.tasks")(function*(id: string) {
    yield* http.endpoint.require("2.12", "Listing an image's tasks")
    return (yield* http.json(HttpClientRequest.get(`${imageUrl(id)}/tasks`), ImageTasks)).tasks
  })

  const locationsOf = Effect.fnUntraced(function*(id: string) {
    const image = yield* http.json(HttpClientRequest.get(imageUrl(id)), ImageLocations)
    if (image.locations === undefined) {
      return yield* new NotSupported({
        message: `The Image API at ${http.endpoint.url} does not show image locations (show_multiple_locations is off)`
      })
    }
    return image.locations
  })

  const unknownLocations = (id: string, locations: ReadonlyArray<Location>, urls: ReadonlyArray<string>) => {
    const missing = urls.filter((url) => !locations.some((l) => l.url === url))
    return missing.length === 0 ? Effect.void : Effect.fail(
      new InvalidInput({ message: `Image ${id} has no location ${missing.join(", ")}` })
    )
  }

  const addLocation = Effect.fn("Images.addLocation")(function*(
    id: string,
    url: string,
    metadata: Readonly<Record<string, unknown>> = {}
  ) {
    yield* locationsOf(id)
    return yield* patch(id, [{ op: "add", path: "/locations/-", value: { url, metadata } }])
  })

  const deleteLocations = Effect.fn("Images.deleteLocations")(function*(id: string, urls: ReadonlyArray<string>) {
    const locations = yield* locationsOf(id)
    yield* unknownLocations(id, locations, urls)
    // Highest index first, so each removal leaves the indexes of the next ones unchanged.
    const indexes = locations.flatMap((l, i) => (urls.includes(l.url) ? [i] : [])).reverse()
    return yield* patch(id, indexes.map((i): PatchOperation => ({ op: "remove", path: `/locations/${i}` })))
  })

  const updateLocation = Effect.fn("Images.updateLocation")(function*(
    id: string,
    url: string,
    metadata: Readonly<Record<string, unknown>>
  ) {
    const locations = yield* locationsOf(id)
    yield* unknownLocations(id, locations, [url])
    // Glance replaces locations only as a whole list (`/locations`, not `/locations/N`).
    const value = locations.map((l) => (l.url === url ? { ...l, metadata } : l))
    return yield* patch(id, [{ op: "replace", path: "/locations", value }])
  })

  const deleteFromStore = Effect.fn("Images.deleteFromStore")(function*(id: string, store: string) {
    yield* http.endpoint.require("2.10", "Deleting an image from one store")
    yield* http.send(HttpClientRequest.del(`/v2/stores/${encodeURIComponent(store)}/${encodeURIComponent(id)}`))
  })

  return Images.of({
    list,
    get,
    create,
    update,
    patch,
    delete: del,
    upload,
    download,
    stage,
    importImage,
    deactivate,
    reactivate,
    addTag,
    removeTag,
    tasks,
    addLocation,
    deleteLocations,
    updateLocation,
    deleteFromStore,
    downloadEach,
    uploadEach
  })
})

/**
 * The hash a download is verified against.
 *
 * @since 0.1.0
 * @category models
 */
export interface Verification {
  readonly algorithm: GlanceAlgorithm
  /** The lower-case hex digest Glance recorded. */
  readonly value: string
}

/**
 * The hash to verify an image's data against, failing closed: `os_hash_value` with
 * `os_hash_algo` when that names an algorithm Glance can use and `offers` it; otherwise an
 * `UnverifiableImage` naming the algorithm, unless `allowMd5Fallback` is set and the image has an
 * md5 `checksum` (or the answer a `Content-MD5`), which is then verified instead. An image that
 * records only the md5 `checksum` (made before Glance had `os_hash_value`) is verified with it;
 * one that records no hash at all has nothing to verify (none).
 *
 * @since 0.1.0
 * @category operations
 */
export const verification = (
  image: Image,
  options: {
    readonly contentMd5?: string | undefined
    readonly allowMd5Fallback: boolean
    readonly offers: (algorithm: GlanceAlgorithm) => boolean
  }
): Effect.Effect<Option.Option<Verification>, UnverifiableImage> => {
  const md5 = image.checksum || options.contentMd5
  const withMd5 = md5 ? Option.some({ algorithm: "md5" as const, value: md5.toLowerCase() }) : Option.none()
  const algo = image.os_hash_algo ?? ""
  if (!image.os_hash_value) return Effect.succeed(withMd5)
  const named = Option.filter(glanceAlgorithm(algo), options.offers)
  if (Option.isSome(named)) {
    return Effect.succeed(Option.some({ algorithm: named.value, value: image.os_hash_value.toLowerCase() }))
  }
  if (options.allowMd5Fallback && Option.isSome(withMd5) && options.offers("md5")) return Effect.succeed(withMd5)
  const shown = JSON.stringify(algo)
  const why = Option.isSome(glanceAlgorithm(algo))
    ? `its hash is recorded with ${shown}, which this client's hasher does not offer`
    : `its hash is recorded with ${shown}, which is not an algorithm Glance can use`
  const fallback = options.allowMd5Fallback
    ? "; it has no md5 checksum to fall back to"
    : Option.isSome(withMd5)
    ? " (allow the md5 fallback to verify its md5 checksum instead)"
    : ""
  return Effect.fail(
    new UnverifiableImage({
      imageId: image.id,
      algorithm: algo,
      message: `Cannot verify the data of image ${image.id}: ${why}${fallback}`
    })
  )
}

/**
 * The images operations on `GlanceHttp`, `ImageData` and a `Hasher`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Images, never, GlanceHttp | ImageData | Hasher> = Layer.effect(Images, make)

/**
 * The blocks `fill` reads, as a stream of blocks of a mebibyte (the last may be shorter): each new
 * memory, or with `reuse` one block refilled at each pull (only for a consumer that is done with
 * a block when it pulls the next: `Images.Service.uploadEach` decides).
 *
 * @internal
 */
export const filledBlocks = <E>(
  fill: (block: Uint8Array) => Effect.Effect<number, E>,
  reuse = false
): Stream.Stream<Uint8Array, E> =>
  Stream.suspend(() => {
    let spare: Uint8Array | undefined
    return Stream.repeatEffectOption(Effect.suspend(() => {
      const block = spare ?? new Uint8Array(Bytes.blockSize)
      return Effect.flatMap(
        Effect.mapError(fill(block), Option.some),
        (n): Effect.Effect<Uint8Array, Option.Option<E>> => {
          if (n === 0) return Effect.fail(Option.none())
          if (n < block.byteLength) return Effect.succeed(block.slice(0, n))
          if (reuse) spare = block
          return Effect.succeed(block)
        }
      )
    }))
  })

/** Fills a block from a file at its current position, to the block's end or the file's. */
const fillFrom = (file: FileSystem.File) => (block: Uint8Array): Effect.Effect<number, PlatformError> => {
  const more = (at: number): Effect.Effect<number, PlatformError> =>
    at === block.byteLength ? Effect.succeed(at) : Effect.flatMap(
      file.read(block.subarray(at)),
      (size) => (Number(size) === 0 ? Effect.succeed(at) : more(at + Number(size)))
    )
  return more(0)
}

/**
 * A file as a stream of 1 MiB blocks for an upload body, each new memory that belongs to the request.
 *
 * @since 0.1.0
 * @category operations
 */
export const readBlocks = (fs: FileSystem.FileSystem, path: string): Stream.Stream<Uint8Array, PlatformError> =>
  Stream.unwrapScoped(Effect.map(fs.open(path, { flag: "r" }), (file) => filledBlocks(fillFrom(file))))

/**
 * Uploads a file, sending its size as `Content-Length`; a pipe or a device is refused (no size to send).
 *
 * @since 0.1.0
 * @category operations
 */
export const uploadFile = Effect.fn("Images.uploadFile")(function*(
  id: string,
  path: string,
  options: Omit<UploadOptions, "size"> & { readonly onProgress?: ((bytes: number) => void) | undefined } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const images = yield* Images
  const info = yield* fs.stat(path)
  if (info.type !== "File") {
    // A pipe or a device has no size to send, and is read in order, not by position.
    return yield* new SystemError({
      reason: "BadResource",
      module: "FileSystem",
      method: "uploadFile",
      pathOrDescriptor: path,
      description: "not a regular file: send its data with Images.upload(id, stream)"
    })
  }
  const size = Number(info.size)
  const onProgress = options.onProgress
  return yield* Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r" }), (file) => {
    const fill = fillFrom(file)
    return images.uploadEach(
      id,
      onProgress ? (block) => Effect.tap(fill(block), (n) => onProgress(n)) : fill,
      { ...options, size }
    )
  }))
})

/**
 * A file opened for writing atomically: a temporary file beside `path`, put in place by `commit`
 * once every byte is written; removed when the scope closes without a commit. A symbolic link is
 * written through (the file it points to is replaced, not the link). A path that is a pipe or a
 * device (`/dev/null`, `/dev/stdout`, a named pipe) is written to directly, in order: it cannot be
 * replaced by a rename (as root, that would have put a regular file in place of `/dev/null`), and
 * bytes already written to it cannot be taken back.
 */
const atomicFile = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const existing = yield* Effect.option(fs.stat(path))
    const type = Option.map(existing, (info) => info.type)
    if (Option.isSome(type) && type.value !== "File" && type.value !== "Directory") {
      // Appending: plain write(2) calls, where a pipe refuses positioned ones (ESPIPE).
      return { file: yield* fs.open(path, { flag: "a" }), commit: Effect.void }
    }
    const target = Option.isSome(existing) ? yield* fs.realPath(path) : path
    const slash = target.lastIndexOf("/")
    const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
    const temp = `${target.slice(0, slash + 1)}.${target.slice(slash + 1)}.part-${unique}`
    // The file is closed (its own scope) before the rename; the outer scope removes it on failure.
    const fileScope = yield* Scope.make()
    let committed = false
    yield* Effect.addFinalizer((exit) =>
      Scope.close(fileScope, exit).pipe(
        Effect.zipRight(committed ? Effect.void : Effect.ignore(fs.remove(temp)))
      )
    )
    const file = yield* Scope.extend(fs.open(temp, { flag: "w", mode: 0o644 }), fileScope)
    const commit = Scope.close(fileScope, Exit.void).pipe(
      Effect.zipRight(fs.rename(temp, target)),
      Effect.tap(() => Effect.sync(() => void (committed = true)))
    )
    return { file, commit }
  })

/** Writes a batch of blocks: each as it is when they are large, joined into one write when small. */
const writeChunk = (file: FileSystem.File, chunk: Chunk.Chunk<Uint8Array>) => {
  const parts = Chunk.toReadonlyArray(chunk)
  const size = Bytes.byteLength(parts)
  return parts.length === 1 || size >= parts.length * 256 * 1024
    ? Effect.forEach(parts, (part) => file.writeAll(part), { discard: true })
    : file.writeAll(Bytes.concat(parts, size))
}

/**
 * Downloads an image into a file: written to a temporary file beside it and renamed into
 * place only once every byte has arrived and been verified, so a failure leaves nothing (see
 * `fileSink` for links, pipes and devices). The library is the download's only reader here, so
 * the whole image goes through a few reused blocks (`Images.Service.downloadEach`).
 *
 * @since 0.1.0
 * @category operations
 */
export const downloadToFile = Effect.fn("Images.downloadToFile")(function*(
  id: string,
  path: string,
  options: DownloadOptions & { readonly onProgress?: ((bytes: number) => void) | undefined } = {}
) {
  const images = yield* Images
  const onProgress = options.onProgress
  yield* Effect.scoped(Effect.gen(function*() {
    const { commit, file } = yield* atomicFile(path)
    yield* images.downloadEach(id, (block) => {
      onProgress?.(block.byteLength)
      return file.writeAll(block)
    }, options)
    yield* commit
  }))
})

/**
 * A sink that writes a byte stream to `path` through a temporary file beside it, renamed into
 * place once the stream has ended; on failure or interruption the temporary file is removed and
 * `path` is untouched. A symbolic link is written through (the file it points to is replaced, not
 * the link). A path that is a pipe or a device (`/dev/null`, `/dev/stdout`, a named pipe) is
 * written to directly, in order. It only reads the blocks it is given, so it can share a stream
 * with other consumers (`Stream.broadcast`); to save a download and nothing else,
 * `downloadToFile` goes faster.
 *
 * @since 0.1.0
 * @category operations
 */
export const fileSink = (
  path: string,
  options: { readonly onProgress?: ((bytes: number) => void) | undefined } = {}
): Sink.Sink<void, Uint8Array, never, PlatformError, FileSystem.FileSystem> =>
  Sink.unwrapScoped(
    Effect.map(atomicFile(path), ({ commit, file }) =>
      Sink.forEachChunk((chunk: Chunk.Chunk<Uint8Array>) =>
        Effect.suspend(() => {
          if (Chunk.isEmpty(chunk)) {
            return Effect.void
          }
          options.onProgress?.(Bytes.byteLength(chunk))
          return writeChunk(file, chunk)
        })
      ).pipe(Sink.zipRight(Sink.fromEffect(commit))))
  )

/**
 * Writes a stream to `path` atomically (see `fileSink`), in blocks of at least a mebibyte, with a
 * few blocks of write-behind so that the source and the disk overlap.
 *
 * @since 0.1.0
 * @category operations
 */
export const writeAtomically = <E, R>(
  path: string,
  body: Stream.Stream<Uint8Array, E, R>,
  onProgress?: (bytes: number) => void
): Effect.Effect<void, E | PlatformError, R | FileSystem.FileSystem> =>
  body.pipe(Bytes.coalesce(), Stream.bufferChunks({ capacity: 4 }), Stream.run(fileSink(path, { onProgress })))

// ---------------------------------------------------------------------------------------------
// Workflows: module functions over the `Images` service (and `Info`), so the real client and
// `GlanceTest` run the same code.

/** Why an import failed, from its task (the one seen, else the latest failed one), when Glance says. */
const importFailure = (images: Service, id: string, taskId: unknown) =>
  images.tasks(id).pipe(
    Effect.map((listed) => {
      const failures = listed.filter((t) => t.status === "failure")
      const latest = failures.sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""))[0]
      const message = (listed.find((t) => t.id === taskId) ?? latest)?.message
      return message ? `: ${message}` : ""
    }),
    Effect.orElseSucceed(() => "")
  )

/**
 * The failure of an image's import that has ended: none while one of its tasks is still under way
 * or when its newest task did not fail (or the cloud does not list an image's tasks).
 */
const endedImport = (images: Service, id: string): Effect.Effect<Option.Option<string>> =>
  images.tasks(id).pipe(
    Effect.map((listed) => {
      if (listed.some((t) => t.status === "pending" || t.status === "processing")) return Option.none()
      const newest = [...listed].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? ""))[0]
      return newest?.status === "failure" ? Option.some(newest.message ? `: ${newest.message}` : "") : Option.none()
    }),
    Effect.orElseSucceed(() => Option.none())
  )

/**
 * Looks at an image every `interval` until it reaches a status (and stores); fails with
 * `ImageFailed` as soon as it is `killed` or its import failed, or when the timeout passes.
 *
 * @since 0.1.0
 * @category operations
 */
export const waitFor = Effect.fn("Images.waitFor")(function*(id: string, options: WaitOptions = {}) {
  const images = yield* Images
  const wanted = options.status === undefined
    ? ["active"]
    : typeof options.status === "string"
    ? [options.status]
    : options.status
  const wantedStores = options.stores ?? []
  const timeout = Duration.decode(options.timeout ?? "10 minutes")
  const goal = `${wanted.join(" or ")}${wantedStores.length > 0 ? ` in store ${wantedStores.join(", ")}` : ""}`
  let last: Image | undefined
  let importTask: unknown = undefined
  const fail = (image: Image, reason: "killed" | "import-failed", why: string) =>
    Effect.fail(new ImageFailed({ imageId: id, status: image.status, reason, message: `Image ${id} ${why}` }))

  const look: Effect.Effect<Option.Option<Image>, GlanceHttpError | ImageFailed> = Effect.flatMap(
    images.get(id),
    (image) => {
      last = image
      const stores = storeList(image.stores)
      // Waiting for stores means waiting for the import that adds them: it still holds its
      // task lock for a moment after the last store appears, and a new import meanwhile is a 409.
      const settled = wantedStores.length === 0 || image.os_glance_import_task === undefined
      if (wanted.includes(image.status) && wantedStores.every((s) => stores.includes(s)) && settled) {
        return Effect.succeed(Option.some(image))
      }
      if (image.status === "killed") return fail(image, "killed", `was killed: its data could not be saved`)
      const failed = storeList(image.os_glance_failed_import)
      if (failed.length > 0) {
        return Effect.flatMap(importFailure(images, id, importTask ?? image.os_glance_import_task), (reason) =>
          fail(
            image,
            "import-failed",
            `failed to import into store ${failed.join(", ")}${reason} (it is ${image.status})`
          ))
      }
      const fellBack = image.status === "queued" || image.status === "uploading"
      if (image.os_glance_import_task !== undefined) importTask = image.os_glance_import_task
      else if (importTask !== undefined && fellBack) {
        // The import ended (its task lock is gone) and the image fell back to where it was before.
        return Effect.flatMap(
          importFailure(images, id, importTask),
          (reason) => fail(image, "import-failed", `failed to import${reason} (it is back in status ${image.status})`)
        )
      } else if (options.afterImport === true && image.status !== "importing") {
        // Glance takes the lock before it accepts an import: without it, the import has ended
        // (maybe before this wait's first look). Its task says whether it failed.
        return Effect.flatMap(endedImport(images, id), (ended) =>
          Option.match(ended, {
            onNone: () => Effect.succeed(Option.none()),
            onSome: (reason) =>
              fail(
                image,
                "import-failed",
                `failed to import${reason} (it is ${fellBack ? "back in status " : ""}${image.status})`
              )
          }))
      }
      return Effect.succeed(Option.none())
    }
  )
  const poll = Schedule.spaced(options.interval ?? "2 seconds").pipe(
    Schedule.whileInput((found: Option.Option<Image>) => Option.isNone(found)),
    Schedule.passthrough
  )
  const reached = yield* Effect.repeat(look, poll).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new ImageFailed({
          imageId: id,
          status: last?.status ?? "unknown",
          reason: "timeout",
          message: `Image ${id} did not become ${goal} within ${Duration.format(timeout)} (it is ${
            last?.status ?? "unknown"
          })`
        })
    })
  )
  return Option.getOrThrow(reached)
})

/**
 * What `findByHash` looks for: the hash of the data (as `os_hash_algo` and `os_hash_value` record it).
 *
 * @since 0.2.0
 * @category models
 */
export interface ContentHash {
  readonly algorithm: string
  /** The lower-case hex digest. */
  readonly value: string
}

/**
 * An active image the project can see whose data has this hash (Glance lists by `os_hash_value`),
 * optionally with this name and size too; none when there is none. The newest one when several do.
 *
 * @since 0.2.0
 * @category workflows
 */
export const findByHash = Effect.fn("Images.findByHash")(function*(
  hash: ContentHash,
  options: { readonly name?: string | undefined; readonly size?: number | undefined } = {}
) {
  const images = yield* Images
  const filters: Record<string, string> = { os_hash_value: hash.value, status: "active" }
  if (options.name !== undefined) filters.name = options.name
  return yield* images.list({ filters, pageSize: 20 }).pipe(
    Stream.filter((image) =>
      image.os_hash_value === hash.value && image.os_hash_algo === hash.algorithm && image.status === "active" &&
      (options.name === undefined || image.name === options.name) &&
      (options.size === undefined || image.size === options.size)
    ),
    Stream.runHead
  )
})

/**
 * Deletes a half-made image and fails with `ImageNotCreated`, which says whether it is gone and
 * carries the failure of the step (`cause`, its type kept) and its message.
 *
 * @since 0.1.0
 * @category operations
 */
export const abandon = <E>(
  id: string,
  step: string,
  cause: E
): Effect.Effect<never, ImageNotCreated<E>, Images> =>
  Effect.flatMap(Images, (images) =>
    images.delete(id).pipe(
      Effect.matchEffect({
        onSuccess: () =>
          Effect.fail(
            new ImageNotCreated<E>({
              imageId: id,
              deleted: true,
              message: `${step} failed, so the new image ${id} was deleted: ${messageOf(cause)}`,
              cause
            })
          ),
        onFailure: (deleteError) =>
          Effect.flatMap(Effect.option(images.get(id)), (image) =>
            Effect.fail(
              new ImageNotCreated<E>({
                imageId: id,
                deleted: false,
                message: `${step} failed: ${messageOf(cause)}. Deleting the new image ${id} failed too (${
                  messageOf(deleteError)
                }), so it is left behind in status ${Option.isSome(image) ? image.value.status : "queued"}`,
                cause
              })
            ))
      }),
      Effect.uninterruptible
    ))

/**
 * Creates an image and uploads its data; when the upload fails (or is interrupted) the new image is deleted again.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Images } from "glanceclient"
 *
 * // The new image's id; on a failed upload the image is gone again and the error says why.
 * const publish = (name: string, bytes: Uint8Array) =>
 *   Images.createAndUpload(
 *     { name, disk_format: "raw", container_format: "bare" },
 *     Stream.make(bytes),
 *     { size: bytes.byteLength }
 *   ).pipe(Effect.map((image) => image.id))
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const createAndUpload = <E>(
  fields: CreateFields,
  body: Stream.Stream<Uint8Array, E>,
  options: UploadOptions = {}
): Effect.Effect<Image, GlanceHttpError | ImageNotCreated<GlanceHttpError | E>, Images> =>
  Effect.gen(function*() {
    const images = yield* Images
    const created = yield* images.create(fields)
    yield* images.upload(created.id, body, options).pipe(
      Effect.catchAll((cause) => abandon(created.id, `Uploading the data of image ${created.id}`, cause)),
      Effect.onInterrupt(() => Effect.ignore(images.delete(created.id)))
    )
    return yield* images.get(created.id)
  }).pipe(Effect.withSpan("Images.createAndUpload"))

/**
 * What fails a step of `createViaImport` after the image was created.
 *
 * @since 0.1.0
 * @category errors
 */
export type ImportStepError<E> = GlanceHttpError | NotSupported | InvalidInput | ImageFailed | E

/**
 * Every failure of `createViaImport`: before the image exists, or `ImageNotCreated` after.
 *
 * @since 0.1.0
 * @category errors
 */
export type CreateViaImportError<E = never> = OperationError | ImageNotCreated<ImportStepError<E>>

/**
 * Creates an image and imports its data (staging `body` first for `glance-direct`, then waiting
 * when asked); the options are checked, and the method looked up among those the cloud offers,
 * before anything is created. When a step after the creation fails, the new image is deleted again.
 *
 * @since 0.1.0
 * @category operations
 */
export const createViaImport = <E>(
  fields: CreateFields,
  options: CreateViaImportOptions<E>
): Effect.Effect<Image, CreateViaImportError<E>, Images | Info> =>
  Effect.gen(function*() {
    const images = yield* Images
    const info = yield* Info
    yield* importBody(options)
    if (options.method === "copy-image") {
      return yield* new InvalidInput({ message: "A new image has no data to copy-image between stores" })
    }
    const unset = ["disk_format", "container_format"].filter((key) => fields[key] === undefined || fields[key] === null)
    if (unset.length > 0) {
      return yield* new InvalidInput({ message: `Glance imports only into images with ${unset.join(" and ")} set` })
    }
    if ((options.method === "glance-direct") !== (options.body !== undefined)) {
      return yield* new InvalidInput({
        message: options.method === "glance-direct"
          ? "The glance-direct import needs the data to stage"
          : `The ${options.method} import takes no data (only glance-direct stages data)`
      })
    }
    const methods = yield* info.importMethods.pipe(
      Effect.catchTag("NotSupported", (e) =>
        Effect.fail(new NotSupported({ message: e.message.replace("Listing import methods", "Image import") })))
    )
    if (!methods.includes(options.method)) {
      return yield* new NotSupported({
        message: `The Image API does not offer the ${options.method} import (it offers: ${
          methods.join(", ") || "none"
        })`
      })
    }
    const created = yield* images.create(fields)
    const id = created.id
    const step = <A, E1>(name: string, effect: Effect.Effect<A, E1>): Effect.Effect<A, ImageNotCreated<E1>> =>
      Effect.catchAll(effect, (cause) => abandon(id, name, cause)).pipe(Effect.provideService(Images, images))
    return yield* Effect.gen(function*() {
      if (options.body !== undefined) {
        yield* step(`Staging the data of image ${id}`, images.stage(id, options.body, { size: options.size }))
      }
      yield* step(`Starting the ${options.method} import of image ${id}`, images.importImage(id, options))
      if (options.wait === undefined || options.wait === false) return yield* images.get(id)
      return yield* step(
        `The ${options.method} import of image ${id}`,
        waitFor(id, { ...(options.wait === true ? {} : options.wait), afterImport: true }).pipe(
          Effect.provideService(Images, images)
        )
      )
    }).pipe(Effect.onInterrupt(() => Effect.ignore(images.delete(id))))
  }).pipe(Effect.withSpan("Images.createViaImport"))
