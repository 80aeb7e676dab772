/**
 * Finds the Image API: an explicit image URL, or the `image` service of the Keystone
 * catalog for the chosen interface and region; then the v2.x versions it lists.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { CloudConfig, ConfigError, type Interface } from "./CloudConfig.js"
import { type BadResponse, NotSupported, ResponseDecodeError, type TransportError } from "./GlanceError.js"
import { MiB } from "./internal/boundedBody.js"
import * as Links from "./internal/links.js"
import * as Core from "./internal/requestCore.js"
import { type CatalogEntry, Keystone, type KeystoneError, userAgent } from "./Keystone.js"

/**
 * The Image API endpoint in use.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The unversioned root URL, without a trailing slash; may carry a path prefix. */
  readonly url: string
  /** The region of the catalog entry, when it came from the catalog. */
  readonly region: string | undefined
  /** The v2.x versions the server lists (`["2.0", "2.1", …]`), fetched on first use and kept once read. */
  readonly versions: Effect.Effect<ReadonlyArray<string>, VersionsError>
  /** Fails with `NotSupported` unless the server lists `v<version>`, naming `feature`. */
  readonly require: (version: string, feature: string) => Effect.Effect<void, VersionsError | NotSupported>
}

/**
 * Failures of reading `GET /versions`.
 *
 * @since 0.1.0
 * @category errors
 */
export type VersionsError = TransportError | ResponseDecodeError | BadResponse | NotSupported

/**
 * How `GET /versions` is bounded, as every other request (`GlanceHttp.Options`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Time to wait for the answer's head, and between two reads of its body (default: none). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The most bytes read of the versions document (default 16 MiB). */
  readonly maxResponseBytes?: number | undefined
}

/**
 * The Image API endpoint.
 *
 * @since 0.1.0
 * @category tags
 */
export class ImageEndpoint extends Context.Tag("glanceclient/ImageEndpoint")<ImageEndpoint, Service>() {}

/**
 * Removes a trailing slash and a trailing version segment (`/v1`, `/v2`, `/v2.0`).
 *
 * @internal
 */
export const normalizeUrl = (url: string): string => url.replace(/\/+$/, "").replace(/\/v\d+(\.\d+)?$/, "")

/**
 * Picks the image endpoint of a catalog, as python-glanceclient does: the first when no region is given.
 *
 * @since 0.1.0
 * @category operations
 */
export const fromCatalog = (
  catalog: ReadonlyArray<CatalogEntry>,
  options: {
    readonly interface?: Interface | undefined
    readonly region?: string | undefined
    readonly serviceType?: string | undefined
  }
): Effect.Effect<{ readonly url: string; readonly region: string | undefined }, ConfigError> => {
  const type = options.serviceType ?? "image"
  const iface = options.interface ?? "public"
  const services = catalog.filter((s) => s.type === type)
  if (services.length === 0) {
    return Effect.fail(
      new ConfigError({
        message: catalog.length === 0
          ? `The service catalog is empty: the token is not scoped to a project (set projectName or projectId: --os-project-name or --os-project-id for glance), or give imageUrl (--os-image-url)`
          : `The service catalog has no "${type}" service (it has: ${catalog.map((s) => s.type).join(", ")})`
      })
    )
  }
  const endpoints = services.flatMap((s) => s.endpoints).filter((e) => e.interface === iface)
  const regions = [...new Set(services.flatMap((s) => s.endpoints).map((e) => e.region ?? "(none)"))]
  const chosen = options.region === undefined ? endpoints[0] : endpoints.find((e) => e.region === options.region)
  if (!chosen) {
    return Effect.fail(
      new ConfigError({
        message: options.region === undefined
          ? `The "${type}" service has no ${iface} endpoint`
          : `The "${type}" service has no ${iface} endpoint in region "${options.region}" (regions: ${
            regions.join(", ")
          })`
      })
    )
  }
  if (!/^https?:\/\//.test(chosen.url) || Links.root(chosen.url) === undefined) {
    return Effect.fail(
      new ConfigError({
        message: `The catalog's ${iface} "${type}" endpoint ${Links.show(chosen.url)} is not an http(s) URL`
      })
    )
  }
  return Effect.succeed({ url: normalizeUrl(chosen.url), region: chosen.region })
}

const VersionsDocument = Schema.Struct({
  versions: Schema.Array(Schema.Struct({ id: Schema.String, status: Schema.optional(Schema.String) }))
})

/**
 * Reads `GET {root}/versions` by the rules of every request (timeout, cap, redirects on the
 * endpoint) and returns the v2.x ids it lists, without the `v`. Glance answers it with
 * `300 Multiple Choices`, which is taken as an answer here only.
 */
