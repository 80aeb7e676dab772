/**
 * An in-memory Glance for testing programs offline: an `Images` service that behaves like the
 * Image API (status machine, hashes computed from the uploaded bytes, 404 / 409 / 403 where
 * Glance answers them), plus a `Control` service to seed images and inject faults.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import {
  BadRequest,
  ChecksumMismatch,
  Conflict,
  Forbidden,
  ImageFailed,
  ImageNotCreated,
  NoImageData,
  NotFound,
  NotSupported
} from "../GlanceError.js"
import * as Images from "../Images.js"

interface Stored {
  image: Images.Image
  data: Uint8Array | undefined
  staged?: Uint8Array | undefined
}

/** Test-only controls of the in-memory Glance. */
export interface ControlService {
  /** Adds an image (with data, it is active and hashed). Returns it as Glance would show it. */
  readonly seed: (fields: Images.CreateFields, data?: Uint8Array) => Effect.Effect<Images.Image>
  /** The next upload to this image fails midway, as a broken connection would. */
  readonly failNextUpload: (id: string) => Effect.Effect<void>
  /** Downloads of this image return one flipped byte, as a corrupting network would. */
  readonly corruptDownloads: (id: string) => Effect.Effect<void>
  /** Every image stored, as Glance would show it. */
  readonly images: Effect.Effect<ReadonlyArray<Images.Image>>
}

/** Test-only controls of the in-memory Glance. */
export class Control extends Context.Tag("glanceclient/testing/Control")<Control, ControlService>() {}

/** Options of the in-memory Glance. */
export interface Options {
  /** The project that owns created images (default "test-project"). */
  readonly project?: string | undefined
}

const fields = (status: number, message: string, method: string, id: string) => ({
  message,
  status,
  method,
  url: `memory:/v2/images/${id}`
})

const hash = (algorithm: string, data: Uint8Array) => Crypto.createHash(algorithm).update(data).digest("hex")

