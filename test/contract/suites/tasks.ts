/**
 * The Tasks contract: the tasks API is for admins; an import leaves an `api_image_import` task;
 * legacy `import` tasks are refused here. Written once, run against the twin and the lab.
 */
import { assert, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Images } from "../../../src/index.js"
import { uniqueName } from "../../support/lab.js"
import { as, bytes, outcome, Parties, scopedImage, type Target } from "../support.js"

/** The Tasks cases. */
export const tasksSuite = (target: Target) =>
  layer(target.layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("the tasks API is for admins only", () =>
      Effect.gen(function*() {
        const { demo } = yield* Parties
        assert.deepStrictEqual({
          list: yield* outcome(Stream.runDrain(demo.tasks.list({ limit: 1 }))),
          get: yield* outcome(demo.tasks.get("00000000-0000-0000-0000-000000000000")),
          create: yield* outcome(demo.tasks.create({ type: "import", input: {} }))
        }, { list: "Forbidden", get: "Forbidden", create: "Forbidden" })
      }))

    it.scoped("an import leaves an api_image_import task of the importing project, listed and shown", () =>
      Effect.gen(function*() {
        const { admin } = yield* Parties
        const image = yield* scopedImage(admin, {
          name: uniqueName("ct-task"),
          disk_format: "raw",
          container_format: "bare"
        })
        yield* admin.images.stage(image.id, Stream.make(bytes("task")))
        yield* admin.images.importImage(image.id, { method: "glance-direct" })
        yield* as(admin)(Images.waitFor(image.id, { interval: "200 millis", timeout: "60 seconds" }))
        const [task] = yield* admin.images.tasks(image.id)
        assert.strictEqual(task?.type, "api_image_import")
        assert.strictEqual(task?.owner, admin.projectId)
        // The image can be active a moment before its task is marked done: wait for the task.
        yield* admin.tasks.get(task!.id).pipe(
          Effect.repeat({
            until: (t) => t.status !== "pending" && t.status !== "processing",
            schedule: Schedule.spaced("200 millis"),
            times: 100
          })
        )
        const shown = yield* admin.tasks.get(task!.id)
        assert.strictEqual(shown.status, "success")
        // A finished task expires (48 hours later by default).
        assert.isString(shown.expires_at)
        assert.strictEqual(shown.image_id, image.id)
        assert.deepStrictEqual(shown.result, { image_id: image.id })
        // Listed, a task is a summary: no input, result or image.
        const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(admin.tasks.list({ limit: 50 })))
        const summary = listed.find((t) => t.id === task!.id)
        assert.deepStrictEqual([summary?.type, summary?.input, summary?.image_id], [
          "api_image_import",
          undefined,
          undefined
        ])
        const legacy = yield* Stream.runCollect(admin.tasks.list({ type: "import", limit: 50 }))
        assert.notInclude(Chunk.toReadonlyArray(legacy).map((t) => t.id), task!.id)
        // Only legacy import tasks can be asked for by type; statuses and sort keys are checked.
        assert.deepStrictEqual({
          importType: yield* outcome(Stream.runDrain(admin.tasks.list({ type: "api_image_import" }))),
          badStatus: yield* outcome(Stream.runDrain(admin.tasks.list({ status: "bogus" }))),
          badSortKey: yield* outcome(Stream.runDrain(admin.tasks.list({ sortKey: "bogus" })))
        }, { importType: "BadRequest", badStatus: "BadRequest", badSortKey: "BadRequest" })
        assert.strictEqual(yield* outcome(admin.tasks.get("00000000-0000-0000-0000-000000000000")), "NotFound")
      }))

    it.effect("creating tasks: an unknown type is 400; a legacy import from a URL is refused", () =>
      Effect.gen(function*() {
        const { admin } = yield* Parties
        assert.deepStrictEqual({
          unknownType: yield* outcome(admin.tasks.create({ type: "bogus", input: {} })),
          noSource: yield* outcome(admin.tasks.create({ type: "import", input: {} })),
          fromUrl: yield* outcome(admin.tasks.create({
            type: "import",
            input: {
              import_from: "http://127.0.0.1:1/image.raw",
              import_from_format: "raw",
              image_properties: { name: uniqueName("ct-legacy") }
            }
          }))
        }, { unknownType: "BadRequest", noSource: "BadRequest", fromUrl: "BadRequest" })
      }))
  })
