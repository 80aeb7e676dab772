/**
 * The `glance` executable: picks the Node platform layers and runs the CLI, turning every
 * failure into one line on stderr and an exit code.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import { describe } from "./cli/errors.js"
import { PlatformHttp } from "./cli/globalOptions.js"
import { run } from "./cli/main.js"
import { ConfigError, type Settings } from "./CloudConfig.js"

const readPem = (path: string | undefined, what: string) => {
  if (path === undefined) return undefined
  try {
    return Fs.readFileSync(path)
  } catch (e) {
    throw new ConfigError({ message: `Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}` })
  }
}

const httpFor = (settings: Settings) =>
  Layer.suspend(() => {
    try {
      const ca = readPem(settings.cacert, "CA bundle (--os-cacert)")
      const cert = readPem(settings.cert, "client certificate (--os-cert)")
      const key = readPem(settings.key, "client key (--os-key)")
      return NodeHttpClient.layerWithoutAgent.pipe(
        Layer.provide(NodeHttpClient.makeAgentLayer({
          keepAlive: true,
          rejectUnauthorized: settings.insecure !== true,
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {})
        }))
      )
    } catch (e) {
      return Layer.fail(e as ConfigError)
    }
  })

const main = run(process.argv.slice(2)).pipe(
  Effect.provide(Layer.mergeAll(NodeContext.layer, Layer.succeed(PlatformHttp, httpFor)))
)

Effect.runPromiseExit(main).then((exit) => {
  if (Exit.isSuccess(exit)) {
    process.exitCode = 0
    return
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const { exitCode, line } = describe(failure.value)
    // @effect/cli has printed its own message for a parse error already.
    if ((failure.value as { _tag?: string })._tag === undefined || exitCode !== 2 || !isCliError(failure.value)) {
      process.stderr.write(`${line}\n`)
    }
    process.exitCode = exitCode
  } else if (Cause.isInterruptedOnly(exit.cause)) {
    process.stderr.write("... terminating glance client\n")
    process.exitCode = 130
  } else {
    const defect = Cause.squash(exit.cause)
    process.stderr.write(`Unexpected error: ${defect instanceof Error ? defect.message : String(defect)}\n`)
    process.exitCode = 1
  }
})

function isCliError(e: unknown): boolean {
  const tag = (e as { _tag?: string })._tag
  return tag !== undefined && tag !== "UsageError" && tag !== "ConfigError" && /^[A-Z][a-zA-Z]+$/.test(tag) &&
    [
      "CommandMismatch",
      "CorrectedFlag",
      "HelpRequested",
      "InvalidArgument",
      "InvalidValue",
      "MissingValue",
      "MissingFlag",
      "MultipleValuesDetected",
      "MissingSubcommand",
      "NoBuiltInMatch",
      "UnclusteredFlag"
    ].includes(tag)
}
