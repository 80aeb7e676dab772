/**
 * The in-memory `Images` service of one caller over a world.
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ChecksumMismatch, NoImageData, NotSupported, TransportError } from "../../GlanceError.js"
import * as Hasher from "../../Hasher.js"
import * as Images from "../../Images.js"
import * as Bytes from "../../internal/bytes.js"
import { imageFieldProblems } from "../../Schemas.js"
import type * as Tasks from "../../Tasks.js"
import { itemSchemas } from "./schemaFixture.js"
import { traced } from "./spans.js"
import {
  type Caller,
  canSee,
  fail,
  failure,
  glanceTime,
  listed,
  mayChange,
  now,
  type StoredImage,
  type World
} from "./world.js"

const hash = (algorithm: "md5" | "sha512", data: Uint8Array) => {
  const hashing = Option.getOrThrow(Hasher.portable.make(algorithm))
  hashing.update(data)
  return hashing.digest()
}

const path = (id: string, rest = "") => `/v2/images/${id}${rest}`

/** 403 for read-only and reserved properties, 400 for what the image schema refuses, as Glance. */
const checkFields = (
  caller: Caller,
  fields: Readonly<Record<string, unknown>>,
  method: string,
  at: string,
  allowId: boolean
) =>
  Effect.suspend(() => {
    for (const key of Object.keys(fields)) {
      if (fields[key] === undefined || (allowId && key === "id")) continue
      if (key.startsWith("os_glance")) return fail(403, `Attribute '${key}' is reserved.`, method, at)
      if (Images.readOnlyFields.has(key)) return fail(403, `Attribute '${key}' is read-only.`, method, at)
    }
    if (fields.visibility === "public" && caller.admin !== true) {
      return fail(403, "You are not authorized to complete publicize_image action.", method, at)
    }
    const { id: _, ...checked } = fields
    const problems = imageFieldProblems(itemSchemas.image!, checked)
    return problems.length > 0
      ? fail(400, `Provided object does not match schema 'image': ${problems.join("; ")}`, method, at)
      : Effect.void
  })

/** Whether an image passes the list filters other than visibility and member_status. */
const matches = (image: Images.Image, filters: Readonly<Record<string, unknown>>) =>
  Object.entries(filters).every(([key, want]) => {
    if (key === "visibility" || key === "member_status") return true
    if (key === "tag") {
      const tags = image.tags ?? []
      return (Array.isArray(want) ? want : [want]).every((t) => tags.includes(String(t)))
    }
    if (key === "size_min") return (image.size ?? -1) >= Number(want)
    if (key === "size_max") return image.size !== null && image.size !== undefined && image.size <= Number(want)
    const have = String(image[key])
    if (Array.isArray(want)) return want.map(String).includes(have)
    const text = String(want)
    return text.startsWith("in:") ? text.slice(3).split(",").includes(have) : have === text
  })

/** `sort=name:asc,status` into keys and directions. */
const sortOrder = (options: Images.ListOptions) => {
  if (options.sort !== undefined) {
    const parts = options.sort.split(",").map((p) => p.trim().split(":"))
    return { keys: parts.map(([k]) => k!), dirs: parts.map(([, d]) => (d === "asc" ? "asc" : "desc")) }
  }
  return { keys: options.sortKey ?? ["created_at"], dirs: options.sortDir ?? [] }
}

