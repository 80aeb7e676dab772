/**
 * The in-memory `Schemas` service: the lab's schemas (a compact fixture), the list schemas
 * built from the item schemas, and the same checking of image fields as against a cloud.
 */
import * as Effect from "effect/Effect"
import { InvalidInput } from "../../GlanceError.js"
import * as Schemas from "../../Schemas.js"
import { itemSchemas } from "./schemaFixture.js"
import { traced } from "./spans.js"
import { fail } from "./world.js"

/** The item schema a list schema holds, the key of the list, and whether it is paged (`first`, `next`). */
const lists: Readonly<Record<string, readonly [item: string, key: string, paged?: false]>> = {
  images: ["image", "images"],
  members: ["member", "members", false],
  tasks: ["task", "tasks", false],
  "metadefs/namespaces": ["metadefs/namespace", "namespaces"],
  "metadefs/objects": ["metadefs/object", "objects"],
  "metadefs/properties": ["metadefs/property", "properties"],
  "metadefs/resource_types": ["metadefs/resource_type", "resource_type_associations"],
  "metadefs/tags": ["metadefs/tag", "tags"]
}

/** A published schema by name, `undefined` when Glance has none by that name. */
export const schemaNamed = (name: string): Schemas.JsonSchema | undefined => {
  const item = itemSchemas[name]
  if (item !== undefined) return item
  const list = lists[name]
  if (list === undefined) return undefined
  return {
    name: list[1],
    properties: {
      [list[1]]: { type: "array", items: itemSchemas[list[0]] },
      ...(list[2] === false ? {} : { first: { type: "string" }, next: { type: "string" } }),
      schema: { type: "string" }
    }
  }
}

/** Builds the `Schemas` service. */
export const makeSchemas = (): Schemas.Service => {
  const get: Schemas.Service["get"] = (name) =>
    Effect.suspend(() => {
      const schema = schemaNamed(name)
      return schema === undefined
        ? fail(404, "The resource could not be found.", "GET", `/v2/schemas/${name}`)
        : Effect.succeed(schema)
    })
  const spanned: Schemas.Service = traced<Schemas.Service>("Schemas", {
    get,
    // As the client's, it reads the image schema through `get` (a span of its own).
    validateImageFields: (fields) =>
      Effect.flatMap(spanned.get("image"), (schema) => {
        const problems = Schemas.imageFieldProblems(schema, fields)
        return problems.length > 0
          ? Effect.fail(new InvalidInput({ message: `Invalid image fields: ${problems.join("; ")}` }))
          : Effect.void
      })
  })
  return spanned
}
