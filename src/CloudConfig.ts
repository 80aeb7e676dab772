/**
 * Where to find the cloud and how to log in: explicit options, then `OS_*` environment
 * variables, then a cloud from clouds.yaml (+ secure.yaml), in the order the OpenStack
 * clients use.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Yaml from "yaml"
import { TypeId } from "./GlanceError.js"

/**
 * A setting is missing, contradictory or unreadable; the message names it and where it was looked
 * for. `setting` names a missing one as `Settings` spells it (`authUrl`, `password`, …), so an
 * application can word it in its own terms (the `glance` command names its flags).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  message: Schema.String,
  setting: Schema.optional(Schema.String)
}) {
  readonly [TypeId]: TypeId = TypeId
}

/** The environment variable `fromEnv` reads each setting a login needs from. */
const environmentNames = {
  authUrl: "OS_AUTH_URL",
  username: "OS_USERNAME",
  password: "OS_PASSWORD",
  token: "OS_AUTH_TOKEN",
  applicationCredentialId: "OS_APPLICATION_CREDENTIAL_ID",
  applicationCredentialSecret: "OS_APPLICATION_CREDENTIAL_SECRET"
} as const

/**
 * A setting the login needs is absent, named as a library caller gives it: the `Settings` field,
 * or the environment variable `layerConfig` reads.
 *
 * @internal
 */
export const missingSetting = (setting: keyof typeof environmentNames, what: string): ConfigError =>
  new ConfigError({
    setting,
    message: `You must provide ${what}: the ${setting} setting, or ${environmentNames[setting]} in the environment${
      setting === "authUrl" ? ", or a cloud of clouds.yaml" : ""
    }`
  })

/**
 * Which catalog interface to use.
 *
 * @since 0.1.0
 * @category models
 */
export type Interface = "public" | "internal" | "admin"

/**
 * Everything needed to reach a cloud's Image API.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** The clouds.yaml entry these settings came from, if any. */
  readonly cloud?: string | undefined
  readonly authUrl?: string | undefined
  /** password, token, v3applicationcredential, … (derived from the credentials when absent). */
  readonly authType?: string | undefined
  readonly username?: string | undefined
  readonly userId?: string | undefined
  readonly password?: Redacted.Redacted | undefined
  readonly projectName?: string | undefined
  readonly projectId?: string | undefined
  readonly userDomainName?: string | undefined
  readonly userDomainId?: string | undefined
  readonly projectDomainName?: string | undefined
  readonly projectDomainId?: string | undefined
  readonly token?: Redacted.Redacted | undefined
  readonly applicationCredentialId?: string | undefined
  readonly applicationCredentialName?: string | undefined
  readonly applicationCredentialSecret?: Redacted.Redacted | undefined
  /** "2" / "2.0" / "3"; derived from the auth URL when absent. */
  readonly identityApiVersion?: string | undefined
  readonly regionName?: string | undefined
  readonly interface?: Interface | undefined
  /** The catalog's service type of the Image API (default `image`). */
  readonly serviceType?: string | undefined
  /** An image endpoint that overrides the catalog (`OS_IMAGE_URL`). */
  readonly imageUrl?: string | undefined
  readonly insecure?: boolean | undefined
  readonly cacert?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
  /**
   * Seconds to wait for a connection or for the next bytes of a response, as `OS_*` and
   * clouds.yaml give it; the `timeout` option of `GlanceClient.layer` (a `Duration`) takes precedence.
   */
  readonly timeout?: number | undefined
  /** The most mebibytes read of an answer that is not image data (JSON, error pages); default 16. */
  readonly maxResponseSize?: number | undefined
  /**
   * Keep the Keystone session (token and catalog) between runs: clouds.yaml's `cache: auth: true`
   * (openstacksdk's setting), `OS_TOKEN_CACHE`. Read by the `glance` command, which then provides
   * a `TokenCache` (`NodeTokenCache`) to `Keystone`; a program provides one itself.
   */
  readonly cacheAuth?: boolean | undefined
  /** Warnings found while reading the configuration (e.g. a clouds.yaml readable by others). */
  readonly warnings?: ReadonlyArray<string> | undefined
}

/**
 * The resolved settings of the cloud to talk to.
 *
 * @since 0.1.0
 * @category tags
 */
export class CloudConfig extends Context.Tag("glanceclient/CloudConfig")<CloudConfig, Settings>() {}

