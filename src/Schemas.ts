/**
 * The JSON schemas the cloud publishes for its resources, fetched once per endpoint, and
 * the checking of new image fields against them before any request is sent.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { InvalidInput } from "./GlanceError.js"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"

/**
 * The schemas Glance publishes under `/v2/schemas/`.
 *
 * @since 0.1.0
 * @category models
 */
export type SchemaName =
  | "image"
  | "images"
  | "member"
  | "members"
  | "task"
  | "tasks"
  | "metadefs/namespace"
  | "metadefs/namespaces"
  | "metadefs/object"
  | "metadefs/objects"
  | "metadefs/property"
  | "metadefs/properties"
  | "metadefs/resource_type"
  | "metadefs/resource_types"
  | "metadefs/tag"
  | "metadefs/tags"

/**
 * One property of a published schema: the keywords used here typed, the rest kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PropertySchema = Schema.Struct(
  {
    type: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
    enum: Schema.optional(Schema.Array(Schema.Unknown)),
    readOnly: Schema.optional(Schema.Boolean),
    description: Schema.optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * One property of a published schema.
 *
 * @since 0.1.0
 * @category models
 */
export interface PropertySchema extends Schema.Schema.Type<typeof PropertySchema> {}

/**
 * A JSON schema as Glance publishes it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonSchema = Schema.Struct(
  {
    name: Schema.optional(Schema.String),
    properties: Schema.optional(Schema.Record({ key: Schema.String, value: PropertySchema })),
    additionalProperties: Schema.optional(Schema.Unknown)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * A JSON schema as Glance publishes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface JsonSchema extends Schema.Schema.Type<typeof JsonSchema> {}

/**
 * The schemas operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** A published schema, fetched on first use and kept for the life of the layer. */
  readonly get: (name: SchemaName) => Effect.Effect<JsonSchema, GlanceHttpError>
  /**
   * Checks the fields of a new or changed image against the cloud's image schema: enum values
   * (disk_format, container_format, visibility, …), read-only and reserved properties, types.
   */
  readonly validateImageFields: (
    fields: Readonly<Record<string, unknown>>
  ) => Effect.Effect<void, InvalidInput | GlanceHttpError>
}

/**
 * The published schemas of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Schemas extends Context.Tag("glanceclient/Schemas")<Schemas, Service>() {}

const jsonType = (value: unknown): ReadonlyArray<string> => {
  if (value === null) return ["null"]
  if (Array.isArray(value)) return ["array"]
  if (typeof value === "number") return Number.isInteger(value) ? ["integer", "number"] : ["number"]
  return [typeof value]
}

const show = (value: unknown): string => typeof value === "string" ? `"${value}"` : JSON.stringify(value)

/**
 * The problems of image fields against an image schema, one sentence each; empty when they fit.
 *
 * @internal
 */
export const imageFieldProblems = (
  schema: JsonSchema,
  fields: Readonly<Record<string, unknown>>
): Array<string> => {
  const problems: Array<string> = []
  const properties = schema.properties ?? {}
  const extra = schema.additionalProperties
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    const property = properties[key]
    if (property === undefined) {
      if (key.startsWith("os_glance")) {
        problems.push(`${key} is reserved for Glance's own use`)
      } else if (extra === false) {
        problems.push(`${key} is not a property this cloud's images have`)
      } else if (typeof extra === "object" && extra !== null && (extra as { type?: unknown }).type === "string") {
        if (typeof value !== "string") problems.push(`${key} is ${show(value)}, but custom properties are strings`)
      }
      continue
    }
    if (property.readOnly === true) {
      problems.push(`${key} is read-only`)
      continue
    }
    if (property.enum !== undefined) {
      if (!property.enum.some((allowed) => allowed === value)) {
        const allowed = property.enum.filter((a) => a !== null).map((a) => String(a))
        problems.push(`${key} ${show(value)} is not one this cloud accepts (allowed: ${allowed.join(", ")})`)
      }
      continue
    }
    if (property.type !== undefined) {
      const types = typeof property.type === "string" ? [property.type] : property.type
      if (!jsonType(value).some((t) => types.includes(t))) {
        problems.push(`${key} is ${show(value)}, but it must be ${types.join(" or ")}`)
      }
    }
  }
  return problems
}

/**
 * Builds the schemas operations on `GlanceHttp`, with a cache for the life of the service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp
  // Remember only successes, keyed by endpoint: a transient failure is tried again on the next call.
  const cache = yield* SynchronizedRef.make(new Map<string, JsonSchema>())

  const get = Effect.fn("Schemas.get")(function*(name: SchemaName) {
    const key = `${http.endpoint.url} ${name}`
    return yield* SynchronizedRef.modifyEffect(cache, (known) => {
      const hit = known.get(key)
      if (hit !== undefined) return Effect.succeed([hit, known] as const)
      return Effect.map(
        http.json(HttpClientRequest.get(`/v2/schemas/${name}`), JsonSchema),
        (schema) => [schema, new Map(known).set(key, schema)] as const
      )
    })
  })

  const validateImageFields = Effect.fn("Schemas.validateImageFields")(function*(
    fields: Readonly<Record<string, unknown>>
  ) {
    const schema = yield* get("image")
    const problems = imageFieldProblems(schema, fields)
    if (problems.length > 0) {
      return yield* new InvalidInput({ message: `Invalid image fields: ${problems.join("; ")}` })
    }
  })

  return Schemas.of({ get, validateImageFields })
})

/**
 * The schemas operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Schemas, never, GlanceHttp> = Layer.effect(Schemas, make)
