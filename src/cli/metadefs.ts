/**
 * The `md-*` commands (metadata definitions), with python-glanceclient's names, arguments and tables:
 * one table entry each.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Metadefs from "../Metadefs.js"
import { CommandError, LocalFileError } from "./errors.js"
import { arg, choice, flag, integer, repeated, required, text, toBool, withDefault } from "./flags.js"
import { cell, type Column, type FormatOptions, printList, printObject, pyStr, table } from "./output.js"
import { make } from "./table.js"

const namespace = (help: string) => arg("NAMESPACE", help)
const maxColumnWidth = withDefault(
  integer("max-column-width", "The max column width of the printed table.", "<integer>"),
  80
)
const object = arg("OBJECT", "Name of an object.")
const property = arg("PROPERTY", "Name of a property.")
const tag = (help: string) => arg("TAG", help)
const schema = text("schema", "Valid JSON schema of an object.", "<SCHEMA>")

/** python-glanceclient's `print_list` cell: `getattr(o, field) or ''`. */
const listValue = (
  v: unknown
): unknown => (v === null || v === undefined || v === "" || v === 0 || v === false ? "" : v)

/** `print_list` with per-column max widths (prettytable `max_width`) in table format. */
const printListWidths = <A>(
  rows: ReadonlyArray<A>,
  columns: ReadonlyArray<Column<A>>,
  widths: ReadonlyArray<number | undefined>,
  options: FormatOptions
) =>
  options.format === "table" && options.column.length === 0
    ? Console.log(table(
      columns.map((c) => c.header),
      rows.map((r) =>
        columns.map((c) => {
          const v = listValue(c.get(r))
          return v === "" ? "" : pyStr(v)
        })
      ),
      widths
    ))
    : printList(rows, columns, options)

/** A record as python-glanceclient shows it: without `self`, which its managers drop. */
const shown = (record: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const { self: _self, ...rest } = record
  return rest
}

/** python-glanceclient's `print_dict(d, max_column_width)`: the width caps both columns. */
const printDict = (record: Record<string, unknown>, options: FormatOptions, maxWidth = 80) =>
  options.format === "table" && options.column.length === 0
    ? Console.log(table(
      ["Property", "Value"],
      Object.entries(record)
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, v]) => [k, cell(v)]),
      [maxWidth, maxWidth]
    ))
    : printObject(record, options, maxWidth)

/** python-glanceclient's `_namespace_show`: contents flattened to their names. */
const namespaceRecord = (namespace: Metadefs.Namespace): Record<string, unknown> => {
  const record = shown(namespace)
  if (namespace.properties !== undefined) record.properties = Object.keys(namespace.properties)
  if (namespace.resource_type_associations !== undefined) {
    record.resource_type_associations = namespace.resource_type_associations.map((a) => a.name)
  }
  if (namespace.objects !== undefined) record.objects = namespace.objects.map((o) => o.name)
  if (namespace.tags !== undefined) record.tags = namespace.tags.map((t) => t.name)
  return record
}

/** python-glanceclient's `_object_show`: properties flattened to their names. */
const objectRecord = (object: Metadefs.MetadefObject): Record<string, unknown> => {
  const record = shown(object)
  if (object.properties !== undefined) record.properties = Object.keys(object.properties)
  return record
}

/** `print_dict` of a record, at the command's `--max-column-width` when it has one. */
const dict = <T>(toRecord: (value: T) => Record<string, unknown>) =>
(
  value: T,
  format: FormatOptions,
  a: { readonly maxColumnWidth?: number | undefined; readonly [k: string]: unknown }
) => printDict(toRecord(value), format, a.maxColumnWidth)

/** oslo's `bool_from_string` (non-strict): true for 1/t/true/on/y/yes, false otherwise. */
const boolFromString = (value: string): boolean => toBool(value.trim()) === true

/** A `--schema` argument: a JSON object, or python-glanceclient's message. */
const parseSchema = (text: string | undefined) =>
  Effect.try({
    try: () => {
      if (!text) return {}
      const parsed: unknown = JSON.parse(text)
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object")
      return parsed as Record<string, unknown>
    },
    catch: () => new CommandError({ message: "Schema is not a valid JSON object." })
  })