const interfaces: Record<string, Interface> = {
  public: "public",
  publicurl: "public",
  internal: "internal",
  internalurl: "internal",
  admin: "admin",
  adminurl: "admin"
}

/**
 * Accepts `public`, `publicURL`, `internal`, `internalURL`, `admin`, `adminURL`.
 *
 * @internal
 */
export const parseInterface = (value: string): Effect.Effect<Interface, ConfigError> => {
  const found = interfaces[value.toLowerCase()]
  return found
    ? Effect.succeed(found)
    : Effect.fail(new ConfigError({ message: `Unknown endpoint type "${value}": use public, internal or admin` }))
}

const envString = (name: string) => Config.option(Config.string(name))
const envRedacted = (name: string) => Config.option(Config.redacted(name))

/** The environment's settings, with the values that need parsing still as text. */
interface EnvSettings extends Omit<Settings, "interface" | "timeout"> {
  readonly interfaceText?: string | undefined
  readonly timeoutText?: string | undefined
  readonly configFile?: string | undefined
  readonly secureFile?: string | undefined
}

/**
 * The `OS_*` environment variables, read through the current `ConfigProvider`.
 *
 * @since 0.1.0
 * @category operations
 */
export const fromEnv: Effect.Effect<
  Settings & { readonly configFile?: string | undefined; readonly secureFile?: string | undefined },
  ConfigError
> = Effect.gen(function*() {
  const { interfaceText, timeoutText, ...env } = yield* readEnv
  return clean({
    ...env,
    interface: interfaceText === undefined ? undefined : yield* parseInterface(interfaceText),
    timeout: timeoutText === undefined ? undefined : yield* parseTimeout(timeoutText, "OS_TIMEOUT")
  })
})

const readEnv: Effect.Effect<EnvSettings, ConfigError> = Effect.gen(function*() {
  const env = yield* Config.all({
    cloud: envString("OS_CLOUD"),
    authUrl: envString("OS_AUTH_URL"),
    authType: envString("OS_AUTH_TYPE"),
    username: envString("OS_USERNAME"),
    userId: envString("OS_USER_ID"),
    password: envRedacted("OS_PASSWORD"),
    projectName: envString("OS_PROJECT_NAME"),
    tenantName: envString("OS_TENANT_NAME"),
    projectId: envString("OS_PROJECT_ID"),
    tenantId: envString("OS_TENANT_ID"),
    userDomainName: envString("OS_USER_DOMAIN_NAME"),
    userDomainId: envString("OS_USER_DOMAIN_ID"),
    projectDomainName: envString("OS_PROJECT_DOMAIN_NAME"),
    projectDomainId: envString("OS_PROJECT_DOMAIN_ID"),
    token: envRedacted("OS_AUTH_TOKEN"),
    osToken: envRedacted("OS_TOKEN"),
    applicationCredentialId: envString("OS_APPLICATION_CREDENTIAL_ID"),
    applicationCredentialName: envString("OS_APPLICATION_CREDENTIAL_NAME"),
    applicationCredentialSecret: envRedacted("OS_APPLICATION_CREDENTIAL_SECRET"),
    identityApiVersion: envString("OS_IDENTITY_API_VERSION"),
    regionName: envString("OS_REGION_NAME"),
    endpointType: envString("OS_ENDPOINT_TYPE"),
    interface: envString("OS_INTERFACE"),
    serviceType: envString("OS_SERVICE_TYPE"),
    tokenCache: envString("OS_TOKEN_CACHE"),
    imageUrl: envString("OS_IMAGE_URL"),
    insecure: envString("OS_INSECURE"),
    cacert: envString("OS_CACERT"),
    cert: envString("OS_CERT"),
    key: envString("OS_KEY"),
    timeout: envString("OS_TIMEOUT"),
    configFile: envString("OS_CLIENT_CONFIG_FILE"),
    secureFile: envString("OS_CLIENT_SECURE_FILE")
  }).pipe(Effect.mapError((e) => new ConfigError({ message: `Could not read the environment: ${e}` })))
  const v = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)
  const tokenCache = v(env.tokenCache)
  return clean({
    cloud: v(env.cloud),
    authUrl: v(env.authUrl),
    authType: v(env.authType),
    username: v(env.username),
    userId: v(env.userId),
    password: v(env.password),
    projectName: v(Option.orElse(env.projectName, () => env.tenantName)),
    projectId: v(Option.orElse(env.projectId, () => env.tenantId)),
    userDomainName: v(env.userDomainName),
    userDomainId: v(env.userDomainId),
    projectDomainName: v(env.projectDomainName),
    projectDomainId: v(env.projectDomainId),
    token: v(Option.orElse(env.token, () => env.osToken)),
    applicationCredentialId: v(env.applicationCredentialId),
    applicationCredentialName: v(env.applicationCredentialName),
    applicationCredentialSecret: v(env.applicationCredentialSecret),
    identityApiVersion: v(env.identityApiVersion),
    regionName: v(env.regionName),
    interfaceText: v(Option.orElse(env.interface, () => env.endpointType)),
    serviceType: v(env.serviceType),
    cacheAuth: tokenCache === undefined ? undefined : yield* parseBoolean(tokenCache, "OS_TOKEN_CACHE"),
    imageUrl: v(env.imageUrl),
    insecure: v(Option.map(env.insecure, (s) => /^(1|true|yes)$/i.test(s))),
    cacert: v(env.cacert),
    cert: v(env.cert),
    key: v(env.key),
    timeoutText: v(env.timeout),
    configFile: v(env.configFile),
    secureFile: v(env.secureFile)
  })
})

