/**
 * Knowing an image before it leaves: its disk format, virtual size, compression and the facts
 * that make it unsafe to hand to a cloud (a qcow2 backing file or external data file, VMDK
 * extents in other files, a parent disk), read from its headers only.
 *
 * Formats are recognised as qemu recognises them (qemu-img's probe order and magic numbers),
 * named as Glance names its `disk_format`s, and judged by Glance's own format inspector's rules
 * (oslo.utils `imageutils.format_inspector`), so an image refused here would be refused by a
 * cloud that inspects uploads, before anything is created. Virtual sizes agree with
 * `qemu-img info`.
 *
 * Inspection reads only the headers it needs: from a file by position (`inspectFile`), or from
 * a stream as it flows (`peek`), which gives the stream back whole so the same bytes are then
 * uploaded without a second read. Compressed data (gzip, xz, bzip2, zstd) is looked into
 * through the `Decompression` service where one is provided.
 *
 * @since 0.1.0
 */
import { type PlatformError, SystemError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Compression, Decompression, type DecompressionError, detect } from "./Decompression.js"
import { TypeId } from "./GlanceError.js"
import { u32be } from "./internal/inspect/bytes.js"
import { fixedVhdFooter, isVhd, isVhdx, vhd, vhdx } from "./internal/inspect/microsoft.js"
import { bytesText, type Facts, type Finding, maxVirtualSize, type Reader } from "./internal/inspect/model.js"
import { isLuks, iso, isPloop, isVdi, luks, partitionTable, ploop, raw, vdi } from "./internal/inspect/others.js"
import { isQcow, isQed, qcow, qed } from "./internal/inspect/qcow.js"
import { descriptorFile, isDescriptor, isSparse, sparse } from "./internal/inspect/vmdk.js"

export type { Check, Finding, Reader } from "./internal/inspect/model.js"

/**
 * What inspecting an image found.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  /**
   * The disk format, as Glance names it (`raw`, `qcow2`, `vmdk`, `vhd`, `vhdx`, `vdi`, `iso`,
   * `ploop`), or qemu's name for a format Glance has none for (`qcow`, `qed`, `luks`).
   */
  readonly format: string
  /** qemu's name for it, as `qemu-img info` prints it (`vpc` for vhd, `parallels` for ploop, `raw` for iso). */
  readonly qemuFormat: string
  /** The kind within the format: `v3 (compat 1.1)`, `streamOptimized`, `dynamic`, `ISO 9660`, ... */
  readonly variant: string | undefined
  /** The size of the disk the image holds, in bytes, when the headers tell it. */
  readonly virtualSize: number | undefined
  /** The size of the data as given (compressed, if it is), when known. */
  readonly size: number | undefined
  /** The compression of the data as given, if any. */
  readonly compression: Compression | undefined
  /** Whether `format` and the rest describe the decompressed data (false when it is compressed and was not decoded). */
  readonly decompressed: boolean
  /** A file the image reads its unwritten data from (a qcow2 backing file, a VMDK or VHD parent). */
  readonly backingFile: string | undefined
  /** The backing file's format, when the image names it. */
  readonly backingFormat: string | undefined
  /** A qcow2 external data file. */
  readonly dataFile: string | undefined
  /** VMDK extents stored in other files than this one. */
  readonly externalExtents: ReadonlyArray<string>
  /** The encryption of the disk's contents (`luks`, qcow2's legacy `aes`), if any. */
  readonly encryption: string | undefined
  /** The partition table of raw data (or a hybrid ISO), if one is recognised. */
  readonly partitionTable: "mbr" | "gpt" | undefined
  /** Whether no finding makes the image unsafe (or unreadable) for a cloud. */
  readonly safe: boolean
  /** Why the image is not safe: each names the check and says what was found. */
  readonly problems: ReadonlyArray<Finding>
  /** Facts worth saying that do not make the image unsafe. */
  readonly warnings: ReadonlyArray<string>
  /** The `disk_format`s this data may be uploaded as. */
  readonly accepts: ReadonlyArray<string>
  /** How many bytes the inspection read. */
  readonly bytesRead: number
}

