/** The discovery endpoints against the lab: import methods, stores, store details, usage. */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Info } from "../../src/index.js"
import { clientFor, labDir, requireLab } from "../support/lab.js"

const up = requireLab()

/** The admin's discovery service, beside demo's. */
class AdminInfo extends Context.Tag("test/AdminInfo")<AdminInfo, Info.Service>() {}

const admin = Layer.effect(AdminInfo, Info.Info).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with demo's client.
  Layer.provide(Layer.fresh(clientFor("admin")))
)

describe.skipIf(!up)("Info against the lab", () => {
  it.layer(Layer.merge(clientFor("demo"), admin), { timeout: 60_000 })((it) => {
    it.effect("import methods are the four the lab enables", () =>
      Effect.gen(function*() {
        const info = yield* Info.Info
        assert.deepStrictEqual(yield* info.importMethods, [
          "glance-direct",
          "web-download",
          "copy-image",
          "glance-download"
        ])
      }))

    it.effect("stores: fast (default) and cheap", () =>
      Effect.gen(function*() {
        const info = yield* Info.Info
        const stores = yield* info.stores
        assert.deepStrictEqual(
          stores.map((s) => ({ id: s.id, default: s.default, description: s.description })),
          [
            { id: "fast", default: true, description: "Fast file store" },
            { id: "cheap", default: false, description: "Cheap file store" }
          ]
        )
      }))

    it.effect("store details: admin only, with driver and directory", () =>
      Effect.gen(function*() {
        const info = yield* Info.Info
        const refused = yield* Effect.flip(info.storesDetail)
        assert.strictEqual(refused._tag, "Forbidden")
        const detail = yield* (yield* AdminInfo).storesDetail
        assert.deepStrictEqual(detail.map((s) => [s.id, s.type, s.properties?.data_dir]), [
          ["fast", "file", `${labDir}/glance/images`],
          ["cheap", "file", `${labDir}/glance/images-cheap`]
        ])
      }))

    it.effect("usage: an object (empty where the cloud sets no quotas)", () =>
      Effect.gen(function*() {
        const info = yield* Info.Info
        const usage = yield* info.usage
        for (const quota of Object.values(usage)) assert.isNumber(quota.usage)
        assert.isObject(usage)
      }))
  })
})
