/**
 * The `task-*` commands, with python-glanceclient's names, flags and tables.
 */
import * as Effect from "effect/Effect"
import * as Tasks from "../Tasks.js"
import { CommandError, UsageError } from "./errors.js"
import { arg, choice, integer, text, withDefault } from "./flags.js"
import { make, show } from "./table.js"

/** A task without its `self` and `schema` links, as python-glanceclient prints it. */
const taskRecord = (task: Tasks.Task): Record<string, unknown> =>
  Object.fromEntries(Object.entries(task).filter(([k]) => k !== "self" && k !== "schema"))

/** The `input` of task-create: a JSON object, or python-glanceclient's message. */
const taskInput = (text: string) =>
  Effect.try({
    try: () => {
      const input: unknown = JSON.parse(text)
      if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error("not an object")
      return input as Record<string, unknown>
    },
    catch: () => new CommandError({ message: "Failed to parse the \"input\" parameter. Must be a valid JSON object." })
  })

const tasks = Tasks.Tasks

/** The task commands. */
export const taskTable = [
  make({
    name: "task-list",
    help: "List tasks you can access.",
    fields: {
      sortKey: withDefault(
        choice("sort-key", ["id", "type", "status"], "Sort task list by specified field."),
        "status"
      ),
      sortDir: withDefault(choice("sort-dir", ["asc", "desc"], "Sort task list in specified direction."), "desc"),
      pageSize: integer("page-size", "Number of tasks to request in each paginated request."),
      type: text("type", "Filter tasks to those that have this type."),
      status: text("status", "Filter tasks to those that have this status.")
    },
    call: (a) =>
      a.pageSize !== undefined && a.pageSize < 1
        ? Effect.fail(new UsageError({ message: `--page-size must be 1 or more, not ${a.pageSize}` }))
        : Effect.map(tasks, (t) =>
          t.list({ type: a.type, status: a.status, sortKey: a.sortKey, sortDir: a.sortDir, pageSize: a.pageSize })),
    output: [
      { header: "ID", get: (t) => t.id },
      { header: "Type", get: (t) => t.type },
      { header: "Status", get: (t) => t.status },
      { header: "Owner", get: (t) => t.owner }
    ]
  }),
  make({
    name: "task-show",
    help: "Describe a specific task.",
    fields: { id: arg("TASK_ID", "ID of task to describe.") },
    call: (a) => Effect.flatMap(tasks, (t) => t.get(a.id)),
    output: show(taskRecord)
  }),
  make({
    name: "task-create",
    help: "Create a new task.",
    fields: {
      type: text(
        "type",
        "Type of Task. Please refer to Glance schema or documentation to see which tasks are supported."
      ),
      input: withDefault(text("input", "Parameters of the task to be launched", "<STRING>"), "{}")
    },
    call: (a) =>
      Effect.gen(function*() {
        if (a.type === undefined || a.type === "" || a.input === "") {
          return yield* new CommandError({ message: "Unable to create task. Specify task type and input." })
        }
        const input = yield* taskInput(a.input)
        return yield* (yield* tasks).create({ type: a.type, input })
      }),
    output: show(taskRecord)
  })
] as const
