/**
 * The Metadefs contract: admins define namespaces and their objects, properties, tags and
 * resource types; other projects see public namespaces only. Written once, run against the
 * twin and the lab (every namespace made here is deleted again).
 */
import { assert, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Metadefs } from "../../../src/index.js"
import { uniqueName } from "../../support/lab.js"
import { outcome, Parties, type Party, type Target } from "../support.js"

/** A new namespace of the admin's, unprotected and deleted when the test's scope closes. */
const scopedNamespace = (admin: Party, fields: Omit<Metadefs.NamespaceFields, "namespace"> = {}) =>
  Effect.acquireRelease(
    admin.metadefs.namespaces.create({ namespace: uniqueName("ct-ns"), ...fields }),
    (ns) =>
      admin.metadefs.namespaces.update(ns.namespace, { protected: false }).pipe(
        Effect.ignore,
        Effect.zipRight(Effect.ignore(admin.metadefs.namespaces.delete(ns.namespace)))
      )
  )

const names = (namespaces: Chunk.Chunk<Metadefs.Namespace>) => Chunk.toReadonlyArray(namespaces).map((n) => n.namespace)

/** The Metadefs cases. */
export const metadefsSuite = (target: Target) =>
  layer(target.layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("namespaces: admins create them (private by default); others see them once public", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        assert.strictEqual(
          yield* outcome(demo.metadefs.namespaces.create({ namespace: uniqueName("ct-ns") })),
          "Forbidden"
        )
        const ns = yield* scopedNamespace(admin, { display_name: "Contract" })
        assert.deepStrictEqual([ns.visibility, ns.protected, ns.owner, ns.display_name], [
          "private",
          false,
          admin.projectId,
          "Contract"
        ])
        assert.strictEqual(yield* outcome(admin.metadefs.namespaces.create({ namespace: ns.namespace })), "Conflict")
        assert.strictEqual(yield* outcome(demo.metadefs.namespaces.get(ns.namespace)), "NotFound")
        assert.notInclude(names(yield* Stream.runCollect(demo.metadefs.namespaces.list())), ns.namespace)

        const shown = yield* admin.metadefs.namespaces.update(ns.namespace, { visibility: "public", description: "d" })
        assert.deepStrictEqual([shown.visibility, shown.description, shown.display_name], ["public", "d", "Contract"])
        assert.strictEqual((yield* demo.metadefs.namespaces.get(ns.namespace)).visibility, "public")
        assert.include(
          names(yield* Stream.runCollect(demo.metadefs.namespaces.list({ visibility: "public" }))),
          ns.namespace
        )
        assert.strictEqual(
          yield* outcome(demo.metadefs.namespaces.update(ns.namespace, { description: "mine" })),
          "Forbidden"
        )
        assert.strictEqual(yield* outcome(demo.metadefs.namespaces.delete(ns.namespace)), "Forbidden")
        assert.strictEqual(yield* outcome(admin.metadefs.namespaces.get(uniqueName("ct-none"))), "NotFound")
      }))

    it.scoped("a protected namespace cannot be deleted; a deleted one is gone", () =>
      Effect.gen(function*() {
        const { admin } = yield* Parties
        const ns = yield* scopedNamespace(admin, { protected: true })
        assert.strictEqual(yield* outcome(admin.metadefs.namespaces.delete(ns.namespace)), "Forbidden")
        yield* admin.metadefs.namespaces.update(ns.namespace, { protected: false })
        yield* admin.metadefs.namespaces.delete(ns.namespace)
        assert.strictEqual(yield* outcome(admin.metadefs.namespaces.get(ns.namespace)), "NotFound")
      }))

    it.scoped("objects and properties: created, shown, changed, duplicates 409, missing 404, title and type required", () =>
      Effect.gen(function*() {
        const { admin } = yield* Parties
        const { namespace } = yield* scopedNamespace(admin)
        const md = admin.metadefs
        const object = yield* md.objects.create(namespace, { name: "box", description: "a box" })
        assert.deepStrictEqual([object.name, object.description], ["box", "a box"])
        assert.strictEqual(yield* outcome(md.objects.create(namespace, { name: "box" })), "Conflict")
        const changed = yield* md.objects.update(namespace, "box", { description: "a bigger box" })
        assert.deepStrictEqual([changed.name, changed.description], ["box", "a bigger box"])
        assert.deepStrictEqual((yield* md.objects.list(namespace)).map((o) => o.name), ["box"])
        assert.strictEqual(yield* outcome(md.objects.get(namespace, "crate")), "NotFound")

        const property = yield* md.properties.create(namespace, { name: "speed", title: "Speed", type: "integer" })
        assert.deepStrictEqual([property.name, property.title, property.type], ["speed", "Speed", "integer"])
        assert.strictEqual(
          yield* outcome(md.properties.create(namespace, { name: "bare" } as never)),
          "BadRequest"
        )
        assert.strictEqual(
          yield* outcome(md.properties.create(namespace, { name: "speed", title: "Speed", type: "integer" })),
          "Conflict"
        )
        const retitled = yield* md.properties.update(namespace, "speed", { title: "Top speed" })
        assert.deepStrictEqual([retitled.title, retitled.type], ["Top speed", "integer"])
        assert.deepStrictEqual((yield* md.properties.list(namespace)).map((p) => p.name), ["speed"])

        const whole = yield* md.namespaces.get(namespace)
        assert.deepStrictEqual(whole.objects?.map((o) => o.name), ["box"])
        assert.deepStrictEqual(Object.keys(whole.properties ?? {}), ["speed"])

        yield* md.objects.delete(namespace, "box")
        yield* md.properties.deleteAll(namespace)
        assert.deepStrictEqual(yield* md.objects.list(namespace), [])
        assert.deepStrictEqual(yield* md.properties.list(namespace), [])
        assert.strictEqual(yield* outcome(md.properties.get(namespace, "speed")), "NotFound")
      }))

    it.scoped("tags: names are unique; several at once replace, or append", () =>
      Effect.gen(function*() {
        const { admin } = yield* Parties
        const { namespace } = yield* scopedNamespace(admin)
        const tags = admin.metadefs.tags
        assert.strictEqual((yield* tags.create(namespace, "Fast")).name, "Fast")
        assert.strictEqual(yield* outcome(tags.create(namespace, "Fast")), "Conflict")
        // Glance's message says tag names are case-insensitive, but that is the database's collation:
        // on the lab's SQLite (and so in the twin) "fast" and "Fast" are two tags.
        assert.strictEqual((yield* tags.create(namespace, "fast")).name, "fast")
        assert.strictEqual(yield* outcome(tags.createMultiple(namespace, ["x", "x"])), "Conflict")
        const sorted = Effect.map(tags.list(namespace), (all) => all.map((t) => t.name).sort())
        yield* tags.createMultiple(namespace, ["a", "b"])
        assert.deepStrictEqual(yield* sorted, ["a", "b"])
        yield* tags.createMultiple(namespace, ["c"], { append: true })
        assert.deepStrictEqual(yield* sorted, ["a", "b", "c"])
        assert.strictEqual(yield* outcome(tags.createMultiple(namespace, ["a"], { append: true })), "Conflict")
        assert.strictEqual((yield* tags.update(namespace, "c", "d")).name, "d")
        assert.strictEqual(yield* outcome(tags.get(namespace, "c")), "NotFound")
        yield* tags.delete(namespace, "a")
        assert.deepStrictEqual(yield* sorted, ["b", "d"])
        assert.strictEqual(yield* outcome(tags.delete(namespace, "a")), "NotFound")
        yield* tags.deleteAll(namespace)
        assert.deepStrictEqual(yield* sorted, [])
      }))

    it.scoped("resource types: Glance's own are listed; an association prefixes the namespace's properties", () =>
      Effect.gen(function*() {
        const { admin, demo } = yield* Parties
        const types = (yield* demo.metadefs.resourceTypes.list).map((t) => t.name)
        assert.includeMembers([...types], ["OS::Glance::Image", "OS::Nova::Flavor"])
        const { namespace } = yield* scopedNamespace(admin)
        const md = admin.metadefs
        yield* md.properties.create(namespace, { name: "speed", title: "Speed", type: "integer" })
        const made = yield* md.resourceTypes.associate(namespace, { name: "OS::Glance::Image", prefix: "hw_" })
        assert.deepStrictEqual([made.name, made.prefix], ["OS::Glance::Image", "hw_"])
        assert.strictEqual(
          yield* outcome(md.resourceTypes.associate(namespace, { name: "OS::Glance::Image", prefix: "hw_" })),
          "Conflict"
        )
        assert.deepStrictEqual((yield* md.resourceTypes.listFor(namespace)).map((a) => a.name), ["OS::Glance::Image"])
        const forImages = yield* md.namespaces.get(namespace, { resourceType: "OS::Glance::Image" })
        assert.deepStrictEqual(Object.keys(forImages.properties ?? {}), ["hw_speed"])
        const prefixed = yield* md.properties.get(namespace, "hw_speed", { resourceType: "OS::Glance::Image" })
        assert.strictEqual(prefixed.name, "speed")
        const listed = yield* Stream.runCollect(md.namespaces.list({ resourceTypes: ["OS::Glance::Image"] }))
        assert.include(names(listed), namespace)

        yield* md.resourceTypes.deassociate(namespace, "OS::Glance::Image")
        assert.deepStrictEqual(yield* md.resourceTypes.listFor(namespace), [])
        assert.strictEqual(yield* outcome(md.resourceTypes.deassociate(namespace, "OS::Glance::Image")), "NotFound")
        // The admin's private namespace does not exist for demo: 404 before any policy.
        assert.strictEqual(
          yield* outcome(demo.metadefs.resourceTypes.associate(namespace, { name: "OS::Nova::Flavor" })),
          "NotFound"
        )
      }))
  })
