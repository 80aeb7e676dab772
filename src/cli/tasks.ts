/**
 * The `task-*` commands, with python-glanceclient's names, flags and tables.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Tasks from "../Tasks.js"
import { CommandError, UsageError } from "./errors.js"
import { withClient } from "./globalOptions.js"
import { optionalInt, optionalText } from "./images.js"
import { formatOptions, opt, printList, printObject } from "./output.js"

/** A task without its `self` and `schema` links, as python-glanceclient prints it. */
const taskRecord = (task: Tasks.Task): Record<string, unknown> =>
  Object.fromEntries(Object.entries(task).filter(([k]) => k !== "self" && k !== "schema"))

/** `task-list`. */
export const taskList = Command.make("task-list", {
  sortKey: Options.choice("sort-key", ["id", "type", "status"]).pipe(
    Options.withDescription("Sort task list by specified field."),
    Options.withDefault("status" as const)
  ),
  sortDir: Options.choice("sort-dir", ["asc", "desc"]).pipe(
    Options.withDescription("Sort task list in specified direction."),
    Options.withDefault("desc" as const)
  ),
  pageSize: optionalInt("page-size", "Number of tasks to request in each paginated request."),
  type: optionalText("type", "Filter tasks to those that have this type."),
  status: optionalText("status", "Filter tasks to those that have this status."),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const pageSize = opt(a.pageSize)
    if (pageSize !== undefined && pageSize < 1) {
      return yield* new UsageError({ message: `--page-size must be 1 or more, not ${pageSize}` })
    }
    const tasks = yield* Tasks.Tasks
    const rows = tasks.list({
      type: opt(a.type),
      status: opt(a.status),
      sortKey: a.sortKey,
      sortDir: a.sortDir,
      pageSize
    })
    yield* printList(rows, [
      { header: "ID", get: (t) => t.id },
      { header: "Type", get: (t) => t.type },
      { header: "Status", get: (t) => t.status },
      { header: "Owner", get: (t) => t.owner }
    ], a)
  }))).pipe(Command.withDescription("List tasks you can access."))

/** `task-show TASK_ID`. */
export const taskShow = Command.make("task-show", {
  id: Args.text({ name: "TASK_ID" }).pipe(Args.withDescription("ID of task to describe.")),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const tasks = yield* Tasks.Tasks
    yield* printObject(taskRecord(yield* tasks.get(a.id)), a)
  }))).pipe(Command.withDescription("Describe a specific task."))

/** `task-create --type TYPE --input JSON`. */
export const taskCreate = Command.make("task-create", {
  type: optionalText(
    "type",
    "Type of Task. Please refer to Glance schema or documentation to see which tasks are supported."
  ),
  input: Options.text("input").pipe(
    Options.withPseudoName("<STRING>"),
    Options.withDescription("Parameters of the task to be launched"),
    Options.withDefault("{}")
  ),
  ...formatOptions
}, (a) =>
  withClient(Effect.gen(function*() {
    const type = opt(a.type)
    if (type === undefined || type === "" || a.input === "") {
      return yield* new CommandError({ message: "Unable to create task. Specify task type and input." })
    }
    let input: unknown
    try {
      input = JSON.parse(a.input)
    } catch {
      return yield* new CommandError({
        message: "Failed to parse the \"input\" parameter. Must be a valid JSON object."
      })
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return yield* new CommandError({
        message: "Failed to parse the \"input\" parameter. Must be a valid JSON object."
      })
    }
    const tasks = yield* Tasks.Tasks
    const task = yield* tasks.create({ type, input: input as Record<string, unknown> })
    yield* printObject(taskRecord(task), a)
  }))).pipe(Command.withDescription("Create a new task."))

/** All task commands. */
export const taskCommands = [taskList, taskShow, taskCreate] as const
