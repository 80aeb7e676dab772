/**
 * The global options of `glance`, spelled as python-glanceclient spells them, and the
 * client layer they build. Each falls back to its `OS_*` variable, then to clouds.yaml.
 */
import * as Command from "@effect/cli/Command"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as CloudConfig from "../CloudConfig.js"
import * as GlanceClient from "../GlanceClient.js"
import * as ImageTransport from "../ImageTransport.js"
import type * as TokenCache from "../TokenCache.js"
import { debugClient } from "./debug.js"
import * as Flags from "./flags.js"
import { oneLine } from "./safeText.js"
import type { CommandSpec } from "./spec.js"

/** An option that falls back to its variable (through CloudConfig), as its help says. */
const env = (long: string, variable: string, description: string, metavar = variable, ...aliases: Array<string>) =>
  Flags.withAliases(Flags.text(long, `${description} Defaults to env[${variable}].`, metavar), ...aliases)

/** An option python-glanceclient takes and then ignores: taken here too, and ignored too. */
const ignored = (long: string, metavar: string, what: string) =>
  Flags.text(long, `${what} Accepted and ignored, as python-glanceclient's shell ignores it.`, metavar)

/** The global options, in python-glanceclient's order (then ours); they come before the command, or after it (commandLine.ts). */
export const globalFlags = {
  debug: Flags.withAliases(
    Flags.flag(
      "debug",
      "Print each request as a curl command and each response's status (secrets hidden). Defaults to env[GLANCECLIENT_DEBUG]."
    ),
    "d"
  ),
  verbose: Flags.withAliases(Flags.flag("verbose", "Print more output."), "v"),
  getSchema: Flags.flag(
    "get-schema",
    "Ignore the cached copy of the cloud's image schema (the extra flags of image-create and image-update) and fetch it again."
  ),
  force: Flags.withAliases(
    Flags.flag("force", "Accepted for python-glanceclient's scripts: no command here asks for confirmation."),
    "f"
  ),
  osImageUrl: env("os-image-url", "OS_IMAGE_URL", "The image endpoint, instead of the catalog's."),
  osImageApiVersion: env("os-image-api-version", "OS_IMAGE_API_VERSION", "Image API version (only 2)."),
  profile: Flags.text(
    "profile",
    "python-glanceclient's osprofiler key. Not supported: ignored with a warning (no trace is started).",
    "HMAC_KEY"
  ),
  osRegionName: env("os-region-name", "OS_REGION_NAME", "Region of the image endpoint."),
  osAuthToken: Flags.secret(
    "os-auth-token",
    "A token, instead of a password. Defaults to env[OS_AUTH_TOKEN].",
    "OS_AUTH_TOKEN"
  ),
  osServiceType: env("os-service-type", "OS_SERVICE_TYPE", "Service type of the catalog entry (image)."),
  osEndpointType: env("os-endpoint-type", "OS_ENDPOINT_TYPE", "Endpoint interface: public, internal or admin."),
  insecure: Flags.flag("insecure", "Do not verify the server's TLS certificate (dangerous)."),
  osCacert: env("os-cacert", "OS_CACERT", "CA bundle to verify TLS servers with.", "<ca-certificate>"),
  osCert: env("os-cert", "OS_CERT", "Client certificate (PEM).", "<certificate>"),
  osKey: env("os-key", "OS_KEY", "Client certificate key (PEM).", "<key>"),
  timeout: Flags.text("timeout", "Seconds to wait for a connection or for more data (default 600).", "<seconds>"),
  collectTiming: Flags.flag(
    "collect-timing",
    "Accepted for python-glanceclient's scripts, which collect the timings but never print them."
  ),
  osAuthType: env(
    "os-auth-type",
    "OS_AUTH_TYPE",
    "Authentication type: password, token or v3applicationcredential (derived from the credentials when absent).",
    "<name>",
    "os-auth-plugin"
  ),
  osAuthUrl: env("os-auth-url", "OS_AUTH_URL", "Authentication URL."),
  osSystemScope: ignored("os-system-scope", "OS_SYSTEM_SCOPE", "Scope for system operations."),
  osDomainId: ignored("os-domain-id", "OS_DOMAIN_ID", "Domain ID to scope to."),
  osDomainName: ignored("os-domain-name", "OS_DOMAIN_NAME", "Domain name to scope to."),
  osProjectId: env("os-project-id", "OS_PROJECT_ID", "Project ID.", "OS_PROJECT_ID", "os-tenant-id"),
  osProjectName: env("os-project-name", "OS_PROJECT_NAME", "Project name.", "OS_PROJECT_NAME", "os-tenant-name"),
  osProjectDomainId: env("os-project-domain-id", "OS_PROJECT_DOMAIN_ID", "Project's domain ID."),
  osProjectDomainName: env("os-project-domain-name", "OS_PROJECT_DOMAIN_NAME", "Project's domain name."),
  osTrustId: ignored("os-trust-id", "OS_TRUST_ID", "Trust ID."),
  osDefaultDomainId: ignored(
    "os-default-domain-id",
    "OS_DEFAULT_DOMAIN_ID",
    "Optional domain ID for user and project."
  ),
  osDefaultDomainName: ignored(
    "os-default-domain-name",
    "OS_DEFAULT_DOMAIN_NAME",
    "Optional domain name for user and project."
  ),
  osUserId: env("os-user-id", "OS_USER_ID", "User ID."),
  osUsername: env("os-username", "OS_USERNAME", "Username.", "OS_USERNAME", "os-user-name"),
  osUserDomainId: env("os-user-domain-id", "OS_USER_DOMAIN_ID", "User's domain ID."),
  osUserDomainName: env("os-user-domain-name", "OS_USER_DOMAIN_NAME", "User's domain name."),
  osPassword: Flags.secret("os-password", "User's password. Defaults to env[OS_PASSWORD].", "OS_PASSWORD"),
  osCloud: env("os-cloud", "OS_CLOUD", "Cloud name in clouds.yaml."),
  osInterface: env("os-interface", "OS_INTERFACE", "Same as --os-endpoint-type."),
  osApplicationCredentialId: env(
    "os-application-credential-id",
    "OS_APPLICATION_CREDENTIAL_ID",
    "Application credential ID."
  ),
  osApplicationCredentialSecret: Flags.secret(
    "os-application-credential-secret",
    "Application credential secret. Defaults to env[OS_APPLICATION_CREDENTIAL_SECRET].",
    "OS_APPLICATION_CREDENTIAL_SECRET"
  ),
  osTokenCache: Flags.flag(
    "os-token-cache",
    "Keep the Keystone token and catalog in a file of your own (mode 600) under ~/.cache/glanceclient and use them again until shortly before the token expires. Defaults to env[OS_TOKEN_CACHE], then clouds.yaml's cache: auth: true."
  ),
  maxResponseSize: Flags.text(
    "max-response-size",
    "The most mebibytes read of an answer that is not image data (JSON, error pages; default 16).",
    "<MiB>"
  )
}

