/**
 * One layer that wires the whole client: settings, Keystone, the image endpoint, the HTTP
 * core and every service, so a program provides a single layer.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cache from "./Cache.js"
import * as CloudConfig from "./CloudConfig.js"
import * as GlanceHttp from "./GlanceHttp.js"
import * as Hasher from "./Hasher.js"
import * as ImageData from "./ImageData.js"
import * as ImageEndpoint from "./ImageEndpoint.js"
import * as Images from "./Images.js"
import * as ImageTransport from "./ImageTransport.js"
import * as Info from "./Info.js"
import * as Keystone from "./Keystone.js"
import * as Members from "./Members.js"
import * as Metadefs from "./Metadefs.js"
import * as Schemas from "./Schemas.js"
import * as Tasks from "./Tasks.js"

/**
 * The Image API's services (what `GlanceTest` provides in memory too).
 *
 * @since 0.1.0
 * @category models
 */
export type ApiServices =
  | Images.Images
  | Members.Members
  | Schemas.Schemas
  | Tasks.Tasks
  | Info.Info
  | Cache.Cache
  | Metadefs.Metadefs

/**
 * Everything the client layer provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | CloudConfig.CloudConfig
  | Keystone.Keystone
  | ImageEndpoint.ImageEndpoint
  | GlanceHttp.GlanceHttp
  | ImageData.ImageData
  | ApiServices

/**
 * What the client layer needs from the platform: the `HttpClient` for every request, the
 * transport of image data and the hasher that verifies it. `glanceclient/node`'s
 * `NodeGlanceHttp.layer()` provides all three; `portable` makes the last two from the `HttpClient`.
 *
 * @since 0.1.0
 * @category models
 */
export type Platform = HttpClient.HttpClient | ImageTransport.ImageTransport | Hasher.Hasher

/**
 * The portable transport of image data and hasher, on the platform `HttpClient` (fetch, undici, a test double).
 *
 * @since 0.1.0
 * @category layers
 */
export const portable: Layer.Layer<ImageTransport.ImageTransport | Hasher.Hasher, never, HttpClient.HttpClient> = Layer
  .merge(ImageTransport.layer, Hasher.layer)

/**
 * Failures of building the client: bad settings, refused credentials, an unreachable Keystone.
 *
 * @since 0.1.0
 * @category errors
 */
export type LayerError = CloudConfig.ConfigError | Keystone.KeystoneError

/**
 * The services on top of a `CloudConfig` layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFrom = <E, R>(
  config: Layer.Layer<CloudConfig.CloudConfig, E, R>,
  options: GlanceHttp.Options = {}
): Layer.Layer<Services, E | LayerError, R | Platform> => {
  // Layers are built once per graph *by reference*: every client gets its own layer values, so
  // two clients in one program (two users, two clouds) never share a login.
  const keystone = Layer.unwrapEffect(
    Effect.map(CloudConfig.CloudConfig, (settings) =>
      settings.token !== undefined && settings.imageUrl !== undefined
        ? Keystone.layerToken(settings.token)
        : Layer.effect(Keystone.Keystone, Keystone.make))
  )
  const endpoint = Layer.effect(ImageEndpoint.ImageEndpoint, ImageEndpoint.make).pipe(Layer.provide(keystone))
  const http = Layer.merge(GlanceHttp.layerConfig(options), ImageData.layerConfig(options)).pipe(
    Layer.provide(Layer.merge(endpoint, keystone))
  )
  const services = Layer.mergeAll(
    Layer.effect(Images.Images, Images.make),
    Layer.effect(Members.Members, Members.make),
    Layer.effect(Schemas.Schemas, Schemas.make),
    Layer.effect(Tasks.Tasks, Tasks.make),
    Layer.effect(Info.Info, Info.make),
    Layer.effect(Cache.Cache, Cache.make),
    Layer.effect(Metadefs.Metadefs, Metadefs.make)
  ).pipe(Layer.provideMerge(http))
  return services.pipe(
    Layer.provideMerge(Layer.merge(endpoint, keystone)),
    Layer.provideMerge(config)
  )
}

/**
 * The client for explicit settings.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted, Stream } from "effect"
 * import { GlanceClient, Images } from "glanceclient"
 * import { NodeGlanceHttp } from "glanceclient/node"
 *
 * // Settings as a program has them (here explicit; `layerConfig` reads OS_* and clouds.yaml).
 * const Client = GlanceClient.layer({
 *   authUrl: "https://keystone.example.com/v3",
 *   username: "demo",
 *   password: Redacted.make("secret"),
 *   projectName: "demo",
 *   userDomainName: "Default",
 *   projectDomainName: "Default"
 * }, { timeout: "30 seconds" }).pipe(Layer.provide(NodeGlanceHttp.layer()))
 *
 * const program = Effect.gen(function*() {
 *   const images = yield* Images.Images
 *   const active = yield* Stream.runCollect(images.list({ filters: { status: "active" } }))
 *   yield* Effect.log(`${active.length} active images`)
 * })
 *
 * Effect.runPromise(Effect.provide(program, Client))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  settings: CloudConfig.Settings,
  options: GlanceHttp.Options = {}
): Layer.Layer<Services, LayerError, Platform> => layerFrom(CloudConfig.layer(settings), options)

/**
 * The client for settings from `overrides`, `OS_*` and clouds.yaml.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: CloudConfig.Settings = {},
  options: GlanceHttp.Options = {}
): Layer.Layer<Services, LayerError, Platform | FileSystem.FileSystem> =>
  layerFrom(CloudConfig.layerConfig(overrides), options)
