/**
 * Moving an image between clouds, regions and projects without touching disk: one download from
 * the source streamed into uploads to several targets at once (the slowest sets the pace, memory
 * stays flat), verified as it flows and compared on every target at the end, or imported by a
 * target's own Glance where it can (`glance-download`, `copy-image`); and uploads that are
 * idempotent by content, reusing an image the project already sees with the same data.
 *
 * The source is the `Images` service in context; each target brings its own client, as a layer
 * or a built context, so one program holds the clients of several clouds, regions or projects.
 *
 * @since 0.2.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { CloudConfig } from "./CloudConfig.js"
import { InvalidInput, NotSupported } from "./GlanceError.js"
import type { GlanceHttpError } from "./GlanceHttp.js"
import { type GlanceAlgorithm, glanceAlgorithm, Hasher } from "./Hasher.js"
import * as Images from "./Images.js"
import * as Info from "./Info.js"
import { blockSize } from "./internal/bytes.js"
import { messageOf } from "./internal/messages.js"

/**
 * How the data reaches a target: `stream` downloads it here once and uploads it to every
 * streaming target at once; `glance-download` has the target's Glance fetch it from the source's
 * region (one Keystone for both); `copy-image` adds a store to the source image itself (the
 * target is the source's own cloud and project).
 *
 * @since 0.2.0
 * @category models
 */
export type Via = "stream" | "glance-download" | "copy-image"

/**
 * How one target is reached.
 *
 * @since 0.2.0
 * @category models
 */
export interface TargetOptions {
  /** How the data gets there (default `stream`). */
  readonly via?: Via | undefined
  /** With an import: stream instead when the target does not offer the method or the import fails. */
  readonly fallback?: boolean | undefined
  /** The store to put the data in (multistore clouds); default `Options.store`, else the target's default. */
  readonly store?: string | undefined
  /** `glance-download`: the region of the source's Image API (default: the source's `CloudConfig` region). */
  readonly remoteRegion?: string | undefined
  /** `glance-download`: the catalog interface of the source's Image API (Glance's default `public`). */
  readonly remoteServiceInterface?: string | undefined
}

/**
 * A place to transfer to: a label for the report, the client that reaches it, how.
 *
 * @since 0.2.0
 * @category models
 */
export interface Target<R = never> extends TargetOptions {
  readonly label: string
  /** The target's client, built for the transfer; a failure to build it (a refused login) fails this target only. */
  readonly client: Layer.Layer<Images.Images, unknown, R>
}

/**
 * A target from its client: a layer (`GlanceClient.layer(settings)`, `GlanceTest.layerFor(world)`)
 * or a context built already.
 *
 * @since 0.2.0
 * @category constructors
 */
export const target = <E = never, R = never>(
  label: string,
  client: Layer.Layer<Images.Images, E, R> | Context.Context<Images.Images>,
  options: TargetOptions = {}
): Target<R> => ({
  ...options,
  label,
  client: Context.isContext(client) ? Layer.succeedContext(client) : client
})

/**
 * How to transfer: the overrides of the copied metadata, the content check, progress.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The name of the copies (default the source's). */
  readonly name?: string | undefined
  /** The visibility of the copies (default each target's default: the source's is not copied). */
  readonly visibility?: Images.CreateFields["visibility"]
  /** Properties set on the copies, over the source's. */
  readonly properties?: Readonly<Record<string, unknown>> | undefined
  /** The store of every target that names none. */
  readonly store?: string | undefined
  /**
   * Reuse an active image the target project sees with the same data (`os_hash_value`) instead of
   * copying; `"same-name"` only when it has the copy's name too.
   */
  readonly skipExisting?: boolean | "same-name" | undefined
  /** How the source is verified (`allowMd5Fallback`). */
  readonly download?: Omit<Images.DownloadOptions, "verify"> | undefined
  /** Called as bytes reach each streaming target (its label, how many). */
  readonly onProgress?: ((target: string, bytes: number) => void) | undefined
  /** How long an import is waited for, and how often looked at (`Images.waitFor`; default 10 minutes, every 2 s). */
  readonly wait?: Omit<Images.WaitOptions, "status" | "stores" | "afterImport"> | undefined
}