/** The fields whose value is given. */
const given = <A extends Record<string, unknown>>(fields: A): A =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== "")) as A

/** The namespace fields taken as flags by `md-namespace-create` and `md-namespace-update`. */
const namespaceFields = {
  displayName: text(
    "display-name",
    "The user friendly name for the namespace. Used by UI if available.",
    "<DISPLAY_NAME>"
  ),
  description: text("description", "Provides a user friendly description of the namespace.", "<DESCRIPTION>"),
  visibility: choice(
    "visibility",
    ["public", "private"],
    "Scope of namespace accessibility. Valid values: public, private"
  ),
  protected: text("protected", "If true, namespace will not be deletable.", "[True|False]"),
  owner: text("owner", "Owner of the namespace.", "<OWNER>")
}

const namespaceChanges = (a: {
  readonly displayName: string | undefined
  readonly description: string | undefined
  readonly visibility: "public" | "private" | undefined
  readonly protected: string | undefined
  readonly owner: string | undefined
}): Metadefs.NamespaceChanges =>
  Object.fromEntries(
    Object.entries({
      display_name: a.displayName,
      description: a.description,
      visibility: a.visibility,
      protected: a.protected === undefined ? undefined : boolFromString(a.protected),
      owner: a.owner
    }).filter(([, v]) => v !== undefined)
  ) as Metadefs.NamespaceChanges

/** Namespace JSON from `--file`, else from stdin when it is not a terminal; undefined when there is none. */
const readNamespaceFile = (file: string | undefined) =>
  Effect.try({
    try: () => {
      if (file !== undefined) return Fs.readFileSync(file, "utf8")
      if (process.stdin.isTTY) return undefined
      try {
        Fs.fstatSync(0)
      } catch {
        return undefined
      }
      return Fs.readFileSync(0, "utf8")
    },
    catch: (e) => new LocalFileError({ message: `Unable to read ${file ?? "stdin"}: ${String(e)}` })
  })

const blankTag = () => new CommandError({ message: "Please supply at least one non-blank tag name." })
const tagColumns: ReadonlyArray<Column<Metadefs.Tag>> = [{ header: "name", get: (t) => t.name }]
const md = Metadefs.Metadefs

/** `md-namespace-X-delete NAMESPACE`: everything of a kind in a namespace. */
const deleteAll = (kind: "tags" | "objects" | "properties", plural: string) =>
  make({
    name: `md-namespace-${kind}-delete`,
    help: `Delete all metadata definitions ${plural} inside a specific namespace.`,
    fields: { namespace: namespace("Name of namespace.") },
    call: (a) => Effect.flatMap(md, (m) => m[kind].deleteAll(a.namespace))
  })

