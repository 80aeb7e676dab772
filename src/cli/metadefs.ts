/**
 * The `md-*` commands (metadata definitions), with python-glanceclient's names, arguments and tables.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Fs from "node:fs"
import * as Metadefs from "../Metadefs.js"
import { CommandError, LocalFileError } from "./errors.js"
import { withClient } from "./globalOptions.js"
import {
  cell,
  type Column,
  type FormatOptions,
  formatOptions,
  opt,
  printList,
  printObject,
  pyStr,
  table
} from "./output.js"

const namespaceArg = (description: string) => Args.text({ name: "NAMESPACE" }).pipe(Args.withDescription(description))
const maxColumnWidth = Options.integer("max-column-width").pipe(
  Options.withPseudoName("<integer>"),
  Options.withDescription("The max column width of the printed table."),
  Options.withDefault(80)
)
const optText = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description), Options.optional)
const reqText = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description))

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

/** oslo's `bool_from_string` (non-strict): true for 1/t/true/on/y/yes, false otherwise. */
const boolFromString = (value: string): boolean =>
  ["1", "t", "true", "on", "y", "yes"].includes(value.trim().toLowerCase())

/** A `--schema` argument: a JSON object, or python-glanceclient's message. */
const parseSchema = (text: string) =>
  Effect.try({
    try: () => {
      const parsed: unknown = JSON.parse(text)
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object")
      return parsed as Record<string, unknown>
    },
    catch: () => new CommandError({ message: "Schema is not a valid JSON object." })
  })

const visibility = Options.choice("visibility", ["public", "private"]).pipe(
  Options.withDescription("Scope of namespace accessibility. Valid values: public, private"),
  Options.optional
)

/** The namespace fields taken as flags by `md-namespace-create` and `md-namespace-update`. */
const namespaceFieldOptions = {
  displayName: optText(
    "display-name",
    "<DISPLAY_NAME>",
    "The user friendly name for the namespace. Used by UI if available."
  ),
  description: optText("description", "<DESCRIPTION>", "Provides a user friendly description of the namespace."),
  visibility,
  protected: optText("protected", "[True|False]", "If true, namespace will not be deletable."),
  owner: optText("owner", "<OWNER>", "Owner of the namespace.")
}

const namespaceChanges = (a: {
  readonly displayName: Option.Option<string>
  readonly description: Option.Option<string>
  readonly visibility: Option.Option<"public" | "private">
  readonly protected: Option.Option<string>
  readonly owner: Option.Option<string>
}): Metadefs.NamespaceChanges => {
  const p = opt(a.protected)
  const fields: Metadefs.NamespaceChanges = {
    display_name: opt(a.displayName),
    description: opt(a.description),
    visibility: opt(a.visibility),
    protected: p === undefined ? undefined : boolFromString(p),
    owner: opt(a.owner)
  }
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Metadefs.NamespaceChanges
}

// Namespaces

/** `md-namespace-list`. */
export const mdNamespaceList = Command.make("md-namespace-list", {
  resourceTypes: Options.text("resource-types").pipe(
    Options.withPseudoName("<RESOURCE_TYPES>"),
    Options.withDescription("Resource type to filter namespaces."),
    Options.repeated
  ),
  visibility: optText("visibility", "<VISIBILITY>", "Visibility parameter to filter namespaces."),
  pageSize: Options.integer("page-size").pipe(
    Options.withPseudoName("<SIZE>"),
    Options.withDescription("Number of namespaces to request in each paginated request."),
    Options.optional
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const vis = opt(a.visibility)
    const namespaces = md.namespaces.list({
      resourceTypes: a.resourceTypes.length > 0 ? a.resourceTypes : undefined,
      filters: vis === undefined ? undefined : { visibility: vis },
      pageSize: opt(a.pageSize)
    })
    yield* printList(namespaces, [{ header: "namespace", get: (n) => n.namespace }], a)
  }))).pipe(Command.withDescription("List metadata definitions namespaces."))

/** `md-namespace-show NAMESPACE [--resource-type] [--max-column-width]`. */
export const mdNamespaceShow = Command.make("md-namespace-show", {
  namespace: namespaceArg("Name of namespace to describe."),
  resourceType: optText(
    "resource-type",
    "<RESOURCE_TYPE>",
    "Applies prefix of given resource type associated to a namespace to all properties of a namespace."
  ),
  maxColumnWidth,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const namespace = yield* md.namespaces.get(a.namespace, { resourceType: opt(a.resourceType) })
    yield* printDict(namespaceRecord(namespace), a, a.maxColumnWidth)
  }))).pipe(
    Command.withDescription(
      "Describe a specific metadata definitions namespace. Lists also the namespace properties, objects and resource type associations."
    )
  )