/**
 * A target that failed: the step, why, and whether an image it made is left behind.
 *
 * @since 0.2.0
 * @category errors
 */
export class TargetFailed extends Schema.TaggedError<TargetFailed>()("TargetFailed", {
  /** The target's label. */
  target: Schema.String,
  /** What happened, in a sentence (the step, why, and what became of the new image). */
  message: Schema.String,
  /** The new image on the target, when one was made. */
  imageId: Schema.optional(Schema.String),
  /** Whether that image could not be deleted and is left behind. */
  leftBehind: Schema.Boolean,
  /** The failure of the step (the source's own when reading the source failed). */
  cause: Schema.Defect
}) {}

/**
 * A copy on a target whose size or hash is not the source's.
 *
 * @since 0.2.0
 * @category errors
 */
export class CopyMismatch extends Schema.TaggedError<CopyMismatch>()("CopyMismatch", {
  imageId: Schema.String,
  message: Schema.String
}) {}

/**
 * What became of one target.
 *
 * @since 0.2.0
 * @category models
 */
export type Outcome = Copied | Skipped | Failed

/**
 * The data is on the target, compared with the source's.
 *
 * @since 0.2.0
 * @category models
 */
export interface Copied {
  readonly _tag: "Copied"
  readonly target: string
  readonly via: Via
  /** The image on the target, as it is now. */
  readonly image: Images.Image
  /** How the copy was compared, or why it took another path than asked, when it is worth saying. */
  readonly note?: string | undefined
}

/**
 * The target already had an image with the same data, which is reused.
 *
 * @since 0.2.0
 * @category models
 */
export interface Skipped {
  readonly _tag: "Skipped"
  readonly target: string
  readonly image: Images.Image
  readonly note: string
}

/**
 * The target failed (and was cleaned up, unless `error.leftBehind`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Failed {
  readonly _tag: "Failed"
  readonly target: string
  readonly via: Via
  readonly error: TargetFailed
}

/**
 * The source image and what became of each target, in the order the targets were given.
 *
 * @since 0.2.0
 * @category models
 */
export interface Report {
  readonly source: Images.Image
  readonly outcomes: ReadonlyArray<Outcome>
}

/**
 * The targets of a report that failed.
 *
 * @since 0.2.0
 * @category getters
 */
export const failures = (report: Report): ReadonlyArray<Failed> =>
  report.outcomes.filter((o): o is Failed => o._tag === "Failed")

/**
 * Failures before any target is touched: the source cannot be read, or has no data.
 *
 * @since 0.2.0
 * @category errors
 */
export type TransferError = GlanceHttpError | InvalidInput

/** Fields Glance sets itself, reserves, or that belong to the source's cloud; never copied. */
const notCopied = new Set([
  ...Images.readOnlyFields,
  "owner",
  // An override, or the target's default (public needs the admin role there).
  "visibility",
  // A protected copy could not be deleted again if a later step failed.
  "protected"
])

/**
 * The fields of a copy of `image`: formats, `min_disk`/`min_ram`, tags, `os_hidden` and custom
 * properties, without what Glance sets or reserves (`os_glance_*`, hashes, sizes, stores,
 * locations, owner, timestamps, `protected`, visibility), with the overrides on top.
 *
 * @since 0.2.0
 * @category metadata
 */
export const copyFields = (
  image: Images.Image,
  overrides: Pick<Options, "name" | "visibility" | "properties"> = {}
): Images.CreateFields => {
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(image)) {
    if (value === null || value === undefined || notCopied.has(key) || key.startsWith("os_glance")) continue
    fields[key] = value
  }
  if (overrides.name !== undefined) fields.name = overrides.name
  if (overrides.visibility !== undefined) fields.visibility = overrides.visibility
  Object.assign(fields, overrides.properties)
  return fields as Images.CreateFields
}

/** The source's data failed (wraps its error, so that a target's upload tells it from its own). */
class SourceFailed extends Data.TaggedError("SourceFailed")<{ readonly cause: unknown }> {}

/** A step of one target failed. */
class StepFailed extends Data.TaggedError("StepFailed")<{ readonly step: string; readonly cause: unknown }> {}

