/**
 * The image commands beyond create/update/upload/download: tags, (de)activation, staging,
 * the import workflow, an image's tasks and its locations, with python-glanceclient's
 * names, flags, checks and messages.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Images from "../Images.js"
import * as Info from "../Info.js"
import { CommandError, UsageError } from "./errors.js"
import * as Flags from "./flags.js"
import { arg, required, some, text, withDefault } from "./flags.js"
import { glance } from "./globalOptions.js"
import { existingImage, ifAbsentFlag } from "./ifAbsent.js"
import {
  fieldFlags,
  fileFlag,
  imageIdArg,
  newImage,
  printImage,
  progressFlag,
  requiredDataSource,
  sizeFlag,
  storeFlag,
  tagsFlag,
  withProgress
} from "./images.js"
import { inspectFlags, inspectUploadTo } from "./inspect.js"
import { printList } from "./output.js"
import * as Progress from "./progress.js"
import { make } from "./table.js"

/** Stages `--file` or piped standard input for an image. */
const stageData = (
  id: string,
  source: { readonly size: number | undefined; readonly stream: Parameters<typeof withProgress>[0] },
  progress: boolean
) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const bar = Progress.make(progress, "Uploading", source.size)
    yield* images.stage(id, withProgress(source.stream, bar), { size: source.size })
    bar.done()
  })

/** The import flags shared by `image-import` and `image-create-via-import`. */
const importFlags = {
  uri: Flags.text("uri", "URI to download the external image."),
  remoteRegion: Flags.text("remote-region", "REMOTE GLANCE REGION to download the image."),
  remoteImageId: Flags.text(
    "remote-image-id",
    "The IMAGE ID of the image of remote glance, which needs to be imported."
  ),
  remoteServiceInterface: Flags.text(
    "remote-service-interface",
    "The Service Interface of remote glance (default public)."
  ),
  store: storeFlag,
  stores: Flags.withEnv(
    Flags.text(
      "stores",
      "Stores to upload image to if multi-stores import available. Comma separated list. Defaults to env[OS_IMAGE_STORES]."
    ),
    "OS_IMAGE_STORES"
  ),
  allStores: Flags.bool(
    "all-stores",
    "\"all-stores\" can be used instead of \"stores\"-list to indicate that image should be imported into all available stores."
  ),
  allowFailure: Flags.withEnv(
    Flags.bool(
      "allow-failure",
      "Indicator if all stores listed (or available) must succeed. \"True\" by default. Defaults to env[OS_IMAGE_ALLOW_FAILURE]."
    ),
    "OS_IMAGE_ALLOW_FAILURE"
  ),
  wait: Flags.flag(
    "wait",
    "Wait for the import to end (active, and in every store asked for); fail if it fails."
  ),
  waitTimeout: Flags.withDefault(
    Flags.integer(
      "timeout",
      "Seconds to wait with --wait (default 600). (The global --timeout, before the command, is the HTTP timeout.)"
    ),
    600
  )
}

type ImportFlags = Flags.Values<typeof importFlags>

/** The store flags, checked as python-glanceclient checks them. */
const storeChoice = (a: ImportFlags) =>
  Effect.gen(function*() {
    const store = a.store
    const storesText = a.stores
    const allStores = Flags.toBool(a.allStores)
    const allowFailure = Flags.toBool(a.allowFailure) ?? true
    if ((store && (storesText || allStores)) || (storesText && allStores)) {
      return yield* new CommandError({ message: "Only one of --store, --stores and --all-stores can be provided" })
    }
    const stores = storesText ? storesText.split(",") : undefined
    return { store, stores, allStores, allowFailure }
  })

/** python-glanceclient's `_validate_backend`: a store must be one of the cloud's (when it has several). */
const validateStores = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (names.length === 0) return
    const info = yield* Info.Info
    const result = yield* Effect.either(info.stores)
    if (result._tag === "Left") {
      if (result.left._tag === "NotFound" || result.left._tag === "NotSupported") return
      return yield* result.left
    }
    for (const name of names) {
      if (!result.right.some((s) => s.id === name)) {
        return yield* new CommandError({
          message:
            `Store '${name}' is not valid for this cloud. Valid values can be retrieved with stores-info command.`
        })
      }
    }
  })