/** `md-namespace-create NAMESPACE [--display-name] [--description] [--visibility] [--protected] [--owner]`. */
export const mdNamespaceCreate = Command.make("md-namespace-create", {
  namespace: namespaceArg("Name of the namespace."),
  ...namespaceFieldOptions,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const namespace = yield* md.namespaces.create({ ...namespaceChanges(a), namespace: a.namespace })
    yield* printDict(namespaceRecord(namespace), a)
  }))).pipe(Command.withDescription("Create a new metadata definitions namespace."))

/** `md-namespace-update NAMESPACE [--namespace NEW] [...]`. */
export const mdNamespaceUpdate = Command.make("md-namespace-update", {
  id: namespaceArg("Name of namespace to update."),
  newName: optText("namespace", "<NAMESPACE>", "The unique namespace text."),
  ...namespaceFieldOptions,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const rename = opt(a.newName)
    const updated = yield* md.namespaces.update(a.id, {
      ...namespaceChanges(a),
      ...(rename === undefined ? {} : { namespace: rename })
    })
    // python-glanceclient shows the namespace fetched again, with its contents.
    yield* printDict(namespaceRecord(yield* md.namespaces.get(updated.namespace)), a)
  }))).pipe(Command.withDescription("Update an existing metadata definitions namespace."))

/** `md-namespace-delete NAMESPACE`. */
export const mdNamespaceDelete = Command.make("md-namespace-delete", {
  namespace: namespaceArg("Name of namespace to delete.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.namespaces.delete(a.namespace)
  }))).pipe(Command.withDescription("Delete specified metadata definitions namespace with its contents."))

/** `md-namespace-import [--file FILEPATH]` (or JSON on stdin). */
export const mdNamespaceImport = Command.make("md-namespace-import", {
  file: optText(
    "file",
    "<FILEPATH>",
    "Path to file with namespace schema to import. Alternatively, namespaces schema can be passed to the client via stdin."
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const file = opt(a.file)
    const data = yield* Effect.try({
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
    if (data === undefined) {
      return yield* new CommandError({
        message: "No metadata definition namespace passed via stdin or --file argument."
      })
    }
    const fields = yield* Effect.try({
      try: () => JSON.parse(data) as Metadefs.NamespaceFields,
      catch: () => new CommandError({ message: "Schema is not a valid JSON object." })
    })
    const md = yield* Metadefs.Metadefs
    yield* printDict(namespaceRecord(yield* md.namespaces.create(fields)), a)
  }))).pipe(Command.withDescription("Import a metadata definitions namespace from file or standard input."))

// Resource types

/** `md-resource-type-list`. */
export const mdResourceTypeList = Command.make(
  "md-resource-type-list",
  { ...formatOptions },
  (a) =>
    withClient(Effect.gen(function*() {
      const md = yield* Metadefs.Metadefs
      yield* printList(yield* md.resourceTypes.list, [{ header: "name", get: (r) => r.name }], a)
    }))
).pipe(Command.withDescription("List available resource type names."))

/** `md-namespace-resource-type-list NAMESPACE`. */
export const mdNamespaceResourceTypeList = Command.make("md-namespace-resource-type-list", {
  namespace: namespaceArg("Name of namespace."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printList(yield* md.resourceTypes.listFor(a.namespace), [
      { header: "name", get: (r) => r.name },
      { header: "prefix", get: (r) => r.prefix },
      { header: "properties_target", get: (r) => r.properties_target }
    ], a)
  }))).pipe(Command.withDescription("List resource types associated to specific namespace."))

/** `md-resource-type-associate NAMESPACE --name NAME [--prefix] [--properties-target]`. */
export const mdResourceTypeAssociate = Command.make("md-resource-type-associate", {
  namespace: namespaceArg("Name of namespace."),
  name: reqText(
    "name",
    "<NAME>",
    "Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html"
  ),
  prefix: optText(
    "prefix",
    "<PREFIX>",
    "Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :)."
  ),
  propertiesTarget: optText(
    "properties-target",
    "<PROPERTIES_TARGET>",
    "Some resource types allow more than one key / value pair per instance. For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity."
  ),
  // --prefix is the association's here, so -f shell takes none.
  format: formatOptions.format,
  column: formatOptions.column
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const prefix = opt(a.prefix)
    const target = opt(a.propertiesTarget)
    const association = yield* md.resourceTypes.associate(a.namespace, {
      name: a.name,
      ...(prefix === undefined ? {} : { prefix }),
      ...(target === undefined ? {} : { properties_target: target })
    })
    yield* printDict(shown(association), { ...a, prefix: "" })
  }))).pipe(Command.withDescription("Associate resource type with a metadata definitions namespace."))

