/**
 * The `glance` application: the root command with its global options and every subcommand.
 */
import * as Command from "@effect/cli/Command"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as CloudConfig from "../CloudConfig.js"
import { cacheTable } from "./cache.js"
import * as CommandLine from "./commandLine.js"
import { optionalArg } from "./flags.js"
import { checkImageApiVersion, glance, rootSpec, timeoutProblem, toSettings } from "./globalOptions.js"
import { imageActionTable } from "./imageActions.js"
import { imageTable } from "./images.js"
import { infoTable } from "./info.js"
import { inspectTable } from "./inspect.js"
import { memberTable } from "./members.js"
import { metadefTable } from "./metadefs.js"
import { cachedFlagSpecs, ExtraFlags, schemaCommands, splitExtraFlags } from "./schemaFlags.js"
import type { ProgramSpec } from "./spec.js"
import { make } from "./table.js"
import { taskTable } from "./tasks.js"
import { transferTable } from "./transfer.js"

/** The version `glance --version` prints. */
export const version = "0.1.0"

/** `glance help [COMMAND]` (also `glance COMMAND --help`) and `glance bash-completion`. */
const ownTable = [
  make({
    name: "bash-completion",
    help:
      "Prints arguments for bash_completion. Prints all of the commands and options to stdout so that the glance.bash_completion script doesn't have to hard code them.",
    fields: {},
    local: true,
    call: () => Effect.flatMap(Effect.promise(() => import("./bashCompletion.js")), (m) => m.printCompletion(program()))
  }),
  make({
    name: "help",
    help: "Display help about this program or one of its subcommands.",
    fields: { command: optionalArg("subcommand", "Display help for <subcommand>.") },
    local: true,
    call: (a) =>
      Effect.gen(function*() {
        const help = yield* Effect.promise(() => import("./help.js"))
        // image-create / image-update list the flags of the cloud's image schema too, when it is cached.
        const settings = yield* glance.pipe(
          Effect.flatMap(toSettings),
          Effect.flatMap(CloudConfig.resolve),
          Effect.option
        )
        yield* help.printHelp(
          program(),
          a.command,
          (spec) =>
            Option.match(settings, { onNone: () => [], onSome: (s) => cachedFlagSpecs(spec.name, spec.options, s) })
        )
      })
  })
] as const

/** Every command: one entry each (table.ts), in the order of @effect/cli's command tree. */
export const table = [
  ...imageTable,
  ...imageActionTable,
  ...inspectTable,
  ...memberTable,
  ...infoTable,
  ...taskTable,
  ...transferTable,
  ...cacheTable,
  ...metadefTable,
  ...ownTable
]

/** The whole command tree, made from the table. */
export const command = glance.pipe(
  Command.withDescription(rootSpec.description),
  Command.withSubcommands([table[0].command, ...table.slice(1).map((e) => e.command)])
)

let programCache: ProgramSpec | undefined

/** What help, docs/cli.md, completions and the command-line check read: the table. */
export const program = (): ProgramSpec => {
  programCache ??= { root: rootSpec, commands: table.map((e) => e.spec) }
  return programCache
}

/** @effect/cli's own options, passed through as given (`--completions bash`, `--log-level`, `--wizard`). */
const builtIns: ReadonlyArray<CommandLine.GlobalOption> = [
  { names: ["--completions"], canonical: "--completions", takesValue: true, secret: false, exactOnly: true },
  { names: ["--log-level"], canonical: "--log-level", takesValue: true, secret: false, exactOnly: true },
  { names: ["--wizard"], canonical: "--wizard", takesValue: false, secret: false, exactOnly: true }
]

/** python-glanceclient's hidden spellings (`--os_region_name`), each the option of the same dashed name. */
const underscored = [
  "--os_tenant_id",
  "--os_tenant_name",
  "--os_region_name",
  "--os_auth_token",
  "--os_service_type",
  "--os_endpoint_type",
  "--os_image_url",
  "--os_image_api_version"
]

let grammarCache: CommandLine.Grammar | undefined

