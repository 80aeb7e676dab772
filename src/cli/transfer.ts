/**
 * `glance image-transfer`: one image copied to other clouds (clouds.yaml entries), regions or
 * stores without touching disk, fanned out, verified, one row per target (`Transfer.transfer`).
 */
import * as Console from "effect/Console"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as CloudConfig from "../CloudConfig.js"
import * as Images from "../Images.js"
import type * as Info from "../Info.js"
import * as Transfer from "../Transfer.js"
import { PartialFailure, UsageError } from "./errors.js"
import * as Flags from "./flags.js"
import {
  clientLayerFor,
  glance,
  type PlatformHttp,
  type PlatformTokenCache,
  resolvedSettings
} from "./globalOptions.js"
import { allowMd5FallbackFlag, imageIdArg, keyValue } from "./images.js"
import { type Column, printList } from "./output.js"
import { formatBytes } from "./progress.js"
import { make } from "./table.js"

/** One progress line per target on stderr while bytes flow (a terminal only), redrawn in place. */
/** What an image id looks like: the transfer refuses anything else before logging in anywhere. */
const imageId = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

const progressBars = (enabled: boolean, labels: ReadonlyArray<string>, total: number | undefined) => {
  const stream = process.stderr
  if (!enabled || !stream.isTTY || labels.length === 0) return { add: () => {}, done: () => {} }
  // The rate counts from the first byte, not from the logins before it.
  let started: number | undefined
  const width = Math.max(...labels.map((l) => l.length))
  const counts = new Map(labels.map((l) => [l, 0]))
  let drawn = false
  let last = 0
  const render = () => {
    const elapsed = Math.max((Date.now() - (started ?? Date.now())) / 1000, 0.001)
    const lines = labels.map((label) => {
      const bytes = counts.get(label) ?? 0
      const fraction = total ? Math.min(bytes / total, 1) : undefined
      const bar = fraction === undefined
        ? ""
        : `[${"=".repeat(Math.floor(fraction * 30)).padEnd(30, " ")}] ${(fraction * 100).toFixed(0).padStart(3)}% `
      return `${label.padEnd(width)} ${bar}${formatBytes(bytes)}${total ? `/${formatBytes(total)}` : ""} ${
        formatBytes(bytes / elapsed)
      }/s\x1b[K\n`
    })
    stream.write(`${drawn ? `\x1b[${labels.length}A` : ""}\r${lines.join("")}`)
    drawn = true
  }
  return {
    add: (label: string, n: number) => {
      started ??= Date.now()
      counts.set(label, (counts.get(label) ?? 0) + n)
      const now = Date.now()
      if (now - last >= 100) {
        last = now
        render()
      }
    },
    done: render
  }
}

/**
 * Runs `effect` until it ends or the process gets SIGINT (Ctrl-C) or SIGTERM; then it is
 * interrupted and waited for, so the transfer deletes the copies it had not finished, and the
 * command ends as interrupted ("... terminating glance client", exit 130). Only while `effect`
 * runs: another Ctrl-C meanwhile ends the process at once, as Node does by default.
 */
const untilSignal = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const signalled = Effect.async<NodeJS.Signals>((resume) => {
      const on = (signal: NodeJS.Signals) => resume(Effect.succeed(signal))
      process.once("SIGINT", on)
      process.once("SIGTERM", on)
      return Effect.sync(() => {
        process.off("SIGINT", on)
        process.off("SIGTERM", on)
      })
    })
    const first = yield* Effect.raceFirst(
      Effect.map(Fiber.await(fiber), Either.right),
      Effect.map(signalled, Either.left)
    )
    if (Either.isRight(first)) return yield* first.right
    yield* Console.error(`glance: ${first.left}: deleting the copies not finished`)
    yield* Fiber.interrupt(fiber)
    return yield* Effect.interrupt
  })

/** A row of the report: the target and what became of it. */
interface Row {
  readonly target: string
  readonly result: "copied" | "skipped" | "failed"
  readonly via: string
  readonly id: string | undefined
  readonly status: string | undefined
  readonly hash: string | undefined
  readonly detail: string
}

const rowOf = (outcome: Transfer.Outcome): Row => {
  switch (outcome._tag) {
    case "Copied":
      return {
        target: outcome.target,
        result: "copied",
        via: outcome.via,
        id: outcome.image.id,
        status: outcome.image.status,
        hash: outcome.image.os_hash_value ?? undefined,
        detail: outcome.note ?? "size and hash match the source"
      }
    case "Skipped":
      return {
        target: outcome.target,
        result: "skipped",
        via: "-",
        id: outcome.image.id,
        status: outcome.image.status,
        hash: outcome.image.os_hash_value ?? undefined,
        detail: outcome.note
      }
    case "Failed":
      return {
        target: outcome.target,
        result: "failed",
        via: outcome.via,
        id: outcome.error.leftBehind ? outcome.error.imageId : undefined,
        status: undefined,
        hash: undefined,
        detail: outcome.error.message
      }
  }
}

const columns: ReadonlyArray<Column<Row>> = [
  { header: "Target", get: (r) => r.target },
  { header: "Result", get: (r) => r.result },
  { header: "Via", get: (r) => r.via },
  { header: "Image ID", get: (r) => r.id },
  { header: "Status", get: (r) => r.status },
  { header: "os_hash_value", get: (r) => r.hash },
  { header: "Detail", get: (r) => r.detail }
]

