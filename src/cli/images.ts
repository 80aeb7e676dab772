/**
 * The `image-*` commands, with python-glanceclient's names, flags and tables.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import { CloudConfig } from "../CloudConfig.js"
import * as Images from "../Images.js"
import { CommandError, describe, inFlagWords, LocalFileError, PartialFailure, UsageError } from "./errors.js"
import { glance, withClient } from "./globalOptions.js"
import { existingImage, ifAbsentOption } from "./ifAbsent.js"
import { inspectOptions, inspectUpload, inspectUploadTo } from "./inspect.js"
import { fileFill, type Fill, firstReadFailure, stdinFill, stdinHoldsData } from "./localData.js"
import { type Column, type FormatOptions, formatOptions, opt, printList, printObject } from "./output.js"
import * as Progress from "./progress.js"
import { extraFields } from "./schemaFlags.js"

export const parseBool = (flag: string) => (value: string): Effect.Effect<boolean, UsageError> => {
  const v = value.toLowerCase()
  if (["1", "t", "true", "on", "y", "yes"].includes(v)) return Effect.succeed(true)
  if (["0", "f", "false", "off", "n", "no"].includes(v)) return Effect.succeed(false)
  return Effect.fail(new UsageError({ message: `${flag} expects True or False, not "${value}"` }))
}

/** The flag, else the environment variable (flag > environment > clouds.yaml, as the OpenStack clients). */
const fallback = (env: string | undefined) => (o: Options.Options<string>) =>
  env === undefined ? o : Options.withFallbackConfig(o, Config.string(env))

/** A switch also set by an environment variable given any value (python-glanceclient's `env(...)` defaults). */
export const switchOrEnv = (name: string, description: string, env: string) =>
  Options.boolean(name).pipe(
    Options.withDescription(description),
    Options.mapEffect((on) =>
      on
        ? Effect.succeed(true)
        : Effect.map(Effect.orElseSucceed(Config.option(Config.string(env)), Option.none), Option.isSome)
    )
  )

export const optionalText = (name: string, description: string, env?: string) =>
  Options.text(name).pipe(Options.withDescription(description), fallback(env), Options.optional)
export const optionalInt = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.optional)
export const optionalBool = (name: string, description: string, env?: string) =>
  Options.text(name).pipe(
    Options.withPseudoName("[True|False]"),
    Options.withDescription(description),
    fallback(env),
    Options.optional
  )

const imageId = (description: string) => Args.text({ name: "IMAGE_ID" }).pipe(Args.withDescription(description))

/** The image fields that `image-create` and `image-update` take as flags. */
export const fieldOptions = {
  name: optionalText("name", "Descriptive name for the image."),
  visibility: optionalText(
    "visibility",
    "Scope of image accessibility. Valid values: community, public, private, shared"
  ),
  protected: optionalBool("protected", "If true, image will not be deletable."),
  hidden: optionalBool("hidden", "If true, image will not appear in default image list response."),
  containerFormat: optionalText(
    "container-format",
    "Format of the container. Valid values: None, ami, ari, aki, bare, ovf, ova, docker, compressed"
  ),
  diskFormat: optionalText(
    "disk-format",
    "Format of the disk. Valid values: None, ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop"
  ),
  minDisk: optionalInt("min-disk", "Amount of disk space (in GB) required to boot image."),
  minRam: optionalInt("min-ram", "Amount of ram (in MB) required to boot image."),
  owner: optionalText("owner", "Owner of the image."),
  kernelId: optionalText("kernel-id", "ID of image stored in Glance that should be used as the kernel."),
  ramdiskId: optionalText("ramdisk-id", "ID of image stored in Glance that should be used as the ramdisk."),
  instanceUuid: optionalText(
    "instance-uuid",
    "Metadata which can be used to record which instance this image is associated with."
  ),
  architecture: optionalText(
    "architecture",
    "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html"
  ),
  osDistro: optionalText("os-distro", "Common name of operating system distribution."),
  osVersion: optionalText("os-version", "Operating system version as specified by the distributor."),
  description: optionalText("description", "A human-readable string describing this image."),
  property: Options.text("property").pipe(
    Options.withPseudoName("<key=value>"),
    Options.withDescription("Arbitrary property to associate with image. May be used multiple times."),
    Options.repeated
  )
}

type FieldOptions = Command.Command.ParseConfig<typeof fieldOptions>

