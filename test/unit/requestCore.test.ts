/** The request core's pieces that need no server: a client that hands on an interim status, schema errors. */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as GlanceHttp from "../../src/GlanceHttp.js"
import * as ImageEndpoint from "../../src/ImageEndpoint.js"
import * as Images from "../../src/Images.js"
import { describeParseError } from "../../src/internal/requestCore.js"
import * as Keystone from "../../src/Keystone.js"

/** A client that answers every request with `status` (which a web `Response` cannot carry below 200). */
const answering = (status: number) =>
  HttpClient.make((request) =>
    Effect.sync(() => {
      const response = HttpClientResponse.fromWeb(request, new Response("{}", { status: 200 }))
      return new Proxy(response, { get: (target, key) => key === "status" ? status : Reflect.get(target, key) })
    })
  )

describe("request core", () => {
  it.effect("an interim status handed on as the final answer is a BadResponse naming it, not a success", () =>
    Effect.gen(function*() {
      const error = yield* GlanceHttp.make().pipe(
        Effect.flatMap((http) => Effect.flip(http.send(HttpClientRequest.del("/v2/images/x")))),
        Effect.provide(
          Layer.mergeAll(
            Keystone.layerToken(Redacted.make("t")),
            ImageEndpoint.layerUrl("http://cloud:9292")
          ).pipe(Layer.provideMerge(Layer.succeed(HttpClient.HttpClient, answering(100))))
        )
      )
      assert.strictEqual(error._tag, "BadResponse")
      assert.strictEqual(
        error.message,
        "DELETE http://cloud:9292/v2/images/x answered 100, an interim status, as its final answer"
      )
    }))

  describe("describeParseError", () => {
    const Page = Schema.Struct({
      images: Schema.Array(
        Schema.Struct({ id: Schema.String, size: Schema.optional(Schema.NullOr(Schema.Number)) })
      ),
      next: Schema.optional(Schema.String)
    })
    const described = (body: unknown) => {
      const result = Schema.decodeUnknownEither(Page)(body, { errors: "all" })
      return Either.isLeft(result) ? describeParseError(result.left) : "decoded"
    }

    it("names each field with its path, the types in words, not the schema's signature", () => {
      assert.strictEqual(described({ images: [{ id: 1 }] }), "images[0].id: expected string, not 1")
      assert.strictEqual(
        described({ images: [{ size: "x" }] }),
        `images[0].id is missing; images[0].size: expected number or null, not "x"`
      )
      assert.strictEqual(described("a page"), `the body: expected an object, not "a page"`)
      assert.strictEqual(described({ images: {} }), "images: expected an array, not {}")
    })

    it("a field of known values or any string (a status) expects a string, without the list", () => {
      const result = Schema.decodeUnknownEither(Schema.Struct({ status: Images.ImageStatus }))({ status: 5 })
      assert.strictEqual(
        Either.isLeft(result) ? describeParseError(result.left) : "decoded",
        "status: expected string, not 5"
      )
    })

    it("cuts what the body held and escapes its control characters", () => {
      const message = described({ images: [{ id: `\x1b]0;${"x".repeat(500)}` }] })
      assert.notInclude(message, "\x1b")
      assert.isBelow(message.length, 120)
    })

    it("says how many more there are past the first three", () => {
      assert.match(
        described({ images: [{}, {}, {}, {}, {}] }),
        /^images\[0\]\.id is missing; images\[1\]\.id is missing; images\[2\]\.id is missing \(and 2 more\)$/
      )
    })
  })
})