/**
 * Parses a yes/no setting (`1`/`true`/`yes`/`on`, `0`/`false`/`no`/`off`), naming where it came from otherwise.
 *
 * @internal
 */
export const parseBoolean = (value: string, where: string): Effect.Effect<boolean, ConfigError> => {
  const v = value.trim().toLowerCase()
  if (["1", "true", "yes", "on"].includes(v)) return Effect.succeed(true)
  if (["0", "false", "no", "off", ""].includes(v)) return Effect.succeed(false)
  return Effect.fail(new ConfigError({ message: `${where} must be true or false, not "${value}"` }))
}

/**
 * Parses a timeout in seconds, naming where it came from when it is not a positive number.
 *
 * @internal
 */
export const parseTimeout = (value: string, where: string): Effect.Effect<number, ConfigError> => {
  const n = Number(value)
  return Number.isFinite(n) && n > 0
    ? Effect.succeed(n)
    : Effect.fail(new ConfigError({ message: `${where} must be a positive number of seconds, not "${value}"` }))
}

/**
 * Parses a size in mebibytes (a whole number, at least 1), naming where it came from when it is not one.
 *
 * @internal
 */
export const parseSize = (value: string, where: string): Effect.Effect<number, ConfigError> => {
  const n = Number(value)
  return /^\s*\d+\s*$/.test(value) && Number.isSafeInteger(n) && n >= 1
    ? Effect.succeed(n)
    : Effect.fail(new ConfigError({ message: `${where} must be a whole number of MiB (at least 1), not "${value}"` }))
}

const clean = <A extends object>(a: A): A =>
  Object.fromEntries(Object.entries(a).filter(([, value]) => value !== undefined)) as A

/** The folders searched for clouds.yaml and secure.yaml, in order. */
const searchPaths = (home: string | undefined): ReadonlyArray<string> => [
  ".",
  ...(home ? [`${home}/.config/openstack`] : []),
  "/etc/openstack"
]

const fileNames = (base: string) => [`${base}.yaml`, `${base}.yml`, `${base}.json`]

const findFile = Effect.fnUntraced(function*(
  fs: FileSystem.FileSystem,
  explicit: string | undefined,
  base: string,
  home: string | undefined
) {
  const candidates = [
    ...(explicit ? [explicit] : []),
    ...searchPaths(home).flatMap((dir) => fileNames(base).map((name) => `${dir}/${name}`))
  ]
  for (const path of candidates) {
    if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))) return { path, candidates }
  }
  return { path: undefined, candidates }
})