/** The global options as @effect/cli parses them. */
export const globalOptions = Flags.toConfig(globalFlags)

/** The root command as help, docs and the command-line parser see it. */
export const rootSpec: CommandSpec = {
  name: "glance",
  description: "Command-line interface to the OpenStack Image API (v2).",
  args: [],
  options: Object.values(globalFlags).map(Flags.optionSpec)
}

/** The root command, carrying the global options; subcommands read them with `yield* glance`. */
export const glance = Command.make("glance", globalOptions)

/** The parsed global options. */
export type GlobalOptions = Command.Command.ParseConfig<typeof globalOptions>

/** Refuses an Image API version other than 2 (`--os-image-api-version`, `OS_IMAGE_API_VERSION`). */
export const checkImageApiVersion = (version: string | undefined): Effect.Effect<void, CloudConfig.ConfigError> =>
  version === undefined || /^2(\.\d+)?$/.test(version)
    ? Effect.void
    : new CloudConfig.ConfigError({
      message: `Image API version ${version} is not supported: this client speaks v2 only`
    })

/** Why a `--timeout` is refused, in argparse's words (keystoneauth's positive float), or undefined. */
export const timeoutProblem = (value: string): string | undefined => {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)) {
    return /^\s*[+-]?(inf(inity)?|nan)\s*$/i.test(value)
      ? `${value} must be a finite number`
      : `${value} must be a float`
  }
  return Number(value) > 0 ? undefined : `${value} must be greater than 0`
}

/** Whether `--debug` is on: the flag, or any value of GLANCECLIENT_DEBUG (as python-glanceclient). */
export const debugOn = (g: GlobalOptions): Effect.Effect<boolean> =>
  g.debug
    ? Effect.succeed(true)
    : Config.string("GLANCECLIENT_DEBUG").pipe(
      Config.withDefault(""),
      Effect.map((v) => v.length > 0),
      Effect.orElseSucceed(() => false)
    )