const step = (name: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StepFailed, R> =>
  Effect.mapError(effect, (cause) => new StepFailed({ step: name, cause }))

/**
 * What a streaming target's lane holds for its upload: a copy of a block of the source's data (in
 * one of the lane's own blocks, `length` bytes of it), the end of the data once it has verified,
 * or the source's failure.
 */
type Item =
  | { readonly _tag: "Block"; readonly block: Uint8Array; readonly length: number }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly cause: unknown }

/** The blocks of its own a streaming target may hold copied ahead of its upload (about a mebibyte each). */
const laneBlocks = 4

/**
 * The way from the source to one streaming target: the source copies each of its blocks into a
 * free block of the lane (waiting for one: the slowest target sets the pace) and goes on; the
 * target's upload copies them out into its own blocks and hands each lane block back.
 */
interface Lane {
  /** The lane's blocks not holding data (`undefined`: one not made yet). */
  readonly free: Queue.Queue<Uint8Array | undefined>
  readonly filled: Queue.Queue<Item>
  /** The target is done (copied, failed, interrupted): the source no longer waits for it. */
  readonly done: Deferred.Deferred<void>
}

const makeLane: Effect.Effect<Lane> = Effect.gen(function*() {
  const free = yield* Queue.bounded<Uint8Array | undefined>(laneBlocks)
  yield* Queue.offerAll(free, Array.from({ length: laneBlocks }, () => undefined))
  return { free, filled: yield* Queue.bounded<Item>(laneBlocks + 1), done: yield* Deferred.make<void>() }
})

/** Copies a block of the source (lent: the source refills it once this ends) into a free block of the lane. */
const copyInto = (lane: Lane, block: Uint8Array): Effect.Effect<void> =>
  Effect.flatMap(Queue.take(lane.free), (spare) => {
    const own = spare !== undefined && spare.byteLength >= block.byteLength
      ? spare
      : new Uint8Array(Math.max(block.byteLength, blockSize))
    own.set(block)
    return Queue.offer(lane.filled, { _tag: "Block", block: own, length: block.byteLength })
  })

/**
 * A target's `uploadEach` filler over its lane: copies the lane's blocks into the upload's block
 * until it is full or the data ends, handing each lane block back once all of it is copied.
 */
const laneFiller = (lane: Lane, onBytes: ((n: number) => void) | undefined) => {
  let current: Extract<Item, { _tag: "Block" }> | undefined
  let at = 0
  let ended = false
  return (block: Uint8Array): Effect.Effect<number, SourceFailed> =>
    Effect.gen(function*() {
      let n = 0
      while (n < block.byteLength && !ended) {
        if (current === undefined) {
          const item = yield* Queue.take(lane.filled)
          if (item._tag === "End") {
            ended = true
            break
          }
          if (item._tag === "Failed") return yield* new SourceFailed({ cause: item.cause })
          current = item
          at = 0
        }
        const k = Math.min(current.length - at, block.byteLength - n)
        block.set(current.block.subarray(at, at + k), n)
        n += k
        at += k
        if (at === current.length) {
          yield* Queue.offer(lane.free, current.block)
          current = undefined
        }
      }
      if (n > 0) onBytes?.(n)
      return n
    })
}

/** One target, connected. */
interface Side {
  readonly label: string
  readonly images: Images.Service
  readonly info: Option.Option<Info.Service>
  readonly store: string | undefined
}

/** What is left to do for a target once it is prepared. */
type Plan =
  | { readonly _tag: "Done"; readonly outcome: Outcome }
  | {
    readonly _tag: "Stream"
    /** Uploads the data `fill` copies from the source into the upload's blocks. */
    readonly receive: (fill: (block: Uint8Array) => Effect.Effect<number, SourceFailed>) => Effect.Effect<Outcome>
  }
  | { readonly _tag: "Import"; readonly run: Effect.Effect<Outcome> }

/**
 * Transfers image `id` from the `Images` in context to every target: one download, verified as it
 * flows, fanned out to the streaming targets with backpressure (memory stays flat, the slowest
 * target sets the pace), the last block held back until the source's hash has verified; each
 * copy's size and hash compared with the source's at the end. Metadata is copied (`copyFields`).
 * A target that fails is cleaned up (its new image deleted) and reported, and the others finish;
 * with `skipExisting`, a target that already sees an image with the same data reuses it.
 *
 * Fails only when the source cannot be read before any target is touched; every other failure is
 * a `Failed` outcome of its target (`failures(report)`).
 *
 * @since 0.2.0
 * @category transfer
 */