/** The metadata definitions commands. */
export const metadefTable = [
  // Namespaces
  make({
    name: "md-namespace-list",
    help: "List metadata definitions namespaces.",
    fields: {
      resourceTypes: repeated(text("resource-types", "Resource type to filter namespaces.", "<RESOURCE_TYPES>")),
      visibility: text("visibility", "Visibility parameter to filter namespaces.", "<VISIBILITY>"),
      pageSize: integer("page-size", "Number of namespaces to request in each paginated request.", "<SIZE>")
    },
    call: (a) =>
      Effect.map(md, (m) =>
        m.namespaces.list({
          resourceTypes: a.resourceTypes.length > 0 ? a.resourceTypes : undefined,
          filters: a.visibility === undefined ? undefined : { visibility: a.visibility },
          pageSize: a.pageSize
        })),
    output: (namespaces, format) => printList(namespaces, [{ header: "namespace", get: (n) => n.namespace }], format)
  }),
  make({
    name: "md-namespace-show",
    help:
      "Describe a specific metadata definitions namespace. Lists also the namespace properties, objects and resource type associations.",
    fields: {
      namespace: namespace("Name of namespace to describe."),
      resourceType: text(
        "resource-type",
        "Applies prefix of given resource type associated to a namespace to all properties of a namespace.",
        "<RESOURCE_TYPE>"
      ),
      maxColumnWidth
    },
    call: (a) => Effect.flatMap(md, (m) => m.namespaces.get(a.namespace, { resourceType: a.resourceType })),
    output: dict(namespaceRecord)
  }),
  make({
    name: "md-namespace-create",
    help: "Create a new metadata definitions namespace.",
    fields: { namespace: namespace("Name of the namespace."), ...namespaceFields },
    call: (a) => Effect.flatMap(md, (m) => m.namespaces.create({ ...namespaceChanges(a), namespace: a.namespace })),
    output: dict(namespaceRecord)
  }),
  make({
    name: "md-namespace-update",
    help: "Update an existing metadata definitions namespace.",
    fields: {
      id: namespace("Name of namespace to update."),
      newName: text("namespace", "The unique namespace text.", "<NAMESPACE>"),
      ...namespaceFields
    },
    call: (a) =>
      Effect.flatMap(md, (m) =>
        m.namespaces.update(a.id, given({ ...namespaceChanges(a), namespace: a.newName })).pipe(
          // python-glanceclient shows the namespace fetched again, with its contents.
          Effect.flatMap((updated) => m.namespaces.get(updated.namespace))
        )),
    output: dict(namespaceRecord)
  }),
  make({
    name: "md-namespace-delete",
    help: "Delete specified metadata definitions namespace with its contents.",
    fields: { namespace: namespace("Name of namespace to delete.") },
    call: (a) => Effect.flatMap(md, (m) => m.namespaces.delete(a.namespace))
  }),
  make({
    name: "md-namespace-import",
    help: "Import a metadata definitions namespace from file or standard input.",
    fields: {
      file: text(
        "file",
        "Path to file with namespace schema to import. Alternatively, namespaces schema can be passed to the client via stdin.",
        "<FILEPATH>"
      )
    },
    call: (a) =>
      Effect.gen(function*() {
        const data = yield* readNamespaceFile(a.file)
        if (data === undefined) {
          return yield* new CommandError({
            message: "No metadata definition namespace passed via stdin or --file argument."
          })
        }
        const fields = yield* Effect.try({
          try: () => JSON.parse(data) as Metadefs.NamespaceFields,
          catch: () => new CommandError({ message: "Schema is not a valid JSON object." })
        })
        return yield* (yield* md).namespaces.create(fields)
      }),
    output: dict(namespaceRecord)
  }),
  // Resource types
  make({
    name: "md-resource-type-list",
    help: "List available resource type names.",
    fields: {},
    call: () => Effect.flatMap(md, (m) => m.resourceTypes.list),
    output: [{ header: "name", get: (r) => r.name }]
  }),
  make({
    name: "md-namespace-resource-type-list",
    help: "List resource types associated to specific namespace.",
    fields: { namespace: namespace("Name of namespace.") },
    call: (a) => Effect.flatMap(md, (m) => m.resourceTypes.listFor(a.namespace)),
    output: [
      { header: "name", get: (r) => r.name },
      { header: "prefix", get: (r) => r.prefix },
      { header: "properties_target", get: (r) => r.properties_target }
    ]
  }),
  make({
    name: "md-resource-type-associate",
    help: "Associate resource type with a metadata definitions namespace.",
    fields: {
      namespace: namespace("Name of namespace."),
      name: required(text(
        "name",
        "Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html",
        "<NAME>"
      )),
      // The association's prefix, so -f shell takes none.
      prefix: text(
        "prefix",
        "Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :).",
        "<PREFIX>"
      ),
      propertiesTarget: text(
        "properties-target",
        "Some resource types allow more than one key / value pair per instance. For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity.",
        "<PROPERTIES_TARGET>"
      )
    },
    call: (a) =>
      Effect.flatMap(md, (m) =>
        m.resourceTypes.associate(a.namespace, {
          name: a.name,
          ...given({ prefix: a.prefix, properties_target: a.propertiesTarget })
        })),
    output: dict(shown)
  }),
  make({
    name: "md-resource-type-deassociate",
    help: "Deassociate resource type with a metadata definitions namespace.",
    fields: {
      namespace: namespace("Name of namespace."),
      resourceType: arg("RESOURCE_TYPE", "Name of resource type.")
    },
    call: (a) => Effect.flatMap(md, (m) => m.resourceTypes.deassociate(a.namespace, a.resourceType))
  }),
  // Tags
  make({
    name: "md-tag-create",
    help: "Add a new metadata definitions tag inside a namespace.",
    fields: {
      namespace: namespace("Name of the namespace the tag will belong to."),
      name: required(text("name", "The name of the new tag to add.", "<NAME>"))
    },
    call: (a) =>
      Effect.gen(function*() {
        if (a.name.trim() === "") return yield* blankTag()
        return yield* (yield* md).tags.create(a.namespace, a.name.trim())
      }),
    output: dict(shown)
  }),
  make({
    name: "md-tag-create-multiple",
    help: "Create new metadata definitions tags inside a namespace.",
    fields: {
      namespace: namespace("Name of the namespace the tags will belong to."),
      names: required(text("names", "A comma separated list of tag names.", "<NAMES>")),
      delim: text(
        "delim",
        "The delimiter used to separate the names (if none is provided then the default is a comma).",
        "<DELIM>"
      ),
      append: flag("append", "Append the new tags to the existing ones instead ofoverwriting them")
    },
    call: (a) =>
      Effect.gen(function*() {
        const tags = a.names.split(a.delim || ",").map((n) => n.trim()).filter((n) => n.length > 0)
        if (tags.length === 0) {
          return yield* new CommandError({ message: "Please supply at least one tag name. For example: --names Tag1" })
        }
        return yield* (yield* md).tags.createMultiple(a.namespace, tags, { append: a.append })
      }),
    output: tagColumns
  }),
  make({
    name: "md-tag-list",
    help: "List metadata definitions tags inside a specific namespace.",
    fields: { namespace: namespace("Name of namespace.") },
    call: (a) => Effect.flatMap(md, (m) => m.tags.list(a.namespace)),
    output: tagColumns
  }),
  make({
    name: "md-tag-show",
    help: "Describe a specific metadata definitions tag inside a namespace.",
    fields: { namespace: namespace("Name of the namespace to which the tag belongs."), tag: tag("Name of the tag.") },
    call: (a) => Effect.flatMap(md, (m) => m.tags.get(a.namespace, a.tag)),
    output: dict(shown)
  }),
  make({
    name: "md-tag-update",
    help: "Rename a metadata definitions tag inside a namespace.",
    fields: {
      namespace: namespace("Name of the namespace to which the tag belongs."),
      tag: tag("Name of the old tag."),
      name: required(text("name", "New name of the new tag.", "<NAME>"))
    },
    call: (a) =>
      Effect.gen(function*() {
        if (a.name.trim() === "") return yield* blankTag()
        return yield* (yield* md).tags.update(a.namespace, a.tag, a.name.trim())
      }),
    output: dict(shown)
  }),
  make({
    name: "md-tag-delete",
    help: "Delete a specific metadata definitions tag inside a namespace.",
    fields: { namespace: namespace("Name of the namespace to which the tag belongs."), tag: tag("Name of the tag.") },
    call: (a) => Effect.flatMap(md, (m) => m.tags.delete(a.namespace, a.tag))
  }),
  deleteAll("tags", "tags"),
  // Objects
  make({
    name: "md-object-create",
    help: "Create a new metadata definitions object inside a namespace.",
    fields: {
      namespace: namespace("Name of namespace the object will belong."),
      name: required(text("name", "Internal name of an object.", "<NAME>")),
      schema: required(schema)
    },
    call: (a) =>
      Effect.flatMap(
        parseSchema(a.schema),
        (schema) =>
          Effect.flatMap(md, (m) =>
            m.objects.create(
              a.namespace,
              { name: a.name, ...schema } as Metadefs.ObjectFields & { readonly name: string }
            ))
      ),
    output: dict(objectRecord)
  }),
  make({
    name: "md-object-list",
    help: "List metadata definitions objects inside a specific namespace.",
    fields: { namespace: namespace("Name of namespace.") },
    call: (a) => Effect.flatMap(md, (m) => m.objects.list(a.namespace)),
    // The description wrapped at 50.
    output: (objects, format) =>
      printListWidths(
        objects,
        [
          { header: "name", get: (o) => o.name },
          {
            header: "description",
            get: (o) => o.description
          }
        ],
        [undefined, 50],
        format
      )
  }),
  make({
    name: "md-object-show",
    help: "Describe a specific metadata definitions object inside a namespace.",
    fields: { namespace: namespace("Name of namespace the object belongs."), object, maxColumnWidth },
    call: (a) => Effect.flatMap(md, (m) => m.objects.get(a.namespace, a.object)),
    output: dict(objectRecord)
  }),
  make({
    name: "md-object-property-show",
    help: "Describe a specific metadata definitions property inside an object.",
    fields: { namespace: namespace("Name of namespace the object belongs."), object, property, maxColumnWidth },
    call: (a) =>
      Effect.gen(function*() {
        const found = (yield* (yield* md).objects.get(a.namespace, a.object)).properties?.[a.property]
        if (found === undefined) {
          return yield* new CommandError({ message: `Property ${a.property} not found in object ${a.object}.` })
        }
        return { ...found, name: a.property } as Record<string, unknown>
      }),
    output: dict((p: Record<string, unknown>) => p)
  }),
  make({
    name: "md-object-update",
    help: "Update metadata definitions object inside a namespace.",
    fields: {
      namespace: namespace("Name of namespace the object belongs."),
      object,
      name: text("name", "New name of an object.", "<NAME>"),
      schema
    },
    call: (a) =>
      Effect.flatMap(
        parseSchema(a.schema),
        (schema) =>
          Effect.flatMap(md, (m) =>
            m.objects.update(a.namespace, a.object, { ...given({ name: a.name }), ...schema } as Metadefs.ObjectFields))
      ),
    output: dict(objectRecord)
  }),
  make({
    name: "md-object-delete",
    help: "Delete a specific metadata definitions object inside a namespace.",
    fields: { namespace: namespace("Name of namespace the object belongs."), object },
    call: (a) => Effect.flatMap(md, (m) => m.objects.delete(a.namespace, a.object))
  }),
  deleteAll("objects", "objects"),
  // Properties
  make({
    name: "md-property-create",
    help: "Create a new metadata definitions property inside a namespace.",
    fields: {
      namespace: namespace("Name of namespace the property will belong."),
      name: required(text("name", "Internal name of a property.", "<NAME>")),
      title: required(text("title", "Property name displayed to the user.", "<TITLE>")),
      schema: required(text("schema", "Valid JSON schema of a property.", "<SCHEMA>"))
    },
    call: (a) =>
      Effect.flatMap(parseSchema(a.schema), (schema) =>
        Effect.flatMap(md, (m) =>
          m.properties.create(
            a.namespace,
            { name: a.name, title: a.title, ...schema } as Metadefs.PropertyFields & {
              readonly name: string
              readonly title: string
              readonly type: string
            }
          ))),
    output: dict(shown)
  }),
  make({
    name: "md-property-list",
    help: "List metadata definitions properties inside a specific namespace.",
    fields: { namespace: namespace("Name of namespace.") },
    call: (a) => Effect.flatMap(md, (m) => m.properties.list(a.namespace)),
    output: [
      { header: "name", get: (p) => p.name },
      { header: "title", get: (p) => p.title },
      { header: "type", get: (p) => p.type }
    ]
  }),
  make({
    name: "md-property-show",
    help: "Describe a specific metadata definitions property inside a namespace.",
    fields: { namespace: namespace("Name of namespace the property belongs."), property, maxColumnWidth },
    call: (a) => Effect.flatMap(md, (m) => m.properties.get(a.namespace, a.property)),
    output: dict(shown)
  }),
  make({
    name: "md-property-update",
    help: "Update metadata definitions property inside a namespace.",
    fields: {
      namespace: namespace("Name of namespace the property belongs."),
      property,
      name: text("name", "New name of a property.", "<NAME>"),
      title: text("title", "Property name displayed to the user.", "<TITLE>"),
      schema: text("schema", "Valid JSON schema of a property.", "<SCHEMA>")
    },
    call: (a) =>
      Effect.flatMap(
        parseSchema(a.schema),
        (schema) =>
          Effect.flatMap(md, (m) =>
            m.properties.update(a.namespace, a.property, { ...given({ name: a.name, title: a.title }), ...schema }))
      ),
    output: dict(shown)
  }),
  make({
    name: "md-property-delete",
    help: "Delete a specific metadata definitions property inside a namespace.",
    fields: { namespace: namespace("Name of namespace the property belongs."), property },
    call: (a) => Effect.flatMap(md, (m) => m.properties.delete(a.namespace, a.property))
  }),
  deleteAll("properties", "property")
] as const
