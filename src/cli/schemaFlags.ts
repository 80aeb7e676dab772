/**
 * The schema-driven flags of `image-create` and `image-update`: as python-glanceclient builds
 * them from the cloud's image schema, every writable property the cloud declares is a
 * `--<property> value` flag (underscores spelled as dashes), beyond the static ones. The schema
 * is cached on disk per cloud endpoint (`$XDG_CACHE_HOME/glanceclient/<hash>/image_schema.json`,
 * mode 0600, replaced atomically), so only the first run asks the cloud for it; a cache that
 * does not parse or does not validate is no cache (the schema is fetched again and rewritten).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { Settings } from "../CloudConfig.js"
import * as Schemas from "../Schemas.js"
import { invalidChoice, notAnInteger } from "./commandLine.js"
import { UsageError } from "./errors.js"
import { notABoolean, toBool } from "./flags.js"
import { escapeControls } from "./safeText.js"
import type { OptionSpec } from "./spec.js"

/** A flag the command's definition does not know, and its value, taken apart before parsing. */
export interface ExtraFlag {
  readonly flag: string
  readonly value: string | undefined
}

/** The extra flags of this run (only for image-create and image-update), and the flags the command defines. */
export class ExtraFlags extends Context.Tag("glance/ExtraFlags")<ExtraFlags, {
  readonly flags: ReadonlyArray<ExtraFlag>
  readonly known: ReadonlySet<string>
}>() {}

/** The commands whose flags come from the image schema too. */
export const schemaCommands = ["image-create", "image-update", "image-create-via-import"] as const

const createOmitted = [
  "created_at",
  "updated_at",
  "file",
  "checksum",
  "virtual_size",
  "size",
  "status",
  "schema",
  "direct_url",
  "locations",
  "self",
  "os_hidden",
  "os_hash_value",
  "os_hash_algo"
]

/** The properties python-glanceclient offers no flag for (read-only ones, and those with flags of their own). */
const omitted: Record<(typeof schemaCommands)[number], ReadonlyArray<string>> = {
  "image-create": createOmitted,
  // python-glanceclient gives image-create-via-import image-create's schema flags.
  "image-create-via-import": createOmitted,
  "image-update": [
    "id",
    "locations",
    "created_at",
    "updated_at",
    "file",
    "checksum",
    "virtual_size",
    "size",
    "status",
    "schema",
    "direct_url",
    "tags",
    "self",
    "os_hidden",
    "os_hash_value",
    "os_hash_algo"
  ]
}

/**
 * Takes the `--name value` / `--name=value` flags that are not `known` out of the arguments
 * after the command (at `at`); `withValue` are the known ones that take a value.
 */
export const splitExtraFlags = (
  args: ReadonlyArray<string>,
  at: number,
  known: ReadonlySet<string>,
  withValue: ReadonlySet<string>
): { readonly args: Array<string>; readonly extras: Array<ExtraFlag> } => {
  const out = args.slice(0, at + 1)
  const extras: Array<ExtraFlag> = []
  for (let i = at + 1; i < args.length; i++) {
    const a = args[i]!
    if (a === "--") {
      out.push(...args.slice(i))
      break
    }
    const eq = a.indexOf("=")
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a
    if (!name.startsWith("--") || name.length <= 2 || known.has(name)) {
      out.push(a)
      if (known.has(name) && withValue.has(name) && eq < 0 && i + 1 < args.length) out.push(args[++i]!)
      continue
    }
    if (eq > 0) extras.push({ flag: name, value: a.slice(eq + 1) })
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) extras.push({ flag: name, value: args[++i]! })
    else extras.push({ flag: name, value: undefined })
  }
  return { args: out, extras }
}

