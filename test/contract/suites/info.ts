/**
 * The Info contract: import methods, stores, store details (admin) and quota usage. Written once,
 * run against the twin and the lab.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { outcome, Parties, type Target } from "../support.js"

/** The Info cases. */
export const infoSuite = (target: Target) =>
  layer(target.layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("import methods: glance-direct and copy-image everywhere; web-download only where there is a network", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const methods = yield* demo.info.importMethods
        assert.includeMembers([...methods], ["glance-direct", "copy-image"])
        // On purpose: the twin has no network, so it offers neither web-download nor glance-download
        // (the lab enables both; its other region is the same Glance).
        assert.strictEqual(methods.includes("web-download"), target.name === "lab")
        assert.strictEqual(methods.includes("glance-download"), target.name === "lab")
      }))

    it.effect("stores: exactly one default; their details are for admins only", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const stores = yield* demo.info.stores
        assert.isAbove(stores.length, 0)
        assert.strictEqual(stores.filter((s) => s.default).length, 1)
        const detail = yield* admin.info.storesDetail
        assert.deepStrictEqual(detail.map((s) => s.id), stores.map((s) => s.id))
        assert.isTrue(detail.every((s) => typeof s.type === "string"))
        assert.strictEqual(yield* outcome(demo.info.storesDetail), "Forbidden")
      }))

    it.effect("usage: no quotas configured, so nothing to report", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        assert.deepStrictEqual(yield* demo.info.usage, {})
      }))
  })
