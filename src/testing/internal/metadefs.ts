/**
 * The in-memory `Metadefs` service of one caller over a world: admins change namespaces and
 * their contents (the lab's policy); everyone reads public namespaces, owners their private ones.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Metadefs from "../../Metadefs.js"
import { traced } from "./spans.js"
import { type Caller, fail, now, type StoredNamespace, type World } from "./world.js"

const base = "/v2/metadefs/namespaces"

const defined = <T extends object>(fields: T): T =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T

/** Builds the `Metadefs` service of a caller. */
export const makeMetadefs = (world: World, caller: Caller): Metadefs.Service => {
  const admin = (action: string, method: string, path: string) =>
    caller.admin === true
      ? Effect.void
      : fail(403, `You are not authorized to complete ${action} action.`, method, path)

  const visible = (stored: StoredNamespace) =>
    caller.admin === true || stored.namespace.visibility === "public" || stored.namespace.owner === caller.project

  const find = (namespace: string, method: string, path = `${base}/${namespace}`) =>
    Effect.suspend(() => {
      const stored = world.namespaces.get(namespace)
      return stored !== undefined && visible(stored)
        ? Effect.succeed(stored)
        : fail(404, `Metadata definition namespace=${namespace} was not found.`, method, path)
    })

  /** The namespace, when the caller sees it (404, looked up first as Glance does) and is an admin (403). */
  const changing = (namespace: string, action: string, method: string, path = `${base}/${namespace}`) =>
    Effect.tap(find(namespace, method, path), () => admin(action, method, path))

  const prefixOf = (stored: StoredNamespace, resourceType: string | undefined) =>
    resourceType === undefined ? "" : stored.associations.get(resourceType)?.prefix ?? ""

  const propertyMap = (stored: StoredNamespace, prefix: string) =>
    Object.fromEntries([...stored.properties.values()].map((p) => [`${prefix}${p.name}`, p]))

  const show = (stored: StoredNamespace, resourceType?: string): Metadefs.Namespace => {
    const shown: Record<string, unknown> = { ...stored.namespace }
    if (stored.associations.size > 0) shown.resource_type_associations = [...stored.associations.values()]
    if (stored.properties.size > 0) shown.properties = propertyMap(stored, prefixOf(stored, resourceType))
    if (stored.objects.size > 0) shown.objects = [...stored.objects.values()]
    if (stored.tags.size > 0) shown.tags = [...stored.tags.values()].map((t) => ({ name: t.name }))
    return shown as Metadefs.Namespace
  }

  const makeObject = (fields: Metadefs.ObjectFields & { readonly name: string }, at: string) =>
    defined({
      name: fields.name,
      description: fields.description,
      required: fields.required ?? [],
      properties: fields.properties ?? {},
      created_at: at,
      updated_at: at
    }) as Metadefs.MetadefObject

  const checkProperty = (fields: Metadefs.PropertyFields, method: string, path: string) => {
    const missing = ["type", "title", "name"].filter((k) => fields[k] === undefined)
    return missing.length === 0
      ? Effect.void
      : fail(
        400,
        `Provided object does not match schema 'property': '${missing[0]}' is a required property`,
        method,
        path
      )
  }

  const addTag = (stored: StoredNamespace, name: string, at: string, method: string) => {
    // Glance's message says names are case-insensitive; that is the database's collation, and the
    // lab's SQLite (like the twin) compares them exactly.
    if (stored.tags.has(name)) {
      return fail(
        409,
        `A metadata tag with name=${name} already exists in namespace=${stored.namespace.namespace}. (Please note that metadata tag names are case insensitive).`,
        method,
        `${base}/${stored.namespace.namespace}/tags/${name}`
      )
    }
    const tag: Metadefs.Tag = { name, created_at: at, updated_at: at }
    stored.tags.set(name, tag)
    return Effect.succeed(tag)
  }

  const associate = (stored: StoredNamespace, fields: Metadefs.AssociationFields, at: string) => {
    if (!world.resourceTypes.has(fields.name)) {
      world.resourceTypes.set(fields.name, { name: fields.name, created_at: at, updated_at: at })
    }
    const association = defined({ ...fields, created_at: at, updated_at: at }) as Metadefs.ResourceTypeAssociation
    stored.associations.set(fields.name, association)
    return association
  }

  const inside = <A>(
    kind: "objects" | "properties" | "tags",
    label: string,
    map: (stored: StoredNamespace) => Map<string, A>
  ) => ({
    find: (namespace: string, name: string, method: string) =>
      Effect.flatMap(find(namespace, method), (stored) => {
        const found = map(stored).get(name)
        return found === undefined
          ? fail(404, `Could not find metadata ${label} ${name}`, method, `${base}/${namespace}/${kind}/${name}`)
          : Effect.succeed([stored, found] as const)
      }),
    change: (namespace: string, name: string, action: string, method: string) =>
      Effect.flatMap(find(namespace, method), (stored) => {
        const at = `${base}/${namespace}/${kind}/${name}`
        const found = map(stored).get(name)
        return found === undefined
          ? fail(404, `Could not find metadata ${label} ${name}`, method, at)
          : Effect.as(admin(action, method, at), [stored, found] as const)
      }),
    clear: (namespace: string, action: string) =>
      Effect.map(changing(namespace, action, "DELETE", `${base}/${namespace}/${kind}`), (stored) => map(stored).clear())
  })

  const objects = inside("objects", "object", (s) => s.objects)
  const properties = inside("properties", "property", (s) => s.properties)
  const tags = inside("tags", "tag", (s) => s.tags)

  const conflict = (message: string, method: string, path: string) => fail(409, message, method, path)

  const spanned: Metadefs.Service = traced<Metadefs.Service>("Metadefs", {
    namespaces: {
      list: (options = {}) =>
        Stream.suspend(() => {
          const key = options.sortKey ?? "created_at"
          const sign = options.sortDir === "asc" ? 1 : -1
          const all = [...world.namespaces.values()]
            .filter((s) =>
              visible(s) &&
              (options.visibility === undefined || s.namespace.visibility === options.visibility) &&
              (options.resourceTypes === undefined || options.resourceTypes.length === 0 ||
                options.resourceTypes.some((t) => s.associations.has(t))) &&
              Object.entries(options.filters ?? {}).every(([k, v]) => String(s.namespace[k]) === v)
            )
            .sort((a, b) => {
              const x = String(a.namespace[key] ?? "")
              const y = String(b.namespace[key] ?? "")
              return x === y ? 0 : (x < y ? -1 : 1) * sign
            })
            .map((s) => show(s))
          return Stream.fromIterable(options.limit === undefined ? all : all.slice(0, options.limit))
        }),
      get: (namespace, options = {}) => Effect.map(find(namespace, "GET"), (s) => show(s, options.resourceType)),
      create: (fields) =>
        Effect.gen(function*() {
          yield* admin("add_metadef_namespace", "POST", base)
          if (world.namespaces.has(fields.namespace)) {
            return yield* conflict(
              `The metadata definition namespace=${fields.namespace} already exists.`,
              "POST",
              base
            )
          }
          const at = yield* now
          const stored: StoredNamespace = {
            namespace: defined({
              namespace: fields.namespace,
              display_name: fields.display_name,
              description: fields.description,
              visibility: fields.visibility ?? "private",
              protected: fields.protected ?? false,
              owner: fields.owner ?? caller.project,
              created_at: at,
              updated_at: at
            }),
            objects: new Map(),
            properties: new Map(),
            tags: new Map(),
            associations: new Map()
          }
          for (const o of fields.objects ?? []) stored.objects.set(o.name, makeObject(o, at))
          for (const [name, p] of Object.entries(fields.properties ?? {})) {
            stored.properties.set(name, { ...p, name } as Metadefs.Property)
          }
          for (const t of fields.tags ?? []) stored.tags.set(t.name, { name: t.name, created_at: at, updated_at: at })
          for (const a of fields.resource_type_associations ?? []) associate(stored, a, at)
          world.namespaces.set(fields.namespace, stored)
          return show(stored)
        }),
      update: (namespace, changes) =>
        Effect.gen(function*() {
          // The client reads the namespace before it replaces it, as against a cloud.
          yield* spanned.namespaces.get(namespace)
          const stored = yield* changing(namespace, "modify_metadef_namespace", "PUT")
          const renamed = changes.namespace ?? namespace
          if (renamed !== namespace && world.namespaces.has(renamed)) {
            return yield* conflict(
              `The metadata definition namespace=${renamed} already exists.`,
              "PUT",
              `${base}/${namespace}`
            )
          }
          stored.namespace = { ...stored.namespace, ...defined(changes), namespace: renamed, updated_at: yield* now }
          world.namespaces.delete(namespace)
          world.namespaces.set(renamed, stored)
          return show(stored)
        }),
      delete: (namespace) =>
        Effect.gen(function*() {
          const stored = yield* changing(namespace, "delete_metadef_namespace", "DELETE")
          if (stored.namespace.protected === true) {
            return yield* fail(
              403,
              `Metadata definition namespace ${namespace} is protected and cannot be deleted.`,
              "DELETE",
              `${base}/${namespace}`
            )
          }
          world.namespaces.delete(namespace)
        })
    },
    objects: {
      list: (namespace) => Effect.map(find(namespace, "GET"), (s) => [...s.objects.values()]),
      get: (namespace, name) => Effect.map(objects.find(namespace, name, "GET"), ([, o]) => o),
      create: (namespace, fields) =>
        Effect.gen(function*() {
          const path = `${base}/${namespace}/objects`
          const stored = yield* changing(namespace, "add_metadef_object", "POST", path)
          if (stored.objects.has(fields.name)) {
            return yield* conflict(
              `A metadata definition object with name=${fields.name} already exists in namespace=${namespace}.`,
              "POST",
              path
            )
          }
          const object = makeObject(fields, yield* now)
          stored.objects.set(fields.name, object)
          return object
        }),
      update: (namespace, name, changes) =>
        Effect.gen(function*() {
          yield* spanned.objects.get(namespace, name)
          const [stored, current] = yield* objects.change(namespace, name, "modify_metadef_object", "PUT")
          const next = { ...current, ...defined(changes), updated_at: yield* now } as Metadefs.MetadefObject
          stored.objects.delete(name)
          stored.objects.set(next.name, next)
          return next
        }),
      delete: (namespace, name) =>
        Effect.map(
          objects.change(namespace, name, "delete_metadef_object", "DELETE"),
          ([stored]) => void stored.objects.delete(name)
        ),
      deleteAll: (namespace) => objects.clear(namespace, "delete_metadef_object")
    },
    properties: {
      list: (namespace) => Effect.map(find(namespace, "GET"), (s) => [...s.properties.values()]),
      get: (namespace, name, options = {}) =>
        Effect.flatMap(find(namespace, "GET"), (stored) => {
          const prefix = prefixOf(stored, options.resourceType)
          const bare = name.startsWith(prefix) ? name.slice(prefix.length) : name
          return Effect.map(properties.find(namespace, bare, "GET"), ([, p]) => p)
        }),
      create: (namespace, fields) =>
        Effect.gen(function*() {
          const path = `${base}/${namespace}/properties`
          const stored = yield* changing(namespace, "add_metadef_property", "POST", path)
          yield* checkProperty(fields, "POST", path)
          if (stored.properties.has(fields.name)) {
            return yield* conflict(
              `A metadata definition property with name=${fields.name} already exists in namespace=${namespace}.`,
              "POST",
              path
            )
          }
          const property = defined({ ...fields }) as Metadefs.Property
          stored.properties.set(fields.name, property)
          return property
        }),
      update: (namespace, name, changes) =>
        Effect.gen(function*() {
          yield* spanned.properties.get(namespace, name)
          const [stored, current] = yield* properties.change(namespace, name, "modify_metadef_property", "PUT")
          const next = { ...current, ...defined(changes) } as Metadefs.Property
          stored.properties.delete(name)
          stored.properties.set(next.name, next)
          return next
        }),
      delete: (namespace, name) =>
        Effect.map(
          properties.change(namespace, name, "remove_metadef_property", "DELETE"),
          ([stored]) => void stored.properties.delete(name)
        ),
      deleteAll: (namespace) => properties.clear(namespace, "remove_metadef_property")
    },
    tags: {
      list: (namespace) => Effect.map(find(namespace, "GET"), (s) => [...s.tags.values()]),
      get: (namespace, name) => Effect.map(tags.find(namespace, name, "GET"), ([, t]) => t),
      create: (namespace, name) =>
        Effect.gen(function*() {
          const stored = yield* changing(namespace, "add_metadef_tag", "POST", `${base}/${namespace}/tags/${name}`)
          return yield* addTag(stored, name, yield* now, "POST")
        }),
      createMultiple: (namespace, names, options = {}) =>
        Effect.gen(function*() {
          const stored = yield* changing(namespace, "add_metadef_tags", "POST", `${base}/${namespace}/tags`)
          const at = yield* now
          const kept = options.append === true ? [...stored.tags.keys()] : []
          const clash = names.find((n, i) => names.indexOf(n) !== i || kept.includes(n))
          if (clash !== undefined) {
            return yield* conflict(
              `A metadata tag with name=${clash} already exists in namespace=${namespace}. (Please note that metadata tag names are case insensitive).`,
              "POST",
              `${base}/${namespace}/tags`
            )
          }
          if (options.append !== true) stored.tags.clear()
          const made: Array<Metadefs.Tag> = []
          for (const name of names) made.push(yield* addTag(stored, name, at, "POST"))
          return made.map((t) => ({ name: t.name }))
        }),
      update: (namespace, name, newName) =>
        Effect.gen(function*() {
          const [stored, current] = yield* tags.change(namespace, name, "modify_metadef_tag", "PUT")
          const next: Metadefs.Tag = { ...current, name: newName, updated_at: yield* now }
          stored.tags.delete(name)
          stored.tags.set(newName, next)
          return next
        }),
      delete: (namespace, name) =>
        Effect.map(
          tags.change(namespace, name, "delete_metadef_tag", "DELETE"),
          ([stored]) => void stored.tags.delete(name)
        ),
      deleteAll: (namespace) => tags.clear(namespace, "delete_metadef_tags")
    },
    resourceTypes: {
      list: Effect.sync(() => [...world.resourceTypes.values()]),
      listFor: (namespace) => Effect.map(find(namespace, "GET"), (s) => [...s.associations.values()]),
      associate: (namespace, association) =>
        Effect.gen(function*() {
          const path = `${base}/${namespace}/resource_types`
          const stored = yield* changing(namespace, "add_metadef_resource_type_association", "POST", path)
          if (stored.associations.has(association.name)) {
            return yield* conflict(
              `The metadata definition resource-type association of resource-type=${association.name} to namespace=${namespace}, already exists.`,
              "POST",
              path
            )
          }
          return associate(stored, association, yield* now)
        }),
      deassociate: (namespace, resourceType) =>
        Effect.gen(function*() {
          const path = `${base}/${namespace}/resource_types/${resourceType}`
          const stored = yield* changing(namespace, "remove_metadef_resource_type_association", "DELETE", path)
          if (!stored.associations.delete(resourceType)) {
            return yield* fail(
              404,
              `The metadata definition resource-type association of resource-type=${resourceType} to namespace=${namespace}, was not found.`,
              "DELETE",
              path
            )
          }
        })
    }
  })
  return spanned
}