const readYaml = Effect.fnUntraced(function*(fs: FileSystem.FileSystem, path: string) {
  const text = yield* fs.readFileString(path).pipe(
    Effect.mapError((e) => new ConfigError({ message: `Cannot read ${path}: ${e.message}` }))
  )
  const parsed = yield* Effect.try({
    try: () => Yaml.parse(text) as unknown,
    catch: (e) =>
      new ConfigError({
        message: `${path} is not valid YAML: ${(e as Error).message.split("\n")[0]!.replace(/:$/, "")}`
      })
  })
  if (parsed !== null && parsed !== undefined && typeof parsed !== "object") {
    return yield* new ConfigError({ message: `${path} does not hold a mapping of clouds` })
  }
  const info = yield* fs.stat(path).pipe(Effect.option)
  const warning = Option.match(info, {
    onNone: () => undefined,
    onSome: (i) =>
      (i.mode & 0o077) !== 0 && /secure|clouds/.test(path)
        ? `${path} is readable by other users (mode ${(i.mode & 0o777).toString(8)}): chmod 600 it`
        : undefined
  })
  return { value: (parsed ?? {}) as Record<string, unknown>, warning }
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const deepMerge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = isRecord(prev) && isRecord(v) ? deepMerge(prev, v) : v
  }
  return out
}

const str = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "boolean" ? String(u) : undefined

/** clouds.yaml's top-level `cache: auth:` (openstacksdk's switch for keeping tokens between runs). */
const cacheAuthOf = (file: Record<string, unknown>, path: string): Effect.Effect<boolean | undefined, ConfigError> => {
  const auth = isRecord(file.cache) ? file.cache.auth : undefined
  if (auth === undefined || auth === null) return Effect.succeed(undefined)
  if (typeof auth === "boolean") return Effect.succeed(auth)
  return parseBoolean(String(auth), `cache.auth in ${path}`)
}

/**
 * Reads one cloud from clouds.yaml (and secure.yaml), searched as openstacksdk does.
 *
 * @since 0.1.0
 * @category operations
 */
export const fromCloudsYaml = Effect.fn("CloudConfig.fromCloudsYaml")(function*(
  name: string,
  options: {
    readonly configFile?: string | undefined
    readonly secureFile?: string | undefined
    readonly home?: string | undefined
  } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const clouds = yield* findFile(fs, options.configFile, "clouds", options.home)
  if (clouds.path === undefined) {
    return yield* new ConfigError({
      message: `Cloud "${name}" was asked for but no clouds.yaml was found (looked in ${clouds.candidates.join(", ")})`
    })
  }
  const main = yield* readYaml(fs, clouds.path)
  const secure = yield* findFile(fs, options.secureFile, "secure", options.home)
  const secureYaml = secure.path === undefined ? undefined : yield* readYaml(fs, secure.path)
  const all = isRecord(main.value.clouds) ? main.value.clouds : {}
  const entry = all[name]
  if (!isRecord(entry)) {
    const known = Object.keys(all)
    return yield* new ConfigError({
      message: `Cloud "${name}" is not in ${clouds.path}` +
        (known.length > 0 ? ` (it has: ${known.join(", ")})` : " (it defines no clouds)")
    })
  }
  const secureEntry = secureYaml && isRecord(secureYaml.value.clouds) ? secureYaml.value.clouds[name] : undefined
  const cloud = isRecord(secureEntry) ? deepMerge(entry, secureEntry) : entry
  const auth = isRecord(cloud.auth) ? cloud.auth : {}
  const redacted = (u: unknown) => {
    const s = str(u)
    return s === undefined ? undefined : Redacted.make(s)
  }
  const iface = str(cloud.interface ?? cloud.endpoint_type)
  const timeout = str(cloud.api_timeout)
  const verify = cloud.verify
  const warnings = [main.warning, secureYaml?.warning].filter((w): w is string => w !== undefined)
  const settings: Settings = clean({
    cloud: name,
    authUrl: str(auth.auth_url),
    authType: str(cloud.auth_type),
    username: str(auth.username),
    userId: str(auth.user_id),
    password: redacted(auth.password),
    projectName: str(auth.project_name ?? auth.tenant_name),
    projectId: str(auth.project_id ?? auth.tenant_id),
    userDomainName: str(auth.user_domain_name ?? auth.domain_name),
    userDomainId: str(auth.user_domain_id ?? auth.domain_id),
    projectDomainName: str(auth.project_domain_name ?? auth.domain_name),
    projectDomainId: str(auth.project_domain_id ?? auth.domain_id),
    token: redacted(auth.token),
    applicationCredentialId: str(auth.application_credential_id),
    applicationCredentialName: str(auth.application_credential_name),
    applicationCredentialSecret: redacted(auth.application_credential_secret),
    identityApiVersion: str(cloud.identity_api_version),
    regionName: str(cloud.region_name),
    interface: iface === undefined ? undefined : yield* parseInterface(iface),
    serviceType: str(cloud.image_service_type),
    cacheAuth: yield* cacheAuthOf(main.value, clouds.path),
    imageUrl: str(cloud.image_endpoint_override),
    insecure: verify === false || verify === "false" ? true : undefined,
    cacert: str(cloud.cacert) ??
      (typeof verify === "string" && verify !== "true" && verify !== "false" ? verify : undefined),
    cert: str(cloud.cert),
    key: str(cloud.key),
    timeout: timeout === undefined ? undefined : yield* parseTimeout(timeout, `api_timeout of cloud "${name}"`),
    warnings: warnings.length > 0 ? warnings : undefined
  })
  return settings
})

