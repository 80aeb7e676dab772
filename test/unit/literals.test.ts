/**
 * The statuses and visibilities of the public types: the values Glance documents are literal
 * unions an editor offers, and any other string a newer cloud sends still decodes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Images from "../../src/Images.js"
import * as Members from "../../src/Members.js"
import * as Metadefs from "../../src/Metadefs.js"
import * as Tasks from "../../src/Tasks.js"

// Compile-time: `Extract<T, "x">` is `never` when T has collapsed to `string`, so these lines stop
// compiling (npm run check) if a type loses its literals.
const imageStatus: Extract<Images.Image["status"], "pending_delete"> = "pending_delete"
const visibility: Extract<Exclude<Images.Image["visibility"], undefined>, "community"> = "community"
const memberStatus: Extract<Members.Member["status"], "rejected"> = "rejected"
const taskStatus: Extract<Tasks.Task["status"], "processing"> = "processing"
const namespaceVisibility: Extract<Exclude<Metadefs.Namespace["visibility"], undefined>, "private"> = "private"
// …and an unknown string from a newer cloud is still a value of the type.
const newer: Images.ImageStatus = "some_future_status"

const decodes = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
  Either.getOrThrowWith(Schema.decodeUnknownEither(schema)(value), (e) => new Error(String(e)))

describe("open literal unions", () => {
  it("decode every documented value and any other string, unchanged", () => {
    const cases: Array<[Schema.Schema<string>, ReadonlyArray<string>]> = [
      [
        Images.ImageStatus,
        [
          "queued",
          "saving",
          "uploading",
          "importing",
          "active",
          "deactivated",
          "killed",
          "deleted",
          imageStatus,
          newer
        ]
      ],
      [Images.Visibility, ["public", "private", "shared", visibility, "org-wide"]],
      [Members.MemberStatus, ["pending", "accepted", memberStatus, "withdrawn"]],
      [Tasks.TaskStatus, ["pending", taskStatus, "success", "failure", "cancelled"]],
      [Metadefs.NamespaceVisibility, ["public", namespaceVisibility, "shared"]]
    ]
    for (const [schema, values] of cases) {
      for (const value of values) assert.strictEqual(decodes(schema, value), value)
    }
  })

  it("refuse what is not a string", () => {
    for (const schema of [Images.ImageStatus, Images.Visibility, Members.MemberStatus, Tasks.TaskStatus]) {
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(schema)(42)))
      assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(schema)(null)))
    }
  })

  it("an image, member and task from a newer cloud decode with their unknown statuses kept", () => {
    const image = decodes(Images.Image, { id: "i", status: "replicating", visibility: "org-wide", extra: "x" })
    assert.strictEqual(image.status, "replicating")
    assert.strictEqual(image.visibility, "org-wide")
    assert.strictEqual(image.extra, "x")
    assert.strictEqual(
      decodes(Members.Member, { image_id: "i", member_id: "p", status: "withdrawn" }).status,
      "withdrawn"
    )
    assert.strictEqual(decodes(Tasks.Task, { id: "t", type: "import", status: "cancelled" }).status, "cancelled")
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Images.Image)({ id: "i", status: 3 })))
  })
})
