/**
 * Image sharing against the lab: demo offers a `shared` image to project other, other accepts
 * it and sees it listed, demo withdraws it. One login per user for the whole file.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Images, Keystone, Members } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

/** The services of the `other` user, beside demo's. */
class Other extends Context.Tag("test/Other")<Other, {
  readonly images: Images.Service
  readonly members: Members.Service
  readonly projectId: string
}>() {}

const other = Layer.effect(
  Other,
  Effect.gen(function*() {
    const session = yield* (yield* Keystone.Keystone).session
    return { images: yield* Images.Images, members: yield* Members.Members, projectId: session.projectId! }
  })
).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with demo's client.
  Layer.provide(Layer.fresh(clientFor("other")))
)

/** A new image of demo's, deleted when the test's scope closes. */
const scopedImage = (fields: Images.CreateFields) =>
  Effect.flatMap(
    Images.Images,
    (images) => Effect.acquireRelease(images.create(fields), (image) => Effect.ignore(images.delete(image.id)))
  )

describe.skipIf(!up)("Members against the lab (demo shares with other)", () => {
  it.layer(Layer.merge(clientFor("demo"), other), { timeout: 60_000 })((it) => {
    it.scoped("offer, accept, list as accepted, withdraw", () =>
      Effect.gen(function*() {
        const members = yield* Members.Members
        const them = yield* Other
        const image = yield* scopedImage({
          name: uniqueName("it-shared"),
          visibility: "shared",
          disk_format: "raw",
          container_format: "bare"
        })

        const offered = yield* members.create(image.id, them.projectId)
        assert.strictEqual(offered.status, "pending")
        assert.strictEqual(offered.image_id, image.id)
        assert.strictEqual(offered.member_id, them.projectId)
        const listed = yield* members.list(image.id)
        assert.deepStrictEqual(listed.map((m) => [m.member_id, m.status]), [[them.projectId, "pending"]])

        // Pending: not in other's default list (member_status=accepted), but visible by id.
        const before = yield* Stream.runCollect(them.images.list({ filters: { name: image.name! } }))
        assert.strictEqual(Chunk.size(before), 0)
        assert.strictEqual((yield* them.images.get(image.id)).id, image.id)

        const accepted = yield* them.members.update(image.id, them.projectId, "accepted")
        assert.strictEqual(accepted.status, "accepted")
        const seen = yield* Stream.runCollect(them.images.list({ filters: { name: image.name! } }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(seen).map((i) => i.id), [image.id])
        assert.strictEqual((yield* members.get(image.id, them.projectId)).status, "accepted")
        // A member sees only its own membership.
        assert.deepStrictEqual((yield* them.members.list(image.id)).map((m) => m.member_id), [them.projectId])

        const rejected = yield* them.members.update(image.id, them.projectId, "rejected")
        assert.strictEqual(rejected.status, "rejected")
        const hidden = yield* Stream.runCollect(them.images.list({ filters: { name: image.name! } }))
        assert.strictEqual(Chunk.size(hidden), 0)

        yield* members.delete(image.id, them.projectId)
        assert.deepStrictEqual(yield* members.list(image.id), [])
        const gone = yield* Effect.flip(them.images.get(image.id))
        assert.strictEqual(gone._tag, "NotFound")
      }))

    it.scoped("a member cannot be added to a private image, nor accept for another project", () =>
      Effect.gen(function*() {
        const members = yield* Members.Members
        const them = yield* Other
        const image = yield* scopedImage({ name: uniqueName("it-private"), visibility: "private" })
        const refused = yield* Effect.flip(members.create(image.id, them.projectId))
        assert.strictEqual(refused._tag, "Forbidden")

        const shared = yield* scopedImage({ name: uniqueName("it-shared2"), visibility: "shared" })
        yield* members.create(shared.id, them.projectId)
        // The owner cannot accept on the member's behalf.
        const notYours = yield* Effect.flip(members.update(shared.id, them.projectId, "accepted"))
        assert.strictEqual(notYours._tag, "Forbidden")
        const missing = yield* Effect.flip(members.get(shared.id, "no-such-project"))
        assert.strictEqual(missing._tag, "NotFound")
      }))
  })
})
