/**
 * The `image-*` commands, with python-glanceclient's names, flags and tables.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import { CloudConfig } from "../CloudConfig.js"
import * as Images from "../Images.js"
import { CommandError, describe, inFlagWords, LocalFileError, PartialFailure, UsageError } from "./errors.js"
import * as Flags from "./flags.js"
import { glance } from "./globalOptions.js"
import { existingImage, ifAbsentFlag } from "./ifAbsent.js"
import { type InspectFlags, inspectFlags, inspectUpload, inspectUploadTo } from "./inspect.js"
import { fileFill, type Fill, firstReadFailure, stdinFill, stdinHoldsData } from "./localData.js"
import { type Column, type FormatOptions, printList, printObject } from "./output.js"
import * as Progress from "./progress.js"
import { extraFields } from "./schemaFlags.js"
import { make } from "./table.js"

/** The image fields that `image-create` and `image-update` take as flags. */
export const fieldFlags = {
  name: Flags.text("name", "Descriptive name for the image."),
  visibility: Flags.text(
    "visibility",
    "Scope of image accessibility. Valid values: community, public, private, shared"
  ),
  protected: Flags.bool("protected", "If true, image will not be deletable."),
  hidden: Flags.bool("hidden", "If true, image will not appear in default image list response."),
  containerFormat: Flags.text(
    "container-format",
    "Format of the container. Valid values: None, ami, ari, aki, bare, ovf, ova, docker, compressed"
  ),
  diskFormat: Flags.text(
    "disk-format",
    "Format of the disk. Valid values: None, ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop"
  ),
  minDisk: Flags.integer("min-disk", "Amount of disk space (in GB) required to boot image."),
  minRam: Flags.integer("min-ram", "Amount of ram (in MB) required to boot image."),
  owner: Flags.text("owner", "Owner of the image."),
  kernelId: Flags.text("kernel-id", "ID of image stored in Glance that should be used as the kernel."),
  ramdiskId: Flags.text("ramdisk-id", "ID of image stored in Glance that should be used as the ramdisk."),
  instanceUuid: Flags.text(
    "instance-uuid",
    "Metadata which can be used to record which instance this image is associated with."
  ),
  architecture: Flags.text(
    "architecture",
    "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html"
  ),
  osDistro: Flags.text("os-distro", "Common name of operating system distribution."),
  osVersion: Flags.text("os-version", "Operating system version as specified by the distributor."),
  description: Flags.text("description", "A human-readable string describing this image."),
  property: Flags.repeated(
    Flags.text("property", "Arbitrary property to associate with image. May be used multiple times.", "<key=value>")
  )
}

/** `--tags`, repeated or several after one (argparse's nargs='+'), each also split on commas. */
export const tagsFlag = (metavar?: string) =>
  Flags.withNargs(Flags.repeated(Flags.text(
    "tags",
    "List of strings related to the image (repeat, or give several after one --tags).",
    metavar
  )))

/** `key=value` split at its first `=`; the usage error names the flag. */
export const keyValue = (flag: string) => (datum: string): Effect.Effect<readonly [string, string], UsageError> => {
  const at = datum.indexOf("=")
  return at <= 0
    ? Effect.fail(new UsageError({ message: `${flag} expects <key=value>, not "${datum}"` }))
    : Effect.succeed([datum.slice(0, at), datum.slice(at + 1)] as const)
}

/** The image's fields from the field flags (and `--tags`), without those not given. */
export const fieldsOf = (f: Flags.Values<typeof fieldFlags>, tags?: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fields: Record<string, unknown> = {
      name: f.name,
      visibility: f.visibility,
      protected: Flags.toBool(f.protected),
      os_hidden: Flags.toBool(f.hidden),
      container_format: f.containerFormat,
      disk_format: f.diskFormat,
      min_disk: f.minDisk,
      min_ram: f.minRam,
      owner: f.owner,
      kernel_id: f.kernelId,
      ramdisk_id: f.ramdiskId,
      instance_uuid: f.instanceUuid,
      architecture: f.architecture,
      os_distro: f.osDistro,
      os_version: f.osVersion,
      description: f.description,
      tags: tags !== undefined && tags.length > 0 ? tags.flatMap((t) => t.split(",")) : undefined
    }
    for (const datum of f.property) {
      const [key, value] = yield* keyValue("--property")(datum)
      fields[key] = value
    }
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))
  })

