/**
 * An in-memory Glance for testing programs offline: every service of the library (`Images`,
 * `Members`, `Schemas`, `Tasks`, `Info`, `Cache`, `Metadefs`) behaving like the Image API, over
 * one world that several projects share, plus a `Control` service to seed images and inject faults.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cache from "../Cache.js"
import type { ApiServices } from "../GlanceClient.js"
import * as Images from "../Images.js"
import * as Info from "../Info.js"
import * as Members from "../Members.js"
import * as Metadefs from "../Metadefs.js"
import * as Schemas from "../Schemas.js"
import * as Tasks from "../Tasks.js"
import { makeCache } from "./internal/cache.js"
import { makeImages, seedImage } from "./internal/images.js"
import { makeInfo } from "./internal/info.js"
import { makeMembers } from "./internal/members.js"
import { makeMetadefs } from "./internal/metadefs.js"
import { makeSchemas } from "./internal/schemas.js"
import { makeTasks } from "./internal/tasks.js"
import * as Internal from "./internal/world.js"

/**
 * The images a fault applies to: one image by id, or those a predicate picks (by name, tags, …), so
 * a test arms it before the code under test creates the image.
 *
 * @since 0.1.0
 * @category models
 */
export type ImageSelector = string | ((image: Images.Image) => boolean)

const picker = (which: ImageSelector | undefined): (image: Images.Image) => boolean =>
  which === undefined ? () => true : typeof which === "string" ? (image) => image.id === which : which

/**
 * Test-only controls of the in-memory Glance.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlService {
  /**
   * Adds an image of the layer's project (with data, it is active and hashed). Returns it as Glance
   * would show it. Fields Glance would refuse are a bug in the test's setup, not a case to
   * handle: the effect dies with Glance's error (use `Images.create` to test a refusal).
   */
  readonly seed: (fields: Images.CreateFields, data?: Uint8Array) => Effect.Effect<Images.Image>
  /**
   * The next upload to an image `which` picks (any image when absent) fails midway with a
   * `TransportError`, as a broken connection would; the image stays `queued`. Armed once per call.
   */
  readonly failNextUpload: (which?: ImageSelector) => Effect.Effect<void>
  /**
   * Downloads of the images `which` picks (every image when absent) return one flipped byte, as a
   * corrupting network would: a verified download fails with `ChecksumMismatch`.
   */
  readonly corruptDownloads: (which?: ImageSelector) => Effect.Effect<void>
  /** Every image of the world, of every project, as Glance would show it. */
  readonly images: Effect.Effect<ReadonlyArray<Images.Image>>
}

/**
 * Test-only controls of the in-memory Glance.
 *
 * @since 0.1.0
 * @category tags
 */
export class Control extends Context.Tag("glanceclient/testing/Control")<Control, ControlService>() {}

/**
 * One in-memory Glance shared by the layers of several projects (make it with `world()`).
 *
 * @since 0.1.0
 * @category models
 */
export type World = Internal.World

/**
 * Options of a world.
 *
 * @since 0.1.0
 * @category models
 */
export type WorldOptions = Internal.WorldOptions

/**
 * Who a layer calls as: a project (Keystone project id), and whether it has the admin role.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The project that owns created images (default "test-project"). */
  readonly project?: string | undefined
  /** Whether the caller is an admin (sees every image; the only one allowed tasks, cache, metadefs changes, public images). */
  readonly admin?: boolean | undefined
}

/**
 * Every service the in-memory Glance provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = ApiServices | Control

/**
 * A new, empty Glance; give it to `layerFor` once per project that uses it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const world = (options: WorldOptions = {}): World => Internal.makeWorld(options)

/**
 * The services of one project over a world: what that project's client would see of the cloud.
 *
 * @since 0.1.0
 * @category constructors
 */
export const contextFor = (world: World, options: Options = {}): Context.Context<Services> => {
  const caller: Internal.Caller = { project: options.project ?? "test-project", admin: options.admin === true }
  const control: ControlService = {
    // Setup, not a call of the code under test: no spans.
    seed: (fields, data) => Effect.orDie(seedImage(world, caller, fields, data)).pipe(Effect.withTracerEnabled(false)),
    failNextUpload: (which) => Effect.sync(() => void world.failing.push(picker(which))),
    corruptDownloads: (which) => Effect.sync(() => void world.corrupt.push(picker(which))),
    images: Effect.sync(() => [...world.images.values()].map((s) => s.image))
  }
  return Context.make(Images.Images, Images.Images.of(makeImages(world, caller))).pipe(
    Context.add(Members.Members, Members.Members.of(makeMembers(world, caller))),
    Context.add(Schemas.Schemas, Schemas.Schemas.of(makeSchemas())),
    Context.add(Tasks.Tasks, Tasks.Tasks.of(makeTasks(world, caller))),
    Context.add(Info.Info, Info.Info.of(makeInfo(world, caller))),
    Context.add(Cache.Cache, Cache.Cache.of(makeCache(world, caller))),
    Context.add(Metadefs.Metadefs, Metadefs.Metadefs.of(makeMetadefs(world, caller))),
    Context.add(Control, control)
  )
}

/**
 * The services of one project over a shared world: build several to test sharing between projects.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFor = (world: World, options: Options = {}): Layer.Layer<Services> =>
  Layer.succeedContext(contextFor(world, options))

/**
 * The services of one project over a world of its own, fresh for each use of the layer.
 *
 * @example
 * ```ts
 * import { assert, it } from "@effect/vitest"
 * import { Effect, Exit, Stream } from "effect"
 * import { Images } from "glanceclient"
 * import { GlanceTest } from "glanceclient/testing"
 *
 * const publish = (bytes: Uint8Array) =>
 *   Images.createAndUpload({ name: "greeting", disk_format: "raw", container_format: "bare" }, Stream.make(bytes))
 *
 * it.effect("an uploaded image is active, with the hash of its bytes", () =>
 *   Effect.gen(function*() {
 *     const image = yield* publish(new TextEncoder().encode("hello, glance"))
 *     assert.strictEqual(image.status, "active")
 *     assert.strictEqual(image.os_hash_algo, "sha512")
 *   }).pipe(Effect.provide(GlanceTest.layer())))
 *
 * it.effect("a broken upload leaves no image behind", () =>
 *   Effect.gen(function*() {
 *     const control = yield* GlanceTest.Control
 *     yield* control.failNextUpload((image) => image.name === "greeting")
 *     const exit = yield* Effect.exit(publish(new Uint8Array(8)))
 *     assert.isTrue(Exit.isFailure(exit))
 *     assert.deepStrictEqual(yield* control.images, [])
 *   }).pipe(Effect.provide(GlanceTest.layer())))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options & WorldOptions = {}): Layer.Layer<Services> =>
  Layer.suspend(() => layerFor(world(options), options))