export const transfer = <R>(
  id: string,
  targets: ReadonlyArray<Target<R>>,
  options: Options = {}
): Effect.Effect<Report, TransferError, Images.Images | R> =>
  Effect.gen(function*() {
    if (targets.length === 0) return yield* new InvalidInput({ message: "A transfer needs at least one target" })
    const images = yield* Images.Images
    const source = yield* images.get(id)
    if (source.status !== "active") {
      return yield* new InvalidInput({
        message: `Image ${id} is ${source.status}: only an active image has data to transfer`
      })
    }
    const size = source.size
    if (typeof size !== "number") return yield* new InvalidInput({ message: `Image ${id} records no size` })
    const sourceRegion = Option.flatMap(
      yield* Effect.serviceOption(CloudConfig),
      (settings) => Option.fromNullable(settings.regionName)
    )
    const fields = copyFields(source, options)
    // New images not yet settled (copied, or deleted after a failure): deleted if the transfer is interrupted.
    const pending = new Map<string, Images.Service>()

    /** A target that failed before it had an image of its own. */
    const failed = (label: string, via: Via, failure: StepFailed): Failed => ({
      _tag: "Failed",
      target: label,
      via,
      error: new TargetFailed({
        target: label,
        message: `${failure.step} failed: ${messageOf(failure.cause)}`,
        leftBehind: false,
        cause: failure.cause
      })
    })

    /** Deletes a half-made copy and reports the failure (the step's own words, and whether the copy is gone). */
    const abandon = (side: Side, via: Via, imageId: string, failure: StepFailed): Effect.Effect<Failed> =>
      Images.abandon(imageId, failure.step, failure.cause).pipe(
        Effect.provideService(Images.Images, side.images),
        Effect.flip,
        Effect.map((e): Failed => ({
          _tag: "Failed",
          target: side.label,
          via,
          error: new TargetFailed({
            target: side.label,
            message: e.message,
            imageId,
            leftBehind: !e.deleted,
            cause: failure.cause
          })
        })),
        Effect.ensuring(Effect.sync(() => pending.delete(imageId)))
      )

    /** Compares a copy with the source: size, then the hash (md5 when the target hashes with another algorithm). */
    const compare = (copy: Images.Image): Effect.Effect<string | undefined, CopyMismatch> => {
      const mismatch = (message: string) => Effect.fail(new CopyMismatch({ imageId: copy.id, message }))
      if (copy.status !== "active") return mismatch(`Image ${copy.id} is ${copy.status}, not active`)
      if (copy.size !== size) {
        return mismatch(`Image ${copy.id} holds ${copy.size ?? "no"} bytes where the source holds ${size}`)
      }
      if (source.os_hash_value && copy.os_hash_algo === source.os_hash_algo) {
        return copy.os_hash_value === source.os_hash_value ? Effect.succeed(undefined) : mismatch(
          `Image ${copy.id} holds other data: its ${copy.os_hash_algo} is ${copy.os_hash_value} where the source's is ${source.os_hash_value}`
        )
      }
      if (source.checksum && copy.checksum) {
        return copy.checksum === source.checksum
          ? Effect.succeed(`compared by md5: the target hashes with ${copy.os_hash_algo ?? "nothing else"}`)
          : mismatch(
            `Image ${copy.id} holds other data: its md5 is ${copy.checksum} where the source's is ${source.checksum}`
          )
      }
      return mismatch(
        `Image ${copy.id} cannot be compared with the source: it records ${
          copy.os_hash_algo ?? "no hash"
        }, the source ${source.os_hash_algo ?? "no hash"}, and not both an md5 checksum`
      )
    }

    const copied = (side: Side, via: Via, note: string | undefined) => (copy: Images.Image) =>
      Effect.map(step("Checking the copy")(compare(copy)), (how): Outcome => {
        pending.delete(copy.id)
        const said = [note, how].filter((s): s is string => s !== undefined)
        return {
          _tag: "Copied",
          target: side.label,
          via,
          image: copy,
          ...(said.length > 0 ? { note: said.join("; ") } : {})
        }
      })

    const create = (side: Side) =>
      Effect.tap(
        step("Creating the image")(side.images.create(fields)),
        (created) => Effect.sync(() => pending.set(created.id, side.images))
      )

    /** A streaming target: its new image now, its data when the stream starts. */
    const planStream = (side: Side, note?: string): Effect.Effect<Plan> =>
      Effect.matchEffect(create(side), {
        onFailure: (failure) => Effect.succeed<Plan>({ _tag: "Done", outcome: failed(side.label, "stream", failure) }),
        onSuccess: (created) =>
          Effect.succeed<Plan>({
            _tag: "Stream",
            receive: (fill) =>
              side.images.uploadEach(created.id, fill, { size, store: side.store }).pipe(
                Effect.mapError((e) =>
                  e instanceof SourceFailed
                    ? new StepFailed({ step: `Reading the source image ${id}`, cause: e.cause })
                    : new StepFailed({ step: `Uploading the data of image ${created.id}`, cause: e })
                ),
                Effect.zipRight(step("Checking the copy")(side.images.get(created.id))),
                Effect.flatMap(copied(side, "stream", note)),
                Effect.catchAll((failure) => abandon(side, "stream", created.id, failure))
              )
          })
      })

    /**
     * Streams the source once into every receiver; each outcome in the receivers' order. The source
     * is read through the few reused blocks of `downloadEach`; each is copied into a free block of
     * every target's lane (`laneBlocks` each, so a target may be a few blocks behind the others) and
     * refilled only after, so no block is rewritten under a reader; a target with no free block
     * holds the source back, so the slowest sets the pace. Each upload copies the lane's blocks into
     * its own (reused where the transport allows it). The last block is held back (copied aside)
     * until the source has verified: no Glance can finalise an upload of known size from data that
     * does not verify.
     */
    const streamAll = (
      receivers: ReadonlyArray<readonly [label: string, receive: Extract<Plan, { _tag: "Stream" }>["receive"]]>
    ): Effect.Effect<ReadonlyArray<Outcome>> =>
      receivers.length === 0 ? Effect.succeed([]) : Effect.scoped(Effect.gen(function*() {
        const lanes = yield* Effect.forEach(receivers, () => makeLane)
        /** Hands an item to every target still going; a block is copied into each lane before the source goes on. */
        const hand = (
          item: { readonly _tag: "Block"; readonly block: Uint8Array } | Exclude<Item, { _tag: "Block" }>
        ) =>
          Effect.forEach(lanes, (lane) =>
            Effect.raceFirst(
              item._tag === "Block" ? copyInto(lane, item.block) : Queue.offer(lane.filled, item),
              Deferred.await(lane.done)
            ), { concurrency: "unbounded", discard: true })
        let received = 0
        let last: Uint8Array | undefined
        const source = images.downloadEach(id, (block) => {
          received += block.byteLength
          if (received < size) return hand({ _tag: "Block", block })
          // The last block: copied aside (the source refills its own) until the data has verified.
          last = block.slice()
          return Effect.void
        }, options.download).pipe(
          Effect.matchCauseEffect({
            onSuccess: () =>
              Effect.zipRight(
                last === undefined ? Effect.void : hand({ _tag: "Block", block: last }),
                hand({ _tag: "End" })
              ),
            onFailure: (cause) => hand({ _tag: "Failed", cause: Cause.squash(cause) })
          })
        )
        yield* Effect.forkScoped(source)
        return yield* Effect.forEach(receivers, ([label, receive], i) => {
          const lane = lanes[i]!
          const report = options.onProgress
          const fill = laneFiller(lane, report === undefined ? undefined : (n) => report(label, n))
          return Effect.ensuring(receive(fill), Deferred.succeed(lane.done, undefined))
        }, { concurrency: "unbounded" })
      }))

    /** Streams into one target by itself, after its import failed. */
    const streamInstead = (side: Side, note: string): Effect.Effect<Outcome> =>
      Effect.flatMap(planStream(side, note), (plan) =>
        plan._tag === "Stream"
          ? Effect.map(streamAll([[side.label, plan.receive]]), (outcomes) => outcomes[0]!)
          : plan._tag === "Done"
          ? Effect.succeed(plan.outcome)
          : plan.run)

    const offers = (side: Side, method: Images.ImportMethod): Effect.Effect<boolean> =>
      Option.match(side.info, {
        onNone: () => Effect.succeed(false),
        onSome: (info) =>
          info.importMethods.pipe(Effect.map((methods) => methods.includes(method)), Effect.orElseSucceed(() => false))
      })

    const glanceDownload = (side: Side, t: Target<R>, region: string): Effect.Effect<Plan> =>
      Effect.matchEffect(create(side), {
        onFailure: (failure) =>
          Effect.succeed<Plan>({ _tag: "Done", outcome: failed(side.label, "glance-download", failure) }),
        onSuccess: (created) => {
          const stores = side.store === undefined ? undefined : [side.store]
          const run = side.images.importImage(created.id, {
            method: "glance-download",
            remoteRegion: region,
            remoteImageId: id,
            remoteServiceInterface: t.remoteServiceInterface,
            stores
          }).pipe(
            step(`Starting the glance-download import of image ${created.id}`),
            Effect.zipRight(
              step(`The glance-download import of image ${created.id}`)(
                Images.waitFor(created.id, { ...options.wait, stores, afterImport: true }).pipe(
                  Effect.provideService(Images.Images, side.images)
                )
              )
            ),
            Effect.flatMap(copied(side, "glance-download", undefined)),
            Effect.catchAll((failure) => abandon(side, "glance-download", created.id, failure)),
            Effect.flatMap((outcome) =>
              outcome._tag === "Failed" && t.fallback === true && !outcome.error.leftBehind
                ? streamInstead(side, `glance-download failed (${outcome.error.message}): streamed instead`)
                : Effect.succeed(outcome)
            )
          )
          return Effect.succeed<Plan>({ _tag: "Import", run })
        }
      })

    const copyImage = (side: Side, t: Target<R>): Effect.Effect<Plan> =>
      Effect.gen(function*() {
        const done = (failure: StepFailed): Plan => ({
          _tag: "Done",
          outcome: failed(side.label, "copy-image", failure)
        })
        const store = side.store
        if (store === undefined) {
          return done(
            new StepFailed({
              step: "The copy-image import",
              cause: new InvalidInput({ message: "copy-image needs the store to copy the image into" })
            })
          )
        }
        const here = yield* Effect.either(step(`Looking at image ${id} on the target`)(side.images.get(id)))
        if (Either.isLeft(here)) return done(here.left)
        const stores = Images.storeList(here.right.stores)
        if (stores.includes(store)) {
          return {
            _tag: "Done",
            outcome: { _tag: "Skipped", target: side.label, image: here.right, note: `already in store ${store}` }
          }
        }
        const notOffered = new StepFailed({
          step: "The copy-image import",
          cause: new NotSupported({ message: "The target does not offer the copy-image import" })
        })
        if (!(yield* offers(side, "copy-image"))) {
          return t.fallback === true
            ? yield* planStream(side, "the target does not offer copy-image: streamed instead")
            : done(notOffered)
        }
        const run = side.images.importImage(id, { method: "copy-image", stores: [store] }).pipe(
          step(`Starting the copy-image import of image ${id}`),
          Effect.zipRight(
            step(`The copy-image import of image ${id}`)(
              Images.waitFor(id, { ...options.wait, stores: [...stores, store], afterImport: true }).pipe(
                Effect.provideService(Images.Images, side.images)
              )
            )
          ),
          Effect.map((image): Outcome => ({ _tag: "Copied", target: side.label, via: "copy-image", image })),
          Effect.catchAll((failure) =>
            t.fallback === true
              ? streamInstead(side, `copy-image failed (${messageOf(failure.cause)}): streamed instead`)
              : Effect.succeed(failed(side.label, "copy-image", failure))
          )
        )
        return { _tag: "Import", run }
      })

    /** Connects to a target, looks for the data there, and makes its new image. */
    const prepare = (t: Target<R>): Effect.Effect<Plan, never, R | Scope.Scope> =>
      Effect.gen(function*() {
        const via = t.via ?? "stream"
        const built = yield* Effect.either(Layer.build(t.client))
        if (Either.isLeft(built)) {
          const failure = new StepFailed({ step: `Connecting to ${t.label}`, cause: built.left })
          return { _tag: "Done", outcome: failed(t.label, via, failure) } satisfies Plan
        }
        const side: Side = {
          label: t.label,
          images: Context.get(built.right, Images.Images),
          info: Context.getOption(built.right as Context.Context<Images.Images | Info.Info>, Info.Info),
          store: t.store ?? options.store
        }
        if (via === "copy-image") return yield* copyImage(side, t)
        if (options.skipExisting !== undefined && options.skipExisting !== false && source.os_hash_value) {
          const name = options.skipExisting === "same-name" ? (fields.name ?? undefined) : undefined
          const found = yield* Effect.either(
            step("Looking for an image with the same data")(
              Images.findByHash({ algorithm: source.os_hash_algo ?? "", value: source.os_hash_value }, {
                size,
                name: typeof name === "string" ? name : undefined
              }).pipe(Effect.provideService(Images.Images, side.images))
            )
          )
          if (Either.isLeft(found)) return { _tag: "Done", outcome: failed(t.label, via, found.left) } satisfies Plan
          if (Option.isSome(found.right)) {
            const image = found.right.value
            return {
              _tag: "Done",
              outcome: {
                _tag: "Skipped",
                target: t.label,
                image,
                note: `image ${image.id} already holds this data${
                  options.skipExisting === "same-name" ? " under this name" : ""
                }`
              }
            } satisfies Plan
          }
        }
        if (via === "glance-download") {
          const region = t.remoteRegion ?? Option.getOrUndefined(sourceRegion)
          const offered = yield* offers(side, "glance-download")
          if (offered && region !== undefined) return yield* glanceDownload(side, t, region)
          const why = region === undefined
            ? "the source's region is not known (give remoteRegion)"
            : "the target does not offer the glance-download import"
          if (t.fallback === true) return yield* planStream(side, `${why}: streamed instead`)
          const failure = new StepFailed({
            step: "The glance-download import",
            cause: new NotSupported({ message: why })
          })
          return { _tag: "Done", outcome: failed(t.label, via, failure) } satisfies Plan
        }
        return yield* planStream(side)
      })

    const outcomes = yield* Effect.scoped(Effect.gen(function*() {
      yield* Effect.addFinalizer(() =>
        Effect.forEach(pending, ([imageId, owner]) => Effect.ignore(owner.delete(imageId)), { discard: true })
      )
      const plans = yield* Effect.forEach(targets, prepare, { concurrency: "unbounded" })
      const streaming = plans.flatMap((p, i) => p._tag === "Stream" ? [[i, targets[i]!.label, p.receive] as const] : [])
      const results: Array<Outcome | undefined> = plans.map((p) => (p._tag === "Done" ? p.outcome : undefined))
      yield* Effect.all([
        Effect.map(streamAll(streaming.map(([, label, receive]) => [label, receive] as const)), (done) =>
          done.forEach((outcome, k) => {
            results[streaming[k]![0]] = outcome
          })),
        Effect.forEach(plans, (p, i) =>
          p._tag === "Import"
            ? Effect.map(p.run, (outcome) => {
              results[i] = outcome
            })
            : Effect.void, { concurrency: "unbounded", discard: true })
      ], { concurrency: 2, discard: true })
      return results as ReadonlyArray<Outcome>
    }))
    return { source, outcomes }
  }).pipe(Effect.withSpan("Transfer.transfer", { attributes: { "image.id": id } }))