/**
 * How to inspect.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The furthest byte any header is looked for (default 16 MiB): a structure placed past it
   * is reported as a problem rather than read. Bounds the memory `peek` holds.
   */
  readonly limit?: number | undefined
  /**
   * Look into compressed data through the `Decompression` service, when one is provided
   * (default true). With `peek`, the stream given back is then the decompressed data.
   */
  readonly decompress?: boolean | undefined
}

/**
 * The default `Options.limit`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLimit = 16 * 1024 * 1024

/** How much of the start is read first: qemu's probe buffer. */
const headLength = 2048

/** Finds the format from the first bytes, in qemu's probe order, and reads its headers. */
const facts = Effect.fnUntraced(function*<E, R>(r: Reader<E, R>) {
  const head = yield* r.read(0, headLength)
  if (isQcow(head) && u32be(head, 4) >= 1) return yield* qcow(r, head)
  if (isQed(head) && head.byteLength >= 64) return yield* qed(r, head)
  if (isVhdx(head)) return yield* vhdx(r)
  if (isVhd(head)) return yield* vhd(r, head)
  if (isSparse(head)) return yield* sparse(r, head)
  if (isVdi(head)) return vdi(head)
  if (isPloop(head)) return ploop(head)
  if (isLuks(head) && head.byteLength >= 592) return luks(r, head)
  if (isDescriptor(head)) return yield* descriptorFile(r, head)
  const f: Facts = (yield* iso(r)) ?? raw(r)
  yield* partitionTable(r, head, f)
  if (f.format === "raw") {
    const fixed = yield* fixedVhdFooter(r)
    if (fixed !== undefined) {
      f.variant = "fixed VHD (footer at the end)"
      f.alsoAccepts = ["vhd"]
      f.warnings.push(`a fixed VHD: qemu reads it as raw, or as vhd of ${fixed} bytes with -f vpc`)
    }
  }
  return f
})

/** The disk formats each detected format may be uploaded as (ami is raw data too). */
const accepted = (f: Facts): Array<string> => {
  const base = f.format === "raw" ? ["raw", "ami"] : glanceFormats.includes(f.format) ? [f.format] : []
  return [...base, ...(f.alsoAccepts ?? [])]
}

/** The disk formats Glance knows that data can be recognised as. */
const glanceFormats = ["raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ploop"]

const report = (
  f: Facts,
  extra: { size: number | undefined; compression: Compression | undefined; decompressed: boolean; bytesRead: number }
): Report => {
  const problems = [...f.problems]
  if (f.virtualSize !== undefined && f.virtualSize > maxVirtualSize && !problems.some((p) => p.check === "size")) {
    problems.push({
      check: "size",
      message: `${f.format} header claims a virtual size of ${bytesText(f.virtualSize)}, more than any disk`
    })
  }
  const warnings = [...f.warnings]
  if (f.encryption !== undefined) warnings.push(`the disk's contents are encrypted (${f.encryption})`)
  return {
    format: f.format,
    qemuFormat: f.qemuFormat,
    variant: f.variant,
    virtualSize: f.virtualSize,
    size: extra.size,
    compression: extra.compression,
    decompressed: extra.decompressed,
    backingFile: f.backingFile,
    backingFormat: f.backingFormat,
    dataFile: f.dataFile,
    externalExtents: f.externalExtents ?? [],
    encryption: f.encryption,
    partitionTable: f.partitionTable,
    safe: problems.length === 0,
    problems,
    warnings,
    accepts: accepted(f),
    bytesRead: extra.bytesRead
  }
}

/** A reader that keeps count of what it read and never reads past the limit. */
const counted = <E, R>(r: Omit<Reader<E, R>, "limit">, limit: number, count: () => number) => ({
  reader: {
    ...r,
    limit,
    read: (offset: number, length: number) =>
      offset >= limit || length <= 0 || offset < 0
        ? Effect.succeed(new Uint8Array(0))
        : r.read(offset, Math.min(length, limit - offset))
  } satisfies Reader<E, R>,
  count
})

