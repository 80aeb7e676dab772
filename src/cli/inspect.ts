/**
 * Inspection of image data on the client: `glance image-inspect FILE`, and the check that
 * `image-create`, `image-upload`, `image-stage` and `image-create-via-import` make before any
 * image is created or any byte sent (see docs/inspection.md).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { compressions, Decompression, type DecompressionError } from "../Decompression.js"
import * as ImageInspector from "../ImageInspector.js"
import * as Images from "../Images.js"
import { CommandError, LocalFileError, UsageError } from "./errors.js"
import { arg, flag, type Values } from "./flags.js"
import { sequentialFileBlocks, stdinBlocks } from "./localData.js"
import { printObject } from "./output.js"
import { make } from "./table.js"

/** The flags of the check before an upload. */
export const inspectFlags = {
  noInspect: flag(
    "no-inspect",
    "Upload the data as it is, without inspecting it first (its format, safety and compression; see docs/inspection.md)."
  ),
  allowUnsafeImage: flag(
    "allow-unsafe-image",
    "Upload the data even when inspection finds it unsafe (a backing file, an external data file, extents in other files, invalid headers)."
  ),
  decompress: flag(
    "decompress",
    "Decompress gzip, xz, bzip2 or zstd data while it is uploaded: the image (and its checksum) is the disk inside."
  )
}

/** The parsed inspection flags. */
export type InspectFlags = Values<typeof inspectFlags>

/** The data of an upload, as `images.ts` reads it (`--file` or standard input). */
export interface UploadData<E> {
  readonly name: string
  readonly size: number | undefined
  readonly stream: Stream.Stream<Uint8Array, E>
}

/**
 * Node's decoders, loaded the first time data is decompressed: every other command (and every
 * upload of uncompressed data) starts without evaluating them.
 */
const NodeDecompression = {
  layer: Layer.succeed(
    Decompression,
    Decompression.of({
      supports: compressions,
      decompress: (compression, body) =>
        Stream.unwrap(
          Effect.map(Effect.promise(() => import("../node/decompression.js")), (m) =>
            m.make.decompress(compression, body))
        )
    })
  )
}

const note = (line: string) => Console.error(`glance: ${line}`)

const gib = 1073741824

/** How a byte count is said to a person: `10 GiB`, `300 MiB`. */
const sizeText = (n: number) =>
  n >= gib ? `${+(n / gib).toFixed(1)} GiB` : n >= 1048576 ? `${+(n / 1048576).toFixed(1)} MiB` : `${n} bytes`

/** What the data is, for a sentence: `a qcow2 image`, `an xz-compressed qcow2 image`. */
const describeData = (r: ImageInspector.Report) => {
  const inner = r.decompressed ? `${r.format} image` : "data"
  const text = r.compression !== undefined ? `${r.compression}-compressed ${inner}` : inner
  return `${/^([aeiou]|xz)/.test(text) ? "an" : "a"} ${text}`
}

const decompressionFailed = (name: string) => (e: DecompressionError) =>
  new LocalFileError({ message: `Cannot decompress ${name}: ${e.message}` })

/**
 * Inspects the data of an upload (headers only: by position for a regular file, from the first
 * blocks of a pipe as they stream, with no second read) and refuses, before anything is created,
 * data that is unsafe, contradicts the disk format, or is compressed (unless `--decompress`).
 * Fills in `disk_format` (and `container_format bare`) when they are not given, saying so on
 * stderr, and suggests a `min_disk` from the virtual size. Gives back the data to upload: the same
 * bytes, or the decompressed ones.
 */