// ---------------------------------------------------------------------------------------------
// Idempotent upload: reuse an image that already holds the same data.

/**
 * The algorithm the cloud hashes image data with, as the newest active images the project sees
 * record it; none when it sees none (then none can hold the same data either).
 *
 * @since 0.2.0
 * @category idempotence
 */
export const hashAlgorithm: Effect.Effect<Option.Option<GlanceAlgorithm>, GlanceHttpError, Images.Images> = Effect
  .flatMap(Images.Images, (images) =>
    images.list({ filters: { status: "active" }, limit: 20 }).pipe(
      Stream.filterMap((image) => glanceAlgorithm(image.os_hash_algo ?? "")),
      Stream.runHead
    )).pipe(Effect.withSpan("Transfer.hashAlgorithm"))

const hasherFor = (algorithm: GlanceAlgorithm) =>
  Effect.flatMap(Hasher, (hasher) =>
    Option.match(hasher.make(algorithm), {
      onNone: () => Effect.fail(new NotSupported({ message: `This client's hasher does not offer ${algorithm}` })),
      onSome: Effect.succeed
    }))

/**
 * The hash of a stream of data with one of Glance's algorithms, as `os_hash_value` would record it.
 *
 * @since 0.2.0
 * @category idempotence
 */
export const hashStream = <E, R>(
  data: Stream.Stream<Uint8Array, E, R>,
  algorithm: GlanceAlgorithm
): Effect.Effect<string, E | NotSupported, R | Hasher> =>
  Effect.flatMap(hasherFor(algorithm), (hash) =>
    Stream.runForEachChunk(data, (chunk) =>
      Effect.sync(() => {
        for (const block of chunk) hash.update(block)
      })).pipe(Effect.map(() => hash.digest())))

