/**
 * The `member-*` commands, with python-glanceclient's names, arguments and tables.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Members from "../Members.js"
import { withClient } from "./globalOptions.js"
import { type Column, formatOptions, printList, printObject } from "./output.js"

const imageArg = Args.text({ name: "IMAGE_ID" })
const memberArg = Args.text({ name: "MEMBER_ID" })

/** python-glanceclient's member columns. */
const memberColumns: ReadonlyArray<Column<Members.Member>> = [
  { header: "Image ID", get: (m) => m.image_id },
  { header: "Member ID", get: (m) => m.member_id },
  { header: "Status", get: (m) => m.status }
]

/** `member-list --image-id IMAGE_ID`. */
export const memberList = Command.make("member-list", {
  imageId: Options.text("image-id").pipe(
    Options.withPseudoName("<IMAGE_ID>"),
    Options.withDescription("Image to display members of.")
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const members = yield* Members.Members
    yield* printList(yield* members.list(a.imageId), memberColumns, a)
  }))).pipe(Command.withDescription("Describe sharing permissions by image."))

/** `member-get IMAGE_ID MEMBER_ID`. */
export const memberGet = Command.make("member-get", {
  imageId: imageArg.pipe(Args.withDescription("Image from which to get member.")),
  memberId: memberArg.pipe(Args.withDescription("Tenant to get.")),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const members = yield* Members.Members
    yield* printObject({ ...(yield* members.get(a.imageId, a.memberId)) }, a)
  }))).pipe(Command.withDescription("Show details of an image member"))

/** `member-create IMAGE_ID MEMBER_ID`. */
export const memberCreate = Command.make("member-create", {
  imageId: imageArg.pipe(Args.withDescription("Image with which to create member.")),
  memberId: memberArg.pipe(Args.withDescription("Tenant to add as member.")),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const members = yield* Members.Members
    yield* printList([yield* members.create(a.imageId, a.memberId)], memberColumns, a)
  }))).pipe(Command.withDescription("Create member for a given image."))

/** `member-update IMAGE_ID MEMBER_ID MEMBER_STATUS`. */
export const memberUpdate = Command.make("member-update", {
  imageId: imageArg.pipe(Args.withDescription("Image from which to update member.")),
  memberId: memberArg.pipe(Args.withDescription("Tenant to update.")),
  status: Args.choice<Members.MemberStatus>([["accepted", "accepted"], ["rejected", "rejected"], [
    "pending",
    "pending"
  ]], { name: "MEMBER_STATUS" }).pipe(
    Args.withDescription("Updated status of member. Valid Values: accepted, rejected, pending")
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const members = yield* Members.Members
    yield* printList([yield* members.update(a.imageId, a.memberId, a.status)], memberColumns, a)
  }))).pipe(Command.withDescription("Update the status of a member for a given image."))

/** `member-delete IMAGE_ID MEMBER_ID`. */
export const memberDelete = Command.make("member-delete", {
  imageId: imageArg.pipe(Args.withDescription("Image from which to remove member.")),
  memberId: memberArg.pipe(Args.withDescription("Tenant to remove as member."))
}, (a) =>
  withClient(Effect.gen(function*() {
    const members = yield* Members.Members
    yield* members.delete(a.imageId, a.memberId)
  }))).pipe(Command.withDescription("Delete image member."))

/** All member commands. */
export const memberCommands = [memberList, memberGet, memberCreate, memberUpdate, memberDelete] as const