export const inspectUpload = <E>(
  data: Option.Option<UploadData<E>>,
  fields: Record<string, unknown>,
  flags: InspectFlags,
  existing?: Images.Image
): Effect.Effect<
  Option.Option<UploadData<E | LocalFileError>>,
  E | CommandError | LocalFileError,
  FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    if (Option.isNone(data) || flags.noInspect) return data
    const source = data.value
    const declared = (existing?.disk_format ?? fields.disk_format) as string | undefined
    const container = (existing?.container_format ?? fields.container_format) as string | undefined
    // Compressed data is looked into unless it is meant to stay compressed (a kernel, a ramdisk, a compressed container).
    const keepsCompression = (container !== undefined && container !== "bare") || declared === "aki" ||
      declared === "ari"
    const { report, stream } = yield* inspectData(source, { decompress: !keepsCompression })
    // No data at all (an idle pipe on standard input): nothing to judge, and nothing filled in.
    if (report.size === 0) return Option.some({ ...source, stream })
    const name = source.name === "stdin" ? "the data on standard input" : source.name
    const verdict = ImageInspector.checkUpload(report, {
      diskFormat: declared,
      containerFormat: container,
      allowUnsafe: flags.allowUnsafeImage
    })
    if (report.compression !== undefined && !keepsCompression && !flags.decompress) {
      return yield* new CommandError({
        message: `Refusing to upload ${name}: it is ${describeData(report)}; give --decompress to upload the disk ` +
          `inside, or --container-format compressed to store it compressed`
      })
    }
    if (Either.isLeft(verdict)) {
      const refusal = verdict.left
      const fix = existing === undefined
        ? `give --disk-format ${report.accepts[0]}`
        : `set it with glance image-update --disk-format ${report.accepts[0]} ${existing.id}`
      const hint = refusal.reason === "unsafe"
        ? "--allow-unsafe-image uploads it anyway"
        : report.accepts.length > 0
        ? `${fix}, or --no-inspect to upload it as it is`
        : "--no-inspect uploads it as it is"
      return yield* new CommandError({ message: `Refusing to upload ${name}: ${lower(refusal.message)} (${hint})` })
    }
    if (!report.safe) {
      yield* note(`warning: uploading an unsafe image (--allow-unsafe-image): ${problemText(report)}`)
    }
    // Only what changes what the cloud gets is said on an upload (image-inspect shows the rest).
    if (report.encryption !== undefined) {
      yield* note(`warning: the disk's contents are encrypted (${report.encryption})`)
    }
    if (existing === undefined && fields.disk_format === undefined) {
      fields.disk_format = verdict.right
      const bare = fields.container_format === undefined
      if (bare) fields.container_format = "bare"
      yield* note(
        `--disk-format ${verdict.right}${bare ? " --container-format bare" : ""} (inspected: ${describeData(report)})`
      )
    }
    if (report.compression !== undefined && report.decompressed && !keepsCompression) {
      yield* note(`decompressing ${report.compression} data while it is uploaded`)
    }
    yield* suggestMinDisk(report, existing?.min_disk ?? (fields.min_disk as number | undefined), existing?.id)
    const decompressing = report.compression !== undefined && report.decompressed && !keepsCompression
    return Option.some({ name: source.name, size: decompressing ? undefined : source.size, stream })
  })

/**
 * The same check for data sent to an existing image (`image-upload`, `image-stage`): its disk and
 * container formats and `min_disk` are the image's.
 */
export const inspectUploadTo = <E>(id: string, data: UploadData<E>, flags: InspectFlags) =>
  Effect.gen(function*() {
    if (flags.noInspect) return data as UploadData<E | LocalFileError>
    const image = yield* Effect.flatMap(Images.Images, (images) => images.get(id))
    const checked = yield* inspectUpload(Option.some(data), {}, flags, image)
    return Option.getOrElse(checked, () => data as UploadData<E | LocalFileError>)
  })

const lower = (message: string) => message.charAt(0).toLowerCase() + message.slice(1)

const problemText = (r: ImageInspector.Report) => r.problems.map((p) => p.message).join("; ")

/** Says, never silently sets, the `min_disk` that keeps the image off flavors with smaller disks. */
const suggestMinDisk = (report: ImageInspector.Report, minDisk: number | undefined, id: string | undefined) => {
  const needed = ImageInspector.minDisk(report)
  // A min_disk of 1 says nothing a flavor with any disk does not meet already.
  if (
    needed === undefined || needed <= 1 || report.virtualSize === undefined ||
    (minDisk !== undefined && minDisk >= needed)
  ) {
    return Effect.void
  }
  const size = sizeText(report.virtualSize)
  return note(
    id === undefined
      ? `the disk's virtual size is ${size}: --min-disk ${needed} would keep it off flavors with smaller disks`
      : `the disk's virtual size is ${size} but image ${id} has min_disk ${
        minDisk ?? 0
      }: glance image-update --min-disk ${needed} ${id} would keep it off flavors with smaller disks`
  )
}

/**
 * The report on the data, and the stream to upload in its place. A regular file is read by
 * position (its stream is left as it is, unless decompressed); anything else is inspected from
 * its first blocks as they stream, kept for the upload, in a scope closed when the upload ends.
 */
