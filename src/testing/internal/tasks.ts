/**
 * The in-memory `Tasks` service (admin only, as the lab's policy): the tasks of the imports
 * done in the world, and legacy `import` tasks, which need a network the twin does not have.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Tasks from "../../Tasks.js"
import { type Caller, fail, type World } from "./world.js"

const types: ReadonlyArray<string> = ["import", "api_image_import"]

/** Builds the `Tasks` service of a caller. */
export const makeTasks = (world: World, caller: Caller): Tasks.Service => {
  const access = (method: string, path: string) =>
    caller.admin === true
      ? Effect.void
      : fail(403, "You are not authorized to complete tasks_api_access action.", method, path)
  return {
    list: (options = {}) =>
      Stream.unwrap(Effect.map(access("GET", "/v2/tasks"), () => {
        const filters: Record<string, string> = { ...options.filters }
        if (options.status !== undefined) filters.status = options.status
        if (options.type !== undefined) filters.type = options.type
        const key = options.sortKey ?? "created_at"
        const sign = options.sortDir === "asc" ? 1 : -1
        const all = [...world.tasks.values()]
          .filter((t) => Object.entries(filters).every(([k, v]) => String(t[k]) === v))
          .map((t, i) => [t, i] as const)
          .sort(([a, i], [b, j]) => {
            const x = String(a[key] ?? "")
            const y = String(b[key] ?? "")
            return x === y ? (i - j) * sign : (x < y ? -1 : 1) * sign
          })
          .map(([t]) => t)
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
  }
}