const hidden = ["self", "access", "file", "schema"]

/** The image as python-glanceclient's `print_image` shows it. */
export const imageRecord = (image: Images.Image, humanReadable = false): Record<string, unknown> => {
  const record: Record<string, unknown> = Object.fromEntries(Object.entries(image).filter(([k]) => !hidden.includes(k)))
  if ("virtual_size" in record) record.virtual_size = record.virtual_size || "Not available"
  if (humanReadable) record.size = humanSize(typeof image.size === "number" ? image.size : 0)
  return record
}

/** python-glanceclient's `make_size_human_readable`. */
export const humanSize = (size: number): string => {
  const suffix = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"]
  let i = 0
  let v = size
  while (v >= 1024) {
    i++
    v /= 1024
  }
  return `${v.toFixed(1).replace(/0+$/, "").replace(/\.$/, "")}${suffix[i]}`
}

export const printImage = (image: Images.Image, format: FormatOptions, humanReadable = false, maxWidth = 80) =>
  printObject(imageRecord(image, humanReadable), format, maxWidth)

/** Whether standard input carries data (a pipe or a redirected file, not a terminal or /dev/null). */
export const stdinHasData = (): boolean => {
  try {
    const stat = Fs.fstatSync(0)
    return stat.isFIFO() || stat.isFile() || stat.isSocket()
  } catch {
    return false
  }
}

