/**
 * The global options of `glance`, spelled as python-glanceclient spells them, and the
 * client layer they build. Each falls back to its `OS_*` variable, then to clouds.yaml.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as CloudConfig from "../CloudConfig.js"
import * as GlanceClient from "../GlanceClient.js"
import * as ImageTransport from "../ImageTransport.js"
import type * as TokenCache from "../TokenCache.js"
import { debugClient } from "./debug.js"
import { oneLine } from "./safeText.js"

const text = (name: string, env: string, description: string, metavar = env, alias?: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(metavar),
    Options.withDescription(`${description} Defaults to env[${env}].`),
    alias === undefined ? (o) => o : Options.withAlias(alias),
    Options.optional
  )

/** An option python-glanceclient takes and then ignores: taken here too, and ignored too. */
const ignored = (name: string, metavar: string, what: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(metavar),
    Options.withDescription(`${what} Accepted and ignored, as python-glanceclient's shell ignores it.`),
    Options.optional
  )

/** The global options, in python-glanceclient's order (then ours); they come before the command, or after it (commandLine.ts). */
export const globalOptions = {
  debug: Options.boolean("debug").pipe(
    Options.withAlias("d"),
    Options.withDescription(
      "Print each request as a curl command and each response's status (secrets hidden). Defaults to env[GLANCECLIENT_DEBUG]."
    )
  ),
  verbose: Options.boolean("verbose").pipe(Options.withAlias("v"), Options.withDescription("Print more output.")),
  getSchema: Options.boolean("get-schema").pipe(
    Options.withDescription(
      "Ignore the cached copy of the cloud's image schema (the extra flags of image-create and image-update) and fetch it again."
    )
  ),
  force: Options.boolean("force").pipe(
    Options.withAlias("f"),
    Options.withDescription("Accepted for python-glanceclient's scripts: no command here asks for confirmation.")
  ),
  osImageUrl: text("os-image-url", "OS_IMAGE_URL", "The image endpoint, instead of the catalog's."),
  osImageApiVersion: text("os-image-api-version", "OS_IMAGE_API_VERSION", "Image API version (only 2)."),
  profile: Options.text("profile").pipe(
    Options.withPseudoName("HMAC_KEY"),
    Options.withDescription(
      "python-glanceclient's osprofiler key. Not supported: ignored with a warning (no trace is started)."
    ),
    Options.optional
  ),
  osRegionName: text("os-region-name", "OS_REGION_NAME", "Region of the image endpoint."),
  osAuthToken: Options.redacted("os-auth-token").pipe(
    Options.withPseudoName("OS_AUTH_TOKEN"),
    Options.withDescription("A token, instead of a password. Defaults to env[OS_AUTH_TOKEN]."),
    Options.optional
  ),
  osServiceType: text("os-service-type", "OS_SERVICE_TYPE", "Service type of the catalog entry (image)."),
  osEndpointType: text("os-endpoint-type", "OS_ENDPOINT_TYPE", "Endpoint interface: public, internal or admin."),
  insecure: Options.boolean("insecure").pipe(
    Options.withDescription("Do not verify the server's TLS certificate (dangerous).")
  ),
  osCacert: text("os-cacert", "OS_CACERT", "CA bundle to verify TLS servers with.", "<ca-certificate>"),
  osCert: text("os-cert", "OS_CERT", "Client certificate (PEM).", "<certificate>"),
  osKey: text("os-key", "OS_KEY", "Client certificate key (PEM).", "<key>"),
  timeout: Options.text("timeout").pipe(
    Options.withPseudoName("<seconds>"),
    Options.withDescription("Seconds to wait for a connection or for more data (default 600)."),
    Options.optional
  ),
  collectTiming: Options.boolean("collect-timing").pipe(
    Options.withDescription(
      "Accepted for python-glanceclient's scripts, which collect the timings but never print them."
    )
  ),
  osAuthType: text(
    "os-auth-type",
    "OS_AUTH_TYPE",
    "Authentication type: password, token or v3applicationcredential (derived from the credentials when absent).",
    "<name>",
    "os-auth-plugin"
  ),
  osAuthUrl: text("os-auth-url", "OS_AUTH_URL", "Authentication URL."),
  osSystemScope: ignored("os-system-scope", "OS_SYSTEM_SCOPE", "Scope for system operations."),
  osDomainId: ignored("os-domain-id", "OS_DOMAIN_ID", "Domain ID to scope to."),
  osDomainName: ignored("os-domain-name", "OS_DOMAIN_NAME", "Domain name to scope to."),
  osProjectId: text("os-project-id", "OS_PROJECT_ID", "Project ID.", "OS_PROJECT_ID", "os-tenant-id"),
  osProjectName: text(
    "os-project-name",
    "OS_PROJECT_NAME",
    "Project name.",
    "OS_PROJECT_NAME",
    "os-tenant-name"
  ),
  osProjectDomainId: text("os-project-domain-id", "OS_PROJECT_DOMAIN_ID", "Project's domain ID."),
  osProjectDomainName: text("os-project-domain-name", "OS_PROJECT_DOMAIN_NAME", "Project's domain name."),
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
  osUserId: text("os-user-id", "OS_USER_ID", "User ID."),
  osUsername: text("os-username", "OS_USERNAME", "Username.", "OS_USERNAME", "os-user-name"),
  osUserDomainId: text("os-user-domain-id", "OS_USER_DOMAIN_ID", "User's domain ID."),
  osUserDomainName: text("os-user-domain-name", "OS_USER_DOMAIN_NAME", "User's domain name."),
  osPassword: Options.redacted("os-password").pipe(
    Options.withPseudoName("OS_PASSWORD"),
    Options.withDescription("User's password. Defaults to env[OS_PASSWORD]."),
    Options.optional
  ),
  osCloud: text("os-cloud", "OS_CLOUD", "Cloud name in clouds.yaml."),
  osInterface: text("os-interface", "OS_INTERFACE", "Same as --os-endpoint-type."),
  osApplicationCredentialId: text(
    "os-application-credential-id",
    "OS_APPLICATION_CREDENTIAL_ID",
    "Application credential ID."
  ),
  osApplicationCredentialSecret: Options.redacted("os-application-credential-secret").pipe(
    Options.withPseudoName("OS_APPLICATION_CREDENTIAL_SECRET"),
    Options.withDescription("Application credential secret. Defaults to env[OS_APPLICATION_CREDENTIAL_SECRET]."),
    Options.optional
  ),
  osTokenCache: Options.boolean("os-token-cache").pipe(
    Options.withDescription(
      "Keep the Keystone token and catalog in a file of your own (mode 600) under ~/.cache/glanceclient and use them again until shortly before the token expires. Defaults to env[OS_TOKEN_CACHE], then clouds.yaml's cache: auth: true."
    )
  ),
  maxResponseSize: Options.text("max-response-size").pipe(
    Options.withPseudoName("<MiB>"),
    Options.withDescription(
      "The most mebibytes read of an answer that is not image data (JSON, error pages; default 16)."
    ),
    Options.optional
  )
}