/**
 * The hash of a file with one of Glance's algorithms, read through one reused block.
 *
 * @since 0.2.0
 * @category idempotence
 */
export const hashFile = Effect.fn("Transfer.hashFile")(function*(path: string, algorithm: GlanceAlgorithm) {
  const fs = yield* FileSystem.FileSystem
  const hash = yield* hasherFor(algorithm)
  const block = new Uint8Array(blockSize)
  yield* Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r" }), (file) => {
    const more: Effect.Effect<void, PlatformError> = Effect.flatMap(
      file.read(block),
      (n) => {
        if (Number(n) === 0) return Effect.void
        hash.update(block.subarray(0, Number(n)))
        return more
      }
    )
    return more
  }))
  return hash.digest()
})

/**
 * An active image the project sees that holds the same data as a file (hashed here with the
 * cloud's algorithm, `hashAlgorithm`), with that name too when `name` is given; none when there is
 * none, or when the project sees no active image at all (then the cloud's algorithm is not known).
 *
 * @since 0.2.0
 * @category idempotence
 */
export const findFile = Effect.fn("Transfer.findFile")(function*(
  path: string,
  options: { readonly name?: string | undefined } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const size = Number((yield* fs.stat(path)).size)
  const algorithm = yield* hashAlgorithm
  if (Option.isNone(algorithm)) return Option.none<Images.Image>()
  const value = yield* hashFile(path, algorithm.value)
  return yield* Images.findByHash({ algorithm: algorithm.value, value }, { size, name: options.name })
})