const importMethodsOf = Effect.flatMap(Info.Info, (info) => info.importMethods).pipe(
  Effect.catchTags({
    NotFound: () => new CommandError({ message: "Target Glance does not support Image Import workflow" }),
    NotSupported: () => new CommandError({ message: "Target Glance does not support Image Import workflow" })
  })
)

const invalidMethod = (method: string) =>
  new CommandError({
    message:
      `Import method '${method}' is not valid for this cloud. Valid values can be retrieved with import-info command.`
  })

/** The library's import options from the flags. */
const importRequest = (
  method: string,
  a: ImportFlags,
  choice: {
    store: string | undefined
    stores: Array<string> | undefined
    allStores: boolean | undefined
    allowFailure: boolean
  }
): Images.ImportOptions => {
  const stores = choice.stores ?? (choice.store !== undefined ? [choice.store] : undefined)
  const many = stores !== undefined || choice.allStores === true
  return {
    method: method as Images.ImportMethod,
    uri: a.uri,
    remoteRegion: a.remoteRegion,
    remoteImageId: a.remoteImageId,
    remoteServiceInterface: a.remoteServiceInterface,
    stores,
    allStores: choice.allStores === true ? true : undefined,
    allStoresMustSucceed: many && choice.allowFailure ? false : undefined
  }
}

/**
 * Waits for an import Glance accepted to end, in every store asked for; one that ended (failed)
 * before the first look fails the wait at once (`afterImport`), not at the timeout.
 */
const waitForImport = (id: string, a: ImportFlags, stores: ReadonlyArray<string> | undefined) =>
  Images.waitFor(id, {
    status: "active",
    stores: stores && stores.length > 0 ? stores : undefined,
    timeout: `${a.waitTimeout} seconds`,
    afterImport: true
  })

const importFlagsOf = {
  importMethod: Flags.withDefault(
    Flags.text(
      "import-method",
      "Import method used for Image Import workflow. Valid values can be retrieved with import-info command and the default \"glance-direct\" is used with \"image-stage\".",
      "<METHOD>"
    ),
    "glance-direct"
  ),
  ...importFlags,
  id: imageIdArg("ID of image to import.")
}

/** `image-import IMAGE_ID`: python-glanceclient's checks, then the import (and `--wait`). */
const importImage = (a: Flags.Values<typeof importFlagsOf>) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const choice = yield* storeChoice(a)
    yield* validateStores([...(choice.store ? [choice.store] : []), ...(choice.stores ?? [])])
    const methods = yield* importMethodsOf
    const method = a.importMethod
    const fail = (message: string) => new CommandError({ message })
    if (!methods.includes(method)) return yield* invalidMethod(method)
    const uri = a.uri
    if (method === "web-download" && !uri) return yield* fail("Provide URI for web-download import method.")
    if (uri && method !== "web-download") {
      return yield* fail("Import method should be 'web-download' if URI is provided.")
    }
    const region = a.remoteRegion
    const remoteId = a.remoteImageId
    if (method === "glance-download" && !(region && remoteId)) {
      return yield* fail("Provide REMOTE_IMAGE_ID and remote-region for 'glance-download' import method.")
    }
    if (region && method !== "glance-download") {
      return yield* fail("Import method should be 'glance-download' if REMOTE REGION is provided.")
    }
    if (remoteId && method !== "glance-download") {
      return yield* fail("Import method should be 'glance-download' if REMOTE IMAGE ID is provided.")
    }
    if (a.remoteServiceInterface && method !== "glance-download") {
      return yield* fail("Import method should be 'glance-download' if REMOTE SERVICE INTERFACE is provided.")
    }
    if (method === "copy-image" && !(choice.stores || choice.allStores)) {
      return yield* fail("Provide either --stores or --all-stores for 'copy-image' import method.")
    }
    const image = yield* images.get(a.id)
    if (!(image.container_format && image.disk_format)) {
      return yield* fail(
        "The 'container_format' and 'disk_format' properties must be set on an image before it can be imported."
      )
    }
    if (method === "glance-direct" && image.status !== "uploading") {
      return yield* fail("The 'glance-direct' import method can only be applied to an image in status 'uploading'")
    }
    if (method === "web-download" && image.status !== "queued") {
      return yield* fail("The 'web-download' import method can only be applied to an image in status 'queued'")
    }
    if (method === "copy-image" && image.status !== "active") {
      return yield* fail("The 'copy-image' import method can only be used on an image with status 'active'.")
    }
    const request = importRequest(method, a, choice)
    yield* images.importImage(a.id, request)
    if (a.wait) yield* waitForImport(a.id, a, request.stores)
    return yield* images.get(a.id)
  })

