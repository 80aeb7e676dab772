import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as CloudConfig from "../../src/CloudConfig.js"
import * as ImageEndpoint from "../../src/ImageEndpoint.js"
import * as Keystone from "../../src/Keystone.js"
import { type FakeServer, fakeServer, json, refused, requestLines } from "./fakeHttp.js"

const catalog: ReadonlyArray<Keystone.CatalogEntry> = [
  {
    type: "identity",
    name: "keystone",
    endpoints: [{ interface: "public", region: "RegionOne", url: "http://ks:5000/v3" }]
  },
  {
    type: "image",
    name: "glance",
    endpoints: [
      { interface: "public", region: "RegionOne", url: "https://one.example/image/v2/" },
      { interface: "internal", region: "RegionOne", url: "http://glance-int.one:9292" },
      { interface: "admin", region: "RegionOne", url: "http://glance-adm.one:9292/" },
      { interface: "public", region: "RegionTwo", url: "https://two.example:9292/v2.0" },
      { interface: "internal", region: "RegionTwo", url: "http://glance-int.two:9292/v2" }
    ]
  }
]

const versionsDocument = (ids: ReadonlyArray<string>) => ({
  versions: ids.map((id, i) => ({
    id: `v${id}`,
    status: i === ids.length - 1 ? "CURRENT" : "SUPPORTED",
    links: [{ rel: "self", href: `http://cloud/image/v2/` }]
  }))
})

/** An Image API that answers `GET /image/versions` with these versions (v1 listed too, as old clouds do). */
const glance = (ids: ReadonlyArray<string> = ["2.0", "2.1", "2.9", "2.5"]): FakeServer =>
  fakeServer((request) =>
    request.url.pathname === "/image/versions"
      ? json(200, versionsDocument(["1.1", ...ids]))
      : json(404, { message: "nope" })
  )

