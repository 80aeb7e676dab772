/**
 * Discovery commands: `import-info`, `stores-info`, `stores-delete`, `usage` and `explain`.
 */
import * as Effect from "effect/Effect"
import * as Images from "../Images.js"
import * as Info from "../Info.js"
import * as Schemas from "../Schemas.js"
import { CommandError, describe } from "./errors.js"
import { arg, flag, required, text } from "./flags.js"
import { make, show } from "./table.js"

/** A store as Glance sends it: its flags as the strings `"true"`, and only when set. */
const rawStore = (store: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(store)
      .filter(([k, v]) => !((k === "default" || k === "read-only") && v === false))
      .map(([k, v]) => [k, (k === "default" || k === "read-only") && v === true ? "true" : v])
  )

const notEnabled = () => new CommandError({ message: "Multi Backend support is not enabled" })
const noImport = () => new CommandError({ message: "Target Glance does not support Image Import workflow" })
const info = Info.Info

/** The discovery commands. */
export const infoTable = [
  make({
    name: "import-info",
    help: "Print import methods available from Glance.",
    fields: {},
    call: () =>
      Effect.flatMap(info, (i) => i.importMethods).pipe(
        Effect.catchTags({ NotFound: noImport, NotSupported: noImport })
      ),
    output: show((methods) => ({
      "import-methods": { description: "Import methods available.", type: "array", value: methods }
    }))
  }),
  make({
    name: "stores-info",
    help: "Print available backends from Glance.",
    fields: { detail: flag("detail", "Shows details of stores. Admin only.") },
    call: (a) =>
      Effect.flatMap(
        info,
        (i): Effect.Effect<ReadonlyArray<object>, Info.InfoError> => a.detail ? i.storesDetail : i.stores
      ).pipe(
        Effect.catchTags({ NotFound: notEnabled, NotSupported: notEnabled })
      ),
    output: show((stores: ReadonlyArray<object>) => ({ stores: stores.map((s) => rawStore({ ...s })) }))
  }),
  make({
    name: "stores-delete",
    help: "Delete image from specific store.",
    fields: {
      id: arg("IMAGE_ID", "ID of image to update."),
      store: required(text("store", "Store to delete image from.", "<STORE_ID>"))
    },
    call: (a) =>
      Effect.flatMap(Images.Images, (images) => images.deleteFromStore(a.id, a.store)).pipe(
        Effect.catchTags({
          NotFound: () =>
            new CommandError({ message: "Multi Backend support is not enabled or Image/store not found." }),
          Forbidden: (e) =>
            new CommandError({
              message: `Unable to delete image '${a.id}' from store '${a.store}'. (${describe(e).line})`
            })
        })
      )
  }),
  make({
    name: "usage",
    help: "Get quota usage information.",
    fields: {},
    call: () => Effect.flatMap(info, (i) => Effect.map(i.usage, Object.entries)),
    // python-glanceclient's print_dict_list prints every value as is, zeros included.
    output: [
      { header: "Quota", get: ([k]) => k },
      { header: "Limit", get: ([, q]) => String(q.limit) },
      { header: "Usage", get: ([, q]) => String(q.usage) }
    ]
  }),
  make({
    name: "explain",
    help: "Describe a specific model.",
    fields: { model: arg("MODEL", "Name of model to describe.") },
    call: (a) =>
      Effect.flatMap(Schemas.Schemas, (schemas) => schemas.get(a.model as Schemas.SchemaName)).pipe(
        Effect.catchTag("NotFound", () => new CommandError({ message: `Unable to find requested model '${a.model}'` })),
        Effect.map((schema) => Object.entries(schema.properties ?? {}))
      ),
    output: [
      { header: "Attribute", get: ([name]) => name },
      { header: "Description", get: ([, p]) => p.description }
    ]
  })
] as const