const createViaImportFlags = {
  ...fieldFlags,
  id: Flags.text("id", "An identifier for the image (a UUID)."),
  tags: tagsFlag(),
  file: fileFlag,
  size: sizeFlag,
  progress: progressFlag(),
  importMethod: Flags.withEnv(
    Flags.text(
      "import-method",
      "Import method used for Image Import workflow. Valid values can be retrieved with import-info command. Defaults to env[OS_IMAGE_IMPORT_METHOD] or, when data is given with --file or stdin, glance-direct; otherwise only the record is created."
    ),
    "OS_IMAGE_IMPORT_METHOD"
  ),
  ...importFlags,
  ...inspectFlags,
  ifAbsent: ifAbsentFlag,
  ...Flags.formatFlags
}

/** `image-create-via-import`: create the record, stage (glance-direct), import; python-glanceclient's checks. */
const createViaImport = (a: Flags.Values<typeof createViaImportFlags>) =>
  Effect.gen(function*() {
    const images = yield* Images.Images
    const { fields, missingFormats, source } = yield* newImage("image-create-via-import", a)
    const fileName = a.file
    const usingStdin = Option.isSome(source) && source.value.name === "stdin"
    const hasData = Option.isSome(source)
    const uri = a.uri
    // python-glanceclient's on_data_require_fields: data (or --uri) needs both formats.
    if ((hasData || uri) && missingFormats.length > 0) {
      const present = [...(fileName ? ["--file"] : []), ...(uri ? ["--uri"] : [])]
      return yield* new CommandError({
        message: `error: Must provide ${missingFormats.join(", ")} when using ${present.join(", ") || "stdin"}.`
      })
    }
    let method = a.importMethod
    if (method === undefined && hasData) method = "glance-direct"
    const fail = (message: string) => new CommandError({ message })
    if (method === "copy-image") {
      return yield* fail("Import method 'copy-image' cannot be used while creating the image.")
    }
    const methods = yield* importMethodsOf
    if (method !== undefined && !methods.includes(method)) return yield* invalidMethod(method)
    const choice = yield* storeChoice(a)
    yield* validateStores([...(choice.store ? [choice.store] : []), ...(choice.stores ?? [])])
    const { allStores, store, stores } = choice
    if (method === undefined && uri) return yield* fail("You cannot use --uri without specifying an import method.")
    /** python-glanceclient's words for a store flag given without the data the method imports. */
    const storesNeed = (what: string, method: string) =>
      Effect.forEach(
        [["--store", store], ["--stores", stores], ["--all-stores", allStores]] as const,
        ([flag, given]) =>
          given
            ? fail(`${flag} option should only be provided with ${what} for the ${method} import method.`)
            : Effect.void
      )
    if (method === "glance-direct") {
      if (!hasData) yield* storesNeed("--file option or stdin", method)
      if (uri) return yield* fail("You cannot specify a --uri with the glance-direct import method.")
      if (!hasData) {
        return yield* fail("You must specify a --file or provide data via stdin for the glance-direct import method.")
      }
    }
    if (method === "web-download") {
      if (!uri) yield* storesNeed("--uri option", method)
      if (!uri) return yield* fail("URI is required for web-download import method. Please use '--uri <uri>'.")
      if (fileName) return yield* fail("You cannot specify a --file with the web-download import method.")
      if (usingStdin) return yield* fail("You cannot pass data via stdin with the web-download import method.")
    }
    if (method === "glance-download") {
      if (!(a.remoteRegion && a.remoteImageId)) {
        return yield* fail(
          "REMOTE GlANCE REGION and REMOTE IMAGE ID are required for glance-download import method. Please use --remote-region <region> and --remote-image-id <remote-image-id>."
        )
      }
      if (uri) return yield* fail("You cannot specify a --uri with the glance-download import method.")
      if (fileName) return yield* fail("You cannot specify a --file with the glance-download import method.")
      if (usingStdin) return yield* fail("You cannot pass data via stdin with the glance-download import method.")
    }
    const existing = yield* existingImage(a.ifAbsent, fileName)
    if (Option.isSome(existing)) return yield* printImage(existing.value, a)
    const created = yield* images.create(fields)
    // As python-glanceclient: the image is printed whether the steps after its creation work or not.
    const steps = Effect.gen(function*() {
      if (method === undefined) return
      if (Option.isSome(source)) yield* stageData(created.id, source.value, a.progress)
      const request = importRequest(method, a, choice)
      yield* images.importImage(created.id, request)
      if (a.wait) yield* waitForImport(created.id, a, request.stores)
    })
    const result = yield* Effect.either(steps)
    const image = yield* images.get(created.id).pipe(Effect.orElseSucceed(() => created))
    yield* printImage(image, a)
    if (result._tag === "Left") return yield* Effect.fail(result.left)
  })

