/**
 * How `glance` reports a failure: one line on stderr, no stack trace, no secret, the server's
 * words with their line breaks flattened and control characters escaped (`safeText.ts`); exit 2
 * for a usage mistake, 1 for everything else.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Schema from "effect/Schema"
import { oneLine } from "./safeText.js"

/** A command-line mistake found by the command itself (exit 2, like a parse error). */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

/** A local file could not be read or written (exit 1). */
export class LocalFileError
  extends Schema.TaggedError<LocalFileError>()("LocalFileError", { message: Schema.String })
{}

/** Some of several operations failed; each was reported already (exit 1). */
export class PartialFailure
  extends Schema.TaggedError<PartialFailure>()("PartialFailure", { message: Schema.String })
{}

const statusText: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

const schemaFailure = /^Provided object does not match schema '[^']*': (.*?) Failed validating '\w+' in schema/s

/**
 * Glance's jsonschema failure ("Provided object does not match schema 'image': 'x' is not one
 * of […] Failed validating 'enum' in schema[…]: {the whole schema} On instance[…]: 'x'") as
 * one sentence that names the field and, for an enum, the values the cloud allows.
 */
export const condenseSchemaFailure = (message: string): string => {
  const m = schemaFailure.exec(message)
  if (!m) return message
  const at = /On instance((?:\[[^\]]*\])*):/.exec(message)?.[1] ?? ""
  const field = [...at.matchAll(/\['?([^'\]]*)'?\]/g)].map((p) => p[1]).join(".")
  const reason = m[1]!
  const oneOf = /^(.*) is not one of \[(.*)\]$/s.exec(reason)
  const subject = field.length > 0 ? `Invalid ${field}` : "Invalid request"
  if (!oneOf) return `${subject}: ${reason}`
  const allowed = oneOf[2]!.split(",").map((v) => v.trim().replace(/^'|'$/g, "")).filter((v) => v !== "None")
  return `${subject} ${oneOf[1]}: the cloud allows ${allowed.join(", ")}`
}

/** The one line printed for a failure (flattened and escaped by `safeText.oneLine`), and the exit code. */
export const describe = (error: unknown): { readonly line: string; readonly exitCode: number } => {
  const { exitCode, line } = wordsFor(error)
  return { exitCode, line: oneLine(line) }
}

const wordsFor = (error: unknown): { readonly line: string; readonly exitCode: number } => {
  if (ValidationError.isValidationError(error)) {
    // HelpDoc's own colours, not the server's: removed, not escaped.
    const text = "error" in error ? HelpDoc.toAnsiText(error.error).replace(/\x1b\[[0-9;]*m/g, "") : String(error)
    return { line: text, exitCode: 2 }
  }
  const e = error as { _tag?: string; message?: string; status?: number; requestId?: string }
  if (e._tag === "UsageError") return { line: e.message ?? "usage error", exitCode: 2 }
  // Each failure was printed already; an empty message adds no line.
  if (e._tag === "PartialFailure") return { line: e.message ?? "", exitCode: 1 }
  if (e._tag === "Unauthorized" || (e._tag === "AuthenticationError" && e.status === 401)) {
    return { line: "Invalid OpenStack Identity credentials.", exitCode: 1 }
  }
  if (typeof e.status === "number" && e._tag !== "AuthenticationError") {
    const rid = e.requestId ? ` (request-id: ${e.requestId})` : ""
    return {
      line: `HTTP ${e.status} ${statusText[e.status] ?? ""}: ${condenseSchemaFailure(e.message ?? "")}${rid}`.replace(
        / +:/,
        ":"
      ),
      exitCode: 1
    }
  }
  if (typeof e.message === "string" && e.message.length > 0) return { line: e.message, exitCode: 1 }
  return { line: `Unexpected error: ${String(error)}`, exitCode: 1 }
}

/** A failure the command words itself, as python-glanceclient's `utils.exit(message)` (exit 1). */
export class CommandError extends Schema.TaggedError<CommandError>()("CommandError", { message: Schema.String }) {}
