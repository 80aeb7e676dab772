import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as GlanceHttp from "../../src/GlanceHttp.js"
import * as ImageEndpoint from "../../src/ImageEndpoint.js"
import * as Keystone from "../../src/Keystone.js"
import { type FakeServer, fakeServer, json, refused, type Reply } from "./fakeHttp.js"

const token = "tok-SECRET-1"

/** For tests that would wait forever on the TestClock if the code under test slept: fail in seconds, not a minute. */
const failFast = 5_000

/** A GlanceHttp over `server`, rooted at `http://cloud/image`, with a fixed token unless a Keystone is given. */
const withHttp = <A, E>(
  server: FakeServer,
  f: (http: GlanceHttp.Service) => Effect.Effect<A, E>,
  options: GlanceHttp.Options = {},
  keystone: Layer.Layer<Keystone.Keystone> = Keystone.layerToken(Redacted.make(token))
) =>
  Effect.flatMap(GlanceHttp.make(options), f).pipe(
    Effect.provide(
      Layer.mergeAll(keystone, ImageEndpoint.layerUrl("http://cloud/image/v2")).pipe(Layer.provideMerge(server.layer))
    )
  )

const always = (reply: Reply) => fakeServer(() => reply)

const glanceJson = (status: number, title: string, message: string): Reply =>
  json(status, { message: `${message}<br /><br />\n\n\n`, code: `${status} ${title}`, title }, {
    "x-openstack-request-id": `req-${status}`
  })

const isLeaky = (error: unknown) => String(error).includes(token) || JSON.stringify(error).includes(token)