const readError = (name: string) => (e: unknown) =>
  new UsageError({ message: `Cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })

/** The `Fill` behind a source's stream, while the stream is the one `streamOf` made (nothing changed the data). */
const fills = new WeakMap<object, Effect.Effect<Fill<UsageError>, UsageError, Scope.Scope>>()

/** A source's blocks as a stream of new blocks, read with its `Fill` (which `upload` uses instead when it can). */
const streamOf = (
  fill: Effect.Effect<Fill<UsageError>, UsageError, Scope.Scope>
): Stream.Stream<Uint8Array, UsageError> => {
  const stream = Stream.unwrapScoped(Effect.map(fill, (f) => Images.filledBlocks(f)))
  fills.set(stream, fill)
  return stream
}

/** The data source of an upload: `--file`, or standard input when it is piped. */
export const dataSource = (file: string | undefined, size: number | undefined) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    if (file !== undefined) {
      // python-glanceclient silently prefers --file; two sources of data is a mistake worth a word.
      if (yield* stdinHoldsData) {
        return yield* new UsageError({ message: "Both --file and data on standard input were given: use one" })
      }
      const info = yield* fs.stat(file).pipe(
        Effect.mapError(() =>
          new UsageError({ message: `File ${file} does not exist or user does not have read privileges to it` })
        )
      )
      if (info.type === "Directory") {
        return yield* new UsageError({ message: `${file} is a directory, not an image file` })
      }
      yield* fs.access(file, { readable: true }).pipe(
        Effect.mapError(() =>
          new UsageError({ message: `File ${file} does not exist or user does not have read privileges to it` })
        )
      )
      const unreadable = info.type === "File" ? firstReadFailure(file) : undefined
      if (unreadable) return yield* new UsageError({ message: `Cannot read ${file}: ${unreadable}` })
      if (info.type === "File") {
        const length = yield* sizeAgreeing(Number(info.size), size)
        return Option.some({ name: file, size: length, stream: streamOf(fileFill(file, readError(file))) })
      }
      return Option.some({ name: file, size, stream: streamOf(exactly(size, file, fileFill(file, readError(file)))) })
    }
    if (!stdinHasData()) return Option.none()
    const stat = Fs.fstatSync(0)
    if (stat.isFile()) {
      const length = yield* sizeAgreeing(stat.size, size)
      return Option.some({ name: "stdin", size: length, stream: streamOf(stdinFill(readError("standard input"))) })
    }
    const stream = streamOf(exactly(size, "standard input", stdinFill(readError("standard input"))))
    return Option.some({ name: "stdin", size, stream })
  })

/**
 * The data of a pipe, held to `--size` when one is given: it is sent as the Content-Length, so
 * more data would be cut off there (an image short of its data) and less would leave the upload
 * hanging. Either fails the upload instead, which is then aborted.
 */
const exactly = <R>(
  size: number | undefined,
  name: string,
  fill: Effect.Effect<Fill<UsageError>, UsageError, R>
): Effect.Effect<Fill<UsageError>, UsageError, R> =>
  size === undefined ? fill : Effect.map(fill, (f) => {
    let total = 0
    return (block) =>
      Effect.flatMap(f(block), (n) => {
        total += n
        if (total > size) {
          return Effect.fail(new UsageError({ message: `${name} holds more than the ${size} bytes --size gives` }))
        }
        if (n === 0 && total < size) {
          return Effect.fail(
            new UsageError({ message: `${name} ended after ${total} bytes, short of the ${size} --size gives` })
          )
        }
        return Effect.succeed(n)
      })
  })

/**
 * The size of data whose size is known (a file), refused when `--size` says otherwise, before
 * any request (python-glanceclient 4.10's words and exit status; it checks only `--file`).
 */
const sizeAgreeing = (actual: number, given: number | undefined): Effect.Effect<number, CommandError> =>
  given === undefined || given === actual
    ? Effect.succeed(actual)
    : Effect.fail(
      new CommandError({
        message: `Size mismatch: provided size ${given} does not match the size of the image ${actual}`
      })
    )

/** `--size` of the commands that upload or stage data (python-glanceclient 4.10). */
export const sizeFlag = Flags.integer(
  "size",
  "Size in bytes of image to be uploaded. Default is to get size from provided data object but this is supported in case where size cannot be inferred.",
  "<IMAGE_SIZE>"
)

/** `--file`, the data of an upload (or piped standard input). */
export const fileFlag = Flags.text(
  "file",
  "Local file that contains disk image to be uploaded during creation. Alternatively, the image data can be passed to the client via stdin."
)

/** `--progress`. */
export const progressFlag = (what = "upload") => Flags.flag("progress", `Show ${what} progress bar.`)

/** `--store`, falling back to `OS_IMAGE_STORE`. */
export const storeFlag = Flags.withEnv(
  Flags.text("store", "Backend store to upload image to. Defaults to env[OS_IMAGE_STORE]."),
  "OS_IMAGE_STORE"
)

/** `--allow-md5-fallback`, also set by `OS_IMAGE_ALLOW_MD5_FALLBACK` given any value. */
export const allowMd5FallbackFlag = Flags.withEnv(
  Flags.flag(
    "allow-md5-fallback",
    "Verify with the legacy MD5 checksum when os_hash_algo is not available here. Defaults to env[OS_IMAGE_ALLOW_MD5_FALLBACK]."
  ),
  "OS_IMAGE_ALLOW_MD5_FALLBACK"
)

/** The image's ID, the positional of most image commands. */
export const imageIdArg = (help: string) => Flags.arg("IMAGE_ID", help)

/** Refuses a negative `--size`. */
export const checkSize = (size: number | undefined): Effect.Effect<void, UsageError> =>
  size !== undefined && size < 0
    ? Effect.fail(new UsageError({ message: `--size must be zero or more, not ${size}` }))
    : Effect.void

/**
 * Refuses `size` among the fields of a new image (`--property size=…`), before any request, in
 * python-glanceclient 4.10's words: Glance sets it from the data.
 */
export const refuseSizeField = (fields: Record<string, unknown>): Effect.Effect<void, CommandError> =>
  "size" in fields
    ? Effect.fail(
      new CommandError({
        message: "Setting 'size' during image creation is not supported. Please use --size only when uploading data."
      })
    )
    : Effect.void

export const withProgress = <E>(stream: Stream.Stream<Uint8Array, E>, progress: Progress.Progress) =>
  Stream.mapChunks(stream, (chunk) => {
    progress.add(Chunk.reduce(chunk, 0, (n, b) => n + b.byteLength))
    return chunk
  })

const upload = (
  id: string,
  source: {
    readonly size: number | undefined
    readonly stream: Stream.Stream<Uint8Array, UsageError | LocalFileError>
  },
  options: { readonly progress: boolean; readonly store: string | undefined }
) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const progress = Progress.make(options.progress, "Uploading", source.size)
    const fill = fills.get(source.stream)
    const uploadOptions = { size: source.size, store: options.store }
    yield* fill === undefined
      // The data was changed on the way (looked into, decompressed): new blocks, only read.
      ? images.upload(id, withProgress(source.stream, progress), uploadOptions)
      // The source as it was read: blocks lent by the library, refilled once each is sent.
      : Effect.scoped(Effect.flatMap(fill, (f) =>
        images.uploadEach(id, (block) =>
          Effect.tap(f(block), (n) => progress.add(n)), uploadOptions)))
    progress.done()
  })

const listColumns = (verbose: boolean, includeStores: boolean): Array<Column<Images.Image>> => [
  { header: "ID", get: (i) => i.id },
  { header: "Name", get: (i) => i.name },
  ...(verbose
    ? [
      { header: "Disk_format", get: (i: Images.Image) => i.disk_format },
      { header: "Container_format", get: (i: Images.Image) => i.container_format },
      { header: "Size", get: (i: Images.Image) => i.size },
      { header: "Status", get: (i: Images.Image) => i.status },
      { header: "Owner", get: (i: Images.Image) => i.owner }
    ]
    : []),
  ...(includeStores ? [{ header: "Stores", get: (i: Images.Image) => i.stores }] : [])
]

const sortKeys = ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"]

/**
 * What `image-create` and `image-create-via-import` start from: the new image's fields (its flags,
 * the schema's flags, `--id`) and its data (`--file` or standard input) inspected, with the format
 * flags data needs that are missing.
 */
export const newImage = (
  command: "image-create" | "image-create-via-import",
  a: Flags.Values<typeof fieldFlags> & InspectFlags & {
    readonly tags: ReadonlyArray<string>
    readonly id: string | undefined
    readonly file: string | undefined
    readonly size: number | undefined
  }
) =>
  Effect.gen(function*() {
    const fields = yield* fieldsOf(a, a.tags)
    Object.assign(fields, yield* extraFields(command, yield* CloudConfig, (yield* glance).getSchema))
    if (a.id !== undefined) fields.id = a.id
    yield* refuseSizeField(fields)
    yield* checkSize(a.size)
    const source = yield* inspectUpload(yield* dataSource(a.file, a.size), fields, a)
    // python-glanceclient names only the missing flags.
    const missingFormats = [
      ...(fields.disk_format === undefined ? ["--disk-format"] : []),
      ...(fields.container_format === undefined ? ["--container-format"] : [])
    ]
    return { fields, source, missingFormats }
  })

/** Creates the image and uploads its data, if any; an image whose upload failed is deleted again. */
const createImage = (a: Flags.Values<typeof createFlags>) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const { fields, missingFormats, source } = yield* newImage("image-create", a)
    if (a.store !== undefined && Option.isNone(source)) {
      return yield* new UsageError({ message: "--store option should only be provided with --file option or stdin." })
    }
    if (Option.isSome(source) && missingFormats.length > 0) {
      return yield* new UsageError({
        message: `Must provide ${missingFormats.join(", ")} when using ${
          source.value.name === "stdin" ? "stdin" : "--file"
        }.`
      })
    }
    const existing = yield* existingImage(a.ifAbsent, a.file)
    if (Option.isSome(existing)) return existing.value
    const created = yield* images.create(fields)
    if (Option.isNone(source)) return created
    yield* upload(created.id, source.value, { progress: a.progress, store: a.store }).pipe(
      Effect.tapError(() =>
        images.delete(created.id).pipe(
          Effect.zipRight(Console.error(`glance: the upload failed, so image ${created.id} was deleted`)),
          Effect.catchAll(() =>
            Console.error(`glance: the upload failed and image ${created.id} could not be deleted: it is left queued`)
          )
        )
      )
    )
    return yield* images.get(created.id)
  })

const createFlags = {
  ...fieldFlags,
  id: Flags.text("id", "An identifier for the image (a UUID)."),
  tags: tagsFlag("<TAGS> [<TAGS> ...]"),
  file: fileFlag,
  progress: progressFlag(),
  store: storeFlag,
  ...inspectFlags,
  size: sizeFlag,
  ifAbsent: ifAbsentFlag
}

/** The data of `image-upload` / `image-stage`: `--file` or piped standard input, required. */
export const requiredDataSource = (file: string | undefined, size: number | undefined, verb: string) =>
  Effect.gen(function*() {
    yield* checkSize(size)
    const source = yield* dataSource(file, size)
    if (Option.isNone(source)) {
      return yield* new UsageError({ message: `No data to ${verb}: give --file or pipe the data to standard input` })
    }
    return source.value
  })

/** A broken upload: says in which status it left the image (Glance takes a moment to leave `saving`). */
const uploadBroke = (id: string, reason: string) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    let status = "unknown"
    for (let look = 0; look < 10; look++) {
      status = yield* images.get(id).pipe(Effect.map((i) => i.status), Effect.orElseSucceed(() => "unknown"))
      if (status !== "saving") break
      yield* Effect.sleep("500 millis")
    }
    const next = status === "queued"
      ? ": upload its data again"
      : status === "saving"
      ? ": Glance sets it back to queued when it notices the broken upload"
      : ""
    return yield* new CommandError({
      message: `Uploading the data of image ${id} failed: ${reason}. The image is in status ${status}${next}`
    })
  })

/** As python-glanceclient: an HTTP failure of `image-download` names the image. */
const namingTheImage = (id: string) => <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    effect,
    (e) =>
      typeof (e as { status?: unknown }).status === "number" && e._tag !== "Unauthorized" &&
      e._tag !== "AuthenticationError",
    (e) => new CommandError({ message: `Unable to download image '${id}'. (${describe(e).line})` })
  )

const systemReason: Record<string, string> = {
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  AlreadyExists: "it already exists",
  BadResource: "it is not a regular file"
}

/**
 * Writes a block of a download to standard output and waits until it is written: the block is
 * lent (`Images.Service.downloadEach`) and refilled once this effect ends, so a whole image goes
 * through a few blocks (1 GiB redirected to a file: 2.2 s and 150-210 MiB with a new block per
 * mebibyte, 1.6 s and 75 MiB reusing them).
 */
const writeStdout = (block: Uint8Array) =>
  Effect.async<void>((resume) => {
    process.stdout.write(block, () => resume(Effect.void))
  })

/** python-glanceclient's line for an image that could not be deleted. */
const deleteFailure = (id: string, error: { readonly _tag: string }): string => {
  switch (error._tag) {
    case "Forbidden":
      return `You are not permitted to delete the image '${id}'.`
    case "NotFound":
    case "InvalidInput":
      return `No image with an ID of '${id}' exists.`
    case "Conflict":
      return `Unable to delete image '${id}' because it is in use.`
    default:
      return `'${describe(error).line}': Unable to delete image '${id}'`
  }
}

const hashAlgorithms = ["sha512", "sha256", "sha1", "md5"]

/** The `--validation-data` of `add-location`, checked as python-glanceclient checks it. */
export const validationData = (text: string) =>
  Effect.gen(function*() {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      return yield* new CommandError({ message: "validation-data is not a valid JSON object." })
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return yield* new CommandError({ message: "validation-data is not a valid JSON object." })
    }
    const record = data as Record<string, unknown>
    const unknown = Object.keys(record).filter((k) => k !== "os_hash_algo" && k !== "os_hash_value")
    if (unknown.length > 0) {
      return yield* new CommandError({
        message: `Validation Data should contain only os_hash_algo and os_hash_value. \`${
          unknown.join(", ")
        }\` is not allowed`
      })
    }
    if (Object.keys(record).length === 0) return undefined
    const { os_hash_algo: algo, os_hash_value: value } = record
    if (typeof algo !== "string" || !hashAlgorithms.includes(algo)) {
      return yield* new CommandError({
        message: `os_hash_algo: \`${String(algo)}\` is incorrect, allowed hashing algorithms: ${
          hashAlgorithms.join(", ")
        }`
      })
    }
    if (typeof value !== "string" || value.length === 0) {
      return yield* new CommandError({ message: "Validation Data should contain os_hash_value with os_hash_algo" })
    }
    return { os_hash_algo: algo, os_hash_value: value }
  })

