/**
 * Metadata definitions of the Image API v2: namespaces and the objects, properties and tags
 * they hold, and the resource types they apply to.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"
import { openLiterals } from "./internal/literals.js"

const rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * A resource type associated with a namespace, with the prefix its properties take there.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResourceTypeAssociation = Schema.Struct(
  {
    name: Schema.String,
    prefix: Schema.optional(Schema.NullOr(Schema.String)),
    properties_target: Schema.optional(Schema.NullOr(Schema.String)),
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String)
  },
  rest
)

/**
 * A resource type associated with a namespace.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceTypeAssociation extends Schema.Schema.Type<typeof ResourceTypeAssociation> {}

/**
 * A resource type (`OS::Glance::Image`, `OS::Nova::Flavor`, …).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResourceType = Schema.Struct(
  { name: Schema.String, created_at: Schema.optional(Schema.String), updated_at: Schema.optional(Schema.String) },
  rest
)

/**
 * A resource type.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceType extends Schema.Schema.Type<typeof ResourceType> {}

const propertyFields = {
  title: Schema.optional(Schema.String),
  type: Schema.optional(Schema.NullOr(Schema.String)),
  description: Schema.optional(Schema.String)
}

/**
 * A property definition: a JSON-schema fragment with a name, title and type.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Property = Schema.Struct({ name: Schema.String, ...propertyFields }, rest)

/**
 * A property definition.
 *
 * @since 0.1.0
 * @category models
 */
export interface Property extends Schema.Schema.Type<typeof Property> {}

const PropertyMap = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ name: Schema.optional(Schema.String), ...propertyFields }, rest)
})

/**
 * An object definition: a named group of property definitions.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MetadefObject = Schema.Struct(
  {
    name: Schema.String,
    description: Schema.optional(Schema.String),
    required: Schema.optional(Schema.Array(Schema.String)),
    properties: Schema.optional(PropertyMap),
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String)
  },
  rest
)

/**
 * An object definition.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetadefObject extends Schema.Schema.Type<typeof MetadefObject> {}

/**
 * A tag definition.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Tag = Schema.Struct(
  { name: Schema.String, created_at: Schema.optional(Schema.String), updated_at: Schema.optional(Schema.String) },
  rest
)

/**
 * A tag definition.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tag extends Schema.Schema.Type<typeof Tag> {}

/**
 * Who sees a namespace: `public` (everyone) or `private` (its project); any other string a newer cloud sends.
 *
 * @since 0.1.0
 * @category models
 */
export type NamespaceVisibility =
  | "public"
  | "private"
  | (string & {})

/**
 * The schema of `NamespaceVisibility`: decodes any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NamespaceVisibility: Schema.Schema<NamespaceVisibility> = openLiterals("public", "private")

/**
 * A namespace, with its contents when shown one at a time.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Namespace = Schema.Struct(
  {
    namespace: Schema.String,
    display_name: Schema.optional(Schema.String),
    description: Schema.optional(Schema.String),
    visibility: Schema.optional(NamespaceVisibility),
    protected: Schema.optional(Schema.Boolean),
    owner: Schema.optional(Schema.NullOr(Schema.String)),
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String),
    resource_type_associations: Schema.optional(Schema.Array(ResourceTypeAssociation)),
    properties: Schema.optional(PropertyMap),
    objects: Schema.optional(Schema.Array(MetadefObject)),
    tags: Schema.optional(Schema.Array(Tag))
  },
  rest
)

/**
 * A namespace.
 *
 * @since 0.1.0
 * @category models
 */
export interface Namespace extends Schema.Schema.Type<typeof Namespace> {}

/**
 * One page of `GET /v2/metadefs/namespaces`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NamespacePage = Schema.Struct({
  namespaces: Schema.Array(Namespace),
  next: Schema.optional(Schema.String)
})

const ObjectList = Schema.Struct({ objects: Schema.Array(MetadefObject) })
const PropertyList = Schema.Struct({ properties: PropertyMap })
const TagList = Schema.Struct({ tags: Schema.Array(Tag) })
const ResourceTypeList = Schema.Struct({ resource_types: Schema.Array(ResourceType) })
const AssociationList = Schema.Struct({ resource_type_associations: Schema.Array(ResourceTypeAssociation) })

/**
 * A property definition to create or change; `title` and `type` are required by Glance on create.
 *
 * @since 0.1.0
 * @category models
 */
