/**
 * The Members contract: how a `shared` image is offered to another project, who may answer, and
 * what the member sees in its lists for each answer. Written once, run against the twin and the lab.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Members } from "../../../src/index.js"
import { uniqueName } from "../../support/lab.js"
import { listedIds, outcome, Parties, scopedImage, type Target } from "../support.js"

/** The Members cases. */
export const membersSuite = (target: Target) =>
  layer(target.layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("offered, the image is visible by id but listed only once accepted (member_status)", () =>
      Effect.gen(function*() {
        const { demo, other } = yield* Parties
        const name = uniqueName("ct-offer")
        const image = yield* scopedImage(demo, { name, visibility: "shared" })
        const offered = yield* demo.members.create(image.id, other.projectId)
        assert.deepStrictEqual([offered.image_id, offered.member_id, offered.status], [
          image.id,
          other.projectId,
          "pending"
        ])
        assert.deepStrictEqual((yield* demo.members.list(image.id)).map((m) => [m.member_id, m.status]), [[
          other.projectId,
          "pending"
        ]])

        const lists = () =>
          Effect.all({
            byDefault: listedIds(other, { name }),
            shared: listedIds(other, { name, visibility: "shared" }),
            pending: listedIds(other, { name, member_status: "pending" }),
            accepted: listedIds(other, { name, member_status: "accepted" }),
            rejected: listedIds(other, { name, visibility: "shared", member_status: "rejected" }),
            all: listedIds(other, { name, member_status: "all" })
          })
        const none: ReadonlyArray<string> = []
        const it = [image.id]
        assert.deepStrictEqual(yield* lists(), {
          byDefault: none,
          shared: none,
          pending: it,
          accepted: none,
          rejected: none,
          all: it
        })
        assert.strictEqual((yield* other.images.get(image.id)).id, image.id)

        const accepted = yield* other.members.update(image.id, other.projectId, "accepted")
        assert.strictEqual(accepted.status, "accepted")
        assert.strictEqual((yield* demo.members.get(image.id, other.projectId)).status, "accepted")
        assert.deepStrictEqual(yield* lists(), {
          byDefault: it,
          shared: it,
          pending: none,
          accepted: it,
          rejected: none,
          all: it
        })

        yield* other.members.update(image.id, other.projectId, "rejected")
        assert.deepStrictEqual(yield* lists(), {
          byDefault: none,
          shared: none,
          pending: none,
          accepted: none,
          rejected: it,
          all: it
        })
        // Rejected, still visible by id.
        assert.strictEqual((yield* other.images.get(image.id)).id, image.id)
        // The owner's own images are listed whatever the member_status filter.
        assert.deepStrictEqual(yield* listedIds(demo, { name, member_status: "pending" }), it)
      }))

    it.scoped("only the owner offers and withdraws; only shared images have members; no duplicates", () =>
      Effect.gen(function*() {
        const { admin, demo, other } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-owner"), visibility: "shared" })
        yield* demo.members.create(image.id, other.projectId)
        const refusals = {
          duplicate: yield* outcome(demo.members.create(image.id, other.projectId)),
          memberOffers: yield* outcome(other.members.create(image.id, admin.projectId)),
          memberWithdraws: yield* outcome(other.members.delete(image.id, other.projectId)),
          ownerAnswers: yield* outcome(demo.members.update(image.id, other.projectId, "accepted")),
          badStatus: yield* outcome(other.members.update(image.id, other.projectId, "maybe" as Members.MemberStatus)),
          absentMember: yield* outcome(demo.members.get(image.id, "no-such-project")),
          othersMembership: yield* outcome(other.members.get(image.id, admin.projectId))
        }
        assert.deepStrictEqual(refusals, {
          duplicate: "Conflict",
          memberOffers: "Forbidden",
          memberWithdraws: "Forbidden",
          ownerAnswers: "Forbidden",
          badStatus: "BadRequest",
          absentMember: "NotFound",
          othersMembership: "NotFound"
        })

        const secret = yield* scopedImage(demo, { name: uniqueName("ct-private"), visibility: "private" })
        const community = yield* scopedImage(demo, { name: uniqueName("ct-community"), visibility: "community" })
        const notShared = {
          privateOffer: yield* outcome(demo.members.create(secret.id, other.projectId)),
          communityOffer: yield* outcome(demo.members.create(community.id, other.projectId)),
          privateList: yield* outcome(demo.members.list(secret.id)),
          unseenList: yield* outcome(other.members.list(secret.id))
        }
        assert.deepStrictEqual(notShared, {
          privateOffer: "Forbidden",
          communityOffer: "Forbidden",
          privateList: "Forbidden",
          unseenList: "NotFound"
        })
      }))

    it.scoped("a member sees only its own membership; once withdrawn, the image is gone for it", () =>
      Effect.gen(function*() {
        const { admin, demo, other } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-withdraw"), visibility: "shared" })
        yield* demo.members.create(image.id, other.projectId)
        yield* demo.members.create(image.id, admin.projectId)
        assert.deepStrictEqual(
          [...(yield* demo.members.list(image.id)).map((m) => m.member_id)].sort(),
          [admin.projectId, other.projectId].sort()
        )
        assert.deepStrictEqual((yield* other.members.list(image.id)).map((m) => m.member_id), [other.projectId])
        assert.strictEqual((yield* other.members.get(image.id, other.projectId)).status, "pending")

        yield* demo.members.delete(image.id, other.projectId)
        assert.deepStrictEqual((yield* demo.members.list(image.id)).map((m) => m.member_id), [admin.projectId])
        assert.strictEqual(yield* outcome(other.images.get(image.id)), "NotFound")
        assert.strictEqual(yield* outcome(other.members.list(image.id)), "NotFound")
        assert.strictEqual(yield* outcome(demo.members.delete(image.id, other.projectId)), "NotFound")
      }))

    it.scoped("made private, a shared image hides from its members; shared again, they see it again", () =>
      Effect.gen(function*() {
        const { demo, other } = yield* Parties
        const name = uniqueName("ct-hide")
        const image = yield* scopedImage(demo, { name, visibility: "shared" })
        yield* demo.members.create(image.id, other.projectId)
        yield* other.members.update(image.id, other.projectId, "accepted")
        assert.deepStrictEqual(yield* listedIds(other, { name }), [image.id])

        yield* demo.images.update(image.id, { set: { visibility: "private" } })
        assert.strictEqual(yield* outcome(other.images.get(image.id)), "NotFound")
        assert.deepStrictEqual(yield* listedIds(other, { name }), [])
        assert.strictEqual(yield* outcome(demo.members.list(image.id)), "Forbidden")

        yield* demo.images.update(image.id, { set: { visibility: "shared" } })
        assert.deepStrictEqual(yield* listedIds(other, { name }), [image.id])
        assert.strictEqual((yield* demo.members.get(image.id, other.projectId)).status, "accepted")
      }))

    it.scoped("an admin may offer another project's image and answer for a member", () =>
      Effect.gen(function*() {
        const { admin, demo, other } = yield* Parties
        const image = yield* scopedImage(demo, { name: uniqueName("ct-admin"), visibility: "shared" })
        const offered = yield* admin.members.create(image.id, other.projectId)
        assert.strictEqual(offered.status, "pending")
        const answered = yield* admin.members.update(image.id, other.projectId, "accepted")
        assert.strictEqual(answered.status, "accepted")
        assert.deepStrictEqual(yield* listedIds(other, { name: image.name! }), [image.id])
      }))
  })