/**
 * Inspects data through a reader (a file by position, a stream in order). The lower-level entry;
 * `inspectFile` and `peek` build the reader. Never fails but with the reader's own errors:
 * malformed or hostile headers are findings in the report.
 *
 * @since 0.1.0
 * @category operations
 */
export const inspect = <E, R>(reader: Reader<E, R>): Effect.Effect<Report, E, R> =>
  Effect.suspend(() => {
    let bytesRead = 0
    const counting: Reader<E, R> = {
      ...reader,
      read: (offset, length) => Effect.tap(reader.read(offset, length), (b) => void (bytesRead += b.byteLength))
    }
    return Effect.map(facts(counting), (f) =>
      report(f, { size: reader.size(), compression: undefined, decompressed: true, bytesRead }))
  })

/** The page a file is read in: small reads of nearby headers cost one read system call. */
const pageSize = 4096

/** A file read by position, a page at a time, each page once. */
const fileReader = (file: FileSystem.File, size: number) => {
  const pages = new Map<number, Uint8Array>()
  let read = 0
  const page = (index: number) =>
    Effect.suspend(() => {
      const cached = pages.get(index)
      if (cached !== undefined) return Effect.succeed(cached)
      const buffer = new Uint8Array(pageSize)
      return file.seek(index * pageSize, "start").pipe(
        Effect.zipRight(file.read(buffer)),
        Effect.map((n) => {
          const bytes = buffer.subarray(0, Number(n))
          read += bytes.byteLength
          pages.set(index, bytes)
          return bytes
        })
      )
    })
  const reader: Omit<Reader<PlatformError>, "limit"> = {
    size: () => size,
    seekable: true,
    read: (offset, length) =>
      Effect.gen(function*() {
        const end = Math.min(offset + length, size)
        if (end <= offset) return new Uint8Array(0)
        const out = new Uint8Array(end - offset)
        for (let p = Math.floor(offset / pageSize); p * pageSize < end; p++) {
          const bytes = yield* page(p)
          const from = Math.max(offset, p * pageSize)
          const to = Math.min(end, p * pageSize + bytes.byteLength)
          if (to > from) out.set(bytes.subarray(from - p * pageSize, to - p * pageSize), from - offset)
          if (bytes.byteLength < pageSize) return out.subarray(0, Math.max(0, to - offset))
        }
        return out
      })
  }
  return { reader, count: () => read }
}

/**
 * A stream read in order: the bytes pulled are kept (up to the limit) so that they can be read
 * again by position and then handed on, in front of the rest of the stream.
 */
const streamReader = <E, R>(stream: Stream.Stream<Uint8Array, E, R>) =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(stream)
    const kept: Array<Uint8Array> = []
    let have = 0
    let ended = false
    const fill = (upTo: number): Effect.Effect<void, E, R> =>
      Effect.suspend(() =>
        ended || have >= upTo ? Effect.void : pull.pipe(
          Effect.matchEffect({
            onFailure: (e) => Option.isNone(e) ? Effect.sync(() => void (ended = true)) : Effect.fail(e.value),
            onSuccess: (chunk) =>
              Effect.sync(() => {
                for (const bytes of chunk) {
                  if (bytes.byteLength === 0) continue
                  kept.push(bytes)
                  have += bytes.byteLength
                }
              })
          }),
          Effect.zipRight(fill(upTo))
        )
      )
    const reader: Omit<Reader<E, R>, "limit"> = {
      size: () => (ended ? have : undefined),
      seekable: false,
      read: (offset, length) =>
        Effect.map(fill(offset + length), () => {
          const end = Math.min(offset + length, have)
          if (end <= offset) return new Uint8Array(0)
          const out = new Uint8Array(end - offset)
          let at = 0
          for (const bytes of kept) {
            const from = Math.max(offset, at)
            const to = Math.min(end, at + bytes.byteLength)
            if (to > from) out.set(bytes.subarray(from - at, to - at), from - offset)
            at += bytes.byteLength
            if (at >= end) break
          }
          return out
        })
    }
    /** Everything: the bytes read so far, then the rest of the stream. */
    const whole = (): Stream.Stream<Uint8Array, E, R> =>
      Stream.concat(
        Stream.fromIterable(kept.splice(0, kept.length)),
        ended ? Stream.empty : Stream.repeatEffectChunkOption(pull)
      )
    return { reader, count: () => have, whole }
  })

