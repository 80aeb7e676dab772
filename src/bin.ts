/**
 * The `glance` executable: picks the Node platform layers and runs the CLI, turning every
 * failure into one line on stderr and an exit code.
 */
import "./cli/heap.js"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import { secretsOf } from "./cli/commandLine.js"
import { describe, UsageError } from "./cli/errors.js"
import { PlatformHttp, PlatformTokenCache } from "./cli/globalOptions.js"
import { grammar, run } from "./cli/main.js"
import { escapeControls, oneLine } from "./cli/safeText.js"
import { ConfigError, type Settings } from "./CloudConfig.js"
import * as NodeGlanceHttp from "./node/httpClient.js"
import * as NodeTokenCache from "./node/tokenCache.js"

const readPem = (path: string | undefined, what: string) =>
  path === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (e) =>
      new ConfigError({ message: `Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
  })

/** The CLI's HTTP client for the settings' TLS options (see src/node/httpClient.ts). */
const httpFor = (settings: Settings) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const ca = yield* readPem(settings.cacert, "CA bundle (--os-cacert)")
    const cert = yield* readPem(settings.cert, "client certificate (--os-cert)")
    const key = yield* readPem(settings.key, "client key (--os-key)")
    return NodeGlanceHttp.layer({ rejectUnauthorized: settings.insecure !== true, ca, cert, key })
  }))

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "")

const args = process.argv.slice(2)

/**
 * The secrets given on the command line (however the flag is spelled) or in the environment,
 * hidden from any line printed.
 */
const secrets = [
  ...secretsOf(args, grammar()),
  ...["OS_PASSWORD", "OS_AUTH_TOKEN", "OS_TOKEN", "OS_APPLICATION_CREDENTIAL_SECRET"].map((v) => process.env[v] ?? "")
].filter((s) => s.length >= 4).flatMap((s) => [s, escapeControls(s)])

/**
 * A line with every known secret replaced by `***`. `--debug`'s lines hide secrets themselves
 * and are left whole (a short password such as "admin" would otherwise blank a project name).
 */
const scrub = (line: string): string =>
  /^(REQ|RESP): /.test(line) ? line : secrets.reduce((l, secret) => l.split(secret).join("***"), line)

/**
 * The console, with each error output (a command's per-item failures, `--debug` lines, @effect/cli's
 * message should it refuse a line the table passed) folded into one line, control characters escaped.
 */
const oneLineErrors: Effect.Effect<Console.Console> = Effect.map(Effect.console, (base) => ({
  ...base,
  error: (...parts: ReadonlyArray<unknown>) => base.error(scrub(oneLine(stripAnsi(parts.map(String).join(" ")))))
}))

/** Prints the failure's line: always one line, escaped, without secrets, whatever produced it. */
const printFailure = (line: string) => process.stderr.write(`${oneLine(scrub(line))}\n`)

/**
 * An argument that was not valid UTF-8: Node has turned its bytes into U+FFFD, so running on
 * would send a value nobody typed. The value is not echoed (it may be a password).
 */
const notUtf8 = args.findIndex((a) => a.includes("\uFFFD"))

const main = notUtf8 !== -1
  ? Effect.fail(
    new UsageError({
      message: args[notUtf8]!.startsWith("--") && args[notUtf8]!.includes("=")
        ? `The value of ${args[notUtf8]!.split("=")[0]} is not valid UTF-8`
        : args[notUtf8 - 1]?.startsWith("-") && !args[notUtf8]!.startsWith("-")
        ? `The value of ${args[notUtf8 - 1]} is not valid UTF-8`
        : `Argument ${notUtf8 + 1} is not valid UTF-8`
    })
  )
  : Effect.flatMap(oneLineErrors, (console) =>
    run(args).pipe(
      Effect.withConsole(console),
      Effect.provide(
        Layer.mergeAll(
          NodeContext.layer,
          Layer.succeed(PlatformHttp, httpFor),
          Layer.succeed(PlatformTokenCache, NodeTokenCache.layer())
        )
      )
    ))

/**
 * Resolves once everything written to the stream so far has been handed to the system. Writes to a
 * pipe are asynchronous in Node: a reader slower than glance (`glance image-list | less`) still has
 * output queued here when the command's work is done. A reader that went away (EPIPE) counts as
 * flushed.
 */
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    if (stream.writableLength === 0 || stream.destroyed) return resolve()
    stream.write("", () => resolve())
  })

Effect.runPromiseExit(main).then((exit) => {
  report(exit)
  // Nothing may keep a finished command alive (an idle keep-alive socket, say), but what it printed
  // reaches its reader first: exiting with output still queued would cut a listing short, exit 0.
  void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() =>
    setTimeout(() => process.exit(), 250).unref()
  )
})

/** Sets the exit status for the command's outcome and prints its one line when it failed. */
function report(exit: Exit.Exit<unknown, unknown>): void {
  if (Exit.isSuccess(exit)) {
    process.exitCode = 0
    return
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const { exitCode, line } = describe(failure.value)
    // @effect/cli has printed its own message for a line it refused already.
    if (line.length > 0 && !ValidationError.isValidationError(failure.value)) printFailure(line)
    process.exitCode = exitCode
  } else if (Cause.isInterruptedOnly(exit.cause)) {
    process.stderr.write("... terminating glance client\n")
    process.exitCode = 130
  } else {
    const defect = Cause.squash(exit.cause)
    printFailure(`Unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`)
    process.exitCode = 1
  }
}
