/**
 * Images of the Image API v2: list, show, create, update, delete, and their data, streamed
 * both ways and verified against the hash Glance recorded.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ChecksumMismatch, InvalidInput, NoImageData } from "./GlanceError.js"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"
import type { BlockPool } from "./internal/bytes.js"
import * as Bytes from "./internal/bytes.js"
import * as Digest from "./internal/digest.js"

/** An image as Glance returns it: the core fields typed, every custom property kept. */
export const Image = Schema.Struct(
  {
    id: Schema.String,
    name: Schema.optional(Schema.NullOr(Schema.String)),
    status: Schema.String,
    visibility: Schema.optional(Schema.String),
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

/** An image as Glance returns it. */
export type Image = typeof Image.Type

/** One page of `GET /v2/images`. */
export const ImagePage = Schema.Struct({
  images: Schema.Array(Image),
  next: Schema.optional(Schema.String)
})

/** The fields of a new image; any other key is a custom property. */
export interface CreateFields {
  readonly name?: string | undefined
  readonly id?: string | undefined
  readonly disk_format?: string | undefined
  readonly container_format?: string | undefined
  readonly visibility?: "public" | "private" | "shared" | "community" | undefined
  readonly protected?: boolean | undefined
  readonly os_hidden?: boolean | undefined
  readonly min_disk?: number | undefined
  readonly min_ram?: number | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  readonly [property: string]: unknown
}

/** Changes to an image: properties to set (added or replaced) and properties to remove. */
export interface UpdateChanges {
  readonly set?: Readonly<Record<string, unknown>> | undefined
  readonly remove?: ReadonlyArray<string> | undefined
}

/** One JSON-patch operation of the v2.1 media type. */
export interface PatchOperation {
  readonly op: "add" | "remove" | "replace"
  readonly path: string
  readonly value?: unknown
}

/** How to list images. */
export interface ListOptions {
  /** Filters sent as query parameters (`status`, `visibility`, `owner`, `tag`, any property, `in:` and `gt:` operators). */
  readonly filters?: Readonly<Record<string, string | number | boolean | ReadonlyArray<string>>> | undefined
  /** `sort=name:asc,status` style. */
  readonly sort?: string | undefined
  /** Repeated `sort_key`. */
  readonly sortKey?: ReadonlyArray<string> | undefined
  /** Repeated `sort_dir`. */
  readonly sortDir?: ReadonlyArray<"asc" | "desc"> | undefined
  /** Images per request (default 20, as python-glanceclient). */
  readonly pageSize?: number | undefined
  /** The most images to return in all. */
  readonly limit?: number | undefined
}

/** How to upload image data. */
export interface UploadOptions {
  /** The body's length; sent as `Content-Length` (and checked by Glance) when known. */
  readonly size?: number | undefined
  /** The store to upload to (multistore clouds, `X-Image-Meta-Store`). */
  readonly store?: string | undefined
}

/** How to download image data. */
export interface DownloadOptions {
  /** Verify the bytes against `os_hash_value` (default true). */
  readonly verify?: boolean | undefined
  /** Fall back to the md5 `checksum` when `os_hash_algo` is not available here. */
  readonly allowMd5Fallback?: boolean | undefined
  /**
   * Fill the stream's blocks from this pool instead of allocating each one; the consumer hands
   * every block back with `pool.release(block)` once done with it (as `downloadToFile` does).
   */
  readonly blockPool?: BlockPool | undefined
}

/** Reusable blocks for `DownloadOptions.blockPool`. */
export { BlockPool } from "./internal/bytes.js"

/** Every failure of a download. */
export type DownloadError = GlanceHttpError | ChecksumMismatch | NoImageData

/** The images operations. */
export interface Service {
  /** All images matching the options, page by page as the stream is read. */
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
  /** Uploads data to a `queued` image. */
  readonly upload: <E>(
    id: string,
    body: Stream.Stream<Uint8Array, E>,
    options?: UploadOptions
  ) => Effect.Effect<void, GlanceHttpError | E>
  /** The image's data, verified as it flows; fails at the end with `ChecksumMismatch` when corrupt. */
  readonly download: (id: string, options?: DownloadOptions) => Stream.Stream<Uint8Array, DownloadError>
}

/** The images operations of the Image API. */
export class Images extends Context.Tag("glanceclient/Images")<Images, Service>() {}

const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** Refuses an id that cannot be an image id before any request is sent. */
export const validateId = (id: string): Effect.Effect<string, InvalidInput> =>
  uuid.test(id)
    ? Effect.succeed(id)
    : Effect.fail(new InvalidInput({ message: `"${id}" is not a valid image id (a UUID)` }))

/** The query parameters of a list request. */
export const listParams = (options: ListOptions): Array<[string, string]> => {
  const params: Array<[string, string]> = [[
    "limit",
    String(Math.min(options.pageSize ?? 20, options.limit ?? Infinity))
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

/** The JSON-patch operations for `UpdateChanges`. */
export const patchOperations = (changes: UpdateChanges): Array<PatchOperation> => [
  ...Object.entries(changes.set ?? {}).map(([key, value]): PatchOperation => ({ op: "add", path: `/${key}`, value })),
  ...(changes.remove ?? []).map((key): PatchOperation => ({ op: "remove", path: `/${key}` }))
]

const patchContentType = "application/openstack-images-v2.1-json-patch"

/** Builds the images operations on `GlanceHttp`. */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp

  const get = Effect.fn("Images.get")(function*(id: string) {
    return yield* http.json(HttpClientRequest.get(`/v2/images/${encodeURIComponent(id)}`), Image)
  })

  const list = (options: ListOptions = {}): Stream.Stream<Image, GlanceHttpError> => {
    const first = HttpClientRequest.get("/v2/images").pipe(HttpClientRequest.setUrlParams(listParams(options)))
    type Next = Option.Option<HttpClientRequest.HttpClientRequest>
    const pages = Stream.paginateChunkEffect(
      first,
      (request): Effect.Effect<readonly [Chunk.Chunk<Image>, Next], GlanceHttpError> =>
        http.json(request, ImagePage).pipe(
          Effect.map((page) =>
            [
              Chunk.unsafeFromArray(page.images),
              page.next === undefined || page.images.length === 0
                ? Option.none()
                : Option.some(HttpClientRequest.get(page.next))
            ] as const
          ),
          Effect.withSpan("Images.list.page")
        )
    )
    return options.limit === undefined ? pages : Stream.take(pages, options.limit)
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

  const upload = <E>(id: string, body: Stream.Stream<Uint8Array, E>, options: UploadOptions = {}) => {
    let failure: Option.Option<E> = Option.none()
    // Remember the body's own failure: the HTTP client only sees it as a broken request.
    const tracked = Stream.tapError(body, (e) => Effect.sync(() => (failure = Option.some(e))))
    const request = HttpClientRequest.put(`/v2/images/${encodeURIComponent(id)}/file`).pipe(
      HttpClientRequest.bodyStream(tracked, {
        contentType: "application/octet-stream",
        ...(options.size !== undefined ? { contentLength: options.size } : {})
      }),
      options.store !== undefined ? HttpClientRequest.setHeader("x-image-meta-store", options.store) : (r) => r,
      options.size !== undefined
        ? HttpClientRequest.setHeader("x-openstack-image-size", String(options.size))
        : (r) => r
    )
    return http.send(request).pipe(
      Effect.asVoid,
      Effect.catchAll((e): Effect.Effect<never, GlanceHttpError | E> =>
        Option.isSome(failure) ? Effect.fail(failure.value) : Effect.fail(e)
      ),
      Effect.withSpan("Images.upload", { attributes: { "image.id": id } })
    )
  }

  const download = (id: string, options: DownloadOptions = {}): Stream.Stream<Uint8Array, DownloadError> =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const verify = options.verify ?? true
      const image = verify ? yield* get(id) : undefined
      const request = HttpClientRequest.get(`/v2/images/${encodeURIComponent(id)}/file`).pipe(
        HttpClientRequest.setHeader("accept", "application/octet-stream")
      )
      const response = yield* http.execute(request)
      if (response.status === 204) {
        // Let the connection go back to the pool (or close) before failing.
        yield* Effect.ignore(response.text)
        return yield* new NoImageData({ imageId: id })
      }
      const body = http.bodyStream(request, response, { pool: options.blockPool })
      const expected = image
        ? expectedHash(image, response.headers["content-md5"], options.allowMd5Fallback ?? false)
        : undefined
      if (expected === undefined) return body
      const length = Number(response.headers["content-length"] ?? image?.size ?? NaN)
      const digest = yield* Effect.acquireRelease(
        Digest.make(expected.algorithm, Number.isFinite(length) ? length : undefined),
        (d) => d.close
      )
      const check = Effect.flatMap(digest.hex, (actual) =>
        actual === expected.value
          ? Effect.void
          : Effect.fail(
            new ChecksumMismatch({ imageId: id, algorithm: expected.algorithm, expected: expected.value, actual })
          ))
      return body.pipe(
        Stream.mapEffect(digest.pass, { concurrency: 3 }),
        Stream.concat(Stream.execute(check))
      )
    })).pipe(Stream.withSpan("Images.download", { attributes: { "image.id": id } }))

  return Images.of({ list, get, create, update, patch, delete: del, upload, download })
})

/** The hash to verify a download against: `os_hash_value`, else the md5 `checksum`, as python-glanceclient does. */
export const expectedHash = (
  image: Image,
  contentMd5: string | undefined,
  allowMd5Fallback: boolean
): { readonly algorithm: string; readonly value: string } | undefined => {
  const md5 = image.checksum ?? contentMd5
  if (image.os_hash_value && image.os_hash_algo) {
    const algorithm = Digest.nodeAlgorithm(image.os_hash_algo)
    if (algorithm) return { algorithm, value: image.os_hash_value.toLowerCase() }
    return allowMd5Fallback && md5 ? { algorithm: "md5", value: md5.toLowerCase() } : undefined
  }
  return md5 ? { algorithm: "md5", value: md5.toLowerCase() } : undefined
}

/** The images operations on `GlanceHttp`. */
export const layer: Layer.Layer<Images, never, GlanceHttp> = Layer.effect(Images, make)

/** Uploads a file, sending its size as `Content-Length`. */
export const uploadFile = Effect.fn("Images.uploadFile")(function*(
  id: string,
  path: string,
  options: Omit<UploadOptions, "size"> & { readonly onProgress?: ((bytes: number) => void) | undefined } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const images = yield* Images
  const info = yield* fs.stat(path)
  const size = Number(info.size)
  const body = fs.stream(path, { chunkSize: 1024 * 1024 })
  const onProgress = options.onProgress
  return yield* images.upload(
    id,
    onProgress ? Stream.mapChunks(body, (c) => (onProgress(Chunk.reduce(c, 0, (n, b) => n + b.byteLength)), c)) : body,
    { ...options, size }
  )
})

/**
 * Downloads an image into a file: written to a temporary file beside it and renamed into
 * place only once every byte has arrived and been verified, so a failure leaves nothing.
 */
export const downloadToFile = Effect.fn("Images.downloadToFile")(function*(
  id: string,
  path: string,
  options: DownloadOptions & { readonly onProgress?: ((bytes: number) => void) | undefined } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const images = yield* Images
  const pool = new Bytes.BlockPool()
  return yield* writeAtomically(
    fs,
    path,
    images.download(id, { ...options, blockPool: pool }),
    options.onProgress,
    pool
  )
})

/** Writes a stream to `path` through a temporary file beside it, renamed into place on success. */
export const writeAtomically = <E, R>(
  fs: FileSystem.FileSystem,
  path: string,
  body: Stream.Stream<Uint8Array, E, R>,
  onProgress?: (bytes: number) => void,
  pool?: Bytes.BlockPool
) => {
  const slash = path.lastIndexOf("/")
  const temp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.part-${process.pid}-${Date.now().toString(36)}`
  const write = Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(temp, { flag: "w", mode: 0o644 })
    // The buffer lets the network run ahead of the disk by a few blocks, so the two overlap.
    const blocks = body.pipe(Bytes.coalesce(), Stream.bufferChunks({ capacity: 4 }))
    yield* Stream.runForEachChunk(blocks, (chunk) =>
      Effect.suspend(() => {
        if (Chunk.isEmpty(chunk)) return Effect.void
        const parts = Chunk.toReadonlyArray(chunk)
        onProgress?.(Bytes.byteLength(chunk))
        const written = parts.length === 1
          ? file.writeAll(parts[0]!)
          : file.writeAll(Buffer.concat(parts as Array<Uint8Array>))
        return pool === undefined ? written : Effect.tap(written, () => {
          for (const block of parts) pool.release(block)
        })
      }))
  }))
  return write.pipe(
    Effect.zipRight(fs.rename(temp, path)),
    Effect.onError(() => fs.remove(temp).pipe(Effect.ignore))
  )
}
