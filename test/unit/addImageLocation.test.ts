import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as GlanceHttp from "../../src/GlanceHttp.js"
import * as ImageEndpoint from "../../src/ImageEndpoint.js"
import * as Images from "../../src/Images.js"
import * as Keystone from "../../src/Keystone.js"
import { type FakeServer, fakeServer, json, requestLines } from "./fakeHttp.js"

const id = "1bea47ed-f6a9-463b-b423-14b9cca9ad27"

const versions = (...minors: Array<number>) =>
  json(300, { versions: minors.map((m) => ({ id: `v2.${m}`, status: m === minors.at(-1) ? "CURRENT" : "SUPPORTED" })) })

/** The Image API at `http://cloud/image`, over the fake server. */
const run = <A, E>(server: FakeServer, effect: Effect.Effect<A, E, GlanceHttp.GlanceHttp>) =>
  effect.pipe(
    Effect.provide(
      GlanceHttp.layer().pipe(
        Layer.provide(
          Layer.merge(Keystone.layerToken(Redacted.make("tok")), ImageEndpoint.layerUrl("http://cloud/image"))
        ),
        Layer.provide(server.layer)
      )
    )
  )

describe("Images.addImageLocation", () => {
  it.effect("POSTs the URL and the validation data to /v2/images/{id}/locations when the cloud lists v2.17", () =>
    Effect.gen(function*() {
      const server = fakeServer((request) =>
        request.url.pathname.endsWith("/versions") ? versions(0, 15, 16, 17) : { status: 202 }
      )
      yield* run(
        server,
        Images.addImageLocation(id, "rbd://pool/image/snap", {
          validationData: { os_hash_algo: "sha512", os_hash_value: "ab12" }
        })
      )
      assert.deepStrictEqual(requestLines(server), [
        "GET /image/versions",
        `POST /image/v2/images/${id}/locations`
      ])
      const post = server.received[1]!
      assert.deepStrictEqual(post.json, {
        url: "rbd://pool/image/snap",
        validation_data: { os_hash_algo: "sha512", os_hash_value: "ab12" }
      })
      assert.strictEqual(post.headers["content-type"], "application/json")
      assert.strictEqual(post.headers["x-auth-token"], "tok")
    }))

  it.effect("sends only the URL without validation data", () =>
    Effect.gen(function*() {
      const server = fakeServer((request) =>
        request.url.pathname.endsWith("/versions") ? versions(16, 17) : { status: 202 }
      )
      yield* run(server, Images.addImageLocation(id, "http://example.com/data"))
      assert.deepStrictEqual(server.received[1]!.json, { url: "http://example.com/data" })
    }))

  it.effect("fails with NotSupported, sending nothing, when the cloud lists only up to v2.16", () =>
    Effect.gen(function*() {
      const server = fakeServer(() => versions(0, 9, 16))
      const error = yield* Effect.flip(run(server, Images.addImageLocation(id, "http://example.com/data")))
      assert.strictEqual(error._tag, "NotSupported")
      assert.strictEqual(
        error.message,
        "Adding an image location is not supported by this cloud (needs Image API v2.17; http://cloud/image offers up to v2.16)"
      )
      assert.deepStrictEqual(requestLines(server), ["GET /image/versions"])
    }))

  it.effect("a Glance refusal (409: the image is not queued) is a typed error", () =>
    Effect.gen(function*() {
      const server = fakeServer((request) =>
        request.url.pathname.endsWith("/versions")
          ? versions(17)
          : json(409, { message: "Image is not in queued state" }, { "x-openstack-request-id": "req-1" })
      )
      const error = yield* Effect.flip(run(server, Images.addImageLocation(id, "http://example.com/data")))
      assert.strictEqual(error._tag, "Conflict")
    }))
})
