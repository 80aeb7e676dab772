/**
 * The two targets every contract suite runs against: the in-memory twin (`GlanceTest`) and the
 * real lab. A suite sees three parties, `demo` and `other` (plain projects) and `admin`, each with
 * every service of the library, so the same cases check what each project sees of the other's images.
 */
import { describe } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import { Cache, Images, Info, Keystone, Members, Metadefs, Schemas, Tasks } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"
import { clientFor, type LabUser, requireLab } from "../support/lab.js"
import { cacheLock, scopedLock } from "../support/lock.js"

/** One project's view of the cloud. */
export interface Party {
  readonly projectId: string
  readonly images: Images.Service
  readonly members: Members.Service
  readonly schemas: Schemas.Service
  readonly tasks: Tasks.Service
  readonly info: Info.Service
  readonly cache: Cache.Service
  readonly metadefs: Metadefs.Service
}

/** The parties of a contract run, and which Glance they talk to. */
export interface PartiesService {
  readonly target: "memory" | "lab"
  readonly demo: Party
  readonly other: Party
  readonly admin: Party
}

/** The parties of a contract run. */
export class Parties extends Context.Tag("test/contract/Parties")<Parties, PartiesService>() {}

const party = <E, R>(projectId: Effect.Effect<string, E, R>) =>
  Effect.gen(function*() {
    return {
      projectId: yield* projectId,
      images: yield* Images.Images,
      members: yield* Members.Members,
      schemas: yield* Schemas.Schemas,
      tasks: yield* Tasks.Tasks,
      info: yield* Info.Info,
      cache: yield* Cache.Cache,
      metadefs: yield* Metadefs.Metadefs
    } satisfies Party
  })

/** A place the suites run: its name, its layer, and whether it can run here. */
export interface Target {
  readonly name: "memory" | "lab"
  readonly layer: Layer.Layer<Parties, unknown>
  readonly up: boolean
}

/** The in-memory twin: one world, three projects with Keystone-like ids, admin with the admin role. */
export const memory: Target = {
  name: "memory",
  up: true,
  layer: Layer.effect(
    Parties,
    Effect.suspend(() => {
      const world = GlanceTest.world({ stores: ["fast", "cheap"] })
      const as = (admin: boolean) => {
        const project = Crypto.randomBytes(16).toString("hex")
        return party(Effect.succeed(project)).pipe(
          Effect.provide(GlanceTest.layerFor(world, { project, admin }))
        )
      }
      return Effect.all({ demo: as(false), other: as(false), admin: as(true) }).pipe(
        Effect.map((parties) => ({ target: "memory" as const, ...parties }))
      )
    })
  )
}

/** A lab user's party: its own client (its own login), built once for the file. */
const labParty = (user: LabUser) =>
  Layer.build(Layer.fresh(clientFor(user))).pipe(
    Effect.flatMap((context) =>
      party(
        Effect.map(Keystone.Keystone, (k) => k.session).pipe(
          Effect.flatten,
          Effect.map((s) => s.projectId!)
        )
      ).pipe(Effect.provide(context))
    )
  )

/** The lab, logged in as demo, other and admin (requireLab: in CI a missing lab fails the file). */
export const lab = (): Target => ({
  name: "lab",
  up: requireLab(),
  layer: Layer.scoped(
    Parties,
    Effect.map(
      Effect.all({ demo: labParty("demo"), other: labParty("other"), admin: labParty("admin") }, {
        concurrency: 3
      }),
      (parties) => ({ target: "lab" as const, ...parties })
    )
  )
})

/** Runs a suite against both targets; the lab half is skipped with a message only when the lab is down outside CI. */
export const contract = (name: string, suite: (target: Target) => void) => {
  for (const target of [memory, lab()]) {
    describe.skipIf(!target.up)(`${name} contract: ${target.name}`, () => suite(target))
  }
}

/** Runs a workflow (`Images.waitFor`, `Images.createAndUpload`, …) as a party: over its `Images` and `Info`. */
export const as = (who: Party) => <A, E>(effect: Effect.Effect<A, E, Images.Images | Info.Info>): Effect.Effect<A, E> =>
  effect.pipe(Effect.provideService(Images.Images, who.images), Effect.provideService(Info.Info, who.info))

/** A new image of a party's, deleted (unprotected first) when the test's scope closes. */
export const scopedImage = (owner: Party, fields: Images.CreateFields) =>
  Effect.acquireRelease(
    owner.images.create(fields),
    (image) =>
      owner.images.update(image.id, { set: { protected: false } }).pipe(
        Effect.ignore,
        Effect.zipRight(Effect.ignore(owner.images.delete(image.id)))
      )
  )

/** The ids a party lists with these filters. */
export const listedIds = (who: Party, filters: Images.ListOptions["filters"], options: Images.ListOptions = {}) =>
  Stream.runCollect(who.images.list({ ...options, filters })).pipe(
    Effect.map((images) => Chunk.toReadonlyArray(images).map((i) => i.id))
  )

/** The tag of a failure, or "success". */
export const outcome = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.match(effect, { onFailure: (e) => e._tag, onSuccess: () => "success" })

/** Bytes to upload. */
export const bytes = (text: string) => new TextEncoder().encode(text)

/** The concatenated data of a download. */
export const downloaded = (who: Party, id: string) =>
  Stream.runCollect(who.images.download(id)).pipe(
    Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))
  )

/**
 * Holds the lab's cache lock for the rest of the test (nothing for the twin): Glance's cache queue
 * is shared with every other test file, and `cache-clear` empties it for all of them.
 */
export const cacheTurn = (target: Target, holder: string) =>
  target.name === "lab" ? scopedLock(cacheLock, holder) : Effect.void