export const keyValue = (flag: string) => (datum: string): Effect.Effect<readonly [string, string], UsageError> => {
  const at = datum.indexOf("=")
  return at <= 0
    ? Effect.fail(new UsageError({ message: `${flag} expects <key=value>, not "${datum}"` }))
    : Effect.succeed([datum.slice(0, at), datum.slice(at + 1)] as const)
}

export const fieldsOf = (f: FieldOptions, tags: ReadonlyArray<string> | undefined) =>
  Effect.gen(function*() {
    const bool = (flag: string, value: Option.Option<string>) =>
      Option.match(value, { onNone: () => Effect.succeed(undefined), onSome: parseBool(flag) })
    const fields: Record<string, unknown> = {
      name: opt(f.name),
      visibility: opt(f.visibility),
      protected: yield* bool("--protected", f.protected),
      os_hidden: yield* bool("--hidden", f.hidden),
      container_format: opt(f.containerFormat),
      disk_format: opt(f.diskFormat),
      min_disk: opt(f.minDisk),
      min_ram: opt(f.minRam),
      owner: opt(f.owner),
      kernel_id: opt(f.kernelId),
      ramdisk_id: opt(f.ramdiskId),
      instance_uuid: opt(f.instanceUuid),
      architecture: opt(f.architecture),
      os_distro: opt(f.osDistro),
      os_version: opt(f.osVersion),
      description: opt(f.description),
      tags
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
export const sizeOption = optionalInt(
  "size",
  "Size in bytes of image to be uploaded. Default is to get size from provided data object but this is supported in case where size cannot be inferred."
).pipe(Options.withPseudoName("<IMAGE_SIZE>"))

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

/** `image-list`. */
export const imageList = Command.make("image-list", {
  limit: optionalInt("limit", "Maximum number of images to get."),
  pageSize: Options.integer("page-size").pipe(
    Options.withPseudoName("<SIZE>"),
    Options.withDescription("Number of images to request in each paginated request."),
    Options.optional
  ),
  visibility: optionalText("visibility", "The visibility of the images to display."),
  memberStatus: optionalText("member-status", "The status of images to display."),
  owner: optionalText("owner", "Display images owned by <OWNER>."),
  propertyFilter: Options.text("property-filter").pipe(
    Options.withPseudoName("<KEY=VALUE>"),
    Options.withDescription("Filter images by a user-defined image property."),
    Options.repeated
  ),
  checksum: optionalText("checksum", "Displays images that match the MD5 checksum."),
  hash: Options.text("hash").pipe(
    Options.withPseudoName("<HASH_VALUE>"),
    Options.withDescription("Displays images that match the specified hash value."),
    Options.optional
  ),
  tag: Options.text("tag").pipe(Options.withDescription("Filter images by a user-defined tag."), Options.repeated),
  sortKey: Options.choice("sort-key", sortKeys).pipe(
    Options.withDescription("Sort image list by specified fields. May be used multiple times."),
    Options.repeated
  ),
  sortDir: Options.choice("sort-dir", ["asc", "desc"]).pipe(
    Options.withDescription("Sort image list in specified directions."),
    Options.repeated
  ),
  sort: Options.text("sort").pipe(
    Options.withPseudoName("<key>[:<direction>]"),
    Options.withDescription("Comma-separated list of sort keys and directions in the form of <key>[:<asc|desc>]."),
    Options.optional
  ),
  hidden: optionalBool("hidden", "Filters results by hidden status."),
  includeStores: Options.boolean("include-stores").pipe(Options.withDescription("Print backend store id.")),
  verbose: Options.boolean("verbose").pipe(Options.withDescription("Show more columns.")),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const images = yield* Images.Images
    if (a.limit._tag === "Some" && a.limit.value < 0) {
      return yield* new UsageError({ message: `--limit must be zero or more, not ${a.limit.value}` })
    }
    if (a.pageSize._tag === "Some" && (a.pageSize.value < 1 || a.pageSize.value > 1000)) {
      return yield* new UsageError({ message: `--page-size must be between 1 and 1000, not ${a.pageSize.value}` })
    }
    const filters: Record<string, string | ReadonlyArray<string>> = {}
    const put = (key: string, value: string | undefined) => value !== undefined && (filters[key] = value)
    put("visibility", opt(a.visibility))
    put("member_status", opt(a.memberStatus))
    put("owner", opt(a.owner))
    put("checksum", opt(a.checksum))
    put("os_hash_value", opt(a.hash))
    if (a.hidden._tag === "Some") put("os_hidden", String(yield* parseBool("--hidden")(a.hidden.value)))
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
    const sort = opt(a.sort)
    const defaultSort = sort === undefined && a.sortKey.length === 0 && a.sortDir.length === 0
    const rows = images.list({
      filters,
      sort,
      sortKey: defaultSort ? ["name"] : a.sortKey,
      sortDir: defaultSort ? ["asc"] : (a.sortDir as ReadonlyArray<"asc" | "desc">),
      pageSize: opt(a.pageSize),
      limit: opt(a.limit)
    })
    // python-glanceclient's `--verbose` is the global one (`glance --verbose image-list`); take both spellings.
    const verbose = a.verbose || (yield* glance).verbose
    // Printed as the pages arrive (a table once the last one is in), never all held.
    yield* printList(rows, listColumns(verbose, a.includeStores), a)
  }))).pipe(Command.withDescription("List images you can access."))

/** `image-show`. */
export const imageShow = Command.make("image-show", {
  id: imageId("ID of image to describe."),
  humanReadable: Options.boolean("human-readable").pipe(
    Options.withDescription("Print image size in a human-friendly format.")
  ),
  maxColumnWidth: Options.integer("max-column-width").pipe(
    Options.withPseudoName("<integer>"),
    Options.withDescription("The max column width of the printed table."),
    Options.withDefault(80)
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const images = yield* Images.Images
    const image = yield* images.get(a.id)
    yield* printImage(image, a, a.humanReadable, a.maxColumnWidth)
  }))).pipe(Command.withDescription("Describe a specific image."))

