/**
 * GlanceTest traces as the real client does: one program, run once against the lab (as demo) and
 * once against the in-memory Glance, each under a tracer that records every span; the library's
 * spans (`Images.*`, `Members.*`, …, each with the library spans it runs in) are the same, in the
 * same order. HTTP spans (`http.client …`) and the request core's (`GlanceHttp.page`) exist only
 * against a cloud and are left out.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { Cache, Images, Info, Members, Metadefs, Schemas, Tasks } from "../../src/index.js"
import { GlanceTest } from "../../src/testing/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

const library = /^(Images|Members|Schemas|Tasks|Info|Cache|Metadefs)\./

/** A tracer over the current one that keeps every span it starts, in order. */
const recording = (spans: Array<Tracer.Span>) =>
  Layer.unwrapEffect(Effect.map(Effect.tracer, (base) =>
    Layer.setTracer(Tracer.make({
      span: (...args) => {
        const span = base.span(...args)
        spans.push(span)
        return span
      },
      context: (f, fiber) => base.context(f, fiber)
    }))))

/**
 * Each library span as the path of library spans it runs in (`Images.update > Images.patch`); the
 * polls of a wait, as many as the cloud took, count once (the twin is done at the first).
 */
const libraryPaths = (spans: ReadonlyArray<Tracer.Span>): Array<string> =>
  spans.filter((s) => library.test(s.name)).map((span) => {
    const path = [span.name]
    let parent = span.parent
    while (Option.isSome(parent)) {
      const p = parent.value
      if (p._tag !== "Span") break
      if (library.test(p.name)) path.unshift(p.name)
      parent = p.parent
    }
    return path.join(" > ")
  }).filter((path, i, all) => !(i > 0 && path === all[i - 1] && path.includes("Images.waitFor > ")))

const bytes = new TextEncoder().encode("the same spans, against a cloud and in memory")

/** Calls of every service, the workflows (module functions) among them; refusals kept as results. */
const program = Effect.gen(function*() {
  const images = yield* Images.Images
  const members = yield* Members.Members
  const schemas = yield* Schemas.Schemas
  const info = yield* Info.Info
  const metadefs = yield* Metadefs.Metadefs
  const tasks = yield* Tasks.Tasks
  const cache = yield* Cache.Cache
  const name = uniqueName("it-spans")
  const fields = { name, disk_format: "raw", container_format: "bare", visibility: "shared" } as const
  yield* schemas.validateImageFields(fields)
  const image = yield* Images.createAndUpload(fields, Stream.make(bytes), { size: bytes.byteLength })
  return yield* Effect.gen(function*() {
    yield* images.update(image.id, { set: { traced: "yes" } })
    yield* images.addTag(image.id, "traced")
    yield* images.removeTag(image.id, "traced")
    const listed = yield* Stream.runCollect(images.list({ filters: { name } }))
    yield* Stream.runDrain(images.download(image.id))
    yield* images.downloadEach(image.id, () => Effect.void)
    yield* Images.waitFor(image.id)
    yield* members.create(image.id, "spans-test-project")
    yield* members.list(image.id)
    yield* members.get(image.id, "spans-test-project")
    yield* members.delete(image.id, "spans-test-project")
    const second = yield* images.create({ ...fields, name: `${name}-each` })
    let left = bytes.byteLength
    yield* images.uploadEach(second.id, (block) =>
      Effect.sync(() => {
        const n = Math.min(left, block.byteLength)
        block.set(bytes.subarray(0, n))
        left -= n
        return n
      }), { size: bytes.byteLength }).pipe(Effect.ensuring(Effect.ignore(images.delete(second.id))))
    yield* info.importMethods
    yield* Stream.runDrain(Stream.take(metadefs.namespaces.list(), 1))
    yield* metadefs.resourceTypes.list
    // demo is not an admin: refused on both sides, in a span all the same.
    const refused = [
      yield* Effect.either(Stream.runDrain(tasks.list({ limit: 1 }))),
      yield* Effect.either(cache.list)
    ].map((r) => r._tag)
    return { listed: listed.length, refused }
  }).pipe(Effect.ensuring(Effect.ignore(images.delete(image.id))))
})