/** The directory of the schema cache for the settings' endpoint. */
export const cacheDir = (settings: Settings): string => {
  const base = process.env.XDG_CACHE_HOME || Path.join(process.env.HOME || Os.homedir(), ".cache")
  // The endpoint: the image URL when given, else what picks it from the catalog.
  const endpoint = settings.imageUrl ?? [settings.authUrl, settings.regionName ?? "", settings.interface ?? "public"]
    .join(" ")
  const hash = Crypto.createHash("sha256").update(endpoint).digest("hex").slice(0, 40)
  return Path.join(base, "glanceclient", hash)
}

const decodeCachedSchema = Schema.decodeUnknownOption(Schemas.JsonSchema)

/**
 * The cached image schema of the settings' endpoint, if any: a file that cannot be read, does not
 * parse, or is not a schema with properties (hand-edited, truncated) is no cache.
 */
export const readCachedSchema = (settings: Settings): Schemas.JsonSchema | undefined => {
  let text: string
  try {
    text = Fs.readFileSync(Path.join(cacheDir(settings), "image_schema.json"), "utf8")
  } catch {
    return undefined
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  return Option.getOrUndefined(Option.filter(decodeCachedSchema(parsed), (s) => s.properties !== undefined))
}

/**
 * Writes the cache (0600, in a 0700 directory): to a new file of its own beside it, then renamed
 * over the old one, so a reader sees the old schema or the new one, never half of one. A failure
 * to write only costs a request later.
 */
export const writeCachedSchema = (settings: Settings, schema: Schemas.JsonSchema): void => {
  let temp: string | undefined
  try {
    const dir = cacheDir(settings)
    Fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = Path.join(dir, "image_schema.json")
    temp = `${file}.${process.pid}.${Crypto.randomBytes(6).toString("hex")}.tmp`
    const fd = Fs.openSync(temp, "wx", 0o600)
    try {
      Fs.writeFileSync(fd, JSON.stringify(schema))
      Fs.fsyncSync(fd)
    } finally {
      Fs.closeSync(fd)
    }
    Fs.renameSync(temp, file)
    temp = undefined
  } catch {
    // A read-only home: python-glanceclient carries on too.
  } finally {
    if (temp !== undefined) Fs.rmSync(temp, { force: true })
  }
}

/** A property that can be a flag, and how its values are typed. */
export interface SchemaFlag {
  readonly flag: string
  readonly property: string
  readonly type: string
  readonly itemType: string | undefined
  readonly choices: ReadonlyArray<string> | undefined
  readonly description: string
}

const firstType = (type: unknown): string => {
  if (typeof type === "string") return type
  if (Array.isArray(type)) return type.find((t) => t !== "null") ?? "string"
  return "string"
}

/** The flags the schema offers for the command, beyond the `staticFlags` the command defines itself. */
export const schemaFlags = (
  schema: Schemas.JsonSchema,
  command: (typeof schemaCommands)[number],
  staticFlags: ReadonlySet<string>
): Array<SchemaFlag> =>
  Object.entries(schema.properties ?? {}).flatMap(([property, p]) => {
    const flag = `--${property.replace(/_/g, "-")}`
    if (omitted[command].includes(property) || p.readOnly === true || staticFlags.has(flag)) return []
    const type = firstType(p.type)
    const items = (p as { items?: { type?: unknown } }).items
    const itemType = type === "array" ? firstType(items?.type) : undefined
    if (!["string", "integer", "number", "boolean", "array"].includes(type)) return []
    if (itemType !== undefined && !["string", "integer", "number", "boolean"].includes(itemType)) return []
    const choices = p.enum?.filter((c) => c !== null).map(String)
    const description = [p.description ?? "", choices ? `Valid values: ${choices.join(", ")}` : ""]
      .filter((s) => s.length > 0).join(" ")
    return [{ flag, property, type, itemType, choices, description }]
  })

const typed = (flag: string, type: string, choices: ReadonlyArray<string> | undefined, value: string) =>
  Effect.gen(function*() {
    if (choices !== undefined && !choices.includes(value)) {
      return yield* new UsageError({ message: invalidChoice(`argument ${flag}`, value, choices) })
    }
    switch (type) {
      case "integer": {
        const refused = notAnInteger(`argument ${flag}`, value)
        if (refused !== undefined) return yield* new UsageError({ message: refused })
        return Number(value)
      }
      case "number":
        if (value.trim() === "" || Number.isNaN(Number(value))) {
          return yield* new UsageError({ message: `argument ${flag}: invalid float value: '${value}'` })
        }
        return Number(value)
      case "boolean": {
        const refused = notABoolean(flag, value)
        if (refused !== undefined) return yield* new UsageError({ message: refused })
        return toBool(value)!
      }
      default:
        return value
    }
  })

/** The image fields of the extra flags, typed by the schema; `unrecognized arguments` when it has no such property. */
export const fieldsFromFlags = (
  offered: ReadonlyArray<SchemaFlag>,
  extras: ReadonlyArray<ExtraFlag>
): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.gen(function*() {
    const unknown = extras.filter((e) => !offered.some((f) => f.flag === e.flag)).map((e) => e.flag)
    if (unknown.length > 0) {
      return yield* new UsageError({ message: `unrecognized arguments: ${[...new Set(unknown)].join(" ")}` })
    }
    const fields: Record<string, unknown> = {}
    for (const e of extras) {
      const f = offered.find((o) => o.flag === e.flag)!
      if (e.value === undefined) return yield* new UsageError({ message: `argument ${e.flag}: expected one argument` })
      if (f.type === "array") {
        const values: Array<unknown> = []
        for (const v of e.value.split(",")) values.push(yield* typed(e.flag, f.itemType ?? "string", f.choices, v))
        fields[f.property] = [...((fields[f.property] as Array<unknown> | undefined) ?? []), ...values]
      } else {
        fields[f.property] = yield* typed(e.flag, f.type, f.choices, e.value)
      }
    }
    return fields
  })

/**
 * The image fields of this run's extra flags for `command`: from the cached schema, else (or
 * when it lacks a flag given, or with `refresh`: `--get-schema`) the cloud's, cached for the next run.
 */
export const extraFields = (command: (typeof schemaCommands)[number], settings: Settings, refresh = false) =>
  Effect.gen(function*() {
    const given = yield* Effect.serviceOption(ExtraFlags)
    if (Option.isNone(given) || given.value.flags.length === 0) return {}
    const { flags: extras, known: staticFlags } = given.value
    const known = (schema: Schemas.JsonSchema) => schemaFlags(schema, command, staticFlags)
    const cached = refresh ? undefined : readCachedSchema(settings)
    if (cached !== undefined && extras.every((e) => known(cached).some((f) => f.flag === e.flag))) {
      return yield* fieldsFromFlags(known(cached), extras)
    }
    const schemas = yield* Schemas.Schemas
    const fresh = yield* schemas.get("image")
    writeCachedSchema(settings, fresh)
    return yield* fieldsFromFlags(known(fresh), extras)
  })

/** The schema flags as `glance help` lists them, from the cached schema of the settings' endpoint (none without one). */
export const cachedFlagSpecs = (
  command: string,
  known: ReadonlyArray<OptionSpec>,
  settings: Settings
): Array<OptionSpec> => {
  if (!(schemaCommands as ReadonlyArray<string>).includes(command)) return []
  const schema = readCachedSchema(settings)
  if (schema === undefined) return []
  const names = new Set(known.flatMap((o) => o.names))
  // Names, descriptions and choices are the cloud's words: shown with control characters escaped.
  return schemaFlags(schema, command as (typeof schemaCommands)[number], names).map((f) => ({
    names: [escapeControls(f.flag)],
    long: escapeControls(f.flag),
    metavar: f.type === "boolean" ? "[True|False]" : `<${escapeControls(f.property.toUpperCase())}>`,
    description: escapeControls(f.description.replace(/\s+/g, " ")),
    required: false,
    repeated: f.type === "array",
    type: f.choices ? "choice" : f.type === "integer" ? "integer" : "text",
    choices: f.choices?.map((c) => escapeControls(c)),
    env: undefined
  }))
}