/** The root command, carrying the global options; subcommands read them with `yield* glance`. */
export const glance = Command.make("glance", globalOptions)

/** The parsed global options. */
export type GlobalOptions = Command.Command.ParseConfig<typeof globalOptions>

const o = <A>(value: Option.Option<A>): A | undefined => Option.getOrUndefined(value)

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
    yield* checkImageApiVersion(o(g.osImageApiVersion))
    const iface = o(g.osInterface) ?? o(g.osEndpointType)
    const timeout = o(g.timeout)
    const maxResponseSize = o(g.maxResponseSize)
    const settings: CloudConfig.Settings = {
      cloud: o(g.osCloud),
      authUrl: o(g.osAuthUrl),
      authType: o(g.osAuthType),
      username: o(g.osUsername),
      userId: o(g.osUserId),
      password: o(g.osPassword),
      projectName: o(g.osProjectName),
      projectId: o(g.osProjectId),
      userDomainName: o(g.osUserDomainName),
      userDomainId: o(g.osUserDomainId),
      projectDomainName: o(g.osProjectDomainName),
      projectDomainId: o(g.osProjectDomainId),
      regionName: o(g.osRegionName),
      interface: iface === undefined ? undefined : yield* CloudConfig.parseInterface(iface),
      serviceType: o(g.osServiceType),
      cacheAuth: g.osTokenCache ? true : undefined,
      token: o(g.osAuthToken),
      imageUrl: o(g.osImageUrl),
      applicationCredentialId: o(g.osApplicationCredentialId),
      applicationCredentialSecret: o(g.osApplicationCredentialSecret),
      insecure: g.insecure ? true : undefined,
      cacert: o(g.osCacert),
      cert: o(g.osCert),
      key: o(g.osKey),
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
    if (Option.isSome(g.profile)) {
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
