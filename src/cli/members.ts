/**
 * The `member-*` commands, with python-glanceclient's names, arguments and tables.
 */
import * as Effect from "effect/Effect"
import * as Members from "../Members.js"
import { arg, argChoice, required, text } from "./flags.js"
import type { Column } from "./output.js"
import { make, show } from "./table.js"

/** python-glanceclient's member columns. */
const memberColumns: ReadonlyArray<Column<Members.Member>> = [
  { header: "Image ID", get: (m) => m.image_id },
  { header: "Member ID", get: (m) => m.member_id },
  { header: "Status", get: (m) => m.status }
]

const image = (help: string) => arg("IMAGE_ID", help)
const member = (help: string) => arg("MEMBER_ID", help)
const members = Members.Members

/** The member commands. */
export const memberTable = [
  make({
    name: "member-list",
    help: "Describe sharing permissions by image.",
    fields: { imageId: required(text("image-id", "Image to display members of.", "<IMAGE_ID>")) },
    call: (a) => Effect.flatMap(members, (m) => m.list(a.imageId)),
    output: memberColumns
  }),
  make({
    name: "member-get",
    help: "Show details of an image member",
    fields: { imageId: image("Image from which to get member."), memberId: member("Tenant to get.") },
    call: (a) => Effect.flatMap(members, (m) => m.get(a.imageId, a.memberId)),
    output: show((m: Members.Member) => ({ ...m }))
  }),
  make({
    name: "member-create",
    help: "Create member for a given image.",
    fields: { imageId: image("Image with which to create member."), memberId: member("Tenant to add as member.") },
    call: (a) => Effect.flatMap(members, (m) => Effect.map(m.create(a.imageId, a.memberId), (c) => [c])),
    output: memberColumns
  }),
  make({
    name: "member-update",
    help: "Update the status of a member for a given image.",
    fields: {
      imageId: image("Image from which to update member."),
      memberId: member("Tenant to update."),
      status: argChoice<Members.MemberStatus>(
        "MEMBER_STATUS",
        ["accepted", "rejected", "pending"],
        "Updated status of member. Valid Values: accepted, rejected, pending"
      )
    },
    call: (a) => Effect.flatMap(members, (m) => Effect.map(m.update(a.imageId, a.memberId, a.status), (u) => [u])),
    output: memberColumns
  }),
  make({
    name: "member-delete",
    help: "Delete image member.",
    fields: { imageId: image("Image from which to remove member."), memberId: member("Tenant to remove as member.") },
    call: (a) => Effect.flatMap(members, (m) => m.delete(a.imageId, a.memberId))
  })
] as const