const inspectData = <E>(source: UploadData<E>, options: { readonly decompress: boolean }) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const type = source.name === "stdin"
      ? "stdin"
      : yield* fs.stat(source.name).pipe(Effect.map((i) => i.type), Effect.orElseSucceed(() => "Unknown"))
    if (type === "File") {
      const report = yield* ImageInspector.inspectFile(source.name, options).pipe(
        Effect.mapError((e) =>
          e._tag === "DecompressionError"
            ? decompressionFailed(source.name)(e)
            : new LocalFileError({ message: `Cannot read ${source.name}: ${e.message}` })
        )
      )
      const stream = report.compression !== undefined && report.decompressed
        ? Stream.unwrap(Effect.map(Decompression, (d) => d.decompress(report.compression!, source.stream)))
        : source.stream
      return {
        report,
        stream: stream.pipe(
          Stream.mapError((e) => (isDecompressionError(e) ? decompressionFailed(source.name)(e) : e as E)),
          Stream.provideLayer(NodeDecompression.layer)
        )
      }
    }
    // The blocks read stay with the upload: the scope that holds the stream open closes when it ends.
    const scope = yield* Scope.make()
    const peeked = yield* ImageInspector.peek(source.stream, { ...options, size: source.size }).pipe(
      Scope.extend(scope),
      Effect.provide(NodeDecompression.layer),
      Effect.mapError((e) => (isDecompressionError(e) ? decompressionFailed(source.name)(e) : e)),
      Effect.tapErrorCause(() => Scope.close(scope, Exit.void))
    )
    return {
      report: peeked.report,
      stream: peeked.stream.pipe(
        Stream.mapError((e) => (isDecompressionError(e) ? decompressionFailed(source.name)(e) : e as E)),
        Stream.ensuring(Scope.close(scope, Exit.void))
      )
    }
  }).pipe(Effect.provide(NodeDecompression.layer))

const readFailed = (name: string) => (cause: unknown) =>
  new LocalFileError({ message: `Cannot read ${name}: ${(cause as { code?: string }).code ?? String(cause)}` })

const isDecompressionError = (e: unknown): e is DecompressionError =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "DecompressionError"

/** The report as `image-inspect` prints it. */
export const reportRecord = (file: string, r: ImageInspector.Report): Record<string, unknown> => ({
  file,
  format: r.format,
  variant: r.variant ?? null,
  virtual_size: r.virtualSize ?? null,
  size: r.size ?? null,
  compression: r.compression ?? null,
  backing_file: r.backingFile ?? null,
  backing_format: r.backingFormat ?? null,
  data_file: r.dataFile ?? null,
  external_extents: r.externalExtents,
  encrypted: r.encryption === undefined ? "no" : `yes (${r.encryption})`,
  partition_table: r.partitionTable ?? null,
  min_disk: ImageInspector.minDisk(r) ?? null,
  disk_formats: r.accepts,
  safe: r.safe ? "yes" : "no",
  problems: r.problems.map((p) => `${p.check}: ${p.message}`),
  warnings: r.warnings
})

/** The commands of this file. */
export const inspectTable = [
  make({
    name: "image-inspect",
    help:
      "Inspect local image data as the upload commands do: format, virtual size, compression, backing or data file, and whether it is safe to upload.",
    fields: { file: arg("FILE", "Local file (or - for standard input) holding the image data to inspect.") },
    local: true,
    call: (a) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = a.file === "-" ? "/dev/stdin" : a.file
        const info = yield* fs.stat(path).pipe(
          Effect.mapError(() =>
            new UsageError({ message: `File ${a.file} does not exist or user does not have read privileges to it` })
          )
        )
        if (info.type === "Directory") {
          return yield* new UsageError({ message: `${a.file} is a directory, not an image file` })
        }
        const failed = (e: { readonly _tag: string; readonly message: string }) =>
          e._tag === "DecompressionError"
            ? decompressionFailed(a.file)(e as DecompressionError)
            : new LocalFileError({ message: `Cannot read ${a.file}: ${e.message}` })
        // A pipe or a device (standard input, `<(command)`) is read in order, as the upload commands read it.
        return info.type === "File"
          ? yield* ImageInspector.inspectFile(path).pipe(
            Effect.provide(NodeDecompression.layer),
            Effect.mapError(failed)
          )
          : yield* ImageInspector.inspectStream(
            a.file === "-" ? stdinBlocks(readFailed(a.file)) : sequentialFileBlocks(path, readFailed(a.file))
          ).pipe(
            Effect.provide(NodeDecompression.layer),
            Effect.mapError((e) => (e._tag === "LocalFileError" ? e : failed(e)))
          )
      }),
    output: (report, format, a) => printObject(reportRecord(a.file, report), format)
  })
] as const
