/**
 * The Images workflows (`createAndUpload`, `createViaImport`, `waitFor`, and the clean-up of a
 * half-made image) are module functions over the `Images` service: the same code runs against the
 * twin and the lab, so these cases hold for both.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import { Images } from "../../../src/index.js"
import { uniqueName } from "../../support/lab.js"
import { as, bytes, downloaded, listedIds, outcome, Parties, scopedImage, type Target } from "../support.js"

const raw = { disk_format: "raw", container_format: "bare" } as const
const sha512 = (data: Uint8Array) => Crypto.createHash("sha512").update(data).digest("hex")

/** The workflow cases. */
export const workflowsSuite = (target: Target) =>
  layer(target.layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("createAndUpload: an active image whose data and hash are the bytes sent", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const data = bytes("created and uploaded in one call")
        const image = yield* as(demo)(
          Images.createAndUpload({ name: uniqueName("ct-wf-upload"), ...raw }, Stream.make(data), {
            size: data.byteLength
          })
        )
        try {
          assert.strictEqual(image.status, "active")
          assert.strictEqual(image.os_hash_value, sha512(data))
          assert.deepStrictEqual(yield* downloaded(demo, image.id), Buffer.from(data))
        } finally {
          yield* Effect.ignore(demo.images.delete(image.id))
        }
      }))

    it.effect("createAndUpload whose body fails: ImageNotCreated with the body's own error as its typed cause", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const name = uniqueName("ct-wf-broken")
        class DiskGone {
          readonly _tag = "DiskGone"
          readonly message = "the disk went away"
        }
        const body = Stream.concat(Stream.make(bytes("half")), Stream.fail(new DiskGone()))
        const failure = yield* Effect.flip(as(demo)(Images.createAndUpload({ name, ...raw }, body)))
        assert.strictEqual(failure._tag, "ImageNotCreated")
        if (failure._tag === "ImageNotCreated") {
          // The cause keeps its type: no cast needed to look at it.
          const cause = failure.cause
          assert.isTrue(cause instanceof DiskGone)
          assert.include(failure.message, "the disk went away")
          assert.isTrue(failure.deleted)
          assert.strictEqual(yield* outcome(demo.images.get(failure.imageId)), "NotFound")
        }
        assert.deepStrictEqual(yield* listedIds(demo, { name }), [])
      }))

    it.effect("createViaImport glance-direct with wait: one call, an active image with the staged bytes", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const data = bytes("staged, imported and waited for")
        const image = yield* as(demo)(
          Images.createViaImport({ name: uniqueName("ct-wf-import"), ...raw }, {
            method: "glance-direct",
            body: Stream.make(data),
            size: data.byteLength,
            wait: { interval: "200 millis", timeout: "60 seconds" }
          })
        )
        try {
          assert.strictEqual(image.status, "active")
          assert.strictEqual(image.os_hash_value, sha512(data))
        } finally {
          yield* Effect.ignore(demo.images.delete(image.id))
        }
      }))

    it.effect("createViaImport checks its options before creating anything", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const name = uniqueName("ct-wf-invalid")
        const tags = yield* Effect.all([
          outcome(as(demo)(Images.createViaImport({ name, ...raw }, { method: "copy-image" }))),
          outcome(
            as(demo)(Images.createViaImport({ name }, { method: "glance-direct", body: Stream.make(bytes("x")) }))
          ),
          outcome(as(demo)(Images.createViaImport({ name, ...raw }, { method: "glance-direct" }))),
          outcome(as(demo)(Images.createViaImport({ name, ...raw }, { method: "web-download" })))
        ])
        assert.deepStrictEqual(tags, ["InvalidInput", "InvalidInput", "InvalidInput", "InvalidInput"])
        assert.deepStrictEqual(yield* listedIds(demo, { name }), [])
      }))

    it.scoped("waitFor an image already in the status returns it at once; a status never reached times out naming the one seen", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        const data = bytes("already active")
        const image = yield* scopedImage(demo, { name: uniqueName("ct-wf-wait"), ...raw })
        yield* demo.images.upload(image.id, Stream.make(data))
        const active = yield* as(demo)(Images.waitFor(image.id, { timeout: "5 seconds" }))
        assert.strictEqual(active.status, "active")
        const never = yield* Effect.flip(
          as(demo)(Images.waitFor(image.id, { status: "deactivated", interval: "100 millis", timeout: "500 millis" }))
        )
        assert.strictEqual(never._tag, "ImageFailed")
        if (never._tag === "ImageFailed") assert.deepStrictEqual([never.reason, never.status], ["timeout", "active"])
      }))
  })