/** The `image-*` commands of python-glanceclient's v2 shell that create, read, change and delete images, and `add-location`. */
export const imageTable = [
  make({
    name: "image-list",
    help: "List images you can access.",
    fields: {
      limit: Flags.integer("limit", "Maximum number of images to get."),
      pageSize: Flags.integer("page-size", "Number of images to request in each paginated request.", "<SIZE>"),
      visibility: Flags.text("visibility", "The visibility of the images to display."),
      memberStatus: Flags.text("member-status", "The status of images to display."),
      owner: Flags.text("owner", "Display images owned by <OWNER>."),
      propertyFilter: Flags.repeated(
        Flags.text("property-filter", "Filter images by a user-defined image property.", "<KEY=VALUE>")
      ),
      checksum: Flags.text("checksum", "Displays images that match the MD5 checksum."),
      hash: Flags.text("hash", "Displays images that match the specified hash value.", "<HASH_VALUE>"),
      tag: Flags.repeated(Flags.text("tag", "Filter images by a user-defined tag.")),
      sortKey: Flags.repeated(
        Flags.choice("sort-key", sortKeys, "Sort image list by specified fields. May be used multiple times.")
      ),
      sortDir: Flags.repeated(Flags.choice("sort-dir", ["asc", "desc"], "Sort image list in specified directions.")),
      sort: Flags.text(
        "sort",
        "Comma-separated list of sort keys and directions in the form of <key>[:<asc|desc>].",
        "<key>[:<direction>]"
      ),
      hidden: Flags.withOptionalValue(Flags.bool("hidden", "Filters results by hidden status."), "True"),
      includeStores: Flags.withOptionalValue(Flags.bool("include-stores", "Print backend store id."), "True"),
      verbose: Flags.flag("verbose", "Show more columns.")
    },
    call: (a) =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        if (a.limit !== undefined && a.limit < 0) {
          return yield* new UsageError({ message: `--limit must be zero or more, not ${a.limit}` })
        }
        if (a.pageSize !== undefined && (a.pageSize < 1 || a.pageSize > 1000)) {
          return yield* new UsageError({ message: `--page-size must be between 1 and 1000, not ${a.pageSize}` })
        }
        const filters: Record<string, string | ReadonlyArray<string>> = {}
        const put = (key: string, value: string | undefined) => value !== undefined && (filters[key] = value)
        put("visibility", a.visibility)
        put("member_status", a.memberStatus)
        put("owner", a.owner)
        put("checksum", a.checksum)
        put("os_hash_value", a.hash)
        put("os_hidden", a.hidden === undefined ? undefined : String(Flags.toBool(a.hidden)))
        if (a.tag.length > 0) filters.tag = a.tag
        for (const datum of a.propertyFilter) {
          const [key, value] = yield* keyValue("--property-filter")(datum).pipe(
            // python-glanceclient's words (it exits 1; a usage mistake exits 2 here).
            Effect.mapError(() =>
              new UsageError({ message: "Argument --property-filter expected properties in the format KEY=VALUE" })
            )
          )
          put(key, value)
        }
        const defaultSort = a.sort === undefined && a.sortKey.length === 0 && a.sortDir.length === 0
        // Printed as the pages arrive (a table once the last one is in), never all held.
        return images.list({
          filters,
          sort: a.sort,
          sortKey: defaultSort ? ["name"] : a.sortKey,
          sortDir: defaultSort ? ["asc"] : a.sortDir,
          pageSize: a.pageSize,
          limit: a.limit
        })
      }),
    // python-glanceclient's `--verbose` is the global one (`glance --verbose image-list`); take both spellings.
    output: (rows, format, a) =>
      Effect.flatMap(
        glance,
        (g) => printList(rows, listColumns(a.verbose || g.verbose, Flags.toBool(a.includeStores) ?? false), format)
      )
  }),
  make({
    name: "image-show",
    help: "Describe a specific image.",
    fields: {
      id: imageIdArg("ID of image to describe."),
      humanReadable: Flags.flag("human-readable", "Print image size in a human-friendly format."),
      maxColumnWidth: Flags.withDefault(
        Flags.integer("max-column-width", "The max column width of the printed table.", "<integer>"),
        80
      )
    },
    call: (a) => Effect.flatMap(Images.Images, (images) => images.get(a.id)),
    output: (image, format, a) => printImage(image, format, a.humanReadable, a.maxColumnWidth)
  }),
  make({
    name: "image-create",
    help: "Create a new image.",
    fields: createFlags,
    call: createImage,
    output: (image, format) => printImage(image, format)
  }),
  make({
    name: "image-update",
    help: "Update an existing image.",
    fields: {
      id: imageIdArg("ID of image to update."),
      ...fieldFlags,
      removeProperty: Flags.repeated(
        Flags.text("remove-property", "Name of arbitrary property to remove from the image.", "key")
      )
    },
    call: (a) =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const extra = yield* extraFields("image-update", yield* CloudConfig, (yield* glance).getSchema)
        const set = { ...(yield* fieldsOf(a)), ...extra }
        // As python-glanceclient: remove only properties the image has and that are not being set.
        const remove = a.removeProperty.length === 0 ? [] : yield* Effect.map(
          images.get(a.id),
          (current) => [...new Set(a.removeProperty)].filter((key) => key in current && !(key in set))
        )
        return yield* images.update(a.id, { set, remove })
      }),
    output: (image, format) => printImage(image, format)
  }),
  make({
    name: "image-upload",
    help: "Upload data for a specific image.",
    fields: {
      id: imageIdArg("ID of image to upload data to."),
      file: fileFlag,
      progress: progressFlag(),
      store: storeFlag,
      ...inspectFlags,
      size: sizeFlag
    },
    call: (a) =>
      Effect.gen(function*() {
        const source = yield* inspectUploadTo(a.id, yield* requiredDataSource(a.file, a.size, "upload"), a)
        yield* upload(a.id, source, { progress: a.progress, store: a.store }).pipe(
          Effect.catchTag("TransportError", (e) => uploadBroke(a.id, inFlagWords(e.message)))
        )
      })
  }),
  make({
    name: "image-download",
    help: "Download a specific image.",
    fields: {
      id: imageIdArg("ID of image to download."),
      file: Flags.text(
        "file",
        "Local file to save downloaded image data to. If this is not specified and there is no redirection the image data will not be saved."
      ),
      progress: progressFlag("download"),
      allowMd5Fallback: allowMd5FallbackFlag
    },
    call: (a) =>
      Effect.gen(function*() {
        if (a.file === undefined && process.stdout.isTTY) {
          return yield* new UsageError({
            message: "No redirection or local file specified for downloaded image data. " +
              "Please specify a local file with --file to save downloaded image or redirect output to another source."
          })
        }
        const images = yield* Images.Images
        const size = a.progress ? (yield* images.get(a.id)).size ?? undefined : undefined
        const progress = Progress.make(a.progress, "Downloading", size)
        const options = { allowMd5Fallback: a.allowMd5Fallback }
        const file = a.file
        if (file !== undefined) {
          yield* Images.downloadToFile(a.id, file, { ...options, onProgress: progress.add }).pipe(
            // Name the file asked for, not the temporary file beside it.
            Effect.catchTag("SystemError", (e) =>
              Effect.fail(
                new LocalFileError({
                  message: `Cannot write ${file}: ${systemReason[e.reason] ?? e.description?.split(",")[0] ?? e.reason}`
                })
              )),
            namingTheImage(a.id)
          )
        } else {
          yield* images.downloadEach(a.id, (block) => {
            progress.add(block.byteLength)
            return writeStdout(block)
          }, options).pipe(namingTheImage(a.id))
        }
        progress.done()
      })
  }),
  make({
    name: "image-delete",
    help: "Delete specified image.",
    fields: { ids: Flags.args("IMAGE_ID", "ID of image(s) to delete.") },
    call: (a) =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        let failed = 0
        for (const id of a.ids) {
          const result = yield* Effect.either(images.delete(id))
          if (result._tag === "Left") {
            failed++
            yield* Console.error(deleteFailure(id, result.left))
          }
        }
        // python-glanceclient exits 1 after the per-image lines, with no summary line.
        if (failed > 0) return yield* new PartialFailure({ message: "" })
      })
  }),
  make({
    name: "add-location",
    help: "Add location to an image which is in `queued` state only.",
    fields: {
      url: Flags.required(Flags.text("url", "URL of location to add.", "<URL>")),
      validationData: Flags.withDefault(
        Flags.text(
          "validation-data",
          "Validation data containing os_hash_algo and os_hash_value only associated to the image. Must be a valid JSON object (default: {})",
          "<STRING>"
        ),
        "{}"
      ),
      id: imageIdArg("ID of image whose location is to be added.")
    },
    call: (a) =>
      Effect.gen(function*() {
        const data = yield* validationData(a.validationData)
        yield* Images.addImageLocation(a.id, a.url, { validationData: data })
        return yield* Effect.flatMap(Images.Images, (images) => images.get(a.id))
      }),
    output: (image, format) => printImage(image, format)
  })
] as const