/** `md-resource-type-deassociate NAMESPACE RESOURCE_TYPE`. */
export const mdResourceTypeDeassociate = Command.make("md-resource-type-deassociate", {
  namespace: namespaceArg("Name of namespace."),
  resourceType: Args.text({ name: "RESOURCE_TYPE" }).pipe(Args.withDescription("Name of resource type."))
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.resourceTypes.deassociate(a.namespace, a.resourceType)
  }))).pipe(Command.withDescription("Deassociate resource type with a metadata definitions namespace."))

// Tags

const tagArg = (description: string) => Args.text({ name: "TAG" }).pipe(Args.withDescription(description))
const tagColumns: ReadonlyArray<Column<Metadefs.Tag>> = [{ header: "name", get: (t) => t.name }]
const blankTag = () => new CommandError({ message: "Please supply at least one non-blank tag name." })

/** `md-tag-create NAMESPACE --name NAME`. */
export const mdTagCreate = Command.make("md-tag-create", {
  namespace: namespaceArg("Name of the namespace the tag will belong to."),
  name: reqText("name", "<NAME>", "The name of the new tag to add."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const name = a.name.trim()
    if (name === "") return yield* blankTag()
    const md = yield* Metadefs.Metadefs
    yield* printDict(shown(yield* md.tags.create(a.namespace, name)), a)
  }))).pipe(Command.withDescription("Add a new metadata definitions tag inside a namespace."))

/** `md-tag-create-multiple NAMESPACE --names NAMES [--delim DELIM] [--append]`. */
export const mdTagCreateMultiple = Command.make("md-tag-create-multiple", {
  namespace: namespaceArg("Name of the namespace the tags will belong to."),
  names: reqText("names", "<NAMES>", "A comma separated list of tag names."),
  delim: optText(
    "delim",
    "<DELIM>",
    "The delimiter used to separate the names (if none is provided then the default is a comma)."
  ),
  append: Options.boolean("append").pipe(
    Options.withDescription("Append the new tags to the existing ones instead ofoverwriting them")
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const delim = opt(a.delim) || ","
    const tags = a.names.split(delim).map((n) => n.trim()).filter((n) => n.length > 0)
    if (tags.length === 0) {
      return yield* new CommandError({ message: "Please supply at least one tag name. For example: --names Tag1" })
    }
    const md = yield* Metadefs.Metadefs
    yield* printList(yield* md.tags.createMultiple(a.namespace, tags, { append: a.append }), tagColumns, a)
  }))).pipe(Command.withDescription("Create new metadata definitions tags inside a namespace."))

/** `md-tag-list NAMESPACE`. */
export const mdTagList = Command.make("md-tag-list", {
  namespace: namespaceArg("Name of namespace."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printList(yield* md.tags.list(a.namespace), tagColumns, a)
  }))).pipe(Command.withDescription("List metadata definitions tags inside a specific namespace."))

/** `md-tag-show NAMESPACE TAG`. */
export const mdTagShow = Command.make("md-tag-show", {
  namespace: namespaceArg("Name of the namespace to which the tag belongs."),
  tag: tagArg("Name of the tag."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printDict(shown(yield* md.tags.get(a.namespace, a.tag)), a)
  }))).pipe(Command.withDescription("Describe a specific metadata definitions tag inside a namespace."))

/** `md-tag-update NAMESPACE TAG --name NAME`. */
export const mdTagUpdate = Command.make("md-tag-update", {
  namespace: namespaceArg("Name of the namespace to which the tag belongs."),
  tag: tagArg("Name of the old tag."),
  name: reqText("name", "<NAME>", "New name of the new tag."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const name = a.name.trim()
    if (name === "") return yield* blankTag()
    const md = yield* Metadefs.Metadefs
    yield* printDict(shown(yield* md.tags.update(a.namespace, a.tag, name)), a)
  }))).pipe(Command.withDescription("Rename a metadata definitions tag inside a namespace."))

/** `md-tag-delete NAMESPACE TAG`. */
export const mdTagDelete = Command.make("md-tag-delete", {
  namespace: namespaceArg("Name of the namespace to which the tag belongs."),
  tag: tagArg("Name of the tag.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.tags.delete(a.namespace, a.tag)
  }))).pipe(Command.withDescription("Delete a specific metadata definitions tag inside a namespace."))