describe("GlanceHttp", () => {
  it.effect("prefixes the endpoint, path prefix included, and sends the token, user agent and accept", () =>
    Effect.gen(function*() {
      const server = always(json(200, { images: [] }))
      yield* withHttp(
        server,
        (http) => http.send(HttpClientRequest.get("/v2/images").pipe(HttpClientRequest.setUrlParam("limit", "5")))
      )
      const [request] = server.received
      assert.strictEqual(request!.url.href, "http://cloud/image/v2/images?limit=5")
      assert.strictEqual(request!.headers["x-auth-token"], token)
      assert.strictEqual(request!.headers["user-agent"], Keystone.userAgent)
      assert.strictEqual(request!.headers["accept"], "application/json")
    }))

  it.effect("keeps an accept header the caller set", () =>
    Effect.gen(function*() {
      const server = always({ status: 200, body: "bytes" })
      yield* withHttp(server, (http) =>
        http.send(
          HttpClientRequest.get("/v2/images/x/file").pipe(
            HttpClientRequest.setHeader("accept", "application/octet-stream")
          )
        ))
      assert.strictEqual(server.received[0]!.headers["accept"], "application/octet-stream")
    }))

  it.effect("json decodes the body with the schema, and a body that does not fit is a ResponseDecodeError", () =>
    Effect.gen(function*() {
      const Page = Schema.Struct({ images: Schema.Array(Schema.Struct({ id: Schema.String })) })
      const page = yield* withHttp(
        always(json(200, { images: [{ id: "a" }] })),
        (http) => http.json(HttpClientRequest.get("/v2/images"), Page)
      )
      assert.deepStrictEqual(page, { images: [{ id: "a" }] })
      const wrong = yield* withHttp(
        always(json(200, { images: [{ name: "no id" }] }, { "x-openstack-request-id": "req-x" })),
        (http) => Effect.flip(http.json(HttpClientRequest.get("/v2/images"), Page))
      )
      assert.strictEqual(wrong._tag, "ResponseDecodeError")
      assert.include(
        wrong.message,
        "GET http://cloud/image/v2/images answered a body that is not what the Image API documents"
      )
      if (wrong._tag === "ResponseDecodeError") {
        assert.strictEqual(wrong.url, "http://cloud/image/v2/images")
        assert.strictEqual(wrong.requestId, "req-x")
      }
      const notJson = yield* withHttp(
        always({ status: 200, body: "<html>proxy page</html>" }),
        (http) => Effect.flip(http.json(HttpClientRequest.get("/v2/images"), Page))
      )
      assert.strictEqual(notJson._tag, "ResponseDecodeError")
      assert.isFalse(isLeaky(notJson))
    }))

  describe("errors", () => {
    const cases: ReadonlyArray<readonly [number, string, string]> = [
      [400, "Bad Request", "BadRequest"],
      [401, "Unauthorized", "Unauthorized"],
      [403, "Forbidden", "Forbidden"],
      [404, "Not Found", "NotFound"],
      [409, "Conflict", "Conflict"],
      [413, "Request Entity Too Large", "Overlimit"],
      [415, "Unsupported Media Type", "UnsupportedMediaType"],
      [416, "Requested Range Not Satisfiable", "RangeNotSatisfiable"],
      [503, "Service Unavailable", "ServiceUnavailable"],
      [500, "Internal Server Error", "HttpError"],
      [502, "Bad Gateway", "HttpError"]
    ]
    for (const [status, title, tag] of cases) {
      it.effect(`${status} is ${tag}, with Glance's message and the request id`, () =>
        Effect.gen(function*() {
          const error = yield* withHttp(
            always(glanceJson(status, title, "No image found with ID x")),
            (http) =>
              Effect.flip(
                http.execute(HttpClientRequest.get("/v2/images/x").pipe(HttpClientRequest.setUrlParam("a", "b")))
              ),
            { retries: 0 }
          )
          assert.strictEqual(error._tag, tag)
          assert.strictEqual(error.message, "No image found with ID x")
          if ("status" in error && "method" in error) {
            assert.strictEqual(error.status, status)
            assert.strictEqual(error.requestId, `req-${status}`)
            assert.strictEqual(error.method, "GET")
            assert.strictEqual(error.url, "http://cloud/image/v2/images/x")
          } else {
            assert.fail(`${error._tag} has no status`)
          }
        }))
    }

    it.effect("a text/plain body loses its status line", () =>
      Effect.gen(function*() {
        const error = yield* withHttp(
          always({
            status: 404,
            headers: { "content-type": "text/plain" },
            body: "404 Not Found\n\nNo image found with ID x\n\n   "
          }),
          (http) => Effect.flip(http.execute(HttpClientRequest.get("/v2/images/x")))
        )
        assert.strictEqual(error._tag, "NotFound")
        assert.strictEqual(error.message, "No image found with ID x")
      }))

    it.effect("an HTML body is reduced to its text", () =>
      Effect.gen(function*() {
        const html = "<html>\n <head>\n  <title>413 Request Entity Too Large</title>\n </head>\n <body>\n" +
          "  <h1>413 Request Entity Too Large</h1>\n  Image exceeds the storage quota: 10 bytes<br /><br />\n\n\n\n" +
          " </body>\n</html>"
        const error = yield* withHttp(
          always({ status: 413, headers: { "content-type": "text/html" }, body: html }),
          (http) => Effect.flip(http.execute(HttpClientRequest.post("/v2/images")))
        )
        assert.strictEqual(error._tag, "Overlimit")
        assert.strictEqual(error.message, "Image exceeds the storage quota: 10 bytes")
      }))

    it.effect("an empty body gives the method, URL and status", () =>
      Effect.gen(function*() {
        const error = yield* withHttp(
          always({ status: 500 }),
          (http) => Effect.flip(http.execute(HttpClientRequest.del("/v2/images/x"))),
          { retries: 0 }
        )
        assert.strictEqual(error._tag, "HttpError")
        assert.strictEqual(error.message, "DELETE http://cloud/image/v2/images/x answered 500")
      }))

    it.effect(
      "a transport failure is a TransportError naming the URL, without the token",
      () =>
        Effect.gen(function*() {
          const error = yield* withHttp(
            fakeServer(() => refused),
            (http) => Effect.flip(http.execute(HttpClientRequest.post("/v2/images"))),
            { retries: 5 }
          )
          assert.strictEqual(error._tag, "TransportError")
          assert.strictEqual(
            error.message,
            "Cannot reach the Image API at http://cloud/image/v2/images: connection refused"
          )
          assert.isFalse(isLeaky(error))
        }),
      failFast
    )
  })

  describe("retries", () => {
    it.effect("a GET is retried on 503 with backoff: 4 attempts by default, then ServiceUnavailable", () =>
      Effect.gen(function*() {
        const server = always(glanceJson(503, "Service Unavailable", "Try later"))
        const fiber = yield* Effect.fork(
          withHttp(server, (http) => Effect.flip(http.execute(HttpClientRequest.get("/v2/images"))))
        )
        // The first backoff is 250-500 ms: nothing is sent again before.
        yield* TestClock.adjust("249 millis")
        assert.strictEqual(server.received.length, 1)
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(server.received.length, 4)
        assert.strictEqual(error._tag, "ServiceUnavailable")
        assert.strictEqual(error.message, "Try later (after 4 attempts)")
      }))

    it.effect("a GET that recovers after a 502 succeeds", () =>
      Effect.gen(function*() {
        const server = fakeServer((_, i) => i === 0 ? { status: 502, body: "Bad Gateway" } : json(200, { ok: true }))
        const fiber = yield* Effect.fork(withHttp(server, (http) => http.execute(HttpClientRequest.get("/v2/images"))))
        yield* TestClock.adjust("1 second")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("a GET is retried after a transport failure, naming the attempts", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => refused)
        const fiber = yield* Effect.fork(
          withHttp(server, (http) => Effect.flip(http.execute(HttpClientRequest.get("/v2/images"))), { retries: 2 })
        )
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        assert.strictEqual(server.received.length, 3)
        assert.strictEqual(error._tag, "TransportError")
        assert.isTrue(error.message.endsWith("connection refused (after 3 attempts)"))
      }))

    it.effect("a POST is not retried", () =>
      Effect.gen(function*() {
        const server = always(glanceJson(503, "Service Unavailable", "Try later"))
        const error = yield* withHttp(server, (http) => Effect.flip(http.execute(HttpClientRequest.post("/v2/images"))))
        assert.strictEqual(server.received.length, 1)
        assert.strictEqual(error._tag, "ServiceUnavailable")
        assert.strictEqual(error.message, "Try later")
      }), failFast)

    it.effect("Retry-After is honoured", () =>
      Effect.gen(function*() {
        const server = fakeServer((_, i) =>
          i === 0 ? { status: 503, headers: { "retry-after": "5" } } : json(200, { ok: true })
        )
        const fiber = yield* Effect.fork(withHttp(server, (http) => http.execute(HttpClientRequest.get("/v2/images"))))
        yield* TestClock.adjust("4900 millis")
        assert.strictEqual(server.received.length, 1)
        yield* TestClock.adjust("100 millis")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("Retry-After is capped by retryCap", () =>
      Effect.gen(function*() {
        const server = fakeServer((_, i) =>
          i === 0 ? { status: 503, headers: { "retry-after": "3600" } } : json(200, { ok: true })
        )
        const fiber = yield* Effect.fork(
          withHttp(server, (http) => http.execute(HttpClientRequest.get("/v2/images")), { retryCap: "2 seconds" })
        )
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual(server.received.length, 2)
      }))
  })

  describe("re-authentication", () => {
    /** A Keystone that hands out token-1, then token-2 after token-1 is invalidated, and so on. */
    const rotatingKeystone = (log: Array<string>) => {
      let current = 1
      return Layer.succeed(
        Keystone.Keystone,
        Keystone.Keystone.of({
          session: Effect.sync(() => ({
            token: Redacted.make(`token-${current}`),
            expiresAt: undefined,
            catalog: [],
            userId: undefined,
            projectId: undefined,
            identityVersion: "v3" as const
          })),
          invalidate: (t) =>
            Effect.sync(() => {
              log.push(`invalidate ${Redacted.value(t)}`)
              if (Redacted.value(t) === `token-${current}`) current++
            })
        })
      )
    }

    it.effect("a 401 invalidates the token and retries once with a new one", () =>
      Effect.gen(function*() {
        const log: Array<string> = []
        const server = fakeServer((request) =>
          request.headers["x-auth-token"] === "token-1"
            ? glanceJson(401, "Unauthorized", "The request you have made requires authentication.")
            : json(201, { id: "new" })
        )
        const response = yield* withHttp(
          server,
          (http) => http.execute(HttpClientRequest.post("/v2/images").pipe(HttpClientRequest.bodyUnsafeJson({}))),
          {},
          rotatingKeystone(log)
        )
        assert.strictEqual(response.status, 201)
        assert.deepStrictEqual(server.received.map((r) => r.headers["x-auth-token"]), ["token-1", "token-2"])
        assert.deepStrictEqual(server.received.map((r) => r.json), [{}, {}])
        assert.deepStrictEqual(log, ["invalidate token-1"])
      }))

    it.effect("a second 401 is Unauthorized", () =>
      Effect.gen(function*() {
        const log: Array<string> = []
        const server = always(glanceJson(401, "Unauthorized", "The request you have made requires authentication."))
        const error = yield* withHttp(
          server,
          (http) => Effect.flip(http.execute(HttpClientRequest.get("/v2/images"))),
          {},
          rotatingKeystone(log)
        )
        assert.strictEqual(error._tag, "Unauthorized")
        assert.strictEqual(error.message, "The request you have made requires authentication.")
        assert.deepStrictEqual(server.received.map((r) => r.headers["x-auth-token"]), ["token-1", "token-2"])
        assert.deepStrictEqual(log, ["invalidate token-1"])
      }))

    it.effect("with a fixed token a 401 is Unauthorized after one request", () =>
      Effect.gen(function*() {
        const server = always(glanceJson(401, "Unauthorized", "Token expired"))
        const error = yield* withHttp(server, (http) => Effect.flip(http.execute(HttpClientRequest.get("/v2/images"))))
        assert.strictEqual(error._tag, "Unauthorized")
        assert.strictEqual(error.message, "Token expired")
        assert.strictEqual(server.received.length, 1)
      }))
  })

  it.effect("a response slower than the timeout is a TransportError", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => Effect.as(Effect.sleep("10 seconds"), json(200, {})))
      const fiber = yield* Effect.fork(
        withHttp(server, (http) => Effect.flip(http.execute(HttpClientRequest.post("/v2/images"))), {
          timeout: "3 seconds"
        })
      )
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error.message, "The Image API at http://cloud/image/v2/images did not answer within 3s")
    }), failFast)
})