const home = Config.option(Config.string("HOME")).pipe(
  Effect.map(Option.getOrUndefined),
  Effect.orElseSucceed(() => undefined)
)

/**
 * The settings of one cloud of clouds.yaml (and secure.yaml) by themselves, with no `OS_*`
 * variable laid over them but those that say where the files are (`OS_CLIENT_CONFIG_FILE`,
 * `OS_CLIENT_SECURE_FILE`): another cloud beside the one a program talks to, such as the target of
 * a transfer.
 *
 * @since 0.2.0
 * @category constructors
 */
export const named = Effect.fn("CloudConfig.named")(function*(name: string) {
  const files = yield* Config.all({
    configFile: envString("OS_CLIENT_CONFIG_FILE"),
    secureFile: envString("OS_CLIENT_SECURE_FILE")
  }).pipe(Effect.mapError((e) => new ConfigError({ message: `Could not read the environment: ${e}` })))
  return yield* fromCloudsYaml(name, {
    configFile: Option.getOrUndefined(files.configFile),
    secureFile: Option.getOrUndefined(files.secureFile),
    home: yield* home
  })
})

/**
 * Resolves the settings in the OpenStack order: `overrides` (e.g. command-line flags) >
 * `OS_*` environment > the cloud named by `overrides.cloud` or `OS_CLOUD` in clouds.yaml.
 *
 * @since 0.1.0
 * @category operations
 */
export const resolve = Effect.fn("CloudConfig.resolve")(function*(overrides: Settings = {}) {
  const { configFile, interfaceText, secureFile, timeoutText, ...env } = yield* readEnv
  // A variable that a flag overrides is not read, so a bad one does not stand in the flag's way.
  const envSettings: Settings = {
    ...env,
    interface: overrides.interface !== undefined || interfaceText === undefined
      ? undefined
      : yield* parseInterface(interfaceText),
    timeout: overrides.timeout !== undefined || timeoutText === undefined
      ? undefined
      : yield* parseTimeout(timeoutText, "OS_TIMEOUT")
  }
  const cloudName = overrides.cloud ?? envSettings.cloud
  const fromFile: Settings = cloudName === undefined
    ? {}
    : yield* fromCloudsYaml(cloudName, { configFile, secureFile, home: yield* home })
  // A project (or user) named by a higher layer replaces the file's id for it, and the other way round.
  const higher = { ...clean(envSettings), ...clean(overrides) }
  const base: Record<string, unknown> = { ...fromFile }
  const pairs: ReadonlyArray<readonly [keyof Settings, keyof Settings]> = [
    ["projectName", "projectId"],
    ["username", "userId"]
  ]
  for (const [name, id] of pairs) {
    if (higher[name] !== undefined && higher[id] === undefined) delete base[id]
    if (higher[id] !== undefined && higher[name] === undefined) delete base[name]
  }
  const merged: Settings = { ...(base as Settings), ...higher }
  const warnings = [...(fromFile.warnings ?? []), ...(overrides.warnings ?? [])]
  return clean({ ...merged, cloud: cloudName, warnings: warnings.length > 0 ? warnings : undefined })
})

/**
 * Settings given in full by the caller.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: Settings): Layer.Layer<CloudConfig> => Layer.succeed(CloudConfig, settings)

/**
 * Settings resolved from `overrides`, the environment and clouds.yaml.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (overrides: Settings = {}): Layer.Layer<CloudConfig, ConfigError, FileSystem.FileSystem> =>
  Layer.effect(CloudConfig, resolve(overrides))
