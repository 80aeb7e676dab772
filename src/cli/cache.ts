/**
 * The `cache-*` commands (admin, Image API v2.14), with python-glanceclient's names and table.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Cache from "../Cache.js"
import { describe, PartialFailure } from "./errors.js"
import { withClient } from "./globalOptions.js"
import { type Column, formatOptions, printList } from "./output.js"
import { escapeControls } from "./safeText.js"

/** Python's `datetime.utcfromtimestamp(ts).isoformat()`: no zone, microseconds only when not zero. */
export const pyUtcIso = (seconds: number): string => {
  const whole = Math.floor(seconds)
  const micros = Math.round((seconds - whole) * 1e6)
  const base = new Date(whole * 1000).toISOString().slice(0, 19)
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, "0")}`
}

/** Python's `str.center`. */
const center = (text: string, width: number): string => {
  const margin = width - text.length
  if (margin <= 0) return text
  const left = Math.floor(margin / 2) + (margin & width & 1)
  return " ".repeat(left) + text + " ".repeat(margin - left)
}

/** A prettytable with its default centred alignment (cells shown with control characters escaped). */
export const centredTable = (headers: ReadonlyArray<string>, cells: ReadonlyArray<ReadonlyArray<string>>): string => {
  const rows = cells.map((row) => row.map((cell) => escapeControls(cell)))
  const widths = headers.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length))
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`
  const line = (values: ReadonlyArray<string>) => `| ${values.map((v, i) => center(v, widths[i]!)).join(" | ")} |`
  return [rule, line(headers), rule, ...rows.map(line), rule].join("\n")
}

interface CacheRow {
  readonly id: string
  readonly state: string
  readonly lastAccessed: string
  readonly lastModified: string
  readonly size: string
  readonly hits: string
}

/** `cache-list`: cached images, then queued ones, as python-glanceclient's `print_cached_images`. */
export const cacheList = Command.make("cache-list", { ...formatOptions }, (a) =>
  withClient(Effect.gen(function*() {
    const cache = yield* Cache.Cache
    const state = yield* cache.list
    const rows: Array<CacheRow> = [
      ...state.cached_images.map((i) => ({
        id: i.image_id,
        state: "cached",
        lastAccessed: !i.last_accessed ? "N/A" : pyUtcIso(i.last_accessed),
        lastModified: i.last_modified === undefined ? "N/A" : pyUtcIso(i.last_modified),
        size: String(i.size ?? "N/A"),
        hits: String(i.hits ?? "N/A")
      })),
      ...state.queued_images.map((id) => ({
        id,
        state: "queued",
        lastAccessed: "N/A",
        lastModified: "N/A",
        size: "N/A",
        hits: "N/A"
      }))
    ]
    const columns: ReadonlyArray<Column<CacheRow>> = [
      { header: "ID", get: (r) => r.id },
      { header: "State", get: (r) => r.state },
      { header: "Last Accessed (UTC)", get: (r) => r.lastAccessed },
      { header: "Last Modified (UTC)", get: (r) => r.lastModified },
      { header: "Size", get: (r) => r.size },
      { header: "Hits", get: (r) => r.hits }
    ]
    // python-glanceclient prints this one table centred (its other tables are left-aligned).
    if (a.format === "table" && a.column.length === 0) {
      return yield* Console.log(
        centredTable(columns.map((c) => c.header), rows.map((r) => columns.map((c) => String(c.get(r)))))
      )
    }
    yield* printList(rows, columns, a)
  }))).pipe(Command.withDescription("Get cache state."))

const ids = (description: string) =>
  Args.text({ name: "IMAGE_ID" }).pipe(Args.withDescription(description), Args.atLeast(1))

/** Runs an operation on each image, printing python-glanceclient's line for each failure. */
const eachImage = (
  list: ReadonlyArray<string>,
  operation: (id: string) => Effect.Effect<void, Cache.CacheError>,
  forbidden: (id: string) => string,
  other: (id: string, error: string) => string
) =>
  Effect.gen(function*() {
    let failed = 0
    for (const id of list) {
      const result = yield* Effect.either(operation(id))
      if (result._tag === "Left") {
        failed++
        const e = result.left
        yield* Console.error(e._tag === "Forbidden" ? forbidden(id) : other(id, describe(e).line))
      }
    }
    if (failed > 0) return yield* new PartialFailure({ message: "" })
  })

/** `cache-queue IMAGE_ID...`. */
export const cacheQueue = Command.make(
  "cache-queue",
  { ids: ids("ID of image(s) to queue for caching.") },
  (a) =>
    withClient(Effect.gen(function*() {
      const cache = yield* Cache.Cache
      yield* eachImage(
        a.ids,
        cache.queue,
        (id) => `You are not permitted to queue the image '${id}' for caching.`,
        (id, e) => `'${e}': Unable to queue image '${id}' for caching.`
      )
    }))
).pipe(Command.withDescription("Queue image(s) for caching."))

/** `cache-delete IMAGE_ID...`. */
export const cacheDelete = Command.make("cache-delete", {
  ids: ids("ID of image(s) to delete from cache/queue.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const cache = yield* Cache.Cache
    yield* eachImage(
      a.ids,
      cache.delete,
      (id) => `You are not permitted to delete the image '${id}' from cache.`,
      (id, e) => `'${e}': Unable to delete image '${id}' from cache.`
    )
  }))).pipe(Command.withDescription("Delete image from cache/caching queue."))

/** `cache-clear [--target both|cache|queue]`. */
export const cacheClear = Command.make("cache-clear", {
  target: Options.choice("target", ["both", "cache", "queue"]).pipe(
    Options.withDescription(
      "Specify which target you want to clear. One of: both, cache, queue. Default is both."
    ),
    Options.withDefault("both" as const)
  )
}, (a) =>
  withClient(Effect.gen(function*() {
    const cache = yield* Cache.Cache
    const result = yield* Effect.either(cache.clear(a.target))
    if (result._tag === "Left") {
      const e = result.left
      yield* Console.error(
        e._tag === "Forbidden"
          ? "You are not permitted to delete image(s) from cache."
          : `'${describe(e).line}': Unable to delete image(s) from cache.`
      )
      return yield* new PartialFailure({ message: "" })
    }
  }))).pipe(Command.withDescription("Clear all images from cache, queue or both"))

/** All cache commands. */
export const cacheCommands = [cacheList, cacheQueue, cacheDelete, cacheClear] as const