const transferOptions = {
  file: optionalText(
    "file",
    "Local file that contains disk image to be uploaded during creation. Alternatively, the image data can be passed to the client via stdin."
  ),
  progress: Options.boolean("progress").pipe(Options.withDescription("Show upload progress bar.")),
  store: optionalText("store", "Backend store to upload image to. Defaults to env[OS_IMAGE_STORE].", "OS_IMAGE_STORE"),
  ...inspectOptions
}

/** `image-create`: create the record, upload the data if any, show the image. */
export const imageCreate = Command.make("image-create", {
  ...fieldOptions,
  id: optionalText("id", "An identifier for the image (a UUID)."),
  tags: Options.text("tags").pipe(
    Options.withPseudoName("<TAGS> [<TAGS> ...]"),
    Options.withDescription("List of strings related to the image (repeat, or give several after one --tags)."),
    Options.repeated
  ),
  ...transferOptions,
  size: sizeOption,
  ifAbsent: ifAbsentOption,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const images = yield* Images.Images
    const fields = yield* fieldsOf(a, a.tags.length > 0 ? a.tags.flatMap((t) => t.split(",")) : undefined)
    Object.assign(fields, yield* extraFields("image-create", yield* CloudConfig, (yield* glance).getSchema))
    if (a.id._tag === "Some") fields.id = a.id.value
    yield* refuseSizeField(fields)
    yield* checkSize(opt(a.size))
    const store = opt(a.store)
    const source = yield* inspectUpload(yield* dataSource(opt(a.file), opt(a.size)), fields, a)
    if (store !== undefined && Option.isNone(source)) {
      return yield* new UsageError({ message: "--store option should only be provided with --file option or stdin." })
    }
    if (Option.isSome(source) && (fields.disk_format === undefined || fields.container_format === undefined)) {
      // python-glanceclient names only the missing flags.
      const missing = [
        ...(fields.disk_format === undefined ? ["--disk-format"] : []),
        ...(fields.container_format === undefined ? ["--container-format"] : [])
      ]
      return yield* new UsageError({
        message: `Must provide ${missing.join(", ")} when using ${source.value.name === "stdin" ? "stdin" : "--file"}.`
      })
    }
    const existing = yield* existingImage(a.ifAbsent, opt(a.file))
    if (Option.isSome(existing)) return yield* printImage(existing.value, a)
    const created = yield* images.create(fields)
    if (Option.isNone(source)) return yield* printImage(created, a)
    yield* upload(created.id, source.value, { progress: a.progress, store }).pipe(
      Effect.tapError(() =>
        images.delete(created.id).pipe(
          Effect.zipRight(Console.error(`glance: the upload failed, so image ${created.id} was deleted`)),
          Effect.catchAll(() =>
            Console.error(`glance: the upload failed and image ${created.id} could not be deleted: it is left queued`)
          )
        )
      )
    )
    yield* printImage(yield* images.get(created.id), a)
  }))).pipe(Command.withDescription("Create a new image."))

