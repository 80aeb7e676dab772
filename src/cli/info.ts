/**
 * Discovery commands: `import-info`, `stores-info`, `stores-delete`, `usage` and `explain`.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Images from "../Images.js"
import * as Info from "../Info.js"
import * as Schemas from "../Schemas.js"
import { CommandError, describe } from "./errors.js"
import { withClient } from "./globalOptions.js"
import { formatOptions, printList, printObject } from "./output.js"

/** A store as Glance sends it: its flags as the strings `"true"`, and only when set. */
const rawStore = (store: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(store)
      .filter(([k, v]) => !((k === "default" || k === "read-only") && v === false))
      .map(([k, v]) => [k, (k === "default" || k === "read-only") && v === true ? "true" : v])
  )

/** `import-info`. */
export const importInfo = Command.make("import-info", { ...formatOptions }, (a) =>
  withClient(Effect.gen(function*() {
    const info = yield* Info.Info
    const methods = yield* info.importMethods.pipe(
      Effect.catchTags({
        NotFound: () => new CommandError({ message: "Target Glance does not support Image Import workflow" }),
        NotSupported: () => new CommandError({ message: "Target Glance does not support Image Import workflow" })
      })
    )
    yield* printObject({
      "import-methods": {
        description: "Import methods available.",
        type: "array",
        value: methods
      }
    }, a)
  }))).pipe(Command.withDescription("Print import methods available from Glance."))

const notEnabled = () => new CommandError({ message: "Multi Backend support is not enabled" })

/** `stores-info [--detail]`. */
export const storesInfo = Command.make("stores-info", {
  detail: Options.boolean("detail").pipe(Options.withDescription("Shows details of stores. Admin only.")),
  ...formatOptions
}, (a) =>
  withClient(
    Effect.gen(function*() {
      const info = yield* Info.Info
      const stores = a.detail ? yield* info.storesDetail : yield* info.stores
      yield* printObject({ stores: stores.map((s) => rawStore({ ...s })) }, a)
    }).pipe(Effect.catchTags({ NotFound: notEnabled, NotSupported: notEnabled }))
  )).pipe(
    Command.withDescription("Print available backends from Glance.")
  )

/** `stores-delete IMAGE_ID --store STORE_ID`. */
export const storesDelete = Command.make("stores-delete", {
  id: Args.text({ name: "IMAGE_ID" }).pipe(Args.withDescription("ID of image to update.")),
  store: Options.text("store").pipe(
    Options.withPseudoName("<STORE_ID>"),
    Options.withDescription("Store to delete image from.")
  )
}, (a) =>
  withClient(Effect.gen(function*() {
    const images = yield* Images.Images
    yield* images.deleteFromStore(a.id, a.store).pipe(
      Effect.catchTags({
        NotFound: () =>
          new CommandError({
            message: "Multi Backend support is not enabled or Image/store not found."
          }),
        Forbidden: (e) =>
          new CommandError({
            message: `Unable to delete image '${a.id}' from store '${a.store}'. (${describe(e).line})`
          })
      })
    )
  }))).pipe(Command.withDescription("Delete image from specific store."))

/** `usage`: quota usage of the caller's project. */
export const usage = Command.make("usage", { ...formatOptions }, (a) =>
  withClient(Effect.gen(function*() {
    const info = yield* Info.Info
    const quotas = yield* info.usage
    // python-glanceclient's print_dict_list prints every value as is, zeros included.
    yield* printList(Object.entries(quotas), [
      { header: "Quota", get: ([k]) => k },
      { header: "Limit", get: ([, q]) => String(q.limit) },
      { header: "Usage", get: ([, q]) => String(q.usage) }
    ], a)
  }))).pipe(Command.withDescription("Get quota usage information."))

/** `explain MODEL`: the attributes of a schema. */
export const explain = Command.make("explain", {
  model: Args.text({ name: "MODEL" }).pipe(Args.withDescription("Name of model to describe.")),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const schemas = yield* Schemas.Schemas
    const schema = yield* schemas.get(a.model as Schemas.SchemaName).pipe(
      Effect.catchTag(
        "NotFound",
        () => new CommandError({ message: `Unable to find requested model '${a.model}'` })
      )
    )
    yield* printList(Object.entries(schema.properties ?? {}), [
      { header: "Attribute", get: ([name]) => name },
      { header: "Description", get: ([, p]) => p.description }
    ], a)
  }))).pipe(Command.withDescription("Describe a specific model."))

/** All discovery commands. */
export const infoCommands = [importInfo, storesInfo, storesDelete, usage, explain] as const
