import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeGlanceHttp from "../../src/node/httpClient.js"

interface Seen {
  readonly bytes: Buffer
  readonly complete: boolean
}

/** A loopback server that records each request body and whether it arrived complete. */
const withServer = <A, E>(f: (url: string, seen: Array<Seen>) => Effect.Effect<A, E, HttpClient.HttpClient>) =>
  Effect.acquireUseRelease(
    Effect.async<{ server: Http.Server; seen: Array<Seen> }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((request, response) => {
        const parts: Array<Buffer> = []
        request.on("data", (b: Buffer) => parts.push(b))
        request.on("end", () => {
          const bytes = Buffer.concat(parts)
          seen.push({ bytes, complete: true })
          if (request.method === "PUT") return response.writeHead(204).end()
          // Anything else: what arrived, as JSON.
          response.writeHead(200, { "content-type": "application/json", "x-openstack-request-id": "req-1" }).end(
            JSON.stringify({
              method: request.method,
              url: request.url,
              contentLength: request.headers["content-length"] ?? null,
              contentType: request.headers["content-type"] ?? null,
              body: bytes.toString("utf8")
            })
          )
        })
        request.on("aborted", () => seen.push({ bytes: Buffer.concat(parts), complete: false }))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, seen })))
    }),
    ({ seen, server }) =>
      f(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen).pipe(
        Effect.provide(NodeGlanceHttp.layerHttpClient())
      ),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const put = (url: string, body: Stream.Stream<Uint8Array, Error>, size: number) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    client.execute(
      HttpClientRequest.put(url).pipe(HttpClientRequest.bodyStream(body, { contentLength: size }))
    ))

describe("glanceclient/node's client: requests with small bodies (node:http, no undici)", () => {
  it.live("a JSON body is sent with its length and type; the JSON answer, status and headers come back", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const response = yield* client.execute(
          HttpClientRequest.post(`${url}/v2/images`).pipe(
            HttpClientRequest.setUrlParam("a", "1 2"),
            HttpClientRequest.bodyUnsafeJson({ name: "é" })
          )
        )
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers["x-openstack-request-id"], "req-1")
        assert.deepStrictEqual(yield* response.json, {
          method: "POST",
          url: "/v2/images?a=1+2",
          contentLength: String(Buffer.byteLength(JSON.stringify({ name: "é" }))),
          contentType: "application/json",
          body: JSON.stringify({ name: "é" })
        })
        const get = yield* client.execute(HttpClientRequest.get(`${url}/v2/images`))
        const seen = (yield* get.json) as { method: string; contentLength: string | null }
        assert.deepStrictEqual([seen.method, seen.contentLength], ["GET", null])
      })
    ))

  it.live("an unreachable server is a transport error", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const error = yield* Effect.flip(client.execute(HttpClientRequest.get("http://127.0.0.1:1/v2/images")))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual(error.reason, "Transport")
    }).pipe(Effect.provide(NodeGlanceHttp.layerHttpClient())))
})

describe("glanceclient/node's client: streamed request bodies", () => {
  it.live("sends the whole body with its Content-Length", () =>
    withServer((url, seen) =>
      Effect.gen(function*() {
        const data = Crypto.randomBytes(3 * 1024 * 1024 + 5)
        const response = yield* put(url, Stream.make(data.subarray(0, 1000), data.subarray(1000)), data.length)
        assert.strictEqual(response.status, 204)
        assert.strictEqual(seen.length, 1)
        assert.isTrue(seen[0]!.complete)
        assert.isTrue(seen[0]!.bytes.equals(data))
      })
    ))

  it.live("a body that fails midway aborts the request: the server never sees it end", () =>
    withServer((url, seen) =>
      Effect.gen(function*() {
        const body = Stream.make(new Uint8Array(64 * 1024)).pipe(
          Stream.concat(Stream.fail(new Error("the disk went away")))
        )
        const error = yield* Effect.flip(put(url, body, 1024 * 1024))
        assert.strictEqual(error._tag, "RequestError")
        assert.include(String(error.cause), "the disk went away")
        // The server hears of the abort a moment later (on a busy machine, many moments).
        yield* Effect.sync(() => seen.length).pipe(
          Effect.filterOrFail((n) => n > 0, () => "the server saw no request end or abort in 20 s"),
          Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 2000 })
        )
        assert.deepStrictEqual(seen.map((s) => s.complete), [false])
      })
    ))

  it.live("the caller's blocks are only read: sent as they are, never changed or reused", () =>
    withServer((url, seen) =>
      Effect.gen(function*() {
        const blocks = [1, 2, 3].map((n) => new Uint8Array(1024 * 1024).fill(n))
        yield* put(url, Stream.fromIterable(blocks), 3 * 1024 * 1024)
        assert.isTrue(blocks.every((b, i) => b.every((x) => x === i + 1)))
        assert.isTrue(seen[0]!.bytes.equals(Buffer.concat(blocks)))
      })
    ))

  it.live("an answer's body is handed on as it arrives, not gathered first", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const response = yield* client.execute(
          HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText("x".repeat(5000)))
        )
        const first = yield* Stream.runHead(response.stream)
        assert.isTrue(first._tag === "Some" && first.value.byteLength > 0)
      })
    ))
})