/**
 * The result of `peek`: the report, and the data to use in place of the stream given.
 *
 * @since 0.1.0
 * @category models
 */
export interface Peeked<E, R> {
  readonly report: Report
  /**
   * The whole data, from its first byte: the bytes the inspection read, then the rest as it
   * comes. The decompressed data when the data was compressed and decompressed. Read it within
   * the scope `peek` ran in, once.
   */
  readonly stream: Stream.Stream<Uint8Array, E | DecompressionError, R>
}

/**
 * Inspects a stream as it flows, reading only the headers it needs (the blocks holding them), and
 * gives it back whole, so the same bytes are then uploaded with no second read. Compressed data
 * is decompressed (when the `Decompression` service is provided and `decompress` is not false)
 * and what it holds is inspected; the stream given back is then the decompressed data.
 *
 * @since 0.1.0
 * @category operations
 */
export const peek = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  options: Options & { readonly size?: number | undefined } = {}
): Effect.Effect<Peeked<E, R>, E | DecompressionError, Scope.Scope | R> =>
  Effect.gen(function*() {
    const limit = options.limit ?? defaultLimit
    const outer = yield* streamReader(stream)
    const { reader } = counted(outer.reader, limit, outer.count)
    const head = yield* reader.read(0, 16)
    const compression = detect(head)
    const decoder = compression === undefined || options.decompress === false
      ? Option.none()
      : yield* Effect.serviceOption(Decompression)
    if (compression !== undefined && Option.isSome(decoder) && decoder.value.supports.includes(compression)) {
      const inner = yield* streamReader(decoder.value.decompress(compression, outer.whole()))
      const innerReader = counted(inner.reader, limit, inner.count).reader
      const f = yield* facts(innerReader)
      return {
        report: report(f, {
          size: options.size ?? outer.reader.size(),
          compression,
          decompressed: true,
          bytesRead: outer.count()
        }),
        stream: inner.whole()
      }
    }
    const f = compression === undefined ? yield* facts(reader) : compressedOpaque(compression)
    const size = options.size ?? outer.reader.size()
    return {
      report: report(f, { size, compression, decompressed: compression === undefined, bytesRead: outer.count() }),
      stream: outer.whole()
    }
  }).pipe(Effect.withSpan("ImageInspector.peek"))

/** Compressed data that was not looked into: qemu would see raw bytes; what they hold is unknown. */
const compressedOpaque = (compression: Compression): Facts => ({
  format: "raw",
  qemuFormat: "raw",
  variant: `${compression}-compressed data`,
  problems: [],
  warnings: []
})

/**
 * Inspects a stream (see `peek`) and lets the rest of it go.
 *
 * @since 0.1.0
 * @category operations
 */
export const inspectStream = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  options: Options & { readonly size?: number | undefined } = {}
): Effect.Effect<Report, E | DecompressionError, R> =>
  Effect.scoped(Effect.map(peek(stream, options), (p) => p.report)).pipe(
    Effect.withSpan("ImageInspector.inspectStream")
  )

/**
 * Inspects a file, reading its headers by position (and, for a fixed VHD or a stream-optimized
 * VMDK, its last bytes). A compressed file is looked into through the `Decompression` service,
 * when provided. Only a regular file: a pipe or a device is read in order, with `inspectStream`.
 *
 * @since 0.1.0
 * @category operations
 */