/** Turns the global options into settings overrides (flags beat environment beats clouds.yaml). */
export const toSettings = (g: GlobalOptions): Effect.Effect<CloudConfig.Settings, CloudConfig.ConfigError> =>
  Effect.gen(function*() {
    yield* checkImageApiVersion(g.osImageApiVersion)
    const iface = g.osInterface ?? g.osEndpointType
    const timeout = g.timeout
    const maxResponseSize = g.maxResponseSize
    const settings: CloudConfig.Settings = {
      cloud: g.osCloud,
      authUrl: g.osAuthUrl,
      authType: g.osAuthType,
      username: g.osUsername,
      userId: g.osUserId,
      password: g.osPassword,
      projectName: g.osProjectName,
      projectId: g.osProjectId,
      userDomainName: g.osUserDomainName,
      userDomainId: g.osUserDomainId,
      projectDomainName: g.osProjectDomainName,
      projectDomainId: g.osProjectDomainId,
      regionName: g.osRegionName,
      interface: iface === undefined ? undefined : yield* CloudConfig.parseInterface(iface),
      serviceType: g.osServiceType,
      cacheAuth: g.osTokenCache ? true : undefined,
      token: g.osAuthToken,
      imageUrl: g.osImageUrl,
      applicationCredentialId: g.osApplicationCredentialId,
      applicationCredentialSecret: g.osApplicationCredentialSecret,
      insecure: g.insecure ? true : undefined,
      cacert: g.osCacert,
      cert: g.osCert,
      key: g.osKey,
      timeout: timeout === undefined ? undefined : yield* CloudConfig.parseTimeout(timeout, "--timeout"),
      maxResponseSize: maxResponseSize === undefined
        ? undefined
        : yield* CloudConfig.parseSize(maxResponseSize, "--max-response-size")
    }
    return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as CloudConfig.Settings
  })

/** How the CLI gets its HttpClient: chosen by `bin.ts`, since TLS options need the platform. */
export class PlatformHttp extends Context.Tag("glance/PlatformHttp")<
  PlatformHttp,
  (settings: CloudConfig.Settings) => Layer.Layer<GlanceClient.Platform, CloudConfig.ConfigError>
>() {}

/** The token cache the CLI keeps tokens in when asked to (`--os-token-cache`): chosen by `bin.ts` (a file cache on Node). */
export class PlatformTokenCache extends Context.Tag("glance/PlatformTokenCache")<
  PlatformTokenCache,
  Layer.Layer<TokenCache.TokenCache>
>() {}

/**
 * The library's log lines on stderr, never on stdout: warnings as `glance: warning: …`, and with
 * `--debug` its debug lines as they are ("using cached token {SHA256}…").
 */
const logToStderr = (debug: boolean) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const text = oneLine((Array.isArray(message) ? message : [message]).map(String).join(" "))
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) process.stderr.write(`glance: warning: ${text}\n`)
        else if (debug && logLevel === LogLevel.Debug) process.stderr.write(`${text}\n`)
      })
    ),
    debug ? Logger.minimumLogLevel(LogLevel.Debug) : Layer.empty
  )

/** The default `--timeout`, in seconds, as python-glanceclient. */
export const defaultTimeout = 600

/** The settings of the global options (flags > `OS_*` > clouds.yaml), warnings printed, the default timeout filled in. */
export const resolvedSettings = (g: GlobalOptions) =>
  Effect.gen(function*() {
    const overrides = yield* toSettings(g)
    const resolved = yield* CloudConfig.resolve(overrides)
    for (const warning of resolved.warnings ?? []) yield* Console.error(`glance: warning: ${warning}`)
    if (g.profile !== undefined) {
      yield* Console.error("glance: warning: --profile is ignored: this client does not start osprofiler traces")
    }
    return { ...resolved, timeout: resolved.timeout ?? defaultTimeout }
  })

/**
 * The whole client for settings, on the platform `bin.ts` chose (its hasher too), with `--debug`
 * tracing, and the token cache when the settings ask for it.
 */
export const clientLayerFor = (settings: CloudConfig.Settings, debug: boolean) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const platform = yield* PlatformHttp
    const tokenCache = settings.cacheAuth === true ? yield* PlatformTokenCache : Layer.empty
    const http = debug
      ? Layer.map(platform(settings), (ctx) => {
        const transport = Context.get(ctx, ImageTransport.ImageTransport)
        return ctx.pipe(
          Context.add(HttpClient.HttpClient, debugClient(Context.get(ctx, HttpClient.HttpClient))),
          Context.add(ImageTransport.ImageTransport, { ...transport, client: debugClient(transport.client) })
        )
      })
      : platform(settings)
    return GlanceClient.layerFrom(CloudConfig.layer(settings)).pipe(
      Layer.provideMerge(Layer.merge(http, tokenCache)),
      // Also while the client is built: the endpoint is looked up (and the token cache read) then.
      Layer.provideMerge(logToStderr(debug))
    )
  }))

/** Builds the whole client for the global options: resolved settings, optional debug tracing. */
export const clientLayer = (g: GlobalOptions) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const settings = yield* resolvedSettings(g)
    return clientLayerFor(settings, yield* debugOn(g))
  }))

/** Runs a command's work with the client built from the global options. */
export const withClient = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(glance, (g) => Effect.provide(effect, clientLayer(g)))