const parseMetadata = (text: string) =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => new CommandError({ message: "Metadata is not a valid JSON object." })
  }).pipe(
    Effect.filterOrFail(
      (m): m is Record<string, unknown> => typeof m === "object" && m !== null && !Array.isArray(m),
      () => new CommandError({ message: "Metadata is not a valid JSON object." })
    )
  )

const imageId = (help: string) => arg("IMAGE_ID", help)
const tagValue = arg("TAG_VALUE", "Value of the tag.")
const metadata = withDefault(
  text("metadata", "Metadata associated with the location. Must be a valid JSON object (default: {})", "<STRING>"),
  "{}"
)
const url = (help: string) => text("url", help, "<URL>")
const images = Images.Images

/** python-glanceclient's print_dict_list cell: the value as is, '' when absent. */
const field = (name: string) => (t: Record<string, unknown>) => {
  const v = t[name]
  return v === undefined ? "" : v === null ? "None" : typeof v === "object" ? JSON.stringify(v) : String(v)
}

/** The commands of this file. */
export const imageActionTable = [
  make({
    name: "image-tag-update",
    help: "Update an image with the given tag.",
    fields: { imageId: imageId("Image to be updated with the given tag."), tag: tagValue },
    call: (a) =>
      Effect.gen(function*() {
        if (!a.imageId || !a.tag) {
          return yield* new CommandError({ message: "Unable to update tag. Specify image_id and tag_value" })
        }
        yield* (yield* images).addTag(a.imageId, a.tag)
        return [yield* (yield* images).get(a.imageId)]
      }),
    output: [{ header: "ID", get: (i) => i.id }, { header: "Tags", get: (i) => i.tags }]
  }),
  make({
    name: "image-tag-delete",
    help: "Delete the tag associated with the given image.",
    fields: { imageId: imageId("ID of the image from which to delete tag."), tag: tagValue },
    call: (a) =>
      Effect.gen(function*() {
        if (!a.imageId || !a.tag) {
          return yield* new CommandError({ message: "Unable to delete tag. Specify image_id and tag_value" })
        }
        yield* (yield* images).removeTag(a.imageId, a.tag)
      })
  }),
  make({
    name: "image-deactivate",
    help: "Deactivate specified image.",
    fields: { id: imageId("ID of image to deactivate.") },
    call: (a) => Effect.flatMap(images, (i) => i.deactivate(a.id))
  }),
  make({
    name: "image-reactivate",
    help: "Reactivate specified image.",
    fields: { id: imageId("ID of image to reactivate.") },
    call: (a) => Effect.flatMap(images, (i) => i.reactivate(a.id))
  }),
  make({
    name: "image-stage",
    help: "Upload data for a specific image to staging.",
    fields: {
      file: Flags.text(
        "file",
        "Local file that contains disk image to be uploaded. Alternatively, images can be passed to the client via stdin."
      ),
      size: sizeFlag,
      progress: progressFlag(),
      ...inspectFlags,
      id: imageIdArg("ID of image to upload data to.")
    },
    call: (a) =>
      Effect.gen(function*() {
        const source = yield* inspectUploadTo(a.id, yield* requiredDataSource(a.file, a.size, "stage"), a)
        yield* stageData(a.id, source, a.progress)
      })
  }),
  make({
    name: "image-import",
    help: "Initiate the image import taskflow.",
    fields: importFlagsOf,
    call: importImage,
    output: (image, format) => printImage(image, format)
  }),
  make({
    name: "image-create-via-import",
    help: "EXPERIMENTAL: Create a new image via image import.",
    fields: createViaImportFlags,
    call: createViaImport
  }),
  make({
    name: "image-tasks",
    help: "Get tasks associated with image",
    fields: { id: imageId("ID of image to get tasks.") },
    call: (a) =>
      Effect.flatMap(images, (i) => i.tasks(a.id)).pipe(
        Effect.catchTags({
          NotFound: () => new CommandError({ message: `Image ${a.id} not found.` }),
          NotSupported: () => new CommandError({ message: "Server does not support image tasks API (v2.12)" })
        }),
        Effect.zip(glance)
      ),
    output: ([tasks, { verbose }], format) =>
      printList(tasks as ReadonlyArray<Record<string, unknown>>, [
        ...(verbose ? [{ header: "Image Id", get: field("image_id") }, { header: "Task Id", get: field("id") }] : []),
        { header: "Message", get: field("message") },
        { header: "Status", get: field("status") },
        { header: "Updated at", get: field("updated_at") },
        ...(verbose
          ? [
            { header: "User Id", get: field("user_id") },
            { header: "Request Id", get: field("request_id") },
            { header: "Result", get: field("result") },
            { header: "Owner", get: field("owner") },
            { header: "Input", get: field("input") },
            { header: "Expires at", get: field("expires_at") }
          ]
          : [])
      ], format)
  }),
  make({
    name: "location-add",
    help: "Add a location (and related metadata) to an image.",
    fields: {
      url: required(url("URL of location to add.")),
      metadata,
      checksum: text("checksum", "md5 checksum of image contents"),
      hashAlgo: text("hash-algo", "hash algorithm, e.g. sha512"),
      hashValue: text("hash-value", "hash value of image contents"),
      id: imageId("ID of image to which the location is to be added.")
    },
    call: (a) =>
      Effect.gen(function*() {
        if (a.checksum !== undefined || a.hashAlgo !== undefined || a.hashValue !== undefined) {
          return yield* new UsageError({
            message: "--checksum, --hash-algo and --hash-value are not supported by this client"
          })
        }
        const metadata = yield* parseMetadata(a.metadata)
        return yield* (yield* images).addLocation(a.id, a.url, metadata)
      }),
    output: (image, format) => printImage(image, format)
  }),
  make({
    name: "location-delete",
    help: "Remove locations (and related metadata) from an image.",
    fields: {
      url: some(url("URL of location to remove. May be used multiple times.")),
      id: imageId("ID of image whose locations are to be removed.")
    },
    call: (a) => Effect.flatMap(images, (i) => i.deleteLocations(a.id, [...new Set(a.url)]))
  }),
  make({
    name: "location-update",
    help: "Update metadata of an image's location.",
    fields: {
      url: required(url("URL of location to update.")),
      metadata,
      id: imageId("ID of image whose location is to be updated.")
    },
    call: (a) =>
      Effect.gen(function*() {
        const metadata = yield* parseMetadata(a.metadata)
        if (Object.keys(metadata).length === 0) {
          yield* Console.log("WARNING -- The location's metadata will be updated to an empty JSON object.")
        }
        return yield* (yield* images).updateLocation(a.id, a.url, metadata)
      }),
    output: (image, format) => printImage(image, format)
  })
] as const
