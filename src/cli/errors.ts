/**
 * How `glance` reports a failure: one line on stderr, no stack trace, no secret, the server's
 * words with their line breaks flattened and control characters escaped (`safeText.ts`); exit 2
 * for a usage mistake, 1 for everything else.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Schema from "effect/Schema"
import * as GlanceError from "../GlanceError.js"
import { tlsHints, type TlsNeed } from "../internal/http.js"
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

/** A setting the library found missing (`ConfigError.setting`), in the command's words: its flag and variable. */
const missingOption: Record<string, string> = {
  authUrl: "You must provide an auth url via either --os-auth-url or env[OS_AUTH_URL], or a cloud via --os-cloud",
  username: "You must provide a username or user id via either --os-username or env[OS_USERNAME]",
  password: "You must provide a password via either --os-password or env[OS_PASSWORD]",
  token: "You must provide a token via either --os-auth-token or env[OS_AUTH_TOKEN]",
  applicationCredentialId:
    "You must provide an application credential id via either --os-application-credential-id or env[OS_APPLICATION_CREDENTIAL_ID]",
  applicationCredentialSecret:
    "You must provide an application credential secret via either --os-application-credential-secret or env[OS_APPLICATION_CREDENTIAL_SECRET]"
}

/** The fix of a TLS handshake, in the command's words: its flags where the library names its TLS options. */
const tlsFlags: Record<TlsNeed, string> = {
  ca: "use --os-cacert",
  "client-certificate": "use --os-cert and --os-key"
}

/**
 * A message with the library's TLS fixes (`TransportError.tls`, named by the TLS options of the HTTP
 * client) named by the command's flags, also where another error quotes a transport failure
 * (`ImageNotCreated`).
 */
export const inFlagWords = (message: string): string =>
  (Object.keys(tlsFlags) as Array<TlsNeed>).reduce(
    (text, need) => text.replaceAll(`(${tlsHints[need]})`, `(${tlsFlags[need]})`),
    message
  )

/** The one line printed for a failure (flattened and escaped by `safeText.oneLine`), and the exit code. */
export const describe = (error: unknown): { readonly line: string; readonly exitCode: number } => {
  const { exitCode, line } = wordsFor(error)
  return { exitCode, line: oneLine(inFlagWords(line)) }
}

const wordsFor = (error: unknown): { readonly line: string; readonly exitCode: number } => {
  if (ValidationError.isValidationError(error)) {
    // HelpDoc's own colours, not the server's: removed, not escaped.
    const text = "error" in error ? HelpDoc.toAnsiText(error.error).replace(/\x1b\[[0-9;]*m/g, "") : String(error)
    return { line: text, exitCode: 2 }
  }
  const e = error as { _tag?: string; message?: string }
  if (e._tag === "UsageError") return { line: e.message ?? "usage error", exitCode: 2 }
  // Each failure was printed already; an empty message adds no line.
  if (e._tag === "PartialFailure") return { line: e.message ?? "", exitCode: 1 }
  if (GlanceError.isGlanceError(error)) {
    const missing = error._tag === "ConfigError" && error.setting !== undefined
      ? missingOption[error.setting]
      : undefined
    if (missing !== undefined) return { line: missing, exitCode: 1 }
    if (error._tag === "Unauthorized" || (error._tag === "AuthenticationError" && error.status === 401)) {
      return { line: "Invalid OpenStack Identity credentials.", exitCode: 1 }
    }
    if (GlanceError.isResponseError(error)) {
      const rid = error.requestId ? ` (request-id: ${error.requestId})` : ""
      return {
        line: `HTTP ${error.status} ${statusText[error.status] ?? ""}: ${condenseSchemaFailure(error.message)}${rid}`
          .replace(/ +:/, ":"),
        exitCode: 1
      }
    }
  }
  if (typeof e.message === "string" && e.message.length > 0) return { line: e.message, exitCode: 1 }
  return { line: `Unexpected error: ${String(error)}`, exitCode: 1 }
}

/** A failure the command words itself, as python-glanceclient's `utils.exit(message)` (exit 1). */
export class CommandError extends Schema.TaggedError<CommandError>()("CommandError", { message: Schema.String }) {}