describe("ImageEndpoint", () => {
  describe("fromCatalog", () => {
    it.effect("picks the first public endpoint by default, without its version", () =>
      Effect.gen(function*() {
        const chosen = yield* ImageEndpoint.fromCatalog(catalog, {})
        assert.deepStrictEqual(chosen, { url: "https://one.example/image", region: "RegionOne" })
      }))

    it.effect("picks the internal or admin endpoint when asked", () =>
      Effect.gen(function*() {
        const internal = yield* ImageEndpoint.fromCatalog(catalog, { interface: "internal" })
        assert.deepStrictEqual(internal, { url: "http://glance-int.one:9292", region: "RegionOne" })
        const admin = yield* ImageEndpoint.fromCatalog(catalog, { interface: "admin" })
        assert.deepStrictEqual(admin, { url: "http://glance-adm.one:9292", region: "RegionOne" })
      }))

    it.effect("picks the named region", () =>
      Effect.gen(function*() {
        const two = yield* ImageEndpoint.fromCatalog(catalog, { region: "RegionTwo" })
        assert.deepStrictEqual(two, { url: "https://two.example:9292", region: "RegionTwo" })
        const twoInternal = yield* ImageEndpoint.fromCatalog(catalog, { region: "RegionTwo", interface: "internal" })
        assert.deepStrictEqual(twoInternal, { url: "http://glance-int.two:9292", region: "RegionTwo" })
      }))

    it.effect("an unknown region is a ConfigError listing the regions", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(ImageEndpoint.fromCatalog(catalog, { region: "RegionThree" }))
        assert.strictEqual(error._tag, "ConfigError")
        assert.strictEqual(
          error.message,
          `The "image" service has no public endpoint in region "RegionThree" (regions: RegionOne, RegionTwo)`
        )
      }))

    it.effect("an interface the region lacks is a ConfigError", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          ImageEndpoint.fromCatalog(catalog, { region: "RegionTwo", interface: "admin" })
        )
        assert.include(error.message, `no admin endpoint in region "RegionTwo"`)
      }))

    it.effect("a catalog without an image service is a ConfigError naming what it has", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(ImageEndpoint.fromCatalog(catalog.slice(0, 1), {}))
        assert.strictEqual(error._tag, "ConfigError")
        assert.strictEqual(error.message, `The service catalog has no "image" service (it has: identity)`)
        const empty = yield* Effect.flip(ImageEndpoint.fromCatalog([], {}))
        assert.include(empty.message, "The service catalog is empty: the token is not scoped to a project")
      }))
  })

  describe("normalizeUrl", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["http://glance:9292", "http://glance:9292"],
      ["http://glance:9292/", "http://glance:9292"],
      ["http://glance:9292/v2", "http://glance:9292"],
      ["http://glance:9292/v2/", "http://glance:9292"],
      ["http://glance:9292/v2.0", "http://glance:9292"],
      ["http://glance:9292/v1", "http://glance:9292"],
      ["https://cloud/image", "https://cloud/image"],
      ["https://cloud/image/v2/", "https://cloud/image"],
      ["https://cloud/v2.1/image", "https://cloud/v2.1/image"]
    ]
    for (const [input, expected] of cases) {
      it(`${input} → ${expected}`, () => {
        assert.strictEqual(ImageEndpoint.normalizeUrl(input), expected)
      })
    }
  })

  describe("versions", () => {
    it.effect("lists the v2.x versions in order, fetched once", () =>
      Effect.gen(function*() {
        const server = glance()
        const endpoint = yield* ImageEndpoint.fromUrl("http://cloud/image/v2/", undefined).pipe(
          Effect.provide(server.layer)
        )
        assert.strictEqual(endpoint.url, "http://cloud/image")
        assert.strictEqual(server.received.length, 0)
        const listed = yield* endpoint.versions
        yield* endpoint.versions
        assert.deepStrictEqual(listed, ["2.0", "2.1", "2.5", "2.9"])
        assert.deepStrictEqual(requestLines(server), ["GET /image/versions"])
      }))

    it.effect("require fails with NotSupported for a version the server does not list", () =>
      Effect.gen(function*() {
        const server = glance()
        const endpoint = yield* ImageEndpoint.fromUrl("http://cloud/image", undefined).pipe(
          Effect.provide(server.layer)
        )
        yield* endpoint.require("2.9", "Multiple stores")
        const error = yield* Effect.flip(endpoint.require("2.12", "Image cache"))
        assert.strictEqual(error._tag, "NotSupported")
        assert.strictEqual(
          error.message,
          "Image cache needs Image API v2.12, which http://cloud/image does not offer (it lists v2.0, v2.1, v2.5, v2.9)"
        )
        yield* endpoint.require("2.1", "Anything")
        assert.strictEqual(server.received.length, 1)
      }))

    it.effect("a failed read of /versions is not remembered: the next call asks again", () =>
      Effect.gen(function*() {
        const server = fakeServer((_, index) => index === 0 ? refused : json(200, versionsDocument(["2.0", "2.12"])))
        const endpoint = yield* ImageEndpoint.fromUrl("http://cloud/image", undefined).pipe(
          Effect.provide(server.layer)
        )
        const error = yield* Effect.flip(endpoint.require("2.12", "Image cache"))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "http://cloud/image/versions")
        yield* endpoint.require("2.12", "Image cache")
        yield* endpoint.require("2.12", "Image cache")
        assert.strictEqual(server.received.length, 2)
      }))

    it.effect("an endpoint without v2 is NotSupported", () =>
      Effect.gen(function*() {
        const server = fakeServer(() => json(200, versionsDocument(["1.0", "1.1"])))
        const endpoint = yield* ImageEndpoint.fromUrl("http://old:9292", undefined).pipe(Effect.provide(server.layer))
        const error = yield* Effect.flip(endpoint.versions)
        assert.strictEqual(error._tag, "NotSupported")
        assert.strictEqual(error.message, "The Image API at http://old:9292 offers no v2 API")
      }))
  })

  describe("make", () => {
    const fakeKeystone = (calls: { count: number }) =>
      Layer.succeed(
        Keystone.Keystone,
        Keystone.Keystone.of({
          session: Effect.sync(() => {
            calls.count++
            return {
              token: Redacted.make("t"),
              expiresAt: undefined,
              catalog,
              userId: undefined,
              projectId: undefined,
              identityVersion: "v3" as const
            }
          }),
          invalidate: () => Effect.void
        })
      )

    const endpointFor = (settings: CloudConfig.Settings, calls: { count: number }) =>
      ImageEndpoint.ImageEndpoint.pipe(
        Effect.provide(ImageEndpoint.layer.pipe(
          Layer.provide(Layer.mergeAll(CloudConfig.layer(settings), fakeKeystone(calls), glance().layer))
        ))
      )

    it.effect("uses the catalog with the configured interface and region", () =>
      Effect.gen(function*() {
        const calls = { count: 0 }
        const endpoint = yield* endpointFor({ interface: "internal", regionName: "RegionTwo" }, calls)
        assert.strictEqual(endpoint.url, "http://glance-int.two:9292")
        assert.strictEqual(endpoint.region, "RegionTwo")
        assert.strictEqual(calls.count, 1)
      }))

    it.effect("an image URL in the settings overrides the catalog, with no login", () =>
      Effect.gen(function*() {
        const calls = { count: 0 }
        const endpoint = yield* endpointFor({ imageUrl: "http://override:9292/v2/", regionName: "RegionOne" }, calls)
        assert.strictEqual(endpoint.url, "http://override:9292")
        assert.strictEqual(calls.count, 0)
        const error = yield* Effect.flip(endpointFor({ imageUrl: "glance:9292" }, calls))
        assert.strictEqual(error.message, `The image URL "glance:9292" is not an http(s) URL`)
      }))
  })
})
