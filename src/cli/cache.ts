/**
 * The `cache-*` commands (admin, Image API v2.14), with python-glanceclient's names and table.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Cache from "../Cache.js"
import { describe, PartialFailure } from "./errors.js"
import { args, choice, withDefault } from "./flags.js"
import { type Column, printList } from "./output.js"
import { escapeControls } from "./safeText.js"
import { make } from "./table.js"

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

/** python-glanceclient's `print_cached_images` rows: cached images, then queued ones. */
const cacheRows = (state: Cache.CacheState): Array<CacheRow> => [
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

const cacheColumns: ReadonlyArray<Column<CacheRow>> = [
  { header: "ID", get: (r) => r.id },
  { header: "State", get: (r) => r.state },
  { header: "Last Accessed (UTC)", get: (r) => r.lastAccessed },
  { header: "Last Modified (UTC)", get: (r) => r.lastModified },
  { header: "Size", get: (r) => r.size },
  { header: "Hits", get: (r) => r.hits }
]

const cache = Cache.Cache

/** A command running an operation on each image given, printing python-glanceclient's line for each failure. */
const eachImage = (
  name: string,
  help: string,
  argHelp: string,
  operation: (cache: Cache.Service) => (id: string) => Effect.Effect<void, Cache.CacheError>,
  forbidden: (id: string) => string,
  other: (id: string, error: string) => string
) =>
  make({
    name,
    help,
    fields: { ids: args("IMAGE_ID", argHelp) },
    call: (a) =>
      Effect.gen(function*() {
        const run = operation(yield* cache)
        let failed = 0
        for (const id of a.ids) {
          const result = yield* Effect.either(run(id))
          if (result._tag === "Left") {
            failed++
            const e = result.left
            yield* Console.error(e._tag === "Forbidden" ? forbidden(id) : other(id, describe(e).line))
          }
        }
        if (failed > 0) return yield* new PartialFailure({ message: "" })
      })
  })

/** The cache commands. */
export const cacheTable = [
  make({
    name: "cache-list",
    help: "Get cache state.",
    fields: {},
    call: () => Effect.flatMap(cache, (c) => Effect.map(c.list, cacheRows)),
    // python-glanceclient prints this one table centred (its other tables are left-aligned).
    output: (rows, format) =>
      format.format === "table" && format.column.length === 0
        ? Console.log(centredTable(
          cacheColumns.map((c) => c.header),
          rows.map((r) => cacheColumns.map((c) => String(c.get(r))))
        ))
        : printList(rows, cacheColumns, format)
  }),
  eachImage(
    "cache-queue",
    "Queue image(s) for caching.",
    "ID of image(s) to queue for caching.",
    (c) => c.queue,
    (id) => `You are not permitted to queue the image '${id}' for caching.`,
    (id, e) => `'${e}': Unable to queue image '${id}' for caching.`
  ),
  eachImage(
    "cache-delete",
    "Delete image from cache/caching queue.",
    "ID of image(s) to delete from cache/queue.",
    (c) => c.delete,
    (id) => `You are not permitted to delete the image '${id}' from cache.`,
    (id, e) => `'${e}': Unable to delete image '${id}' from cache.`
  ),
  make({
    name: "cache-clear",
    help: "Clear all images from cache, queue or both",
    fields: {
      target: withDefault(
        choice(
          "target",
          ["both", "cache", "queue"],
          "Specify which target you want to clear. One of: both, cache, queue. Default is both."
        ),
        "both"
      )
    },
    call: (a) =>
      Effect.flatMap(cache, (c) =>
        Effect.catchAll(c.clear(a.target), (e) =>
          Console.error(
            e._tag === "Forbidden"
              ? "You are not permitted to delete image(s) from cache."
              : `'${describe(e).line}': Unable to delete image(s) from cache.`
          ).pipe(Effect.zipRight(new PartialFailure({ message: "" })))))
  })
] as const
