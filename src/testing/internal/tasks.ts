/**
 * The in-memory `Tasks` service (admin only, as the lab's policy): the tasks of the imports
 * done in the world, and legacy `import` tasks, which need a network the twin does not have.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Tasks from "../../Tasks.js"
import { traced } from "./spans.js"
import { type Caller, fail, type World } from "./world.js"

const types: ReadonlyArray<string> = ["import", "api_image_import"]
const statuses: ReadonlyArray<string> = ["pending", "processing", "success", "failure"]
const sortKeys: ReadonlyArray<string> = ["created_at", "updated_at", "id", "type", "status", "owner", "expires_at"]

/** Builds the `Tasks` service of a caller. */
export const makeTasks = (world: World, caller: Caller): Tasks.Service => {
  const access = (method: string, path: string) =>
    caller.admin === true
      ? Effect.void
      : fail(403, "You are not authorized to complete tasks_api_access action.", method, path)
  return traced<Tasks.Service>("Tasks", {
    list: (options = {}) =>
      Stream.unwrap(Effect.gen(function*() {
        yield* access("GET", "/v2/tasks")
        const filters: Record<string, string> = { ...options.filters }
        if (options.status !== undefined) filters.status = options.status
        if (options.type !== undefined) filters.type = options.type
        // Glance checks the filters it knows: only legacy `import` tasks can be asked for by type.
        if (filters.status !== undefined && !statuses.includes(filters.status)) {
          return yield* fail(400, `Invalid status value: ${filters.status}`, "GET", "/v2/tasks")
        }
        if (filters.type !== undefined && filters.type !== "import") {
          return yield* fail(400, `Invalid type value: ${filters.type}`, "GET", "/v2/tasks")
        }
        const key = options.sortKey ?? "created_at"
        if (!sortKeys.includes(key)) return yield* fail(400, "Sort key supplied was not valid.", "GET", "/v2/tasks")
        const sign = options.sortDir === "asc" ? 1 : -1
        const all = [...world.tasks.values()]
          .filter((t) => Object.entries(filters).every(([k, v]) => String(t[k]) === v))
          .map((t, i) => [t, i] as const)
          .sort(([a, i], [b, j]) => {
            const x = String(a[key] ?? "")
            const y = String(b[key] ?? "")
            return x === y ? (i - j) * sign : (x < y ? -1 : 1) * sign
          })
          // A listed task is a summary, as Glance lists it: no input, result, message or image.
          .map(([{ image_id: _i, input: _in, message: _m, request_id: _r, result: _re, user_id: _u, ...summary }]) =>
            summary as Tasks.Task
          )
        return Stream.fromIterable(options.limit === undefined ? all : all.slice(0, options.limit))
      })),
    get: (id) =>
      Effect.zipRight(
        access("GET", `/v2/tasks/${id}`),
        Effect.suspend(() => {
          const task = world.tasks.get(id)
          return task === undefined
            ? fail(404, `Could not find task ${id}`, "GET", `/v2/tasks/${id}`)
            : Effect.succeed(task)
        })
      ),
    create: (fields) =>
      Effect.zipRight(
        access("POST", "/v2/tasks"),
        Effect.suspend(() => {
          if (!types.includes(fields.type)) {
            return fail(
              400,
              `Provided object does not match schema 'task': '${fields.type}' is not one of ['import', 'api_image_import']`,
              "POST",
              "/v2/tasks"
            )
          }
          const from = fields.input.import_from
          return fail(
            400,
            from === undefined
              ? "Invalid location: None"
              : `URI for legacy import task does not pass filtering: ${String(from)}`,
            "POST",
            "/v2/tasks"
          )
        })
      )
  })
}