const fetchVersions = (
  http: HttpClient.HttpClient,
  root: string,
  limits: Limits = {}
): Effect.Effect<ReadonlyArray<string>, VersionsError> =>
  Effect.gen(function*() {
    const url = `${root}/versions`
    const rules: Core.Rules = {
      service: "Image API",
      root: Links.root(root) ?? Links.nowhere,
      timeout: limits.timeout === undefined ? undefined : Duration.decode(limits.timeout),
      maxResponseBytes: limits.maxResponseBytes ?? Core.defaultMaxResponseBytes,
      accept: (status) => status === 300
    }
    const request = HttpClientRequest.get(url).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.setHeader("user-agent", userAgent)
    )
    const response = yield* Core.send(http, rules, request)
    if (response.status >= 400) {
      yield* Core.discard(rules, response)
      return yield* new NotSupported({ message: `${url} answered ${response.status}: is this an Image API endpoint?` })
    }
    const notDocument = (detail: string, cause?: unknown) =>
      new ResponseDecodeError({
        message: `${url} is not a versions document: ${detail}`,
        method: "GET",
        url,
        ...(cause !== undefined ? { cause } : {})
      })
    const body = yield* Core.readJson(rules, request, response).pipe(
      Effect.mapError((failure) => failure._tag === "Read" ? failure.error : notDocument("it is not JSON"))
    )
    const doc = yield* Schema.decodeUnknown(VersionsDocument)(body).pipe(
      Effect.mapError((cause) => notDocument(Core.describeParseError(cause), cause))
    )
    const v2 = doc.versions.map((v) => v.id.replace(/^v/, "")).filter((id) => id.startsWith("2."))
    if (v2.length === 0) return yield* new NotSupported({ message: `The Image API at ${root} offers no v2 API` })
    return v2.sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
  }).pipe(Effect.withSpan("ImageEndpoint.versions"))

/**
 * Builds the endpoint from a URL, with lazily fetched versions.
 *
 * @since 0.1.0
 * @category operations
 */
export const fromUrl = (
  url: string,
  region: string | undefined,
  limits: Limits = {}
): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const root = normalizeUrl(url)
    // Remember only a success: a transient failure of `/versions` must not fail every later call.
    const known = yield* SynchronizedRef.make(Option.none<ReadonlyArray<string>>())
    const versions = SynchronizedRef.modifyEffect(known, (current) =>
      Option.match(current, {
        onSome: (listed) => Effect.succeed([listed, current] as const),
        onNone: () => Effect.map(fetchVersions(http, root, limits), (listed) => [listed, Option.some(listed)] as const)
      }))
    const require = (version: string, feature: string) =>
      Effect.flatMap(versions, (listed) =>
        listed.includes(version)
          ? Effect.void
          : Effect.fail(
            new NotSupported({
              message: `${feature} needs Image API v${version}, which ${root} does not offer (it lists v${
                listed.join(", v")
              })`
            })
          ))
    return ImageEndpoint.of({ url: root, region, versions, require })
  })

/** The limits of `GET /versions` from the settings (`timeout`, `maxResponseSize`). */
const limitsOf = (settings: {
  readonly timeout?: number | undefined
  readonly maxResponseSize?: number | undefined
}): Limits => ({
  ...(settings.timeout !== undefined ? { timeout: Duration.seconds(settings.timeout) } : {}),
  ...(settings.maxResponseSize !== undefined ? { maxResponseBytes: settings.maxResponseSize * MiB } : {})
})

/**
 * Resolves the endpoint: `imageUrl` from the settings, else the catalog of the Keystone session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Service,
  KeystoneError | ConfigError,
  CloudConfig | Keystone | HttpClient.HttpClient
> = Effect.gen(function*() {
  const settings = yield* CloudConfig
  if (settings.imageUrl !== undefined) {
    if (!/^https?:\/\//.test(settings.imageUrl) || Links.root(settings.imageUrl) === undefined) {
      return yield* new ConfigError({ message: `The image URL "${settings.imageUrl}" is not an http(s) URL` })
    }
    return yield* fromUrl(settings.imageUrl, settings.regionName, limitsOf(settings))
  }
  const keystone = yield* Keystone
  const session = yield* keystone.session
  const chosen = yield* fromCatalog(session.catalog, {
    interface: settings.interface,
    region: settings.regionName,
    serviceType: settings.serviceType
  })
  return yield* fromUrl(chosen.url, chosen.region, limitsOf(settings))
}).pipe(Effect.withSpan("ImageEndpoint.make"))

/**
 * The endpoint from `CloudConfig` and the Keystone catalog.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  ImageEndpoint,
  KeystoneError | ConfigError,
  CloudConfig | Keystone | HttpClient.HttpClient
> = Layer.effect(ImageEndpoint, make)

/**
 * A fixed endpoint URL, no catalog needed.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUrl = (url: string, limits: Limits = {}): Layer.Layer<ImageEndpoint, never, HttpClient.HttpClient> =>
  Layer.effect(ImageEndpoint, fromUrl(url, undefined, limits))