/** Builds the in-memory services. */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const store = new Map<string, Stored>()
    const failing = new Set<string>()
    const corrupt = new Set<string>()
    const owner = options.project ?? "test-project"
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"))

    const find = (id: string, method: string) =>
      Effect.suspend(() => {
        const found = store.get(id)
        return found
          ? Effect.succeed(found)
          : Effect.fail(new NotFound(fields(404, `No image found with ID ${id}`, method, id)))
      })

    const create = (input: Images.CreateFields) =>
      Effect.gen(function*() {
        const id = input.id ?? Crypto.randomUUID()
        if (store.has(id)) return yield* new Conflict(fields(409, `Image ID ${id} already exists!`, "POST", id))
        const at = yield* now
        const image: Images.Image = {
          name: null,
          disk_format: null,
          container_format: null,
          visibility: "shared",
          size: null,
          virtual_size: null,
          status: "queued",
          checksum: null,
          protected: false,
          min_ram: 0,
          min_disk: 0,
          owner,
          os_hidden: false,
          os_hash_algo: null,
          os_hash_value: null,
          tags: [],
          created_at: at,
          updated_at: at,
          ...input,
          id
        }
        store.set(id, { image, data: undefined })
        return image
      })

    const activate = (stored: Stored, data: Uint8Array) =>
      Effect.map(now, (at) => {
        stored.data = data
        stored.image = {
          ...stored.image,
          status: "active",
          size: data.byteLength,
          checksum: hash("md5", data),
          os_hash_algo: "sha512",
          os_hash_value: hash("sha512", data),
          stores: "memory",
          updated_at: at
        }
        return stored.image
      })

    const patch = (id: string, operations: ReadonlyArray<Images.PatchOperation>) =>
      Effect.gen(function*() {
        const stored = yield* find(id, "PATCH")
        const next: Record<string, unknown> = { ...stored.image }
        for (const op of operations) {
          const key = op.path.replace(/^\//, "")
          if (["id", "status", "size", "checksum", "os_hash_value", "created_at"].includes(key)) {
            return yield* new Forbidden(fields(403, `Attribute '${key}' is read-only.`, "PATCH", id))
          }
          if (op.op === "remove") {
            if (!(key in next)) {
              return yield* new Conflict(fields(409, `Property ${key} does not exist.`, "PATCH", id))
            }
            delete next[key]
          } else next[key] = op.value
        }
        stored.image = { ...(next as Images.Image), updated_at: yield* now }
        return stored.image
      })

    const matches = (image: Images.Image, filters: Images.ListOptions["filters"]) =>
      Object.entries(filters ?? {}).every(([key, want]) => {
        if (key === "tag") {
          const tags = image.tags ?? []
          return (Array.isArray(want) ? want : [want]).every((t) => tags.includes(String(t)))
        }
        const have = image[key]
        return Array.isArray(want) ? want.map(String).includes(String(have)) : String(have) === String(want)
      })

    /** A failed multi-step creation: the new image is removed, and the error says so. */
    const abandon = (id: string, step: string, cause: unknown) =>
      Effect.zipRight(
        Effect.sync(() => store.delete(id)),
        Effect.fail(
          new ImageNotCreated({
            imageId: id,
            deleted: true,
            message: `${step} failed, so the new image was deleted`,
            cause
          })
        )
      )

    /** deactivate / reactivate: only between active and deactivated, 403 otherwise, as Glance. */
    const setActivation = (id: string, status: "active" | "deactivated", verb: string) =>
      Effect.flatMap(find(id, "POST"), (stored) =>
        stored.image.status === "active" || stored.image.status === "deactivated"
          ? Effect.sync(() =>
            void (stored.image = { ...stored.image, status })
          )
          : Effect.fail(
            new Forbidden(fields(403, `Not allowed to ${verb} image in status '${stored.image.status}'`, "POST", id))
          ))

    const images: Images.Service = {
      list: (opts = {}) =>
        Stream.suspend(() => {
          const keys = opts.sortKey ?? ["created_at"]
          const dirs = opts.sortDir ?? []
          const all = [...store.values()].map((s) => s.image).filter((i) => matches(i, opts.filters))
          all.sort((a, b) => {
            for (const [i, key] of keys.entries()) {
              const x = String(a[key] ?? "")
              const y = String(b[key] ?? "")
              if (x !== y) return (x < y ? -1 : 1) * ((dirs[i] ?? "desc") === "asc" ? 1 : -1)
            }
            return 0
          })
          return Stream.fromIterable(opts.limit === undefined ? all : all.slice(0, opts.limit))
        }),
      get: (id) => Effect.map(find(id, "GET"), (s) => s.image),
      create,
      patch,
      update: (id, changes) => patch(id, Images.patchOperations(changes)),
      delete: (id) =>
        Effect.gen(function*() {
          const stored = yield* find(id, "DELETE")
          if (stored.image.protected) {
            return yield* new Forbidden(fields(403, `Image ${id} is protected and cannot be deleted.`, "DELETE", id))
          }
          store.delete(id)
        }),
      upload: <E>(id: string, body: Stream.Stream<Uint8Array, E>, opts: Images.UploadOptions = {}) =>
        Effect.gen(function*() {
          const stored = yield* find(id, "PUT")
          if (stored.image.status !== "queued") {
            return yield* new Conflict(
              fields(409, `Image status transition from ${stored.image.status} to saving is not allowed`, "PUT", id)
            )
          }
          if (!stored.image.disk_format || !stored.image.container_format) {
            return yield* new BadRequest(
              fields(400, "Properties disk_format, container_format must be set prior to saving data.", "PUT", id)
            )
          }
          const chunks = yield* Stream.runCollect(body)
          if (failing.delete(id)) {
            // A broken upload leaves the image queued, as Glance does after it cleans up.
            return yield* new BadRequest(fields(400, "The upload was interrupted", "PUT", id))
          }
          const data = Buffer.concat(Chunk.toReadonlyArray(chunks))
          if (opts.size !== undefined && opts.size !== data.byteLength) {
            return yield* new BadRequest(
              fields(400, `Provided image size must match the stored image size`, "PUT", id)
            )
          }
          yield* activate(stored, data)
        }),
      stage: <E>(id: string, body: Stream.Stream<Uint8Array, E>) =>
        Effect.gen(function*() {
          const stored = yield* find(id, "PUT")
          if (stored.image.status !== "queued") {
            return yield* new Conflict(fields(409, `Image status ${stored.image.status} is not queued`, "PUT", id))
          }
          stored.staged = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(body)))
          stored.image = { ...stored.image, status: "uploading", updated_at: yield* now }
        }),
      importImage: (id, opts) =>
        Effect.gen(function*() {
          const stored = yield* find(id, "POST")
          const wrong = (want: string) =>
            new Conflict(fields(409, `Image status ${stored.image.status} is not ${want}`, "POST", id))
          switch (opts.method) {
            case "glance-direct":
              if (stored.image.status !== "uploading" || stored.staged === undefined) return yield* wrong("uploading")
              yield* activate(stored, stored.staged)
              stored.staged = undefined
              return
            case "copy-image": {
              if (stored.image.status !== "active") return yield* wrong("active")
              const stores = new Set(Images.storeList(stored.image.stores))
              for (const s of opts.stores ?? []) stores.add(s)
              stored.image = { ...stored.image, stores: [...stores].join(",") }
              return
            }
            default:
              return yield* new NotSupported({ message: `The in-memory Glance has no network for ${opts.method}` })
          }
        }),
      deactivate: (id) => setActivation(id, "deactivated", "deactivate"),
      reactivate: (id) => setActivation(id, "active", "reactivate"),
      addTag: (id, tag) =>
        Effect.map(find(id, "PUT"), (stored) => {
          const tags = stored.image.tags ?? []
          if (!tags.includes(tag)) {
            stored.image = { ...stored.image, tags: [...tags, tag] }
          }
        }),
      removeTag: (id, tag) =>
        Effect.flatMap(find(id, "DELETE"), (stored) =>
          (stored.image.tags ?? []).includes(tag)
            ? Effect.sync(() =>
              void (stored.image = {
                ...stored.image,
                tags: (stored.image.tags ?? []).filter((t) => t !== tag)
              })
            )
            : Effect.fail(new NotFound(fields(404, `Tag ${tag} not found`, "DELETE", id)))),
      tasks: (id) => Effect.as(find(id, "GET"), []),
      addLocation: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
      deleteLocations: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
      updateLocation: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
      deleteFromStore: (id, storeName) =>
        Effect.flatMap(find(id, "DELETE"), (stored) => {
          const stores = Images.storeList(stored.image.stores)
          return stores.includes(storeName) && stores.length > 1
            ? Effect.sync(() =>
              void (stored.image = { ...stored.image, stores: stores.filter((x) => x !== storeName).join(",") })
            )
            : Effect.fail(new NotFound(fields(404, `Image ${id} is not in store ${storeName}`, "DELETE", id)))
        }),
      waitFor: (id, opts = {}) =>
        Effect.flatMap(find(id, "GET"), ({ image }) => {
          const wanted = opts.status === undefined
            ? ["active"]
            : typeof opts.status === "string"
            ? [opts.status]
            : opts.status
          if (wanted.includes(image.status)) return Effect.succeed(image)
          // The in-memory Glance changes state at once: what has not happened yet never will.
          const reason = image.status === "killed" ? "killed" as const : "timeout" as const
          return Effect.fail(
            new ImageFailed({ imageId: id, status: image.status, reason, message: `Image ${id} is ${image.status}` })
          )
        }),
      createAndUpload: (input, body, opts) =>
        Effect.flatMap(create(input), (created) =>
          images.upload(created.id, body, opts).pipe(
            Effect.catchAll((cause) => abandon(created.id, `Uploading the data of image ${created.id}`, cause)),
            Effect.zipRight(images.get(created.id))
          )),
      createViaImport: (input, opts) =>
        Effect.flatMap(create(input), (created) =>
          Effect.gen(function*() {
            if (opts.body !== undefined) yield* images.stage(created.id, opts.body, { size: opts.size })
            yield* images.importImage(created.id, opts)
            return yield* images.get(created.id)
          }).pipe(
            Effect.catchAll((cause) => abandon(created.id, `The import of image ${created.id}`, cause))
          )),
      download: (id, opts = {}) =>
        Stream.unwrap(Effect.gen(function*() {
          const stored = yield* find(id, "GET")
          if (stored.image.status === "deactivated") {
            return yield* new Forbidden(
              fields(403, "The requested image has been deactivated. Image data download is forbidden.", "GET", id)
            )
          }
          if (stored.data === undefined) return yield* new NoImageData({ imageId: id })
          const data = Uint8Array.from(stored.data)
          if (corrupt.has(id) && data.byteLength > 0) data[data.byteLength >> 1]! ^= 0xff
          const body = Stream.fromIterable(
            Array.from(
              { length: Math.ceil(data.byteLength / 65536) },
              (_, i) => data.subarray(i * 65536, (i + 1) * 65536)
            )
          )
          const expected = opts.verify === false ? undefined : stored.image.os_hash_value
          if (!expected) {
            return body
          }
          const actual = hash("sha512", data)
          return actual === expected
            ? body
            : Stream.concat(
              body,
              Stream.fail(new ChecksumMismatch({ imageId: id, algorithm: "sha512", expected, actual }))
            )
        }))
    }

    const control: ControlService = {
      seed: (input, data) =>
        Effect.flatMap(
          Effect.orDie(create(input)),
          (image) => data === undefined ? Effect.succeed(image) : activate(store.get(image.id)!, data)
        ),
      failNextUpload: (id) => Effect.sync(() => void failing.add(id)),
      corruptDownloads: (id) => Effect.sync(() => void corrupt.add(id)),
      images: Effect.sync(() => [...store.values()].map((s) => s.image))
    }
    return { images, control }
  })

/** The in-memory `Images` service and its `Control`, fresh for each use of the layer. */
export const layer = (options: Options = {}): Layer.Layer<Images.Images | Control> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, images }) =>
      Context.make(Images.Images, Images.Images.of(images)).pipe(Context.add(Control, control)))
  )