export interface PropertyFields {
  readonly name?: string | undefined
  readonly title?: string | undefined
  readonly type?: "array" | "boolean" | "integer" | "number" | "object" | "string" | undefined
  readonly description?: string | undefined
  readonly [keyword: string]: unknown
}

/**
 * An object definition to create or change.
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectFields {
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly required?: ReadonlyArray<string> | undefined
  readonly properties?: Readonly<Record<string, PropertyFields>> | undefined
}

/**
 * A resource type association to make.
 *
 * @since 0.1.0
 * @category models
 */
export interface AssociationFields {
  readonly name: string
  readonly prefix?: string | undefined
  readonly properties_target?: string | undefined
}

/**
 * The changeable fields of a namespace.
 *
 * @since 0.1.0
 * @category models
 */
export interface NamespaceChanges {
  /** A new name for the namespace. */
  readonly namespace?: string | undefined
  readonly display_name?: string | undefined
  readonly description?: string | undefined
  readonly visibility?: NamespaceVisibility | undefined
  readonly protected?: boolean | undefined
  readonly owner?: string | undefined
}

/**
 * A new namespace, optionally with its contents.
 *
 * @since 0.1.0
 * @category models
 */
export interface NamespaceFields extends NamespaceChanges {
  readonly namespace: string
  readonly resource_type_associations?: ReadonlyArray<AssociationFields> | undefined
  readonly properties?: Readonly<Record<string, PropertyFields>> | undefined
  readonly objects?: ReadonlyArray<ObjectFields & { readonly name: string }> | undefined
  readonly tags?: ReadonlyArray<{ readonly name: string }> | undefined
}

/**
 * How to list namespaces.
 *
 * @since 0.1.0
 * @category models
 */
export interface NamespaceListOptions {
  /** Only `public` or `private` namespaces. */
  readonly visibility?: NamespaceVisibility | undefined
  /** Only namespaces associated with any of these resource types. */
  readonly resourceTypes?: ReadonlyArray<string> | undefined
  /** Any other filter, sent as a query parameter. */
  readonly filters?: Readonly<Record<string, string>> | undefined
  /** The field to sort by. */
  readonly sortKey?: string | undefined
  /** The sort direction. */
  readonly sortDir?: "asc" | "desc" | undefined
  /** Namespaces per request (default 20). */
  readonly pageSize?: number | undefined
  /** The most namespaces to return in all. */
  readonly limit?: number | undefined
}

