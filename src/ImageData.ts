/**
 * Requests that carry image data, on the `ImageTransport`: the request core (`GlanceHttp.make`:
 * endpoint, token, retries, typed errors) run over the transport's client, with the rules of the
 * data path on top: only a `200` (or `204`, or a `206` asked for) is data; any other answer's body
 * is read at most a few KiB for its message; a body that stalls past the timeout or breaks off is
 * a `TransportError`.
 *
 * @since 0.1.0
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { CloudConfig } from "./CloudConfig.js"
import { fromStatus, TransportError } from "./GlanceError.js"
import * as GlanceHttp from "./GlanceHttp.js"
import type { ImageEndpoint } from "./ImageEndpoint.js"
import { type BlockSource, ImageTransport } from "./ImageTransport.js"
import * as Bytes from "./internal/bytes.js"
import { describeTransport, displayUrl, withoutRequest } from "./internal/http.js"
import type { Keystone } from "./Keystone.js"

/**
 * The most bytes of a non-2xx answer on the data path that are read (for its message).
 *
 * @since 0.1.0
 * @category constants
 */
export const errorBodyLimit = 8 * 1024

/**
 * Requests that carry image data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Whether the transport is done with each block of a request body when it pulls the next (see `ImageTransport`). */
  readonly bodyBlockDoneOnPull: boolean
  /**
   * Sends a request whose URL is relative to the service root, as `GlanceHttp.execute` does,
   * on the image-data transport. Answers other than 2xx are typed errors (their bodies read at
   * most `errorBodyLimit` bytes); so is a redirect, which is never data.
   */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttp.GlanceHttpError>
  /**
   * The body of an answer of `execute`, as blocks of about a mebibyte; a `TransportError` when it
   * breaks off, or when no byte arrives within the timeout. Without `blocks` every block is new
   * memory that belongs to the reader; with them, blocks are taken from `blocks`.
   */
  readonly body: (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse,
    options?: { readonly blocks?: BlockSource | undefined }
  ) => Stream.Stream<Uint8Array, TransportError>
}

/**
 * Requests that carry image data.
 *
 * @since 0.1.0
 * @category tags
 */
export class ImageData extends Context.Tag("glanceclient/ImageData")<ImageData, Service>() {}

/**
 * An answer with at most `limit` bytes of its body, read incrementally: the rest is never read
 * (the request is aborted), so an endless error body costs nothing.
 */
const truncated = (response: HttpClientResponse.HttpClientResponse, limit: number) =>
  Effect.gen(function*() {
    const parts: Array<Uint8Array> = []
    let size = 0
    yield* response.stream.pipe(
      Stream.takeUntil((bytes) => {
        parts.push(bytes)
        size += bytes.byteLength
        return size >= limit
      }),
      Stream.runDrain,
      Effect.ignore
    )
    const body = Bytes.concat(parts, size).subarray(0, limit)
    const empty = response.status === 304 || response.status === 204 || response.status === 205
    return HttpClientResponse.fromWeb(
      response.request,
      new Response(empty ? null : body, { status: response.status, headers: Object.entries(response.headers) })
    )
  })

/**
 * Builds the data path on the transport in context, with the request core's options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: GlanceHttp.Options = {}
): Effect.Effect<Service, never, ImageTransport | ImageEndpoint | Keystone> =>
  Effect.gen(function*() {
    const transport = yield* ImageTransport
    const bounded = HttpClient.transformResponse(
      transport.client,
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300 ? Effect.succeed(response) : truncated(response, errorBodyLimit)
      )
    )
    const core = yield* GlanceHttp.make(options).pipe(Effect.provideService(HttpClient.HttpClient, bounded))
    const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)

    /**
     * A request with a streamed body (an upload) has no deadline as a whole, but it may not stall:
     * it fails when the transport takes no block of the body, or no answer comes after the last
     * one, for the timeout.
     */
    const watched = (
      request: HttpClientRequest.HttpClientRequest
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, GlanceHttp.GlanceHttpError> => {
      const body = request.body
      if (timeout === undefined || body._tag !== "Stream") return core.execute(request)
      return Effect.suspend(() => {
        let last = Date.now()
        const touched = Stream.tap(body.stream, () => Effect.sync(() => void (last = Date.now())))
        const ms = Duration.toMillis(timeout)
        const url = displayUrl(core.endpoint.url + request.url)
        const stalled = Effect.suspend(() =>
          Date.now() - last > ms
            ? Effect.fail(
              new TransportError({
                message: `The upload to ${url} stalled: the server took no data and sent no answer for ${
                  Duration.format(timeout)
                }`,
                method: request.method,
                url
              })
            )
            : Effect.void
        ).pipe(Effect.repeat(Schedule.spaced(Duration.millis(Math.min(1000, Math.max(50, ms / 4))))))
        return Effect.raceFirst(
          core.execute(
            HttpClientRequest.setBody(request, HttpBody.stream(touched, body.contentType, body.contentLength))
          ),
          Effect.zipRight(stalled, Effect.never)
        )
      })
    }

    const execute = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(watched(request), (response) => {
        if (response.status >= 200 && response.status < 300) return Effect.succeed(response)
        const url = displayUrl(core.endpoint.url + request.url)
        const location = response.headers["location"]
        const requestId = response.headers["x-openstack-request-id"]
        return Effect.fail(fromStatus({
          message: `${request.method} ${url} answered ${response.status}${
            location === undefined ? "" : ` (a redirect to ${displayUrl(location)})`
          }, which is not image data`,
          status: response.status,
          method: request.method,
          url,
          ...(requestId ? { requestId } : {})
        }))
      })

    const body = (
      request: HttpClientRequest.HttpClientRequest,
      response: HttpClientResponse.HttpClientResponse,
      bodyOptions: { readonly blocks?: BlockSource | undefined } = {}
    ): Stream.Stream<Uint8Array, TransportError> => {
      const url = displayUrl(core.endpoint.url + request.url)
      return transport.body(response, { idleTimeout: timeout, blocks: bodyOptions.blocks }).pipe(
        Stream.mapError((failure) =>
          failure._tag === "BodyStalled"
            ? new TransportError({
              message: `The download from ${url} stalled: no data for ${Duration.format(timeout!)}`,
              method: request.method,
              url
            })
            : new TransportError({
              message: `The download from ${url} broke off: ${describeTransport(failure.cause)}`,
              method: request.method,
              url,
              cause: withoutRequest(failure.cause)
            })
        )
      )
    }

    return ImageData.of({ execute, body, bodyBlockDoneOnPull: transport.bodyBlockDoneOnPull })
  })

/**
 * The data path with explicit options (the same as `GlanceHttp.layer`'s).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: GlanceHttp.Options = {}
): Layer.Layer<ImageData, never, ImageTransport | ImageEndpoint | Keystone> => Layer.effect(ImageData, make(options))

/**
 * The data path with its timeout taken from `CloudConfig`, as `GlanceHttp.layerConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: GlanceHttp.Options = {}
): Layer.Layer<ImageData, never, ImageTransport | ImageEndpoint | Keystone | CloudConfig> =>
  Layer.effect(
    ImageData,
    Effect.flatMap(CloudConfig, (settings) =>
      make({
        ...options,
        ...(options.timeout === undefined && settings.timeout !== undefined
          ? { timeout: Duration.seconds(settings.timeout) }
          : {})
      }))
  )
