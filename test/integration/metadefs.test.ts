/**
 * Metadata definitions against the lab (admin): a namespace with its objects, properties,
 * tags and resource type associations, created, changed and deleted again.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Metadefs } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

/** demo's metadefs service, beside admin's client. */
class DemoMetadefs extends Context.Tag("test/DemoMetadefs")<DemoMetadefs, Metadefs.Service>() {}

const demo = Layer.effect(DemoMetadefs, Metadefs.Metadefs).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with admin's client.
  Layer.provide(Layer.fresh(clientFor("demo")))
)

/** A new namespace, deleted with everything in it when the test's scope closes. */
const scopedNamespace = (fields: Omit<Metadefs.NamespaceFields, "namespace">) =>
  Effect.flatMap(Metadefs.Metadefs, (metadefs) =>
    Effect.acquireRelease(
      metadefs.namespaces.create({ namespace: uniqueName("it-ns"), ...fields }),
      (ns) => Effect.ignore(metadefs.namespaces.delete(ns.namespace))
    ))

describe.skipIf(!up)("Metadefs against the lab (admin)", () => {
  it.layer(Layer.merge(clientFor("admin"), demo), { timeout: 60_000 })((it) => {
    it.scoped("namespaces: create, get, list by resource type, update keeps other fields, delete", () =>
      Effect.gen(function*() {
        const metadefs = yield* Metadefs.Metadefs
        const ns = yield* scopedNamespace({
          display_name: "Test namespace",
          description: "first",
          visibility: "private",
          resource_type_associations: [{ name: "OS::Glance::Image", prefix: "it_" }]
        })
        assert.strictEqual(ns.display_name, "Test namespace")
        const shown = yield* metadefs.namespaces.get(ns.namespace)
        assert.deepStrictEqual(shown.resource_type_associations?.map((a) => [a.name, a.prefix]), [[
          "OS::Glance::Image",
          "it_"
        ]])

        const listed = yield* Stream.runCollect(
          metadefs.namespaces.list({ resourceTypes: ["OS::Glance::Image"], visibility: "private", pageSize: 2 })
        )
        assert.isTrue(Chunk.toReadonlyArray(listed).some((n) => n.namespace === ns.namespace))

        const updated = yield* metadefs.namespaces.update(ns.namespace, { description: "second" })
        assert.strictEqual(updated.description, "second")
        assert.strictEqual(updated.display_name, "Test namespace")
        assert.strictEqual(updated.visibility, "private")

        yield* metadefs.namespaces.delete(ns.namespace)
        const gone = yield* Effect.flip(metadefs.namespaces.get(ns.namespace))
        assert.strictEqual(gone._tag, "NotFound")
      }))

    it.scoped("objects and properties: CRUD, delete all", () =>
      Effect.gen(function*() {
        const metadefs = yield* Metadefs.Metadefs
        const { namespace } = yield* scopedNamespace({ visibility: "private" })

        const object = yield* metadefs.objects.create(namespace, {
          name: "CPU",
          description: "CPU options",
          required: ["cores"],
          properties: { cores: { title: "Cores", type: "integer", minimum: 1 } }
        })
        assert.deepStrictEqual(object.required, ["cores"])
        assert.strictEqual(object.properties?.cores?.type, "integer")
        const changed = yield* metadefs.objects.update(namespace, "CPU", { description: "CPU settings" })
        assert.strictEqual(changed.description, "CPU settings")
        assert.deepStrictEqual(changed.required, ["cores"], "fields not named are kept")
        yield* metadefs.objects.create(namespace, { name: "Memory" })
        assert.deepStrictEqual((yield* metadefs.objects.list(namespace)).map((o) => o.name).sort(), ["CPU", "Memory"])
        yield* metadefs.objects.delete(namespace, "Memory")
        assert.strictEqual((yield* Effect.flip(metadefs.objects.get(namespace, "Memory")))._tag, "NotFound")

        const property = yield* metadefs.properties.create(namespace, {
          name: "speed",
          title: "Speed",
          type: "integer",
          minimum: 1
        })
        assert.strictEqual(property.name, "speed")
        const renamed = yield* metadefs.properties.update(namespace, "speed", { title: "Clock speed", maximum: 9 })
        assert.deepStrictEqual([renamed.title, renamed.type, renamed.minimum, renamed.maximum], [
          "Clock speed",
          "integer",
          1,
          9
        ])
        yield* metadefs.properties.create(namespace, { name: "vendor", title: "Vendor", type: "string" })
        const properties = yield* metadefs.properties.list(namespace)
        assert.deepStrictEqual(properties.map((p) => [p.name, p.title]).sort(), [["speed", "Clock speed"], [
          "vendor",
          "Vendor"
        ]])
        yield* metadefs.properties.delete(namespace, "vendor")
        assert.deepStrictEqual((yield* metadefs.properties.list(namespace)).map((p) => p.name), ["speed"])

        yield* metadefs.objects.deleteAll(namespace)
        yield* metadefs.properties.deleteAll(namespace)
        assert.deepStrictEqual(yield* metadefs.objects.list(namespace), [])
        assert.deepStrictEqual(yield* metadefs.properties.list(namespace), [])
      }))

    it.scoped("tags: create, create several (replace, then append), rename, delete, delete all", () =>
      Effect.gen(function*() {
        const metadefs = yield* Metadefs.Metadefs
        const { namespace } = yield* scopedNamespace({ visibility: "private" })
        const names = Effect.map(metadefs.tags.list(namespace), (tags) => tags.map((t) => t.name).sort())

        assert.strictEqual((yield* metadefs.tags.create(namespace, "one")).name, "one")
        yield* metadefs.tags.createMultiple(namespace, ["two", "three"])
        assert.deepStrictEqual(yield* names, ["three", "two"], "without append, the list is replaced")
        yield* metadefs.tags.createMultiple(namespace, ["four"], { append: true })
        assert.deepStrictEqual(yield* names, ["four", "three", "two"])
        assert.strictEqual((yield* metadefs.tags.update(namespace, "four", "five")).name, "five")
        assert.strictEqual((yield* metadefs.tags.get(namespace, "five")).name, "five")
        yield* metadefs.tags.delete(namespace, "two")
        assert.deepStrictEqual(yield* names, ["five", "three"])
        yield* metadefs.tags.deleteAll(namespace)
        assert.deepStrictEqual(yield* names, [])
      }))

    it.scoped("resource types: associate (new types appear), list for the namespace, get with prefix, deassociate", () =>
      Effect.gen(function*() {
        const metadefs = yield* Metadefs.Metadefs
        const { namespace } = yield* scopedNamespace({ visibility: "private" })
        yield* metadefs.properties.create(namespace, { name: "speed", title: "Speed", type: "integer" })

        const made = yield* metadefs.resourceTypes.associate(namespace, { name: "OS::Nova::Flavor", prefix: "f_" })
        assert.deepStrictEqual([made.name, made.prefix], ["OS::Nova::Flavor", "f_"])
        assert.isTrue((yield* metadefs.resourceTypes.list).some((t) => t.name === "OS::Nova::Flavor"))
        assert.deepStrictEqual((yield* metadefs.resourceTypes.listFor(namespace)).map((a) => a.name), [
          "OS::Nova::Flavor"
        ])
        const prefixed = yield* metadefs.namespaces.get(namespace, { resourceType: "OS::Nova::Flavor" })
        assert.deepStrictEqual(Object.keys(prefixed.properties ?? {}), ["f_speed"])
        const property = yield* metadefs.properties.get(namespace, "f_speed", { resourceType: "OS::Nova::Flavor" })
        assert.strictEqual(property.title, "Speed")

        yield* metadefs.resourceTypes.deassociate(namespace, "OS::Nova::Flavor")
        assert.deepStrictEqual(yield* metadefs.resourceTypes.listFor(namespace), [])
      }))

    it.effect("demo may not create namespaces", () =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip(
          (yield* DemoMetadefs).namespaces.create({ namespace: uniqueName("it-ns-demo") })
        )
        assert.strictEqual(refused._tag, "Forbidden")
      }))
  })
})