/**
 * Namespace operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Namespaces {
  /** All namespaces matching the options, page by page as the stream is read. */
  readonly list: (options?: NamespaceListOptions) => Stream.Stream<Namespace, GlanceHttpError>
  /** One namespace with its contents; with `resourceType`, property names carry that type's prefix. */
  readonly get: (
    namespace: string,
    options?: { readonly resourceType?: string | undefined }
  ) => Effect.Effect<Namespace, GlanceHttpError>
  /** Creates a namespace, with any objects, properties, tags and associations given. */
  readonly create: (fields: NamespaceFields) => Effect.Effect<Namespace, GlanceHttpError>
  /** Changes a namespace's fields, keeping those not named (Glance's PUT replaces them all). */
  readonly update: (namespace: string, changes: NamespaceChanges) => Effect.Effect<Namespace, GlanceHttpError>
  /** Deletes a namespace and everything in it. */
  readonly delete: (namespace: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * Object definition operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Objects {
  /** The objects of a namespace. */
  readonly list: (namespace: string) => Effect.Effect<ReadonlyArray<MetadefObject>, GlanceHttpError>
  /** One object. */
  readonly get: (namespace: string, name: string) => Effect.Effect<MetadefObject, GlanceHttpError>
  /** Creates an object. */
  readonly create: (
    namespace: string,
    fields: ObjectFields & { readonly name: string }
  ) => Effect.Effect<MetadefObject, GlanceHttpError>
  /** Changes an object's fields, keeping those not named. */
  readonly update: (
    namespace: string,
    name: string,
    changes: ObjectFields
  ) => Effect.Effect<MetadefObject, GlanceHttpError>
  /** Deletes an object. */
  readonly delete: (namespace: string, name: string) => Effect.Effect<void, GlanceHttpError>
  /** Deletes every object of a namespace. */
  readonly deleteAll: (namespace: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * Property definition operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Properties {
  /** The properties of a namespace. */
  readonly list: (namespace: string) => Effect.Effect<ReadonlyArray<Property>, GlanceHttpError>
  /** One property; with `resourceType`, `name` carries that type's prefix. */
  readonly get: (
    namespace: string,
    name: string,
    options?: { readonly resourceType?: string | undefined }
  ) => Effect.Effect<Property, GlanceHttpError>
  /** Creates a property. */
  readonly create: (
    namespace: string,
    fields: PropertyFields & { readonly name: string; readonly title: string; readonly type: string }
  ) => Effect.Effect<Property, GlanceHttpError>
  /** Changes a property's keywords, keeping those not named. */
  readonly update: (
    namespace: string,
    name: string,
    changes: PropertyFields
  ) => Effect.Effect<Property, GlanceHttpError>
  /** Deletes a property. */
  readonly delete: (namespace: string, name: string) => Effect.Effect<void, GlanceHttpError>
  /** Deletes every property of a namespace. */
  readonly deleteAll: (namespace: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * Tag definition operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tags {
  /** The tags of a namespace. */
  readonly list: (namespace: string) => Effect.Effect<ReadonlyArray<Tag>, GlanceHttpError>
  /** One tag. */
  readonly get: (namespace: string, name: string) => Effect.Effect<Tag, GlanceHttpError>
  /** Creates one tag. */
  readonly create: (namespace: string, name: string) => Effect.Effect<Tag, GlanceHttpError>
  /** Creates several tags; replaces the namespace's tags unless `append` is true. */
  readonly createMultiple: (
    namespace: string,
    names: ReadonlyArray<string>,
    options?: { readonly append?: boolean | undefined }
  ) => Effect.Effect<ReadonlyArray<Tag>, GlanceHttpError>
  /** Renames a tag. */
  readonly update: (namespace: string, name: string, newName: string) => Effect.Effect<Tag, GlanceHttpError>
  /** Deletes a tag. */
  readonly delete: (namespace: string, name: string) => Effect.Effect<void, GlanceHttpError>
  /** Deletes every tag of a namespace. */
  readonly deleteAll: (namespace: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * Resource type operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourceTypes {
  /** Every resource type the cloud knows. */
  readonly list: Effect.Effect<ReadonlyArray<ResourceType>, GlanceHttpError>
  /** The resource types a namespace is associated with. */
  readonly listFor: (namespace: string) => Effect.Effect<ReadonlyArray<ResourceTypeAssociation>, GlanceHttpError>
  /** Associates a namespace with a resource type (creating the type if it is new). */
  readonly associate: (
    namespace: string,
    association: AssociationFields
  ) => Effect.Effect<ResourceTypeAssociation, GlanceHttpError>
  /** Removes a namespace's association with a resource type. */
  readonly deassociate: (namespace: string, resourceType: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * The metadata definitions operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Namespaces. */
  readonly namespaces: Namespaces
  /** Object definitions in a namespace. */
  readonly objects: Objects
  /** Property definitions in a namespace. */
  readonly properties: Properties
  /** Tag definitions in a namespace. */
  readonly tags: Tags
  /** Resource types and their associations with namespaces. */
  readonly resourceTypes: ResourceTypes
}

/**
 * The metadata definitions operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Metadefs extends Context.Tag("glanceclient/Metadefs")<Metadefs, Service>() {}

/** The query parameters of a namespace list request. */
const namespaceListParams = (options: NamespaceListOptions): Array<[string, string]> => {
  const params: Array<[string, string]> = [[
    "limit",
    String(Math.min(options.pageSize ?? 20, options.limit ?? Infinity))
  ]]
  if (options.visibility !== undefined) params.push(["visibility", options.visibility])
  if (options.resourceTypes !== undefined && options.resourceTypes.length > 0) {
    params.push(["resource_types", options.resourceTypes.join(",")])
  }
  for (const [key, value] of Object.entries(options.filters ?? {})) params.push([key, value])
  if (options.sortKey !== undefined) params.push(["sort_key", options.sortKey])
  if (options.sortDir !== undefined) params.push(["sort_dir", options.sortDir])
  return params
}

const readOnly = new Set(["created_at", "updated_at", "self", "schema"])
const namespaceContents = new Set(["resource_type_associations", "properties", "objects", "tags"])

/** The body of a PUT: the current fields without read-only ones, overlaid with the changes. */
const replacement = (
  current: Readonly<Record<string, unknown>>,
  changes: object,
  drop: ReadonlySet<string> = new Set()
): Record<string, unknown> => {
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(current)) {
    if (!readOnly.has(key) && !drop.has(key) && value !== undefined && value !== null) body[key] = value
  }
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) body[key] = value
  return body
}

const withNames = (properties: typeof PropertyMap.Type): ReadonlyArray<Property> =>
  Object.entries(properties).map(([name, property]) => ({ ...property, name: property.name ?? name }))

/**
 * Builds the metadata definitions operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp
  const ns = (namespace: string) => `/v2/metadefs/namespaces/${encodeURIComponent(namespace)}`
  const at = (namespace: string, kind: string, name?: string) =>
    `${ns(namespace)}/${kind}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`
  const withResourceType = (resourceType: string | undefined) => (request: HttpClientRequest.HttpClientRequest) =>
    resourceType === undefined ? request : HttpClientRequest.setUrlParam(request, "resource_type", resourceType)
  const put = (url: string, body: unknown) => HttpClientRequest.put(url).pipe(HttpClientRequest.bodyUnsafeJson(body))
  const post = (url: string, body: unknown) => HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body))

  // Namespaces

  const listNamespaces = (options: NamespaceListOptions = {}): Stream.Stream<Namespace, GlanceHttpError> => {
    const first = HttpClientRequest.get("/v2/metadefs/namespaces").pipe(
      HttpClientRequest.setUrlParams(namespaceListParams(options))
    )
    const namespaces = http.paginate(first, NamespacePage, (page) => page.namespaces)
    return (options.limit === undefined ? namespaces : Stream.take(namespaces, options.limit)).pipe(
      Stream.withSpan("Metadefs.namespaces.list")
    )
  }

  const getNamespace = Effect.fn("Metadefs.namespaces.get")(function*(
    namespace: string,
    options: { readonly resourceType?: string | undefined } = {}
  ) {
    return yield* http.json(
      HttpClientRequest.get(ns(namespace)).pipe(withResourceType(options.resourceType)),
      Namespace
    )
  })

  const createNamespace = Effect.fn("Metadefs.namespaces.create")(function*(fields: NamespaceFields) {
    return yield* http.json(post("/v2/metadefs/namespaces", fields), Namespace)
  })

  const updateNamespace = Effect.fn("Metadefs.namespaces.update")(function*(
    namespace: string,
    changes: NamespaceChanges
  ) {
    const current = yield* getNamespace(namespace)
    return yield* http.json(put(ns(namespace), replacement(current, changes, namespaceContents)), Namespace)
  })

  const deleteNamespace = Effect.fn("Metadefs.namespaces.delete")(function*(namespace: string) {
    yield* http.send(HttpClientRequest.del(ns(namespace)))
  })

  // Objects

  const listObjects = Effect.fn("Metadefs.objects.list")(function*(namespace: string) {
    return (yield* http.json(HttpClientRequest.get(at(namespace, "objects")), ObjectList)).objects
  })

  const getObject = Effect.fn("Metadefs.objects.get")(function*(namespace: string, name: string) {
    return yield* http.json(HttpClientRequest.get(at(namespace, "objects", name)), MetadefObject)
  })

  const createObject = Effect.fn("Metadefs.objects.create")(function*(
    namespace: string,
    fields: ObjectFields & { readonly name: string }
  ) {
    return yield* http.json(post(at(namespace, "objects"), fields), MetadefObject)
  })

  const updateObject = Effect.fn("Metadefs.objects.update")(function*(
    namespace: string,
    name: string,
    changes: ObjectFields
  ) {
    const current = yield* getObject(namespace, name)
    return yield* http.json(put(at(namespace, "objects", name), replacement(current, changes)), MetadefObject)
  })

  const deleteObject = Effect.fn("Metadefs.objects.delete")(function*(namespace: string, name: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "objects", name)))
  })

  const deleteAllObjects = Effect.fn("Metadefs.objects.deleteAll")(function*(namespace: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "objects")))
  })

  // Properties

  const listProperties = Effect.fn("Metadefs.properties.list")(function*(namespace: string) {
    return withNames((yield* http.json(HttpClientRequest.get(at(namespace, "properties")), PropertyList)).properties)
  })

  const getProperty = Effect.fn("Metadefs.properties.get")(function*(
    namespace: string,
    name: string,
    options: { readonly resourceType?: string | undefined } = {}
  ) {
    return yield* http.json(
      HttpClientRequest.get(at(namespace, "properties", name)).pipe(withResourceType(options.resourceType)),
      Property
    )
  })

  const createProperty = Effect.fn("Metadefs.properties.create")(function*(
    namespace: string,
    fields: PropertyFields & { readonly name: string; readonly title: string; readonly type: string }
  ) {
    return yield* http.json(post(at(namespace, "properties"), fields), Property)
  })

  const updateProperty = Effect.fn("Metadefs.properties.update")(function*(
    namespace: string,
    name: string,
    changes: PropertyFields
  ) {
    const current = yield* getProperty(namespace, name)
    return yield* http.json(put(at(namespace, "properties", name), replacement(current, changes)), Property)
  })

  const deleteProperty = Effect.fn("Metadefs.properties.delete")(function*(namespace: string, name: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "properties", name)))
  })

  const deleteAllProperties = Effect.fn("Metadefs.properties.deleteAll")(function*(namespace: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "properties")))
  })

  // Tags

  const listTags = Effect.fn("Metadefs.tags.list")(function*(namespace: string) {
    return (yield* http.json(HttpClientRequest.get(at(namespace, "tags")), TagList)).tags
  })

  const getTag = Effect.fn("Metadefs.tags.get")(function*(namespace: string, name: string) {
    return yield* http.json(HttpClientRequest.get(at(namespace, "tags", name)), Tag)
  })

  const createTag = Effect.fn("Metadefs.tags.create")(function*(namespace: string, name: string) {
    return yield* http.json(HttpClientRequest.post(at(namespace, "tags", name)), Tag)
  })

  const createTags = Effect.fn("Metadefs.tags.createMultiple")(function*(
    namespace: string,
    names: ReadonlyArray<string>,
    options: { readonly append?: boolean | undefined } = {}
  ) {
    const request = post(at(namespace, "tags"), { tags: names.map((name) => ({ name })) })
    const body = yield* http.json(
      options.append === true ? HttpClientRequest.setHeader(request, "x-openstack-append", "True") : request,
      TagList
    )
    return body.tags
  })

  const updateTag = Effect.fn("Metadefs.tags.update")(function*(namespace: string, name: string, newName: string) {
    return yield* http.json(put(at(namespace, "tags", name), { name: newName }), Tag)
  })

  const deleteTag = Effect.fn("Metadefs.tags.delete")(function*(namespace: string, name: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "tags", name)))
  })

  const deleteAllTags = Effect.fn("Metadefs.tags.deleteAll")(function*(namespace: string) {
    yield* http.send(HttpClientRequest.del(at(namespace, "tags")))
  })

  // Resource types

  const listResourceTypes = http.json(HttpClientRequest.get("/v2/metadefs/resource_types"), ResourceTypeList).pipe(
    Effect.map((body) => body.resource_types),
    Effect.withSpan("Metadefs.resourceTypes.list")
  )

  const listFor = Effect.fn("Metadefs.resourceTypes.listFor")(function*(namespace: string) {
    return (yield* http.json(HttpClientRequest.get(at(namespace, "resource_types")), AssociationList))
      .resource_type_associations
  })

  const associate = Effect.fn("Metadefs.resourceTypes.associate")(function*(
    namespace: string,
    association: AssociationFields
  ) {
    return yield* http.json(post(at(namespace, "resource_types"), association), ResourceTypeAssociation)
  })

  const deassociate = Effect.fn("Metadefs.resourceTypes.deassociate")(function*(
    namespace: string,
    resourceType: string
  ) {
    yield* http.send(HttpClientRequest.del(at(namespace, "resource_types", resourceType)))
  })

  return Metadefs.of({
    namespaces: {
      list: listNamespaces,
      get: getNamespace,
      create: createNamespace,
      update: updateNamespace,
      delete: deleteNamespace
    },
    objects: {
      list: listObjects,
      get: getObject,
      create: createObject,
      update: updateObject,
      delete: deleteObject,
      deleteAll: deleteAllObjects
    },
    properties: {
      list: listProperties,
      get: getProperty,
      create: createProperty,
      update: updateProperty,
      delete: deleteProperty,
      deleteAll: deleteAllProperties
    },
    tags: {
      list: listTags,
      get: getTag,
      create: createTag,
      createMultiple: createTags,
      update: updateTag,
      delete: deleteTag,
      deleteAll: deleteAllTags
    },
    resourceTypes: { list: listResourceTypes, listFor, associate, deassociate }
  })
})

/**
 * The metadata definitions operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Metadefs, never, GlanceHttp> = Layer.effect(Metadefs, make)
