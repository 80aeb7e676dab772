/**
 * Image members of the Image API v2: the projects a `shared` image is offered to, and
 * whether each accepted it.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"
import { openLiterals } from "./internal/literals.js"

/**
 * A member's answer to an offered image: `pending` (not answered yet), `accepted` (listed among
 * the member's images), `rejected`; any other string a newer cloud sends.
 *
 * @since 0.1.0
 * @category models
 */
export type MemberStatus =
  | "pending"
  | "accepted"
  | "rejected"
  | (string & {})

/**
 * The schema of `MemberStatus`: decodes any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemberStatus: Schema.Schema<MemberStatus> = openLiterals("pending", "accepted", "rejected")

/**
 * An image member as Glance returns it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Member = Schema.Struct(
  {
    image_id: Schema.String,
    member_id: Schema.String,
    status: MemberStatus,
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * An image member as Glance returns it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Member extends Schema.Schema.Type<typeof Member> {}

/**
 * The body of `GET /v2/images/{id}/members`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemberList = Schema.Struct({ members: Schema.Array(Member) })

/**
 * The members operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The members of an image (as its owner), or the caller's own membership (as a member). */
  readonly list: (imageId: string) => Effect.Effect<ReadonlyArray<Member>, GlanceHttpError>
  /** One member of an image. */
  readonly get: (imageId: string, memberId: string) => Effect.Effect<Member, GlanceHttpError>
  /** Offers a `shared` image to a project; the member starts `pending`. */
  readonly create: (imageId: string, memberId: string) => Effect.Effect<Member, GlanceHttpError>
  /** Accepts, rejects or resets (as the member) an offered image. */
  readonly update: (
    imageId: string,
    memberId: string,
    status: MemberStatus
  ) => Effect.Effect<Member, GlanceHttpError>
  /** Withdraws the image from a project. */
  readonly delete: (imageId: string, memberId: string) => Effect.Effect<void, GlanceHttpError>
}

/**
 * The image members operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Members extends Context.Tag("glanceclient/Members")<Members, Service>() {}

const membersUrl = (imageId: string) => `/v2/images/${encodeURIComponent(imageId)}/members`
const memberUrl = (imageId: string, memberId: string) => `${membersUrl(imageId)}/${encodeURIComponent(memberId)}`

/**
 * Builds the members operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp

  const list = Effect.fn("Members.list")(function*(imageId: string) {
    const body = yield* http.json(HttpClientRequest.get(membersUrl(imageId)), MemberList)
    return body.members
  })

  const get = Effect.fn("Members.get")(function*(imageId: string, memberId: string) {
    return yield* http.json(HttpClientRequest.get(memberUrl(imageId, memberId)), Member)
  })

  const create = Effect.fn("Members.create")(function*(imageId: string, memberId: string) {
    return yield* http.json(
      HttpClientRequest.post(membersUrl(imageId)).pipe(HttpClientRequest.bodyUnsafeJson({ member: memberId })),
      Member
    )
  })

  const update = Effect.fn("Members.update")(function*(imageId: string, memberId: string, status: MemberStatus) {
    return yield* http.json(
      HttpClientRequest.put(memberUrl(imageId, memberId)).pipe(HttpClientRequest.bodyUnsafeJson({ status })),
      Member
    )
  })

  const del = Effect.fn("Members.delete")(function*(imageId: string, memberId: string) {
    yield* http.send(HttpClientRequest.del(memberUrl(imageId, memberId)))
  })

  return Members.of({ list, get, create, update, delete: del })
})

/**
 * The members operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Members, never, GlanceHttp> = Layer.effect(Members, make)