/** `image-update`. */
export const imageUpdate = Command.make("image-update", {
  id: imageId("ID of image to update."),
  ...fieldOptions,
  removeProperty: Options.text("remove-property").pipe(
    Options.withPseudoName("key"),
    Options.withDescription("Name of arbitrary property to remove from the image."),
    Options.repeated
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const images = yield* Images.Images
    const extra = yield* extraFields("image-update", yield* CloudConfig, (yield* glance).getSchema)
    const set = { ...(yield* fieldsOf(a, undefined)), ...extra }
    // As python-glanceclient: remove only properties the image has and that are not being set.
    const remove = a.removeProperty.length === 0 ? [] : yield* Effect.map(
      images.get(a.id),
      (current) => [...new Set(a.removeProperty)].filter((key) => key in current && !(key in set))
    )
    const image = yield* images.update(a.id, { set, remove })
    yield* printImage(image, a)
  }))).pipe(Command.withDescription("Update an existing image."))

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

/** `image-upload`. */
export const imageUpload = Command.make("image-upload", {
  id: imageId("ID of image to upload data to."),
  ...transferOptions,
  size: sizeOption
}, (a) =>
  withClient(Effect.gen(function*() {
    const source = yield* inspectUploadTo(a.id, yield* requiredDataSource(opt(a.file), opt(a.size), "upload"), a)
    yield* upload(a.id, source, { progress: a.progress, store: opt(a.store) }).pipe(
      Effect.catchTag("TransportError", (e) => uploadBroke(a.id, inFlagWords(e.message)))
    )
  }))).pipe(Command.withDescription("Upload data for a specific image."))

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

/** `image-download`: to `--file` (atomically) or to a redirected standard output. */
export const imageDownload = Command.make("image-download", {
  id: imageId("ID of image to download."),
  file: optionalText(
    "file",
    "Local file to save downloaded image data to. If this is not specified and there is no redirection the image data will not be saved."
  ),
  progress: Options.boolean("progress").pipe(Options.withDescription("Show download progress bar.")),
  allowMd5Fallback: switchOrEnv(
    "allow-md5-fallback",
    "Verify with the legacy MD5 checksum when os_hash_algo is not available here. Defaults to env[OS_IMAGE_ALLOW_MD5_FALLBACK].",
    "OS_IMAGE_ALLOW_MD5_FALLBACK"
  )
}, (a) =>
  withClient(
    Effect.gen(function*() {
      const file = opt(a.file)
      if (file === undefined && process.stdout.isTTY) {
        return yield* new UsageError({
          message: "No redirection or local file specified for downloaded image data. " +
            "Please specify a local file with --file to save downloaded image or redirect output to another source."
        })
      }
      const images = yield* Images.Images
      const image = a.progress ? Option.some(yield* images.get(a.id)) : Option.none()
      const size = Option.getOrUndefined(Option.flatMap(image, (i) => Option.fromNullable(i.size)))
      const progress = Progress.make(a.progress, "Downloading", size)
      const options = { allowMd5Fallback: a.allowMd5Fallback }
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
  )).pipe(Command.withDescription("Download a specific image."))

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

/** `image-delete`: deletes each image, reports each failure, exits 1 if any failed. */
export const imageDelete = Command.make("image-delete", {
  ids: Args.text({ name: "IMAGE_ID" }).pipe(Args.withDescription("ID of image(s) to delete."), Args.atLeast(1))
}, (a) =>
  withClient(Effect.gen(function*() {
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
  }))).pipe(Command.withDescription("Delete specified image."))

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

/** `add-location`: `POST /v2/images/{id}/locations` (Image API v2.17), for a queued image. */
export const addLocation = Command.make("add-location", {
  url: Options.text("url").pipe(Options.withPseudoName("<URL>"), Options.withDescription("URL of location to add.")),
  validationData: Options.text("validation-data").pipe(
    Options.withPseudoName("<STRING>"),
    Options.withDescription(
      "Validation data containing os_hash_algo and os_hash_value only associated to the image. Must be a valid JSON object (default: {})"
    ),
    Options.withDefault("{}")
  ),
  id: imageId("ID of image whose location is to be added."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const data = yield* validationData(a.validationData)
    yield* Images.addImageLocation(a.id, a.url, { validationData: data })
    const images = yield* Images.Images
    yield* printImage(yield* images.get(a.id), a)
  }))).pipe(Command.withDescription("Add location to an image which is in `queued` state only."))

/** All image commands. */
export const imageCommands = [
  imageList,
  imageShow,
  imageCreate,
  imageUpdate,
  imageUpload,
  imageDownload,
  imageDelete,
  addLocation
] as const