/** Builds the `Images` service of a caller. */
export const makeImages = (world: World, caller: Caller): Images.Service => {
  const find = (id: string, method: string, rest = "") =>
    Effect.suspend(() => {
      const found = world.images.get(id)
      return found !== undefined && canSee(world, caller, found.image)
        ? Effect.succeed(found)
        : fail(404, `No image found with ID ${id}`, method, path(id, rest))
    })

  /** The image, when the caller may change it; 403 with Glance's message otherwise. */
  const owned = (id: string, method: string, rest: string, refusal: string) =>
    Effect.flatMap(find(id, method, rest), (stored) =>
      mayChange(caller, stored.image)
        ? Effect.succeed(stored)
        : fail(403, refusal, method, path(id, rest)))

  const touch = (stored: StoredImage, changes: Partial<Images.Image>) =>
    Effect.map(now, (at) => {
      stored.image = { ...stored.image, ...changes, updated_at: at }
      return stored.image
    })

  const create = (input: Images.CreateFields) =>
    Effect.gen(function*() {
      yield* checkFields(caller, input, "POST", "/v2/images", true)
      if (input.owner !== undefined && input.owner !== caller.project && caller.admin !== true) {
        return yield* fail(
          403,
          `You are not permitted to create images owned by '${input.owner}'.`,
          "POST",
          "/v2/images"
        )
      }
      const id = input.id ?? crypto.randomUUID()
      if (world.images.has(id)) return yield* fail(409, `Image ID ${id} already exists!`, "POST", "/v2/images")
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
        owner: caller.project,
        os_hidden: false,
        os_hash_algo: null,
        os_hash_value: null,
        tags: [],
        ...input,
        id,
        created_at: at,
        updated_at: at
      }
      world.images.set(id, { image, data: undefined, staged: undefined, seq: world.seq++ })
      return image
    })

  const activate = (stored: StoredImage, data: Uint8Array, store: string) =>
    Effect.suspend(() => {
      stored.data = data
      return touch(stored, {
        status: "active",
        size: data.byteLength,
        checksum: hash("md5", data),
        os_hash_algo: "sha512",
        os_hash_value: hash("sha512", data),
        stores: store
      })
    })

  const patch = (id: string, operations: ReadonlyArray<Images.PatchOperation>) =>
    Effect.gen(function*() {
      const stored = yield* owned(id, "PATCH", "", "You do not own this image")
      const next: Record<string, unknown> = { ...stored.image }
      const changed: Record<string, unknown> = {}
      for (const op of operations) {
        const key = op.path.replace(/^\//, "")
        if (key === "owner" && caller.admin !== true) {
          return yield* fail(403, "Owner can't be updated by non admin.", "PATCH", path(id))
        }
        if (op.op === "remove") {
          if (key.startsWith("os_glance") || Images.readOnlyFields.has(key)) {
            return yield* fail(403, `Attribute '${key}' is read-only.`, "PATCH", path(id))
          }
          if (!(key in next)) return yield* fail(409, `Property ${key} does not exist.`, "PATCH", path(id))
          delete next[key]
        } else {
          if (op.op === "replace" && !(key in next)) {
            return yield* fail(409, `Property ${key} does not exist.`, "PATCH", path(id))
          }
          next[key] = op.value
          changed[key] = op.value
        }
      }
      yield* checkFields(caller, changed, "PATCH", path(id), false)
      stored.image = { ...(next as Images.Image), updated_at: yield* now }
      return stored.image
    })

  /** deactivate / reactivate: only between active and deactivated, 403 otherwise, as Glance. */
  const setActivation = (id: string, status: "active" | "deactivated", verb: string) =>
    Effect.flatMap(
      owned(id, "POST", `/actions/${verb}`, `You are not authorized to complete ${verb} action.`),
      (stored) =>
        stored.image.status === "active" || stored.image.status === "deactivated"
          ? Effect.asVoid(touch(stored, { status }))
          : fail(403, `Not allowed to ${verb} image in status '${stored.image.status}'`, "POST", path(id))
    )

  /** Records the task of an import, as Glance's `api_image_import` task. */
  const recordImport = (stored: StoredImage, method: string, stores: ReadonlyArray<string>) =>
    Effect.map(Clock.currentTimeMillis, (ms) => {
      const at = glanceTime(ms)
      const task: Tasks.Task = {
        id: crypto.randomUUID(),
        type: "api_image_import",
        status: "success",
        owner: caller.project,
        input: { image_id: stored.image.id, import_req: { method: { name: method } }, backend: [...stores] },
        result: { image_id: stored.image.id },
        message: `Copied ${Math.floor((stored.data?.byteLength ?? 0) / 1048576)} MiB`,
        image_id: stored.image.id,
        request_id: `req-${crypto.randomUUID()}`,
        user_id: caller.project,
        // Glance keeps finished tasks for 48 hours.
        expires_at: glanceTime(ms + 48 * 3600_000),
        created_at: at,
        updated_at: at
      }
      world.tasks.set(task.id, task)
    })

  const images: Images.Service = {
    list: (options = {}) =>
      Stream.suspend(() => {
        const filters = options.filters ?? {}
        const { dirs, keys } = sortOrder(options)
        const visibility = filters.visibility === undefined ? undefined : String(filters.visibility)
        const memberStatus = filters.member_status === undefined ? "accepted" : String(filters.member_status)
        const hidden = filters.os_hidden === undefined ? "false" : String(filters.os_hidden)
        const all = [...world.images.values()]
          .filter((s) =>
            listed(world, caller, s.image, visibility, memberStatus) &&
            String(s.image.os_hidden ?? false) === hidden &&
            matches(s.image, filters)
          )
        all.sort((a, b) => {
          for (const [i, key] of keys.entries()) {
            const x = String(a.image[key] ?? "")
            const y = String(b.image[key] ?? "")
            if (x !== y) return (x < y ? -1 : 1) * ((dirs[i] ?? "desc") === "asc" ? 1 : -1)
          }
          return b.seq - a.seq
        })
        const shown = all.map((s) => s.image)
        return Stream.fromIterable(options.limit === undefined ? shown : shown.slice(0, options.limit))
      }),
    get: (id) => Effect.map(find(id, "GET"), (s) => s.image),
    create,
    patch,
    // As the client's: `update` is a JSON patch (a span of its own inside `Images.update`).
    update: (id, changes) => spanned.patch(id, Images.patchOperations(changes)),
    delete: (id) =>
      Effect.gen(function*() {
        const stored = yield* owned(id, "DELETE", "", "You do not own this image")
        if (stored.image.protected) {
          return yield* fail(403, `Image ${id} is protected and cannot be deleted.`, "DELETE", path(id))
        }
        world.images.delete(id)
        world.members.delete(id)
        world.cached.delete(id)
        const queued = world.queued.indexOf(id)
        if (queued >= 0) world.queued.splice(queued, 1)
      }),
    upload: <E>(id: string, body: Stream.Stream<Uint8Array, E>, options: Images.UploadOptions = {}) =>
      Effect.gen(function*() {
        const at = path(id, "/file")
        const stored = yield* owned(id, "PUT", "/file", `Not allowed to upload image data for image ${id}`)
        if (!stored.image.disk_format || !stored.image.container_format) {
          return yield* fail(
            400,
            "Properties disk_format, container_format must be set prior to saving data.",
            "PUT",
            at
          )
        }
        if (stored.image.status !== "queued") {
          return yield* fail(
            409,
            `Image status transition from ${stored.image.status} to saving is not allowed`,
            "PUT",
            at
          )
        }
        const store = options.store ?? world.stores[0]!
        if (!world.stores.includes(store)) return yield* fail(400, `Store for identifier ${store} not found`, "PUT", at)
        const chunks = yield* Stream.runCollect(body)
        const fault = world.failing.findIndex((picks) => picks(stored.image))
        if (fault >= 0) {
          world.failing.splice(fault, 1)
          // A broken upload leaves the image queued, as Glance does after it cleans up.
          return yield* new TransportError({
            message: `The connection broke off while uploading the data of image ${id} (GlanceTest.failNextUpload)`,
            method: "PUT",
            url: at
          })
        }
        const data = Bytes.concat(Chunk.toReadonlyArray(chunks))
        if (options.size !== undefined && options.size !== data.byteLength) {
          return yield* fail(400, "Provided image size must match the stored image size", "PUT", at)
        }
        yield* activate(stored, data, store)
      }),
    stage: <E>(id: string, body: Stream.Stream<Uint8Array, E>) =>
      Effect.gen(function*() {
        const stored = yield* owned(id, "PUT", "/stage", `Not allowed to upload image data for image ${id}`)
        if (stored.image.status !== "queued") {
          return yield* fail(
            409,
            `Image status transition from ${stored.image.status} to uploading is not allowed`,
            "PUT",
            path(id, "/stage")
          )
        }
        stored.staged = Bytes.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(body)))
        yield* touch(stored, { status: "uploading" })
      }),
    importImage: (id, options) =>
      Effect.gen(function*() {
        yield* Images.importBody(options)
        const at = path(id, "/import")
        const stored = yield* owned(id, "POST", "/import", `You are not authorized to complete import_image action.`)
        if (options.method === "copy-image" && caller.admin !== true) {
          return yield* fail(403, "You are not authorized to complete copy_image action.", "POST", at)
        }
        if (options.method !== "glance-direct" && options.method !== "copy-image") {
          return yield* new NotSupported({ message: `The in-memory Glance has no network for ${options.method}` })
        }
        for (const key of ["container_format", "disk_format"]) {
          if (!stored.image[key]) return yield* fail(409, `'${key}' needs to be set before import`, "POST", at)
        }
        const unknown = (options.stores ?? []).filter((s) => !world.stores.includes(s))
        if (unknown.length > 0) return yield* fail(409, `Store ${unknown.join(", ")} is not valid`, "POST", at)
        const targets = options.allStores === true ? world.stores : options.stores ?? [world.stores[0]!]
        if (options.method === "glance-direct") {
          const staged = stored.staged
          if (stored.image.status === "queued") {
            return yield* fail(409, "Image needs to be staged before 'glance-direct' method can be used", "POST", at)
          }
          if (stored.image.status !== "uploading" || staged === undefined) {
            return yield* fail(409, `Image status ${stored.image.status} is not uploading`, "POST", at)
          }
          yield* activate(stored, staged, targets.join(","))
          stored.staged = undefined
        } else {
          if (stored.image.status !== "active") {
            return yield* fail(409, `Image status ${stored.image.status} is not active`, "POST", at)
          }
          const stores = Images.storeList(stored.image.stores)
          const present = targets.find((s) => stores.includes(s))
          if (present !== undefined) {
            return yield* fail(400, `Image is already present at store '${present}'`, "POST", at)
          }
          yield* touch(stored, { stores: [...stores, ...targets].join(",") })
        }
        yield* recordImport(stored, options.method, targets)
      }),
    deactivate: (id) => setActivation(id, "deactivated", "deactivate"),
    reactivate: (id) => setActivation(id, "active", "reactivate"),
    addTag: (id, tag) =>
      Effect.flatMap(owned(id, "PUT", `/tags/${tag}`, `Not allowed to update tags for image ${id}.`), (stored) => {
        const tags = stored.image.tags ?? []
        return tags.includes(tag) ? Effect.void : Effect.asVoid(touch(stored, { tags: [...tags, tag] }))
      }),
    removeTag: (id, tag) =>
      Effect.flatMap(
        owned(id, "DELETE", `/tags/${tag}`, `Not allowed to update tags for image ${id}.`),
        (stored) =>
          (stored.image.tags ?? []).includes(tag)
            ? Effect.asVoid(touch(stored, { tags: (stored.image.tags ?? []).filter((t) => t !== tag) }))
            : fail(404, "The resource could not be found.", "DELETE", path(id, `/tags/${tag}`))
      ),
    tasks: (id) =>
      Effect.map(
        find(id, "GET", "/tasks"),
        () => [...world.tasks.values()].filter((t) => t.image_id === id)
      ),
    addLocation: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
    deleteLocations: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
    updateLocation: () => Effect.fail(new NotSupported({ message: "The in-memory Glance does not show locations" })),
    deleteFromStore: (id, store) =>
      Effect.flatMap(
        owned(id, "DELETE", "", "You do not own this image"),
        (stored) => {
          const stores = Images.storeList(stored.image.stores)
          const at = `/v2/stores/${store}/${id}`
          if (stores.length <= 1) {
            return fail(
              403,
              "Cannot delete image data from the only store containing it. Consider deleting the image instead.",
              "DELETE",
              at
            )
          }
          return stores.includes(store)
            ? Effect.asVoid(touch(stored, { stores: stores.filter((x) => x !== store).join(",") }))
            : fail(404, `Image ${id} is not in store ${store}`, "DELETE", at)
        }
      ),
    downloadEach: (id, write, options) => Stream.runForEach(images.download(id, options), write),
    // As the client's: no span of its own, the upload's.
    uploadEach: (id, fill, options) => spanned.upload(id, Images.filledBlocks(fill), options),
    download: (id, options = {}) =>
      Stream.unwrap(Effect.gen(function*() {
        // As the client's: a verified download reads the image (its hash) first.
        if (options.verify !== false) yield* spanned.get(id)
        const stored = yield* find(id, "GET", "/file")
        if (stored.image.status === "deactivated" && caller.admin !== true) {
          return yield* Effect.fail(
            failure(
              403,
              "The requested image has been deactivated. Image data download is forbidden.",
              "GET",
              path(id, "/file")
            )
          )
        }
        if (stored.data === undefined) return yield* new NoImageData({ imageId: id })
        const data = Uint8Array.from(stored.data)
        if (world.corrupt.some((picks) => picks(stored.image)) && data.byteLength > 0) {
          data[data.byteLength >> 1]! ^= 0xff
        }
        yield* cacheHit(world, id, data.byteLength)
        const body = Stream.fromIterable(
          Array.from(
            { length: Math.ceil(data.byteLength / 65536) },
            (_, i) => data.subarray(i * 65536, (i + 1) * 65536)
          )
        )
        const expected = options.verify === false ? undefined : stored.image.os_hash_value
        if (!expected) return body
        const actual = hash("sha512", data)
        return actual === expected
          ? body
          : Stream.concat(
            body,
            Stream.fail(new ChecksumMismatch({ imageId: id, algorithm: "sha512", expected, actual }))
          )
      }))
  }
  const spanned: Images.Service = traced("Images", images, ["uploadEach"])
  return spanned
}

/** A download goes through the image cache, as with Glance's cache middleware. */
const cacheHit = (world: World, id: string, size: number) =>
  Effect.sync(() => {
    const at = Date.now() / 1000
    const entry = world.cached.get(id)
    if (entry !== undefined) {
      entry.hits++
      entry.last_accessed = at
    } else world.cached.set(id, { hits: 0, last_accessed: at, last_modified: at, size })
    const queued = world.queued.indexOf(id)
    if (queued >= 0) world.queued.splice(queued, 1)
  })

/** An image as the world holds it, created directly (seeding), owned by `owner`. */
export const seedImage = (world: World, owner: Caller, fields: Images.CreateFields, data?: Uint8Array) =>
  Effect.gen(function*() {
    const images = makeImages(world, { ...owner, admin: true })
    const created = yield* images.create({ ...fields, owner: fields.owner ?? owner.project })
    if (data === undefined) return created
    const stored = world.images.get(created.id)!
    stored.data = data
    stored.image = {
      ...stored.image,
      status: "active",
      size: data.byteLength,
      checksum: hash("md5", data),
      os_hash_algo: "sha512",
      os_hash_value: hash("sha512", data),
      stores: world.stores[0]!
    }
    return stored.image
  })
