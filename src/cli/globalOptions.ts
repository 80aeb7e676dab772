/**
 * The global options of `glance`, spelled as python-glanceclient spells them, and the
 * client layer they build. Each falls back to its `OS_*` variable, then to clouds.yaml.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as CloudConfig from "../CloudConfig.js"
import * as GlanceClient from "../GlanceClient.js"
import * as ImageTransport from "../ImageTransport.js"
import { debugClient } from "./debug.js"

const text = (name: string, env: string, description: string, metavar = env) =>
  Options.text(name).pipe(
    Options.withPseudoName(metavar),
    Options.withDescription(`${description} Defaults to env[${env}].`),
    Options.optional
  )

/** The global options; they come before the command, as in python-glanceclient. */
export const globalOptions = {
  debug: Options.boolean("debug").pipe(
    Options.withAlias("d"),
    Options.withDescription("Print each request as a curl command and each response's status (secrets hidden).")
  ),
  verbose: Options.boolean("verbose").pipe(Options.withAlias("v"), Options.withDescription("Print more output.")),
  getSchema: Options.boolean("get-schema").pipe(
    Options.withDescription(
      "Ignore the cached copy of the cloud's image schema (the extra flags of image-create and image-update) and fetch it again."
    )
  ),
  osCloud: text("os-cloud", "OS_CLOUD", "Cloud name in clouds.yaml."),
  osAuthUrl: text("os-auth-url", "OS_AUTH_URL", "Authentication URL."),
  osUsername: text("os-username", "OS_USERNAME", "Username."),
  osUserId: text("os-user-id", "OS_USER_ID", "User ID."),
  osPassword: Options.redacted("os-password").pipe(
    Options.withPseudoName("OS_PASSWORD"),
    Options.withDescription("User's password. Defaults to env[OS_PASSWORD]."),
    Options.optional
  ),
  osProjectName: text("os-project-name", "OS_PROJECT_NAME", "Project name."),
  osProjectId: text("os-project-id", "OS_PROJECT_ID", "Project ID."),
  osTenantName: text("os-tenant-name", "OS_TENANT_NAME", "Tenant name (Identity v2.0; same as --os-project-name)."),
  osTenantId: text("os-tenant-id", "OS_TENANT_ID", "Tenant ID (Identity v2.0; same as --os-project-id)."),
  osUserDomainName: text("os-user-domain-name", "OS_USER_DOMAIN_NAME", "User's domain name."),
  osUserDomainId: text("os-user-domain-id", "OS_USER_DOMAIN_ID", "User's domain ID."),
  osProjectDomainName: text("os-project-domain-name", "OS_PROJECT_DOMAIN_NAME", "Project's domain name."),
  osProjectDomainId: text("os-project-domain-id", "OS_PROJECT_DOMAIN_ID", "Project's domain ID."),
  osRegionName: text("os-region-name", "OS_REGION_NAME", "Region of the image endpoint."),
  osEndpointType: text("os-endpoint-type", "OS_ENDPOINT_TYPE", "Endpoint interface: public, internal or admin."),
  osInterface: text("os-interface", "OS_INTERFACE", "Same as --os-endpoint-type."),
  osServiceType: text("os-service-type", "OS_SERVICE_TYPE", "Service type of the catalog entry (image)."),
  osAuthToken: Options.redacted("os-auth-token").pipe(
    Options.withPseudoName("OS_AUTH_TOKEN"),
    Options.withDescription("A token, instead of a password. Defaults to env[OS_AUTH_TOKEN]."),
    Options.optional
  ),
  osImageUrl: text("os-image-url", "OS_IMAGE_URL", "The image endpoint, instead of the catalog's."),
  osImageApiVersion: text("os-image-api-version", "OS_IMAGE_API_VERSION", "Image API version (only 2)."),
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

/** Turns the global options into settings overrides (flags beat environment beats clouds.yaml). */
export const toSettings = (g: GlobalOptions): Effect.Effect<CloudConfig.Settings, CloudConfig.ConfigError> =>
  Effect.gen(function*() {
    const version = o(g.osImageApiVersion)
    if (version !== undefined && !/^2(\.\d+)?$/.test(version)) {
      return yield* new CloudConfig.ConfigError({
        message: `Image API version ${version} is not supported: this client speaks v2 only`
      })
    }
    const iface = o(g.osInterface) ?? o(g.osEndpointType)
    const timeout = o(g.timeout)
    const maxResponseSize = o(g.maxResponseSize)
    const settings: CloudConfig.Settings = {
      cloud: o(g.osCloud),
      authUrl: o(g.osAuthUrl),
      username: o(g.osUsername),
      userId: o(g.osUserId),
      password: o(g.osPassword),
      projectName: o(g.osProjectName) ?? o(g.osTenantName),
      projectId: o(g.osProjectId) ?? o(g.osTenantId),
      userDomainName: o(g.osUserDomainName),
      userDomainId: o(g.osUserDomainId),
      projectDomainName: o(g.osProjectDomainName),
      projectDomainId: o(g.osProjectDomainId),
      regionName: o(g.osRegionName),
      interface: iface === undefined ? undefined : yield* CloudConfig.parseInterface(iface),
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

/** The default `--timeout`, in seconds, as python-glanceclient. */
export const defaultTimeout = 600

/** The settings of the global options (flags > `OS_*` > clouds.yaml), warnings printed, the default timeout filled in. */
export const resolvedSettings = (g: GlobalOptions) =>
  Effect.gen(function*() {
    const overrides = yield* toSettings(g)
    const resolved = yield* CloudConfig.resolve(overrides)
    for (const warning of resolved.warnings ?? []) yield* Console.error(`glance: warning: ${warning}`)
    return { ...resolved, timeout: resolved.timeout ?? defaultTimeout }
  })

/** The whole client for settings, on the platform `bin.ts` chose (its hasher too), with `--debug` tracing. */
export const clientLayerFor = (settings: CloudConfig.Settings, debug: boolean) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const platform = yield* PlatformHttp
    const http = debug
      ? Layer.map(platform(settings), (ctx) => {
        const transport = Context.get(ctx, ImageTransport.ImageTransport)
        return ctx.pipe(
          Context.add(HttpClient.HttpClient, debugClient(Context.get(ctx, HttpClient.HttpClient))),
          Context.add(ImageTransport.ImageTransport, { ...transport, client: debugClient(transport.client) })
        )
      })
      : platform(settings)
    return GlanceClient.layerFrom(CloudConfig.layer(settings)).pipe(Layer.provideMerge(http))
  }))

/** Builds the whole client for the global options: resolved settings, optional debug tracing. */
export const clientLayer = (g: GlobalOptions) =>
  Layer.unwrapEffect(Effect.map(resolvedSettings(g), (settings) => clientLayerFor(settings, g.debug)))

/** Runs a command's work with the client built from the global options. */
export const withClient = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(glance, (g) => Effect.provide(effect, clientLayer(g)))
