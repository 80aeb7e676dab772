/**
 * The HttpClient the `glance` executable runs on, and `glanceclient/node`'s (Node.js only).
 *
 * Built on node:http alone (no undici: a program that imports it loads ~50 ms less):
 * - a streamed request body (uploads and stages) is written as the socket takes it: the
 *   platform's NodeHttpClient writes a stream body without waiting for the socket to drain, so
 *   a 1 GiB upload held the whole file in memory (measured: 0.9 GiB RSS);
 * - a response body is handed on as a stream as it arrives (a web `Response` over the socket),
 *   so the request core's caps on JSON and error bodies bound the memory a big answer costs.
 *
 * `layer` provides everything glanceclient needs on Node.js: this client, `NodeImageTransport`
 * (image data read from the socket straight into blocks) and `NodeHasher` (node:crypto).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import { Readable } from "node:stream"
import type { Hasher } from "../Hasher.js"
import type { ImageTransport } from "../ImageTransport.js"
import * as NodeHasher from "./hasher.js"
import * as NodeImageTransport from "./imageTransport.js"

/**
 * TLS settings for both kinds of request.
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * Sends a request with node:http: a streamed body with backpressure, the answer's body as a stream.
 *
 * @since 0.1.0
 * @category operations
 */
export const send = (
  agents: Agents,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  options: {
    /** Pull the next block of a streamed body only once the last one is on the socket (its write callback). */
    readonly flushEach?: boolean | undefined
  } = {}
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
        const status = incoming.statusCode ?? 500
        const empty = status === 204 || status === 205 || status === 304 || request.method === "HEAD"
        if (empty) incoming.resume()
        // The body as it arrives: nothing is held here, the reader decides how much to read.
        const body = empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>)
        finish(Effect.succeed(HttpClientResponse.fromWeb(
          request,
          new Response(body, {
            status,
            statusText: incoming.statusMessage ?? "",
            headers: responseHeaders(incoming.headers)
          })
        )))
      })
      outgoing.on("error", (e) => finish(Effect.fail(transport(e))))
      // The body, written as the socket takes it. A failing body aborts the request (never a
      // short, ended one that Glance would keep); a server may answer (e.g. 401, 413) before
      // taking the whole body: the response wins. The caller's blocks are only read.
      const write = (chunk: Uint8Array) =>
        Effect.async<void>((next) => {
          if (outgoing.destroyed) return next(Effect.interrupt)
          if (options.flushEach === true) {
            outgoing.write(chunk, () => next(Effect.void))
            return
          }
          const more = outgoing.write(chunk)
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

/**
 * One pair of keep-alive agents.
 *
 * @since 0.1.0
 * @category models
 */
export interface Agents {
  readonly http: Http.Agent
  readonly https: Https.Agent
}

/**
 * Keep-alive agents for the TLS settings, destroyed when the scope closes.
 *
 * @since 0.1.0
 * @category operations
 */
export const agentsFor = (tls: TlsOptions): Effect.Effect<Agents, never, Scope.Scope> => {
  const options = {
    keepAlive: true,
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {})
  }
  return Effect.acquireRelease(
    Effect.sync(() => ({ http: new Http.Agent(options), https: new Https.Agent(options) })),
    (agents) =>
      Effect.sync(() => {
        agents.http.destroy()
        agents.https.destroy()
      })
  )
}

/**
 * The client alone: node:http, streamed request bodies with backpressure, streamed answers.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClient = (tls: TlsOptions = { rejectUnauthorized: true }): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(
    HttpClient.HttpClient,
    Effect.map(
      agentsFor(tls),
      (agents) => HttpClient.make((request, url, signal) => send(agents, request, url, signal))
    )
  )

/**
 * Everything glanceclient needs on Node.js: this client, `NodeImageTransport` (image data read
 * from the socket straight into blocks, uploads with backpressure) and `NodeHasher` (node:crypto).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  tls: TlsOptions = { rejectUnauthorized: true }
): Layer.Layer<HttpClient.HttpClient | ImageTransport | Hasher> =>
  Layer.mergeAll(layerHttpClient(tls), NodeImageTransport.layer(tls), NodeHasher.layer)