/**
 * What `createFromFileIfAbsent` did: the image, and whether it is new.
 *
 * @since 0.2.0
 * @category models
 */
export interface IfAbsent {
  readonly image: Images.Image
  readonly created: boolean
}

/**
 * Creates an image from a file unless the project already sees an active image with the same data
 * (hashed here first with the cloud's algorithm, `hashAlgorithm`); with `sameName`, only one with
 * the same name counts. A failed upload deletes the new image again (`Images.createAndUpload`).
 *
 * @since 0.2.0
 * @category idempotence
 */
export const createFromFileIfAbsent = Effect.fn("Transfer.createFromFileIfAbsent")(function*(
  path: string,
  fields: Images.CreateFields,
  options: Omit<Images.UploadOptions, "size"> & { readonly sameName?: boolean | undefined } = {}
) {
  const images = yield* Images.Images
  const found = yield* findFile(path, {
    name: options.sameName === true && typeof fields.name === "string" ? fields.name : undefined
  })
  if (Option.isSome(found)) return { image: found.value, created: false } satisfies IfAbsent
  const created = yield* images.create(fields)
  yield* Images.uploadFile(created.id, path, { store: options.store }).pipe(
    Effect.catchAll((cause) => Images.abandon(created.id, `Uploading the data of image ${created.id}`, cause)),
    Effect.onInterrupt(() => Effect.ignore(images.delete(created.id)))
  )
  return { image: yield* images.get(created.id), created: true } satisfies IfAbsent
})