/** What the command-line parser knows: the global options (from their definitions), the commands and their options. */
export const grammar = (): CommandLine.Grammar => {
  if (grammarCache !== undefined) return grammarCache
  const options: Array<CommandLine.GlobalOption> = rootSpec.options.map((o) => ({
    names: o.names,
    canonical: o.long,
    takesValue: o.metavar !== undefined,
    secret: o.type === "secret",
    check: o.long === "--timeout" ? timeoutProblem : undefined
  }))
  const hidden = underscored.flatMap((name) => {
    const option = options.find((o) => o.names.includes(name.replace(/_/g, "-")))
    return option === undefined ? [] : [{ ...option, names: [name] }]
  })
  const help = { names: ["-h", "--help"], canonical: "--help", takesValue: false, secret: false }
  const versionOption = { names: ["--version"], canonical: "--version", takesValue: false, secret: false }
  // argparse lists the choices of a bad command as python-glanceclient registers them: its own, sorted, then these.
  const own = ["bash-completion", "help"]
  const names = table.map((e) => e.spec.name).filter((n) => !own.includes(n)).sort()
  grammarCache = {
    globals: [help, versionOption, ...options, ...hidden, ...builtIns],
    commands: [...names, ...own, "bash_completion"],
    optionsOf: (name) => {
      const spec = program().commands.find((c) => c.name === (name === "bash_completion" ? "bash-completion" : name))
      const all = spec?.options ?? []
      return {
        names: new Set(all.flatMap((o) => o.names)),
        withValue: new Set(all.filter((o) => o.metavar !== undefined).flatMap((o) => o.names))
      }
    }
  }
  return grammarCache
}

/** Global flags that take no value (every other global option takes one). */
const globalFlags = (): ReadonlySet<string> =>
  new Set(grammar().globals.filter((o) => !o.takesValue).flatMap((o) => o.names))

const isHelp = (a: string) => a === "-h" || a === "--help"

/** Where the command name is in the arguments (after the global options), or -1. */
export const commandIndex = (args: ReadonlyArray<string>): number => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (!a.startsWith("-") || a === "-") return i
    if (!a.includes("=") && !globalFlags().has(a)) i++
  }
  return -1
}

/** python-glanceclient spellings that @effect/cli does not parse as such, rewritten before parsing. */
export const normalizeArgs = (args: ReadonlyArray<string>): Array<string> => {
  const out = [...args]
  const at = commandIndex(out)
  // `glance --help [COMMAND]` is `glance help`, as argparse.
  if (out.slice(0, at === -1 ? out.length : at).some(isHelp)) {
    return [...out.slice(0, at === -1 ? out.length : at).filter((a) => !isHelp(a)), "help"]
  }
  // No command at all: the help, as argparse (unless a built-in such as --version or --completions is asked for).
  if (at === -1) {
    return out.some((a) => ["--version", "--completions", "--wizard"].includes(a.split("=")[0]!))
      ? out
      : [...out, "help"]
  }
  if (out[at] === "bash_completion") out[at] = "bash-completion"
  // `glance COMMAND ... --help` is `glance help COMMAND`, as argparse prints the help whatever else is given.
  if (out.slice(at + 1).some(isHelp)) return [...out.slice(0, at), "help", out[at]!]
  return out
}

const cli = Command.run(command, { name: "glance", version })

/**
 * Runs the CLI on arguments (without the node and script paths): the command line is parsed as
 * python-glanceclient's argparse parses it (see commandLine.ts), then by @effect/cli.
 */
export const run = (args: ReadonlyArray<string>) =>
  Effect.flatMap(Effect.suspend(() => CommandLine.parse(args, grammar())), (parsed) => {
    if (parsed._tag === "Version") return Console.log(version)
    // python-glanceclient checks the Image API version after its first pass, before any help.
    const apiVersion = parsed.globals.get("--os-image-api-version")
    return Config.option(Config.string("OS_IMAGE_API_VERSION")).pipe(
      Effect.orElseSucceed(() => Option.none<string>()),
      Effect.flatMap((env) =>
        checkImageApiVersion(typeof apiVersion === "string" ? apiVersion : Option.getOrUndefined(env))
      ),
      Effect.zipRight(Effect.suspend(() => runLine(parsed.args)))
    )
  })

/** The line after the global options: the command's own arguments checked by its table entry, then parsed by @effect/cli. */
const runLine = (args: ReadonlyArray<string>) => {
  const normalized = normalizeArgs(args)
  const at = commandIndex(normalized)
  const spec = at === -1 ? undefined : program().commands.find((c) => c.name === normalized[at])
  if (spec === undefined) return cli(["node", "glance", ...normalized])
  // image-create / image-update: the flags from the cloud's image schema are taken out here and typed by it later.
  const schema = (schemaCommands as ReadonlyArray<string>).includes(spec.name)
  const known = new Set(spec.options.flatMap((o) => o.names))
  const withValue = new Set(spec.options.filter((o) => o.metavar !== undefined).flatMap((o) => o.names))
  const { args: line, extras } = schema
    ? splitExtraFlags(normalized, at, known, withValue)
    : { args: normalized, extras: [] }
  const globals = grammar().globals.flatMap((o) => o.names)
  return Either.match(CommandLine.checkCommand(spec, line.slice(at + 1), globals), {
    onLeft: (mistake) => Effect.fail(mistake),
    onRight: (words) =>
      cli(["node", "glance", ...line.slice(0, at + 1), ...words]).pipe(
        Effect.provideService(ExtraFlags, { flags: extras, known })
      )
  })
}
