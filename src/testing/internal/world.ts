/**
 * The state of one in-memory Glance, shared by every project's layer over it, and the rules
 * that decide who sees what (Glance's visibility and membership rules).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { fromStatus, type ResponseError } from "../../GlanceError.js"
import type * as Images from "../../Images.js"
import type * as Members from "../../Members.js"
import type * as Metadefs from "../../Metadefs.js"
import type * as Tasks from "../../Tasks.js"

/** Who is calling: a project, and whether the caller has the admin role. */
export interface Caller {
  readonly project: string
  readonly admin?: boolean | undefined
}

/** An image and its data. */
export interface StoredImage {
  image: Images.Image
  data: Uint8Array | undefined
  staged: Uint8Array | undefined
  /** Creation order: Glance's default sort puts later images first. */
  readonly seq: number
}

/** A namespace with its contents. */
export interface StoredNamespace {
  namespace: Metadefs.Namespace
  readonly objects: Map<string, Metadefs.MetadefObject>
  readonly properties: Map<string, Metadefs.Property>
  readonly tags: Map<string, Metadefs.Tag>
  readonly associations: Map<string, Metadefs.ResourceTypeAssociation>
}

/** A cached image. */
export interface CacheEntry {
  hits: number
  last_accessed: number
  readonly last_modified: number
  readonly size: number
}

/** Options of a world. */
export interface WorldOptions {
  /** The stores of the multistore cloud, the default first (default `["memory"]`). */
  readonly stores?: ReadonlyArray<string> | undefined
}

/** One in-memory Glance: images, members, tasks, cache and metadata definitions of every project. */
export interface World {
  readonly stores: ReadonlyArray<string>
  readonly images: Map<string, StoredImage>
  /** Members by image id, then by member (project) id. */
  readonly members: Map<string, Map<string, Members.Member>>
  readonly tasks: Map<string, Tasks.Task>
  readonly cached: Map<string, CacheEntry>
  readonly queued: Array<string>
  readonly namespaces: Map<string, StoredNamespace>
  readonly resourceTypes: Map<string, Metadefs.ResourceType>
  /** Faults armed by `Control.failNextUpload`: each fails the next upload of an image it picks, once. */
  readonly failing: Array<(image: Images.Image) => boolean>
  /** Faults armed by `Control.corruptDownloads`: the downloads of images they pick come back with one flipped byte. */
  readonly corrupt: Array<(image: Images.Image) => boolean>
  seq: number
}

/** A fresh world, with Glance's two built-in resource types. */
export const makeWorld = (options: WorldOptions = {}): World => ({
  stores: options.stores !== undefined && options.stores.length > 0 ? options.stores : ["memory"],
  images: new Map(),
  members: new Map(),
  tasks: new Map(),
  cached: new Map(),
  queued: [],
  namespaces: new Map(),
  resourceTypes: new Map(
    ["OS::Glance::Image", "OS::Nova::Flavor"].map((name) => [name, { name, created_at: epoch, updated_at: epoch }])
  ),
  failing: [],
  corrupt: [],
  seq: 0
})

const epoch = "1970-01-01T00:00:00Z"

/** A time as Glance writes it (seconds, `Z`). */
export const glanceTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

/** The current time as Glance writes it. */
export const now = Effect.map(Clock.currentTimeMillis, glanceTime)

/** A failed response, as the HTTP services would map it. */
export const failure = (status: number, message: string, method: string, path: string): ResponseError =>
  fromStatus({ message, status, method, url: `memory:${path}` })

/** Fails with the response error of a status. */
export const fail = (status: number, message: string, method: string, path: string) =>
  Effect.fail(failure(status, message, method, path))

/** The membership of a project in an image, if any. */
export const membership = (world: World, imageId: string, project: string): Members.Member | undefined =>
  world.members.get(imageId)?.get(project)

/** Whether the caller owns the image or is an admin: who may change it. */
export const mayChange = (caller: Caller, image: Images.Image): boolean =>
  caller.admin === true || image.owner === caller.project

/** Whether the caller may see an image at all (by id): Glance's visibility rules. */
export const canSee = (world: World, caller: Caller, image: Images.Image): boolean => {
  if (mayChange(caller, image)) return true
  switch (image.visibility) {
    case "public":
    case "community":
      return true
    case "shared":
      return membership(world, image.id, caller.project) !== undefined
    default:
      return false
  }
}

/**
 * Whether an image is in the caller's list for a `visibility` and `member_status` filter:
 * by default the caller's own, public and accepted shared images; community images only when asked.
 */
export const listed = (
  world: World,
  caller: Caller,
  image: Images.Image,
  visibility: string | undefined,
  memberStatus: string
): boolean => {
  if (visibility !== undefined && visibility !== "all" && image.visibility !== visibility) return false
  if (caller.admin === true) return true
  if (image.owner === caller.project) return true
  switch (image.visibility) {
    case "public":
      return true
    case "community":
      return visibility === "community" || visibility === "all"
    case "shared": {
      const member = membership(world, image.id, caller.project)
      return member !== undefined && (memberStatus === "all" || member.status === memberStatus)
    }
    default:
      return false
  }
}