/** An admin's calls: an import workflow, deactivation, and every kind of metadata definition. */
const adminProgram = Effect.gen(function*() {
  const images = yield* Images.Images
  const metadefs = yield* Metadefs.Metadefs
  const name = uniqueName("it-spans-admin")
  const image = yield* Images.createViaImport(
    { name, disk_format: "raw", container_format: "bare" },
    {
      method: "glance-direct",
      body: Stream.make(bytes),
      size: bytes.byteLength,
      wait: { interval: "200 millis", timeout: "60 seconds" }
    }
  )
  yield* Effect.gen(function*() {
    yield* images.deactivate(image.id)
    yield* images.reactivate(image.id)
    yield* images.tasks(image.id)
  }).pipe(Effect.ensuring(Effect.ignore(images.delete(image.id))))
  const namespace = `${name}-ns`
  yield* metadefs.namespaces.create({ namespace, display_name: "spans" })
  yield* Effect.gen(function*() {
    yield* metadefs.namespaces.get(namespace)
    yield* metadefs.namespaces.update(namespace, { description: "traced" })
    yield* metadefs.objects.create(namespace, { name: "obj" })
    yield* metadefs.objects.update(namespace, "obj", { description: "traced" })
    yield* metadefs.objects.list(namespace)
    yield* metadefs.objects.delete(namespace, "obj")
    yield* metadefs.properties.create(namespace, { name: "prop", title: "Prop", type: "string" })
    yield* metadefs.properties.update(namespace, "prop", { description: "traced" })
    yield* metadefs.properties.list(namespace)
    yield* metadefs.properties.deleteAll(namespace)
    yield* metadefs.tags.create(namespace, "t1")
    yield* metadefs.tags.createMultiple(namespace, ["t2", "t3"], { append: true })
    yield* metadefs.tags.update(namespace, "t2", "t4")
    yield* metadefs.tags.list(namespace)
    yield* metadefs.tags.deleteAll(namespace)
    yield* metadefs.resourceTypes.associate(namespace, { name: "OS::Glance::Image" })
    yield* metadefs.resourceTypes.listFor(namespace)
    yield* metadefs.resourceTypes.deassociate(namespace, "OS::Glance::Image")
  }).pipe(Effect.ensuring(Effect.ignore(metadefs.namespaces.delete(namespace))))
  return image.status
})

const traced = <A>(
  run: Effect.Effect<
    A,
    unknown,
    Images.Images | Members.Members | Schemas.Schemas | Info.Info | Metadefs.Metadefs | Tasks.Tasks | Cache.Cache
  >,
  layer: Layer.Layer<
    Images.Images | Members.Members | Schemas.Schemas | Info.Info | Metadefs.Metadefs | Tasks.Tasks | Cache.Cache,
    unknown
  >
) =>
  Effect.gen(function*() {
    const spans: Array<Tracer.Span> = []
    const result = yield* run.pipe(Effect.provide(layer), Effect.provide(recording(spans)))
    return { result, paths: libraryPaths(spans) }
  })

describe.skipIf(!up)("GlanceTest's spans are the real client's", () => {
  it.live(
    "one program against the lab and against GlanceTest: the same library spans, in the same order",
    () =>
      Effect.gen(function*() {
        const lab = yield* traced(program, clientFor("demo"))
        const twin = yield* traced(program, GlanceTest.layer({ project: "demo-project" }))
        assert.deepStrictEqual(lab.result, { listed: 1, refused: ["Left", "Left"] })
        assert.deepStrictEqual(twin.result, lab.result)
        // The comparison means something: the calls and the workflows' nesting are there.
        for (
          const expected of [
            "Schemas.validateImageFields > Schemas.get",
            "Images.createAndUpload > Images.create",
            "Images.createAndUpload > Images.upload",
            "Images.createAndUpload > Images.get",
            "Images.update > Images.patch",
            "Images.list",
            "Images.download",
            "Images.downloadEach",
            "Images.waitFor > Images.get",
            "Members.create",
            "Images.upload",
            "Info.importMethods",
            "Metadefs.namespaces.list",
            "Metadefs.resourceTypes.list",
            "Tasks.list",
            "Cache.list",
            "Images.delete"
          ]
        ) assert.include(lab.paths, expected)
        assert.deepStrictEqual(twin.paths, lab.paths)
      }),
    120_000
  )

  it.live(
    "an admin's import, deactivation and metadata definitions: the same library spans",
    () =>
      Effect.gen(function*() {
        const lab = yield* traced(adminProgram, clientFor("admin"))
        const twin = yield* traced(adminProgram, GlanceTest.layer({ project: "admin-project", admin: true }))
        assert.strictEqual(lab.result, "active")
        assert.strictEqual(twin.result, lab.result)
        for (
          const expected of [
            "Images.createViaImport > Images.create",
            "Images.createViaImport > Images.stage",
            "Images.createViaImport > Images.importImage",
            "Images.createViaImport > Images.waitFor > Images.get",
            "Images.deactivate",
            "Metadefs.namespaces.update > Metadefs.namespaces.get",
            "Metadefs.objects.update > Metadefs.objects.get",
            "Metadefs.properties.update > Metadefs.properties.get",
            "Metadefs.tags.createMultiple",
            "Metadefs.resourceTypes.deassociate",
            "Metadefs.namespaces.delete"
          ]
        ) assert.include(lab.paths, expected)
        assert.deepStrictEqual(twin.paths, lab.paths)
      }),
    120_000
  )
})
