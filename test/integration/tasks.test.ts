/** Tasks against the lab: an admin's import leaves a task, listed, filtered, paged and shown. */
import { assert, describe, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Images, Tasks } from "../../src/index.js"
import { clientFor, requireLab, uniqueName } from "../support/lab.js"

const up = requireLab()

/** demo's tasks service, beside admin's client. */
class DemoTasks extends Context.Tag("test/DemoTasks")<DemoTasks, Tasks.Service>() {}

const demo = Layer.effect(DemoTasks, Tasks.Tasks).pipe(
  // Fresh: built in its own memo map, so it shares no Keystone or endpoint with admin's client.
  Layer.provide(Layer.fresh(clientFor("demo")))
)

describe.skipIf(!up)("Tasks against the lab (admin)", () => {
  // Live services: `waitFor` sleeps on the real clock.
  layer(Layer.merge(clientFor("admin"), demo), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.scoped("an import's task is listed (filtered, sorted, paged) and shown", () =>
      Effect.gen(function*() {
        const images = yield* Images.Images
        const tasks = yield* Tasks.Tasks
        const image = yield* Images.createViaImport(
          { name: uniqueName("it-task"), disk_format: "raw", container_format: "bare" },
          {
            method: "glance-direct",
            body: Stream.make(new Uint8Array(100)),
            size: 100,
            wait: { interval: "200 millis" }
          }
        )
        yield* Effect.addFinalizer(() => Effect.ignore(images.delete(image.id)))

        const [task] = yield* images.tasks(image.id)
        assert.strictEqual(task?.image_id, image.id)
        const shown = yield* tasks.get(task!.id)
        assert.strictEqual(shown.type, "api_image_import")
        assert.strictEqual(shown.status, "success")

        // The list shows summaries (no input, result, message or image_id), newest first here.
        const listed = yield* Stream.runCollect(
          tasks.list({ status: "success", sortKey: "created_at", sortDir: "desc" })
        )
        const all = Chunk.toReadonlyArray(listed)
        const summary = all.find((t) => t.id === task!.id)
        assert.strictEqual(summary?.type, "api_image_import")
        assert.strictEqual(summary?.image_id, undefined)
        assert.isTrue(all.every((t) => t.status === "success"))
        const created = all.map((t) => t.created_at ?? "")
        assert.deepStrictEqual(created, [...created].sort().reverse())

        // Pages of one: the stream follows `next` and yields the same tasks in the same order as one
        // page of three. Imports of other test files add tasks at the front at any time: compare
        // with a page of three that is the same just before and just after the paged listing.
        const newest = (options: Tasks.ListOptions) =>
          Stream.runCollect(tasks.list({ status: "success", sortKey: "created_at", sortDir: "desc", ...options }))
            .pipe(Effect.map((listed) => Chunk.toReadonlyArray(listed).map((t) => t.id)))
        const [before, paged, after] = yield* Effect.repeat(
          Effect.all([newest({ limit: 3 }), newest({ pageSize: 1, limit: 3 }), newest({ limit: 3 })]),
          { until: ([before, , after]) => before.join() === after.join(), times: 10 }
        )
        assert.deepStrictEqual(before, after, "no other task came first during the listing, in ten tries")
        assert.deepStrictEqual(paged, before)

        // Glance filters by the legacy task types only.
        const badType = yield* Effect.flip(Stream.runDrain(tasks.list({ type: "api_image_import" })))
        assert.strictEqual(badType._tag, "BadRequest")
        assert.include(badType.message, "Invalid type value: api_image_import")
      }))

    it.effect("demo may not use the tasks API; an unknown task is NotFound", () =>
      Effect.gen(function*() {
        const refused = yield* Effect.flip(Stream.runDrain((yield* DemoTasks).list()))
        assert.strictEqual(refused._tag, "Forbidden")
        assert.include(refused.message, "tasks_api_access")
        const missing = yield* Effect.flip((yield* Tasks.Tasks).get("00000000-0000-0000-0000-000000000000"))
        assert.strictEqual(missing._tag, "NotFound")
      }))

    it.effect("create: a legacy import task from a loopback URL is refused", () =>
      Effect.gen(function*() {
        const tasks = yield* Tasks.Tasks
        const error = yield* Effect.flip(tasks.create({
          type: "import",
          input: {
            import_from: "http://127.0.0.1:9/nothing",
            import_from_format: "raw",
            image_properties: { disk_format: "raw", container_format: "bare" }
          }
        }))
        assert.strictEqual(error._tag, "BadRequest")
        assert.include(error.message, "URI for legacy import task does not pass filtering: http://127.0.0.1:9/nothing")
      }))
  })
})