const transferFlags = {
  id: imageIdArg("ID of the image to transfer."),
  toCloud: Flags.repeated(Flags.text(
    "to-cloud",
    "A clouds.yaml entry to copy the image to (its own Keystone, project and region); the data is streamed through this client, even within one cloud.",
    "<CLOUD>"
  )),
  toRegion: Flags.repeated(Flags.text(
    "to-region",
    "Another region of the source's cloud, same credentials. Its Glance imports the image itself (glance-download) where it offers that; else the data is streamed.",
    "<REGION>"
  )),
  toStore: Flags.text(
    "to-store",
    "The store of the copies. Alone (no --to-cloud, --to-region), copies the image into that store of its own cloud (copy-image).",
    "<STORE>"
  ),
  name: Flags.text("name", "Name of the copies (default the source's)."),
  visibility: Flags.choice(
    "visibility",
    ["public", "private", "shared", "community"],
    "Visibility of the copies (default each target's default)."
  ),
  property: Flags.repeated(Flags.text("property", "A property set on the copies, over the source's.", "<key=value>")),
  skipExisting: Flags.flag(
    "skip-existing",
    "Reuse an active image the target project already sees with the same data (os_hash_value) instead of copying."
  ),
  sameName: Flags.flag("same-name", "With --skip-existing: only an image of the copy's name counts."),
  streamOnly: Flags.flag(
    "stream-only",
    "Stream the data through this client to every target; never ask a Glance to import it."
  ),
  allowMd5Fallback: allowMd5FallbackFlag,
  progress: Flags.flag("progress", "Show one progress bar per target."),
  ...Flags.formatFlags
}

/** `image-transfer`: the source from the global options, each target from its own flag. */
const transferImage = (a: Flags.Values<typeof transferFlags>) =>
  Effect.gen(function*() {
    const g = yield* glance
    const store = a.toStore
    if (a.toCloud.length === 0 && a.toRegion.length === 0 && store === undefined) {
      return yield* new UsageError({ message: "image-transfer needs a target: --to-cloud, --to-region or --to-store" })
    }
    if (a.sameName && !a.skipExisting) {
      return yield* new UsageError({ message: "--same-name only goes with --skip-existing" })
    }
    const labels = [...a.toCloud, ...a.toRegion]
    const twice = labels.find((l, i) => labels.indexOf(l) !== i)
    if (twice !== undefined) return yield* new UsageError({ message: `The target ${twice} is given twice` })
    if (!imageId.test(a.id)) return yield* new UsageError({ message: `"${a.id}" is not a valid image id (a UUID)` })
    const properties: Record<string, string> = {}
    for (const datum of a.property) {
      const [key, value] = yield* keyValue("--property")(datum)
      properties[key] = value
    }
    const settings = yield* resolvedSettings(g)
    if (a.toRegion.length > 0 && settings.imageUrl !== undefined) {
      return yield* new UsageError({
        message: "--to-region finds the other region's Glance in the catalog: it cannot go with --os-image-url"
      })
    }
    // Every clouds.yaml entry is read before anything is sent: a misspelt name fails the command at once.
    const clouds = yield* Effect.forEach(a.toCloud, (name) =>
      Effect.gen(function*() {
        const named = yield* CloudConfig.named(name)
        for (const warning of named.warnings ?? []) yield* Console.error(`glance: warning: ${warning}`)
        return [name, { ...named, timeout: named.timeout ?? settings.timeout }] as const
      }))

    const work = Effect.gen(function*() {
      // The size for the bars (the transfer reads the source's record again, as it starts).
      const size = a.progress ? (yield* Effect.flatMap(Images.Images, (i) => i.get(a.id))).size : undefined
      const here = yield* Effect.context<Images.Images | Info.Info>()
      const targets: Array<Transfer.Target<PlatformHttp | PlatformTokenCache>> = [
        ...clouds.map(([name, s]) => Transfer.target(name, clientLayerFor(s, g.debug), { store })),
        ...a.toRegion.map((region) =>
          Transfer.target(region, clientLayerFor({ ...settings, regionName: region }, g.debug), {
            via: a.streamOnly ? "stream" : "glance-download",
            fallback: true,
            store,
            remoteRegion: settings.regionName
          })
        ),
        ...(labels.length === 0
          // Streaming "instead" would make a second image in the same project: only with --stream-only.
          ? [Transfer.target(`store ${store}`, here as Context.Context<Images.Images>, {
            via: a.streamOnly ? "stream" : "copy-image",
            store
          })]
          : [])
      ]
      const progress = progressBars(a.progress, targets.map((t) => t.label), size ?? undefined)
      const report = yield* Transfer.transfer(a.id, targets, {
        name: a.name,
        visibility: a.visibility,
        properties,
        skipExisting: a.skipExisting ? (a.sameName ? "same-name" : true) : false,
        download: { allowMd5Fallback: a.allowMd5Fallback },
        onProgress: progress.add
      })
      progress.done()
      return report
    })
    const report = yield* untilSignal(Effect.provide(work, clientLayerFor(settings, g.debug)))
    yield* printList(report.outcomes.map(rowOf), columns, a)
    const failed = Transfer.failures(report)
    for (const f of failed) yield* Console.error(`glance: ${f.target}: ${f.error.message}`)
    if (failed.length > 0) {
      return yield* new PartialFailure({
        message: `${failed.length} of ${report.outcomes.length} targets failed`
      })
    }
  })

/** The transfer commands. */
export const transferTable = [
  make({
    name: "image-transfer",
    help:
      "Copy an image to other clouds, regions or stores without touching disk: one verified download streamed to every target.",
    fields: transferFlags,
    // It logs in to the source and to each target itself.
    local: true,
    call: transferImage
  })
] as const
