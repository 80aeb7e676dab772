/**
 * The HttpClient the `glance` executable runs on (Node.js only; chosen by `bin.ts`).
 *
 * Requests go through `NodeHttpClient` (node:http, with the TLS options), except those with
 * a streamed body (uploads and stages): NodeHttpClient writes a stream body without waiting
 * for the socket to drain, so a 1 GiB upload held the whole file in memory (measured: 0.9 GiB
 * RSS). Those are sent here with `stream.pipeline`, which pulls the body only as fast as the
 * socket takes it. Their responses are small (204, or an error), so they are read whole.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import * as Https from "node:https"
import { pipeline } from "node:stream/promises"

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

const sendStreamed = (
  agents: { readonly http: Http.Agent; readonly https: Https.Agent },
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal
) =>
  Effect.gen(function*() {
    if (request.body._tag !== "Stream") return yield* Effect.dieMessage("not a streamed request")
    const readable = yield* NodeStream.toReadable(request.body.stream)
    const transport = (cause: unknown) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
    return yield* Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
      const headers: Record<string, string> = { ...request.headers }
      if (request.body._tag === "Stream") {
        if (request.body.contentType) headers["content-type"] = request.body.contentType
        if (request.body.contentLength !== undefined) headers["content-length"] = String(request.body.contentLength)
      }
      const https = url.protocol === "https:"
      const outgoing = (https ? Https : Http).request(url, {
        method: request.method,
        headers,
        agent: https ? agents.https : agents.http,
        signal
      })
      let done = false
      const finish = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>) => {
        if (!done) {
          done = true
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
      // A server may answer (e.g. 401, 413) before taking the whole body: the response wins.
      pipeline(readable, outgoing).catch((e) => setTimeout(() => finish(Effect.fail(transport(e))), 50))
      return Effect.sync(() => outgoing.destroy())
    })
  })

/** The client: node:http throughout, streamed bodies with backpressure. */
export const layer = (tls: TlsOptions): Layer.Layer<HttpClient.HttpClient> =>
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
      // One pair of keep-alive agents for both paths, destroyed when the layer's scope closes.
      const agents = yield* NodeHttpClient.makeAgent(options)
      const plain = yield* NodeHttpClient.make.pipe(Effect.provideService(NodeHttpClient.HttpAgent, agents))
      const streamed = HttpClient.make((request, url, signal) => sendStreamed(agents, request, url, signal))
      return HttpClient.make((request) => (request.body._tag === "Stream" ? streamed : plain).execute(request))
    })
  )
