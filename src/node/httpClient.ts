/**
 * The HttpClient the `glance` executable runs on, and `glanceclient/node`'s (Node.js only).
 *
 * Built on node:http alone (no undici: a program that imports it loads ~50 ms less):
 * - image data (a GET accepting application/octet-stream) is read from the socket straight into
 *   1 MiB blocks by `blockGet`;
 * - a streamed request body (uploads and stages) is written as the socket takes it: the
 *   platform's NodeHttpClient writes a stream body without waiting for the socket to drain, so
 *   a 1 GiB upload held the whole file in memory (measured: 0.9 GiB RSS);
 * - every other request has a small body and a small answer (JSON), read whole.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Bytes from "../internal/bytes.js"
import { BlockBody, blockGet, type BlockResponse } from "./blockGet.js"

/** TLS settings for both kinds of request. */
export interface TlsOptions {
  readonly rejectUnauthorized: boolean
  readonly ca?: Buffer | undefined
  readonly cert?: Buffer | undefined
  readonly key?: Buffer | undefined
}

const responseHeaders = (headers: Http.IncomingHttpHeaders): Array<[string, string]> =>
  Object.entries(headers).flatMap(([name, value]) =>
    value === undefined ? [] : Array.isArray(value) ? value.map((v): [string, string] => [name, v]) : [[name, value]]
  )

/** The bytes of a request body that is not a stream. */
const fixedBody = (body: HttpClientRequest.HttpClientRequest["body"]): Uint8Array | string | undefined => {
  switch (body._tag) {
    case "Empty":
      return undefined
    case "Uint8Array":
      return body.body
    case "Raw":
      if (typeof body.body === "string" || body.body instanceof Uint8Array) return body.body
      throw new Error("glanceclient's Node client sends raw bodies of bytes or text only")
    default:
      throw new Error(`glanceclient's Node client does not send ${body._tag} bodies`)
  }
}

const send = (
  agents: { readonly http: Http.Agent; readonly https: Https.Agent },
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal
) =>
  Effect.gen(function*() {
    const body = request.body
    const source = body._tag === "Stream" ? body.stream : undefined
    const fixed = source === undefined ?
      yield* Effect.try({
        try: () => fixedBody(body),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause })
      }) :
      undefined
    const runtime = yield* Effect.runtime<never>()
    const transport = (cause: unknown) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
    return yield* Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
      const headers: Record<string, string> = { ...request.headers }
      if (body._tag !== "Empty") {
        if (body.contentType) headers["content-type"] = body.contentType
        if (body.contentLength !== undefined) headers["content-length"] = String(body.contentLength)
        else if (fixed !== undefined) headers["content-length"] = String(Buffer.byteLength(fixed))
      }
      const https = url.protocol === "https:"
      const outgoing = (https ? Https : Http).request(url, {
        method: request.method,
        headers,
        agent: https ? agents.https : agents.http,
        signal
      })
      let done = false
      let pump: Fiber.RuntimeFiber<void> | undefined = undefined
      const finish = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>) => {
        if (!done) {
          done = true
          pump?.unsafeInterruptAsFork(FiberId.none)
          resume(effect)
        }
      }
      outgoing.on("response", (incoming) => {
        const parts: Array<Buffer> = []
        incoming.on("data", (b: Buffer) => parts.push(b))
        incoming.on("error", (e) => finish(Effect.fail(transport(e))))
        incoming.on("end", () => {
          const status = incoming.statusCode ?? 500
          const body = parts.length === 0 || status === 204 || status === 304 ? null : Buffer.concat(parts)
          finish(Effect.succeed(HttpClientResponse.fromWeb(
            request,
            new Response(body, { status, headers: responseHeaders(incoming.headers) })
          )))
        })
      })
      outgoing.on("error", (e) => finish(Effect.fail(transport(e))))
      // The body, written as the socket takes it; each block handed back once sent (Bytes.release),
      // so a file's blocks are reused. A failing body aborts the request (never a short, ended
      // one that Glance would keep); a server may answer (e.g. 401, 413) before taking the
      // whole body: the response wins.
      const write = (chunk: Uint8Array) =>
        Effect.async<void>((next) => {
          if (outgoing.destroyed) return next(Effect.interrupt)
          const more = outgoing.write(chunk, (error) => {
            if (!error) Bytes.release(chunk)
          })
          if (more) return next(Effect.void)
          const go = () => {
            outgoing.off("drain", go)
            outgoing.off("close", go)
            next(Effect.void)
          }
          outgoing.on("drain", go)
          outgoing.on("close", go)
        })
      if (source === undefined) {
        outgoing.end(fixed)
        return Effect.sync(() => outgoing.destroy())
      }
      pump = Runtime.runFork(runtime)(
        Stream.runForEach(source, write).pipe(
          Effect.matchCause({
            onSuccess: () => {
              outgoing.end()
            },
            onFailure: (cause) => {
              if (Cause.isInterruptedOnly(cause)) return
              const error = Cause.squash(cause)
              outgoing.destroy(error instanceof Error ? error : new Error(String(error)))
              setTimeout(() => finish(Effect.fail(transport(error))), 50)
            }
          })
        )
      )
      return Effect.sync(() => {
        pump?.unsafeInterruptAsFork(FiberId.none)
        outgoing.destroy()
      })
    })
  })

/** Whether a request fetches image data (read straight into blocks by `blockGet`). */
const isImageData = (request: HttpClientRequest.HttpClientRequest): boolean =>
  request.method === "GET" && request.body._tag === "Empty" && request.headers["accept"] === "application/octet-stream"

/**
 * The response of `blockGet` as a platform response. Its body is a Node readable `source`, which
 * the library reads directly (`internal/nodeBody.ts`).
 */
class BlockClientResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly headers: Headers.Headers
  readonly status: number
  readonly source: BlockBody
  constructor(readonly request: HttpClientRequest.HttpClientRequest, head: BlockResponse) {
    super()
    this.status = head.status
    this.source = head.body
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
    return Effect.tryPromise({
      try: async () => {
        const parts: Array<Uint8Array> = []
        for await (const block of this.source) parts.push(block as Uint8Array)
        const all = Buffer.concat(parts)
        return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
      },
      catch: this.decodeError
    })
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
    return NodeStream.fromReadable<HttpClientError.ResponseError, Uint8Array>(() => this.source, this.decodeError)
  }
  toJSON(): unknown {
    return { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }
}

const getBlocks = (tls: TlsOptions, request: HttpClientRequest.HttpClientRequest, url: URL, signal: AbortSignal) =>
  Effect.tryPromise({
    try: () => blockGet(url, request.headers, { tls, signal }),
    catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
  }).pipe(Effect.map((head) => new BlockClientResponse(request, head)))

/**
 * The client: node:http, streamed request bodies with backpressure, and image data read
 * straight into blocks.
 */
export const layer = (tls: TlsOptions = { rejectUnauthorized: true }): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(
    HttpClient.HttpClient,
    Effect.gen(function*() {
      const options = {
        keepAlive: true,
        rejectUnauthorized: tls.rejectUnauthorized,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {})
      }
      // One pair of keep-alive agents, destroyed when the layer's scope closes.
      const agents = yield* Effect.acquireRelease(
        Effect.sync(() => ({ http: new Http.Agent(options), https: new Https.Agent(options) })),
        (agents) =>
          Effect.sync(() => {
            agents.http.destroy()
            agents.https.destroy()
          })
      )
      return HttpClient.make((request, url, signal) =>
        isImageData(request) ? getBlocks(tls, request, url, signal) : send(agents, request, url, signal)
      )
    })
  )