/** `md-namespace-tags-delete NAMESPACE`. */
export const mdNamespaceTagsDelete = Command.make("md-namespace-tags-delete", {
  namespace: namespaceArg("Name of namespace.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.tags.deleteAll(a.namespace)
  }))).pipe(Command.withDescription("Delete all metadata definitions tags inside a specific namespace."))

// Objects

const objectArg = Args.text({ name: "OBJECT" }).pipe(Args.withDescription("Name of an object."))

/** `md-object-create NAMESPACE --name NAME --schema SCHEMA`. */
export const mdObjectCreate = Command.make("md-object-create", {
  namespace: namespaceArg("Name of namespace the object will belong."),
  name: reqText("name", "<NAME>", "Internal name of an object."),
  schema: reqText("schema", "<SCHEMA>", "Valid JSON schema of an object."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const schema = yield* parseSchema(a.schema)
    const md = yield* Metadefs.Metadefs
    const object = yield* md.objects.create(
      a.namespace,
      { name: a.name, ...schema } as Metadefs.ObjectFields & {
        readonly name: string
      }
    )
    yield* printDict(objectRecord(object), a)
  }))).pipe(Command.withDescription("Create a new metadata definitions object inside a namespace."))

/** `md-object-update NAMESPACE OBJECT [--name NAME] [--schema SCHEMA]`. */
export const mdObjectUpdate = Command.make("md-object-update", {
  namespace: namespaceArg("Name of namespace the object belongs."),
  object: objectArg,
  name: optText("name", "<NAME>", "New name of an object."),
  schema: optText("schema", "<SCHEMA>", "Valid JSON schema of an object."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const name = opt(a.name)
    const schemaText = opt(a.schema)
    const schema = schemaText ? yield* parseSchema(schemaText) : {}
    const md = yield* Metadefs.Metadefs
    const object = yield* md.objects.update(a.namespace, a.object, {
      ...(name ? { name } : {}),
      ...schema
    } as Metadefs.ObjectFields)
    yield* printDict(objectRecord(object), a)
  }))).pipe(Command.withDescription("Update metadata definitions object inside a namespace."))

/** `md-object-show NAMESPACE OBJECT [--max-column-width]`. */
export const mdObjectShow = Command.make("md-object-show", {
  namespace: namespaceArg("Name of namespace the object belongs."),
  object: objectArg,
  maxColumnWidth,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printDict(objectRecord(yield* md.objects.get(a.namespace, a.object)), a, a.maxColumnWidth)
  }))).pipe(Command.withDescription("Describe a specific metadata definitions object inside a namespace."))

/** `md-object-property-show NAMESPACE OBJECT PROPERTY [--max-column-width]`. */
export const mdObjectPropertyShow = Command.make("md-object-property-show", {
  namespace: namespaceArg("Name of namespace the object belongs."),
  object: objectArg,
  property: Args.text({ name: "PROPERTY" }).pipe(Args.withDescription("Name of a property.")),
  maxColumnWidth,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    const object = yield* md.objects.get(a.namespace, a.object)
    const property = object.properties?.[a.property]
    if (property === undefined) {
      return yield* new CommandError({ message: `Property ${a.property} not found in object ${a.object}.` })
    }
    yield* printDict({ ...property, name: a.property }, a, a.maxColumnWidth)
  }))).pipe(Command.withDescription("Describe a specific metadata definitions property inside an object."))

/** `md-object-delete NAMESPACE OBJECT`. */
export const mdObjectDelete = Command.make("md-object-delete", {
  namespace: namespaceArg("Name of namespace the object belongs."),
  object: objectArg
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.objects.delete(a.namespace, a.object)
  }))).pipe(Command.withDescription("Delete a specific metadata definitions object inside a namespace."))

/** `md-namespace-objects-delete NAMESPACE`. */
export const mdNamespaceObjectsDelete = Command.make("md-namespace-objects-delete", {
  namespace: namespaceArg("Name of namespace.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.objects.deleteAll(a.namespace)
  }))).pipe(Command.withDescription("Delete all metadata definitions objects inside a specific namespace."))

/** `md-object-list NAMESPACE`: name and description (wrapped at 50). */
export const mdObjectList = Command.make("md-object-list", {
  namespace: namespaceArg("Name of namespace."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printListWidths(
      yield* md.objects.list(a.namespace),
      [
        { header: "name", get: (o) => o.name },
        {
          header: "description",
          get: (o) => o.description
        }
      ],
      [undefined, 50],
      a
    )
  }))).pipe(Command.withDescription("List metadata definitions objects inside a specific namespace."))

// Properties

const propertyArg = Args.text({ name: "PROPERTY" }).pipe(Args.withDescription("Name of a property."))

