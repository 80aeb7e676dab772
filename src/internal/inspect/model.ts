/**
 * What the format parsers share: the reader they pull header bytes through, and the facts
 * each gives back.
 */
import type * as Effect from "effect/Effect"

/**
 * Which rule a finding breaks.
 *
 * @since 0.1.0
 * @category models
 */
export type Check =
  | "backing_file"
  | "data_file"
  | "extents"
  | "descriptor"
  | "features"
  | "header"
  | "size"
  | "format"

/**
 * A reason the data is not safe to upload: names the check and says what was found.
 *
 * @since 0.1.0
 * @category models
 */
export interface Finding {
  readonly check: Check
  readonly message: string
}

/**
 * Bytes of an image, read by position (a file) or in order (a stream, see `ImageInspector.peek`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reader<E, R = never> {
  /** Bytes [offset, offset + length); fewer where the data ends. */
  readonly read: (offset: number, length: number) => Effect.Effect<Uint8Array, E, R>
  /** The data's length, when known (a file, or a stream that has ended). */
  readonly size: () => number | undefined
  /** Whether the last bytes can be read without reading all the others (a file, not a stream). */
  readonly seekable: boolean
  /** The furthest byte the inspection may read. */
  readonly limit: number
}

/** What a format parser found. */
export interface Facts {
  /** The format as Glance names its `disk_format` (or qemu, for formats Glance has no name for). */
  format: string
  /** qemu's name for the format (`vpc` for vhd, `parallels` for ploop, `raw` for iso). */
  qemuFormat: string
  variant?: string | undefined
  virtualSize?: number | undefined
  backingFile?: string | undefined
  backingFormat?: string | undefined
  dataFile?: string | undefined
  externalExtents?: ReadonlyArray<string> | undefined
  encryption?: string | undefined
  partitionTable?: "mbr" | "gpt" | undefined
  /** Disk formats other than `format` that this data may also be uploaded as. */
  alsoAccepts?: ReadonlyArray<string> | undefined
  problems: Array<Finding>
  warnings: Array<string>
}

/** New facts for a format. */
export const facts = (format: string, qemuFormat: string = format): Facts => ({
  format,
  qemuFormat,
  problems: [],
  warnings: []
})

/** The most a header may claim as a virtual size and still be taken at its word: 2^53 bytes (8 PiB). */
export const maxVirtualSize = Number.MAX_SAFE_INTEGER

/** The finding for a header cut short. */
export const truncated = (what: string, need: number, got: number): Finding => ({
  check: "header",
  message: `the ${what} is cut short (${got} of ${need} bytes)`
})

/** Notes a header cut short, when it is: `if (cutShort(f, head, 512, "VDI header")) return f`. */
export const cutShort = (f: Facts, bytes: Uint8Array, need: number, what: string): boolean => {
  if (bytes.byteLength >= need) return false
  f.problems.push(truncated(what, need, bytes.byteLength))
  return true
}

/** The finding for a structure that lies past what the inspection reads. */
export const beyondLimit = (what: string, offset: number, limit: number): Finding => ({
  check: "header",
  message: `the ${what} is at byte ${offset}, past the first ${limit / 1048576} MiB this client inspects`
})

/** A byte count for messages: `10 GiB`, `512 bytes`. */
export const bytesText = (n: number): string => {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`
}
