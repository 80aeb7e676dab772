/**
 * Tasks of the Image API v2: the asynchronous operations (imports, legacy `import` tasks)
 * Glance records, listed page by page, shown and created.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { GlanceHttp, type GlanceHttpError } from "./GlanceHttp.js"
import { openLiterals } from "./internal/literals.js"

/**
 * The status of a task: `pending`, `processing`, `success`, `failure`; any other string a newer
 * cloud sends.
 *
 * @since 0.1.0
 * @category models
 */
export type TaskStatus =
  | "pending"
  | "processing"
  | "success"
  | "failure"
  | (string & {})

/**
 * The schema of `TaskStatus`: decodes any string.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TaskStatus: Schema.Schema<TaskStatus> = openLiterals("pending", "processing", "success", "failure")

/**
 * A task as Glance returns it: the documented fields typed, any other kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Task = Schema.Struct(
  {
    id: Schema.String,
    type: Schema.String,
    status: TaskStatus,
    owner: Schema.optional(Schema.NullOr(Schema.String)),
    input: Schema.optional(Schema.NullOr(Schema.Unknown)),
    result: Schema.optional(Schema.NullOr(Schema.Unknown)),
    message: Schema.optional(Schema.NullOr(Schema.String)),
    expires_at: Schema.optional(Schema.NullOr(Schema.String)),
    created_at: Schema.optional(Schema.String),
    updated_at: Schema.optional(Schema.String),
    image_id: Schema.optional(Schema.NullOr(Schema.String)),
    request_id: Schema.optional(Schema.NullOr(Schema.String)),
    user_id: Schema.optional(Schema.NullOr(Schema.String))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * A task as Glance returns it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Task extends Schema.Schema.Type<typeof Task> {}

/**
 * One page of `GET /v2/tasks`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TaskPage = Schema.Struct({
  tasks: Schema.Array(Task),
  next: Schema.optional(Schema.String)
})

/**
 * How to list tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListOptions {
  /** Only tasks in this status. */
  readonly status?: TaskStatus | undefined
  /** Only tasks of this type (`import`, `api_image_import`, …). */
  readonly type?: string | undefined
  /** Any other filter Glance accepts, sent as a query parameter. */
  readonly filters?: Readonly<Record<string, string>> | undefined
  /** The field to sort by (`created_at` by default on the server). */
  readonly sortKey?: string | undefined
  /** The sort direction. */
  readonly sortDir?: "asc" | "desc" | undefined
  /** Tasks per request (default 20). */
  readonly pageSize?: number | undefined
  /** The most tasks to return in all. */
  readonly limit?: number | undefined
}

/**
 * A new task.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateFields {
  /** The task type, `import` for the legacy import task. */
  readonly type: string
  /** The task's input, e.g. `{ import_from, import_from_format, image_properties }`. */
  readonly input: Readonly<Record<string, unknown>>
}

/**
 * The tasks operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** All tasks matching the options, page by page as the stream is read. */
  readonly list: (options?: ListOptions) => Stream.Stream<Task, GlanceHttpError>
  /** One task. */
  readonly get: (id: string) => Effect.Effect<Task, GlanceHttpError>
  /** Creates a task. */
  readonly create: (fields: CreateFields) => Effect.Effect<Task, GlanceHttpError>
}

/**
 * The tasks operations of the Image API.
 *
 * @since 0.1.0
 * @category tags
 */
export class Tasks extends Context.Tag("glanceclient/Tasks")<Tasks, Service>() {}

/** The query parameters of a list request. */
const listParams = (options: ListOptions): Array<[string, string]> => {
  const params: Array<[string, string]> = [[
    "limit",
    String(Math.min(options.pageSize ?? 20, options.limit ?? Infinity))
  ]]
  if (options.status !== undefined) params.push(["status", options.status])
  if (options.type !== undefined) params.push(["type", options.type])
  for (const [key, value] of Object.entries(options.filters ?? {})) params.push([key, value])
  if (options.sortKey !== undefined) params.push(["sort_key", options.sortKey])
  if (options.sortDir !== undefined) params.push(["sort_dir", options.sortDir])
  return params
}

/**
 * Builds the tasks operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, GlanceHttp> = Effect.gen(function*() {
  const http = yield* GlanceHttp

  const list = (options: ListOptions = {}): Stream.Stream<Task, GlanceHttpError> => {
    const first = HttpClientRequest.get("/v2/tasks").pipe(HttpClientRequest.setUrlParams(listParams(options)))
    const tasks = http.paginate(first, TaskPage, (page) => page.tasks)
    return (options.limit === undefined ? tasks : Stream.take(tasks, options.limit)).pipe(Stream.withSpan("Tasks.list"))
  }

  const get = Effect.fn("Tasks.get")(function*(id: string) {
    return yield* http.json(HttpClientRequest.get(`/v2/tasks/${encodeURIComponent(id)}`), Task)
  })

  const create = Effect.fn("Tasks.create")(function*(fields: CreateFields) {
    return yield* http.json(
      HttpClientRequest.post("/v2/tasks").pipe(HttpClientRequest.bodyUnsafeJson(fields)),
      Task
    )
  })

  return Tasks.of({ list, get, create })
})

/**
 * The tasks operations on `GlanceHttp`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Tasks, never, GlanceHttp> = Layer.effect(Tasks, make)
