/**
 * The transport of image data: the client that sends the requests carrying it (a download's
 * `GET …/file`, an upload's `PUT …/file`, a stage's `PUT …/stage`) and the reading of their
 * bodies into blocks of about a mebibyte. The request core (`ImageData`) adds the endpoint, the
 * token, retries and typed errors on top, exactly as for every other request.
 *
 * The portable default here runs on the platform's `HttpClient` (fetch, undici, node:http, a
 * test double). `glanceclient/node` offers `NodeImageTransport.layer`, which reads sockets
 * straight into blocks and sends request bodies as fast as the socket takes them.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Bytes from "./internal/bytes.js"

/**
 * Where a transport may take the blocks it fills, when the reader offers some.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockSource {
  /** The size of every block `take` returns. */
  readonly blockSize: number
  /** A block to fill. */
  readonly take: () => Uint8Array
}

/**
 * How a body is read.
 *
 * @since 0.1.0
 * @category models
 */
export interface BodyOptions {
  /** Fail with `BodyStalled` when no byte arrives for this long while the reader waits. */
  readonly idleTimeout?: Duration.Duration | undefined
  /**
   * Blocks to fill, offered by a reader that hands each back to its owner once done with it (the
   * library's own file and standard-output writers do). Without it every block is new memory
   * that belongs to whoever reads the stream. A transport may ignore it.
   */
  readonly blocks?: BlockSource | undefined
}

/**
 * The body broke off: the connection closed or failed before its end, or it was malformed.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyBroken extends Data.TaggedError("BodyBroken")<{ readonly cause: unknown }> {}

/**
 * No byte of the body arrived within the idle timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class BodyStalled extends Data.TaggedError("BodyStalled")<{}> {}

/**
 * The transport of image data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Sends requests that carry image data. */
  readonly client: HttpClient.HttpClient
  /**
   * Whether `client` is done with each block of a streamed request body (it is on the socket)
   * by the time it pulls the next one, so that the library's own readers may refill it then
   * (`Images.Service.uploadEach`). False for the platform's clients, which may hold several.
   */
  readonly bodyBlockDoneOnPull: boolean
  /**
   * The body of a response of `client`, as blocks of about a mebibyte (the last may be shorter).
   * Every byte received before a failure is handed on before it, so a resumed download asks
   * only for the rest. Without `options.blocks`, each block is the reader's to keep.
   */
  readonly body: (
    response: HttpClientResponse.HttpClientResponse,
    options?: BodyOptions
  ) => Stream.Stream<Uint8Array, BodyBroken | BodyStalled>
}

/**
 * The transport of image data.
 *
 * @since 0.1.0
 * @category tags
 */
export class ImageTransport extends Context.Tag("glanceclient/ImageTransport")<ImageTransport, Service>() {}

/**
 * A response body read through the platform's `response.stream`, re-chunked into blocks of a
 * mebibyte (new arrays, or the platform's own when they are that large already). A failure is
 * held back until the bytes gathered before it are handed on.
 *
 * @since 0.1.0
 * @category operations
 */
export const streamBody = (
  response: HttpClientResponse.HttpClientResponse,
  options: BodyOptions = {}
): Stream.Stream<Uint8Array, BodyBroken | BodyStalled> =>
  Stream.suspend(() => {
    let failure: BodyBroken | BodyStalled | undefined
    const raw = Stream.mapError(response.stream, (cause) => new BodyBroken({ cause }))
    const idle = options.idleTimeout
    return (idle === undefined ? raw : raw.pipe(Stream.timeoutFail(() => new BodyStalled(), idle))).pipe(
      Stream.catchAll((e) => {
        failure = e
        return Stream.empty
      }),
      Bytes.coalesce(),
      Stream.concat(Stream.suspend(() => (failure === undefined ? Stream.empty : Stream.fail(failure))))
    )
  })

/**
 * The portable transport on a platform `HttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (client: HttpClient.HttpClient): Service => ({
  client,
  body: streamBody,
  bodyBlockDoneOnPull: false
})

/**
 * The portable transport on the platform `HttpClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ImageTransport, never, HttpClient.HttpClient> = Layer.effect(
  ImageTransport,
  Effect.map(HttpClient.HttpClient, make)
)
