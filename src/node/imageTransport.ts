/**
 * The transport of image data on Node.js: a download's body is read from the socket straight
 * into blocks of a mebibyte (`blockGet`: one stream pull per block, no buffer per socket read, no
 * copy), from the reader's pool when the library's own sink reads it; an upload's body is written
 * as the socket takes it (node:http with backpressure), its blocks only read.
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import {
  type BlockSource,
  BodyBroken,
  type BodyOptions,
  BodyStalled,
  ImageTransport,
  type Service,
  streamBody
} from "../ImageTransport.js"
import * as Bytes from "../internal/bytes.js"
import { blockGet, type BlockResponse, type SocketBody, StalledError, type TlsOptions } from "./blockGet.js"
import { agentsFor, send } from "./httpClient.js"

/**
 * A socket body as a stream: one pull per batch of blocks ready. `owner` (the response) is kept
 * reachable until the stream ends: the platform aborts a request whose response is collected.
 *
 * @since 0.1.0
 * @category operations
 */
export const socketStream = (
  body: SocketBody,
  options: {
    readonly idleTimeout?: number | undefined
    readonly blocks?: BlockSource | undefined
    readonly owner?: unknown
  } = {}
): Stream.Stream<Uint8Array, BodyBroken | BodyStalled> =>
  Stream.suspend(() => {
    body.useBlocks(options.blocks)
    const idle = options.idleTimeout
    const pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<BodyBroken | BodyStalled>> = Effect.suspend(() => {
      const taken = body.take()
      switch (taken._tag) {
        case "Blocks":
          return Effect.succeed(Chunk.unsafeFromArray(taken.blocks))
        case "End":
          return Effect.fail(Option.none())
        case "Failed":
          return Effect.fail(
            Option.some(
              taken.cause instanceof StalledError ? new BodyStalled() : new BodyBroken({ cause: taken.cause })
            )
          )
        case "Wait":
          return Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<BodyBroken | BodyStalled>>((resume) => {
            // The idle clock starts now at the earliest: while the reader was busy the socket was paused.
            const since = Date.now()
            let timer: ReturnType<typeof setTimeout> | undefined
            const check = () => {
              const quiet = Date.now() - Math.max(since, body.lastReceived)
              if (quiet >= idle!) {
                body.unwait()
                body.stall()
                resume(pull)
              } else timer = setTimeout(check, idle! - quiet + 1)
            }
            if (idle !== undefined) timer = setTimeout(check, idle)
            body.wait(() => {
              if (timer !== undefined) clearTimeout(timer)
              resume(pull)
            })
            return Effect.sync(() => {
              if (timer !== undefined) clearTimeout(timer)
              body.unwait()
            })
          })
      }
    })
    const owner = options.owner
    return Stream.repeatEffectChunkOption(pull).pipe(
      Stream.ensuring(Effect.sync(() => {
        void owner
        body.destroy()
      }))
    )
  })

/** The response of `blockGet` as a platform response; `stream` gives its blocks (new memory each). */
class BlockClientResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly headers: Headers.Headers
  readonly status: number
  constructor(readonly request: HttpClientRequest.HttpClientRequest, readonly source: SocketBody, head: BlockResponse) {
    super()
    this.status = head.status
    const record: Record<string, string> = {}
    for (const [name, value] of head.headers) record[name] = name in record ? `${record[name]}, ${value}` : value
    this.headers = Headers.fromInput(record)
  }
  private decodeError = (cause: unknown) =>
    new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  get cookies(): Cookies.Cookies {
    return Cookies.fromSetCookie(this.headers["set-cookie"] ?? [])
  }
  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(
      Stream.runCollect(this.stream),
      (chunks) => Bytes.concat(Chunk.toReadonlyArray(chunks)).buffer
    )
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.arrayBuffer, (bytes) => new TextDecoder().decode(bytes))
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(
      this.text,
      (text) => Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: this.decodeError })
    )
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.fail(this.decodeError(new Error("image data is not form data")))
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.mapError(socketStream(this.source, { owner: this }), (e) => this.decodeError(e.cause ?? e))
  }
  toJSON(): unknown {
    return { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }
}

/**
 * The transport on Node.js for the TLS settings.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (tls: TlsOptions = { rejectUnauthorized: true }) =>
  Effect.map(agentsFor(tls), (agents): Service => {
    // The socket body of each response of this transport, found again by its request (a public field).
    const bodies = new WeakMap<HttpClientRequest.HttpClientRequest, SocketBody>()
    const client = HttpClient.make((request, url, signal) => {
      if (request.body._tag !== "Empty" || (request.method !== "GET" && request.method !== "HEAD")) {
        return send(agents, request, url, signal, { flushEach: true })
      }
      return Effect.tryPromise({
        try: () => blockGet(url, request.headers, { tls, signal, method: request.method as "GET" | "HEAD" }),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      }).pipe(Effect.map((head) => {
        bodies.set(request, head.body)
        return new BlockClientResponse(request, head.body, head)
      }))
    })
    const body = (response: HttpClientResponse.HttpClientResponse, options: BodyOptions = {}) => {
      const source = bodies.get(response.request)
      return source === undefined ? streamBody(response, options) : socketStream(source, {
        idleTimeout: options.idleTimeout === undefined ? undefined : Duration.toMillis(options.idleTimeout),
        blocks: options.blocks,
        owner: response
      })
    }
    return ImageTransport.of({ client, body, bodyBlockDoneOnPull: true })
  })

/**
 * The transport on Node.js: socket reads straight into blocks, request bodies with backpressure.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (tls: TlsOptions = { rejectUnauthorized: true }): Layer.Layer<ImageTransport> =>
  Layer.scoped(ImageTransport, make(tls))