export const inspectFile = Effect.fn("ImageInspector.inspectFile")(function*(path: string, options: Options = {}) {
  const fs = yield* FileSystem.FileSystem
  const info = yield* fs.stat(path)
  const limit = options.limit ?? defaultLimit
  if (info.type !== "File") {
    // A pipe or a device is read in order, not by position: give its data to `inspectStream`.
    return yield* new SystemError({
      reason: "BadResource",
      module: "FileSystem",
      method: "inspectFile",
      pathOrDescriptor: path,
      description: `not a regular file (${info.type}): inspect its data with ImageInspector.inspectStream`
    })
  }
  const size = Number(info.size)
  return yield* Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(path, { flag: "r" })
    const files = fileReader(file, size)
    const limited = counted(files.reader, limit, files.count).reader
    const head = yield* limited.read(0, 16)
    const compression = detect(head)
    if (compression !== undefined && options.decompress !== false) {
      const decoder = yield* Effect.serviceOption(Decompression)
      if (Option.isSome(decoder) && decoder.value.supports.includes(compression)) {
        return yield* inspectStream(fs.stream(path, { chunkSize: 65536 }), { ...options, size }).pipe(
          Effect.map((r) => ({ ...r, size }))
        )
      }
    }
    const f = compression === undefined ? yield* facts(limited) : compressedOpaque(compression)
    return report(f, { size, compression, decompressed: compression === undefined, bytesRead: files.count() })
  }))
})

/**
 * A `min_disk` (GiB, as Nova compares it with the flavor's disk) that fits the virtual size, if known.
 *
 * @since 0.1.0
 * @category operations
 */
export const minDisk = (report: Report): number | undefined =>
  report.virtualSize === undefined ? undefined : Math.ceil(report.virtualSize / 1073741824)

/**
 * Why an upload is refused before anything is sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageRefused extends Schema.TaggedError<ImageRefused>()("ImageRefused", {
  reason: Schema.Literal("unsafe", "format", "compressed"),
  message: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
}

/**
 * What an upload declares, and which refusals the caller waives.
 *
 * @since 0.1.0
 * @category models
 */
export interface UploadCheck {
  /** The `disk_format` the image has or will have; unset to take the detected one. */
  readonly diskFormat?: string | undefined
  /** The `container_format`; only `bare` (or unset) data is compared with the disk format, as Glance does. */
  readonly containerFormat?: string | undefined
  /** Upload an image with unsafe findings anyway. */
  readonly allowUnsafe?: boolean | undefined
}

/** Disk formats whose data is not a disk image to compare: kernels and ramdisks (often compressed). */
const notDisks = ["aki", "ari"]

/**
 * Glance's rules on the data of an upload, applied before anything is sent: an unsafe image, a
 * `disk_format` the data contradicts, and compressed data (unless its container says so) are
 * refused with one sentence naming what was found. Succeeds with the disk format to use (the
 * declared one, else the detected one).
 *
 * @since 0.1.0
 * @category operations
 */
export const checkUpload = (report: Report, upload: UploadCheck): Either.Either<string, ImageRefused> => {
  const declared = upload.diskFormat
  const container = upload.containerFormat
  const bare = container === undefined || container === "bare"
  if (declared !== undefined && notDisks.includes(declared)) return Either.right(declared)
  if (report.compression !== undefined && bare && !report.decompressed) {
    return Either.left(
      new ImageRefused({
        reason: "compressed",
        message: `The data is ${report.compression}-compressed: a cloud boots only the decompressed image`
      })
    )
  }
  if (!report.safe && !upload.allowUnsafe) {
    return Either.left(
      new ImageRefused({
        reason: "unsafe",
        message: `The image is not safe to upload: ${report.problems.map((p) => p.message).join("; ")}`
      })
    )
  }
  if (declared !== undefined && bare && !report.accepts.includes(declared)) {
    return Either.left(
      new ImageRefused({
        reason: "format",
        message: `The data is ${
          /^[aeiou]/.test(report.format) ? "an" : "a"
        } ${report.format} image, not the ${declared} given as its disk format`
      })
    )
  }
  return Either.right(declared ?? report.accepts[0]!)
}
