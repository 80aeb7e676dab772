/**
 * The in-memory `Members` service of one caller over a world: only the owner offers and
 * withdraws, only the member answers, and only `shared` images have members.
 */
import * as Effect from "effect/Effect"
import type * as Members from "../../Members.js"
import { traced } from "./spans.js"
import { type Caller, canSee, fail, mayChange, membership, now, type World } from "./world.js"

const statuses: ReadonlyArray<string> = ["pending", "accepted", "rejected"]

/** Builds the `Members` service of a caller. */
export const makeMembers = (world: World, caller: Caller): Members.Service => {
  const url = (imageId: string, memberId?: string) =>
    `/v2/images/${imageId}/members${memberId === undefined ? "" : `/${memberId}`}`

  /** The image, when the caller sees it (404 otherwise) and it is shared (403 otherwise). */
  const sharedImage = (imageId: string, method: string, verb: string, memberId?: string) =>
    Effect.suspend(() => {
      const stored = world.images.get(imageId)
      if (stored === undefined || !canSee(world, caller, stored.image)) {
        return fail(404, `Image ${imageId} not found.`, method, url(imageId, memberId))
      }
      if (stored.image.visibility !== "shared") {
        return fail(
          403,
          `Not allowed to ${verb} members for image ${imageId}: Only shared images have members.`,
          method,
          url(imageId, memberId)
        )
      }
      return Effect.succeed(stored.image)
    })

  const notMember = (imageId: string, memberId: string, method: string) =>
    fail(404, `${memberId} not found in the member list of the image ${imageId}.`, method, url(imageId, memberId))

  const list: Members.Service["list"] = (imageId) =>
    Effect.map(sharedImage(imageId, "GET", "list"), (image) => {
      const all = [...(world.members.get(imageId)?.values() ?? [])]
      // A member sees only its own membership.
      return mayChange(caller, image) ? all : all.filter((m) => m.member_id === caller.project)
    })

  return traced<Members.Service>("Members", {
    list,
    get: (imageId, memberId) =>
      Effect.flatMap(list(imageId), (members) => {
        const found = members.find((m) => m.member_id === memberId)
        return found === undefined ? notMember(imageId, memberId, "GET") : Effect.succeed(found)
      }),
    create: (imageId, memberId) =>
      Effect.gen(function*() {
        const stored = world.images.get(imageId)
        if (stored === undefined || !canSee(world, caller, stored.image)) {
          return yield* fail(404, `Image ${imageId} not found.`, "POST", url(imageId))
        }
        if (!mayChange(caller, stored.image) || stored.image.visibility !== "shared") {
          return yield* fail(403, `Not allowed to create members for image ${imageId}.`, "POST", url(imageId))
        }
        if (membership(world, imageId, memberId) !== undefined) {
          return yield* fail(409, `Member ${memberId} is duplicated for image ${imageId}`, "POST", url(imageId))
        }
        const at = yield* now
        const member: Members.Member = {
          member_id: memberId,
          image_id: imageId,
          status: "pending",
          created_at: at,
          updated_at: at
        }
        const members = world.members.get(imageId) ?? new Map<string, Members.Member>()
        world.members.set(imageId, members.set(memberId, member))
        return member
      }),
    update: (imageId, memberId, status) =>
      Effect.gen(function*() {
        yield* sharedImage(imageId, "PUT", "update", memberId)
        const current = membership(world, imageId, memberId)
        if (current === undefined || (memberId !== caller.project && caller.admin !== true)) {
          if (current !== undefined) {
            return yield* fail(
              403,
              `Not allowed to update members for image ${imageId}.`,
              "PUT",
              url(imageId, memberId)
            )
          }
          return yield* notMember(imageId, memberId, "PUT")
        }
        if (!statuses.includes(status)) {
          return yield* fail(
            400,
            `Incorrect request: Status must be "pending", "accepted" or "rejected".`,
            "PUT",
            url(imageId, memberId)
          )
        }
        const updated: Members.Member = { ...current, status, updated_at: yield* now }
        world.members.get(imageId)!.set(memberId, updated)
        return updated
      }),
    delete: (imageId, memberId) =>
      Effect.gen(function*() {
        const image = yield* sharedImage(imageId, "DELETE", "delete", memberId)
        if (!mayChange(caller, image)) {
          return yield* fail(
            403,
            `Not allowed to delete members for image ${imageId}.`,
            "DELETE",
            url(imageId, memberId)
          )
        }
        if (membership(world, imageId, memberId) === undefined) return yield* notMember(imageId, memberId, "DELETE")
        world.members.get(imageId)!.delete(memberId)
      })
  })
}