/** `md-property-create NAMESPACE --name NAME --title TITLE --schema SCHEMA`. */
export const mdPropertyCreate = Command.make("md-property-create", {
  namespace: namespaceArg("Name of namespace the property will belong."),
  name: reqText("name", "<NAME>", "Internal name of a property."),
  title: reqText("title", "<TITLE>", "Property name displayed to the user."),
  schema: reqText("schema", "<SCHEMA>", "Valid JSON schema of a property."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const schema = yield* parseSchema(a.schema)
    const md = yield* Metadefs.Metadefs
    const property = yield* md.properties.create(
      a.namespace,
      { name: a.name, title: a.title, ...schema } as Metadefs.PropertyFields & {
        readonly name: string
        readonly title: string
        readonly type: string
      }
    )
    yield* printDict(shown(property), a)
  }))).pipe(Command.withDescription("Create a new metadata definitions property inside a namespace."))

/** `md-property-update NAMESPACE PROPERTY [--name] [--title] [--schema]`. */
export const mdPropertyUpdate = Command.make("md-property-update", {
  namespace: namespaceArg("Name of namespace the property belongs."),
  property: propertyArg,
  name: optText("name", "<NAME>", "New name of a property."),
  title: optText("title", "<TITLE>", "Property name displayed to the user."),
  schema: optText("schema", "<SCHEMA>", "Valid JSON schema of a property."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const name = opt(a.name)
    const title = opt(a.title)
    const schemaText = opt(a.schema)
    const schema = schemaText ? yield* parseSchema(schemaText) : {}
    const md = yield* Metadefs.Metadefs
    const property = yield* md.properties.update(a.namespace, a.property, {
      ...(name ? { name } : {}),
      ...(title ? { title } : {}),
      ...schema
    })
    yield* printDict(shown(property), a)
  }))).pipe(Command.withDescription("Update metadata definitions property inside a namespace."))

/** `md-property-show NAMESPACE PROPERTY [--max-column-width]`. */
export const mdPropertyShow = Command.make("md-property-show", {
  namespace: namespaceArg("Name of namespace the property belongs."),
  property: propertyArg,
  maxColumnWidth,
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printDict(shown(yield* md.properties.get(a.namespace, a.property)), a, a.maxColumnWidth)
  }))).pipe(Command.withDescription("Describe a specific metadata definitions property inside a namespace."))

/** `md-property-delete NAMESPACE PROPERTY`. */
export const mdPropertyDelete = Command.make("md-property-delete", {
  namespace: namespaceArg("Name of namespace the property belongs."),
  property: propertyArg
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.properties.delete(a.namespace, a.property)
  }))).pipe(Command.withDescription("Delete a specific metadata definitions property inside a namespace."))

/** `md-namespace-properties-delete NAMESPACE`. */
export const mdNamespacePropertiesDelete = Command.make("md-namespace-properties-delete", {
  namespace: namespaceArg("Name of namespace.")
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* md.properties.deleteAll(a.namespace)
  }))).pipe(Command.withDescription("Delete all metadata definitions property inside a specific namespace."))

/** `md-property-list NAMESPACE`. */
export const mdPropertyList = Command.make("md-property-list", {
  namespace: namespaceArg("Name of namespace."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const md = yield* Metadefs.Metadefs
    yield* printList(yield* md.properties.list(a.namespace), [
      { header: "name", get: (p) => p.name },
      { header: "title", get: (p) => p.title },
      { header: "type", get: (p) => p.type }
    ], a)
  }))).pipe(Command.withDescription("List metadata definitions properties inside a specific namespace."))

/** All metadata definitions commands. */
export const metadefCommands = [
  mdNamespaceList,
  mdNamespaceShow,
  mdNamespaceCreate,
  mdNamespaceUpdate,
  mdNamespaceDelete,
  mdNamespaceImport,
  mdResourceTypeList,
  mdNamespaceResourceTypeList,
  mdResourceTypeAssociate,
  mdResourceTypeDeassociate,
  mdTagCreate,
  mdTagCreateMultiple,
  mdTagList,
  mdTagShow,
  mdTagUpdate,
  mdTagDelete,
  mdNamespaceTagsDelete,
  mdObjectCreate,
  mdObjectList,
  mdObjectShow,
  mdObjectPropertyShow,
  mdObjectUpdate,
  mdObjectDelete,
  mdNamespaceObjectsDelete,
  mdPropertyCreate,
  mdPropertyList,
  mdPropertyShow,
  mdPropertyUpdate,
  mdPropertyDelete,
  mdNamespacePropertiesDelete
] as const
