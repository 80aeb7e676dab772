/**
 * The command line split as python-glanceclient's argparse splits it, before @effect/cli sees
 * it: the global options, the command, and the command's own arguments.
 *
 * python-glanceclient parses twice. A first pass over the whole line knows only the global
 * options: `--version` prints the version wherever it is, `-h`/`--help` anywhere asks for the
 * help, and a global option's mistakes (no value, a bad `--timeout`, an ambiguous abbreviation)
 * are reported wherever they are. A second pass takes the global options before the command
 * (spelled in full, with `=`, abbreviated to a unique prefix, or as a cluster of short flags such
 * as `-dv`; the last given wins), then the command, then hands the rest to the command.
 *
 * Here the global options are also taken after the command, spelled in full (README, "Differences
 * from python-glanceclient"), unless the command has an option of that name (`-f` is `--format`
 * there). What comes out is a canonical line for @effect/cli: each global option once, as
 * `--name=value` or `--name`, before the command.
 *
 * The command's own arguments are then checked from its table entry (`checkCommand`), as the
 * command's argparse subparser would check them, before @effect/cli parses them.
 */
import * as Either from "effect/Either"
import { UsageError } from "./errors.js"
import type { CommandSpec, OptionSpec } from "./spec.js"

/** A global option as the parser needs it. */
export interface GlobalOption {
  /** Every spelling (`-d`, `--debug`), as argparse lists them in its messages. */
  readonly names: ReadonlyArray<string>
  /** The spelling @effect/cli is given. */
  readonly canonical: string
  readonly takesValue: boolean
  /** Whether its value is a secret (never repeated in a message). */
  readonly secret: boolean
  /** Why a value is refused (argparse's `type=`), or undefined when it is accepted. */
  readonly check?: ((value: string) => string | undefined) | undefined
  /** Taken only as spelled in full (@effect/cli's own `--completions`, `--log-level`, `--wizard`). */
  readonly exactOnly?: boolean | undefined
}

/** What the parser knows of the program. */
export interface Grammar {
  readonly globals: ReadonlyArray<GlobalOption>
  /** The commands, in the order an "invalid choice" lists them. */
  readonly commands: ReadonlyArray<string>
  /** The option names of a command, and which of them take a value. */
  readonly optionsOf: (command: string) => {
    readonly names: ReadonlySet<string>
    readonly withValue: ReadonlySet<string>
  }
}

/** The parsed line. */
export type Parsed =
  /** `--version` was given (and nothing before it was a mistake). */
  | { readonly _tag: "Version" }
  | {
    readonly _tag: "Line"
    /** The canonical line: global options (`--name=value`, `--name`), then the command and its arguments. */
    readonly args: ReadonlyArray<string>
    /** The global options given, by canonical name (the last value given wins). */
    readonly globals: ReadonlyMap<string, string | true>
    /** Where the command is in `args`, or -1. */
    readonly commandAt: number
  }

/** A mistake on the command line, worded as argparse words it (without its `glance: error: ` prefix). */
class Mistake extends Error {
  constructor(
    message: string,
    /** Found before anything is taken (an ambiguous abbreviation), so even `--version` does not pass it. */
    readonly first = false
  ) {
    super(message)
  }
}

const isNegativeNumber = (arg: string) => /^-\d+$|^-\d*\.\d+$/.test(arg)

/** argparse's test for an argument that is an option (and so cannot be an option's value, or the command). */
const looksLikeOption = (arg: string) =>
  arg.startsWith("-") && arg !== "-" && !isNegativeNumber(arg) && !arg.includes(" ")

/** argparse's words for a value that is not one of the choices (`what`: `argument --sort-dir`). */
export const invalidChoice = (what: string, value: string, choices: ReadonlyArray<string>): string =>
  `${what}: invalid choice: '${value}' (choose from ${choices.map((c) => `'${c}'`).join(", ")})`

/** argparse's words for a value that is not a whole number, or undefined when it is one. */
export const notAnInteger = (what: string, value: string): string | undefined =>
  /^\s*[-+]?\d+\s*$/.test(value) ? undefined : `${what}: invalid int value: '${value}'`

/** `argument -d/--debug` — how argparse names an option in a message. */
const argument = (option: GlobalOption) => `argument ${option.names.join("/")}`

interface Match {
  readonly option: GlobalOption
  /** The value given with `=` (or glued to a short option), if any. */
  readonly explicit: string | undefined
}

/**
 * Parses `args` (without the node and script paths); a mistake is a `UsageError` worded as
 * python-glanceclient's argparse words it.
 */
export const parse = (args: ReadonlyArray<string>, grammar: Grammar): Either.Either<Parsed, UsageError> => {
  try {
    return Either.right(parseOrThrow(args, grammar))
  } catch (e) {
    if (e instanceof Mistake) return Either.left(new UsageError({ message: e.message }))
    throw e
  }
}

const parseOrThrow = (args: ReadonlyArray<string>, grammar: Grammar): Parsed => {
  const byName = new Map<string, GlobalOption>()
  for (const option of grammar.globals) for (const name of option.names) byName.set(name, option)
  const longNames = grammar.globals.filter((o) => o.exactOnly !== true).flatMap((o) =>
    o.names.filter((n) => n.startsWith("--"))
  )

  /** A global option spelled in full, with `=`, or (when `abbreviated`) as a unique prefix. */
  const matchLong = (arg: string, abbreviated: boolean): Match | undefined => {
    const eq = arg.indexOf("=")
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const explicit = eq === -1 ? undefined : arg.slice(eq + 1)
    const exact = byName.get(name)
    if (exact !== undefined) return { option: exact, explicit }
    if (!abbreviated || !name.startsWith("--") || name.length < 3) return undefined
    const candidates = longNames.filter((n) => n.startsWith(name))
    if (candidates.length > 1) {
      throw new Mistake(`ambiguous option: ${name} could match ${candidates.join(", ")}`, true)
    }
    return candidates.length === 1 ? { option: byName.get(candidates[0]!)!, explicit } : undefined
  }

  const globals = new Map<string, string | true>()
  let version = false
  let error: Mistake | undefined

  /**
   * Takes the global option at `args[i]` (matched as `match`) and returns the index of the last
   * argument it used: its value may be the next one. A cluster (`-dv`) is taken flag by flag.
   */
  const take = (i: number, match: Match): number => {
    let { explicit, option } = match
    for (;;) {
      if (option.names.includes("--version")) version = true
      if (option.takesValue) {
        let value = explicit
        let last = i
        if (value === undefined) {
          const next = args[i + 1]
          if (next === undefined || looksLikeOption(next)) {
            throw new Mistake(`${argument(option)}: expected one argument`)
          }
          value = next
          last = i + 1
        }
        const refused = option.check?.(value)
        if (refused !== undefined) throw new Mistake(`${argument(option)}: ${refused}`)
        globals.set(option.canonical, value)
        return last
      }
      globals.set(option.canonical, true)
      if (explicit === undefined) return i
      // `-dv`: the rest of a short flag is more short flags; `--debug=1` or `-dx` is a mistake.
      const short = args[i]!.startsWith("--") ? undefined : byName.get(`-${explicit[0] ?? ""}`)
      if (short === undefined || explicit.length === 0) {
        throw new Mistake(`${argument(option)}: ignored explicit argument '${explicit}'`)
      }
      option = short
      explicit = explicit.length > 1 ? explicit.slice(1) : undefined
      if (option.takesValue && explicit === undefined) continue
    }
  }

  /** A short option or cluster (`-d`, `-dv`, `-d=1`), when its first letter is a global flag. */
  const matchShort = (arg: string): Match | undefined => {
    if (arg.startsWith("--") || arg.length < 2) return undefined
    const option = byName.get(arg.slice(0, 2))
    if (option === undefined) return undefined
    const rest = arg.slice(2)
    return { option, explicit: rest.length === 0 ? undefined : rest.startsWith("=") ? rest.slice(1) : rest }
  }

  // First pass: the global options before the command (any spelling), the command, and after it
  // the global options spelled in full that the command does not have.
  const before: Array<string> = []
  const help: Array<"before" | "after"> = []
  let command: string | undefined
  const rest: Array<string> = []
  let optionsOfCommand: ReturnType<Grammar["optionsOf"]> | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    try {
      if (command === undefined) {
        if (!looksLikeOption(arg) || arg === "--") {
          command = arg
          continue
        }
        const match = arg.startsWith("--") ? matchLong(arg, true) : matchShort(arg)
        if (match === undefined) {
          before.push(arg.split("=")[0]!)
          continue
        }
        if (match.option.canonical === "--help") help.push("before")
        i = take(i, match)
        continue
      }
      if (arg === "--") {
        rest.push(...args.slice(i))
        break
      }
      if (!looksLikeOption(arg)) {
        rest.push(arg)
        continue
      }
      optionsOfCommand ??= grammar.optionsOf(command)
      const name = arg.startsWith("--") ? arg.split("=")[0]! : arg.slice(0, 2)
      if (optionsOfCommand.names.has(name)) {
        rest.push(arg)
        if (optionsOfCommand.withValue.has(name) && !arg.includes("=") && arg.length === name.length) {
          if (i + 1 < args.length) rest.push(args[++i]!)
        }
        continue
      }
      const match = arg.startsWith("--") ? matchLong(arg, false) : matchShort(arg)
      if (match === undefined) {
        rest.push(arg)
        continue
      }
      if (match.option.canonical === "--help") help.push("after")
      i = take(i, match)
    } catch (e) {
      if (!(e instanceof Mistake)) throw e
      error = e
      break
    }
  }
  // A mistake after --version is never reached (argparse has printed the version and left),
  // except an ambiguous abbreviation: argparse sorts out every word before it takes any.
  if (error !== undefined && (error.first || !version)) throw error
  if (version) return { _tag: "Version" }
  const options = [...globals].filter(([name]) => name !== "--help").map(([name, value]) =>
    value === true ? name : `${name}=${value}`
  )
  // python-glanceclient answers -h/--help before the command from its first pass: the general
  // help, whatever the command and whatever unknown option.
  if (help.includes("before")) return { _tag: "Line", args: [...options, "--help"], globals, commandAt: -1 }
  // Second pass: an option before the command that is no global option is unrecognized (named
  // alone: the word after it may be a password, and is not taken for the command).
  if (before.length > 0) throw new Mistake(`unrecognized arguments: ${before.join(" ")}`)
  if (command !== undefined && !grammar.commands.includes(command)) {
    throw new Mistake(invalidChoice("argument <subcommand>", command, grammar.commands))
  }
  const helpAfter = help.includes("after") ? ["--help"] : []
  const line = command === undefined ? options : [...options, command, ...rest, ...helpAfter]
  return { _tag: "Line", args: line, globals, commandAt: command === undefined ? -1 : options.length }
}

/** The values of the secret global options on a command line, however they are spelled. */
export const secretsOf = (args: ReadonlyArray<string>, grammar: Grammar): Array<string> => {
  const secretNames = grammar.globals.filter((o) => o.secret).flatMap((o) => o.names)
  const out: Array<string> = []
  args.forEach((arg, i) => {
    const eq = arg.indexOf("=")
    const name = eq === -1 ? arg : arg.slice(0, eq)
    if (name.length < 5 || !name.startsWith("--")) return
    if (!secretNames.some((s) => s.startsWith(name))) return
    const value = eq === -1 ? args[i + 1] : arg.slice(eq + 1)
    if (value !== undefined) out.push(value)
  })
  return out
}

/**
 * A command's own arguments (the words after its name), checked against its spec as argparse checks
 * them (options abbreviated to a unique prefix): the first bad value (no value, not a number, not a
 * choice, refused by the flag's check), or an ambiguous abbreviation,
 * then the arguments missing, then those it does not take. What passes is the line @effect/cli is
 * given: each option by its long name with its value as the next word, an option that is not
 * repeatable once (argparse keeps the last value), then the positionals.
 */
export const checkCommand = (
  spec: CommandSpec,
  words: ReadonlyArray<string>,
  /** The global options' names: an abbreviation of one of them is not taken for the command's. */
  globals: ReadonlyArray<string> = []
): Either.Either<Array<string>, UsageError> => {
  const byName = new Map<string, OptionSpec>()
  for (const o of spec.options) for (const name of o.names) byName.set(name, o)
  const longNames = [...byName.keys()].filter((n) => n.startsWith("--"))
  const given = new Map<OptionSpec, Array<string>>()
  const positionals: Array<{ readonly at: number; readonly word: string }> = []
  const unknown: Array<{ readonly at: number; readonly word: string }> = []
  const fail = (message: string) => Either.left(new UsageError({ message }))
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    if (word === "--") {
      positionals.push(...words.slice(i + 1).map((word, k) => ({ at: i + 1 + k, word })))
      break
    }
    // argparse takes `--name=a b` for an option it has, though a word with a space is no option otherwise.
    if (!looksLikeOption(word) && !(word.startsWith("--") && byName.has(word.split("=")[0]!))) {
      positionals.push({ at: i, word })
      continue
    }
    // `--name=value`, `-f json` and `-fjson`.
    const long = word.startsWith("--")
    const eq = long ? word.indexOf("=") : -1
    const name = long ? (eq === -1 ? word : word.slice(0, eq)) : word.slice(0, 2)
    const glued = long
      ? (eq === -1 ? undefined : word.slice(eq + 1))
      : word.length > 2
      ? word.slice(2).replace(/^=/, "")
      : undefined
    // argparse's abbreviations: a unique prefix of the command's long options (python-glanceclient's
    // first pass would take the prefix of a global option: that one is not taken here at all).
    const candidates = byName.has(name) || !long || name.length < 3 || globals.some((g) => g.startsWith(name))
      ? []
      : longNames.filter((n) => n.startsWith(name))
    if (new Set(candidates.map((n) => byName.get(n))).size > 1) {
      return fail(`ambiguous option: ${name} could match ${candidates.join(", ")}`)
    }
    const option = byName.get(name) ?? byName.get(candidates[0] ?? "")
    if (option === undefined) {
      unknown.push({ at: i, word })
      continue
    }
    const what = `argument ${option.names.join("/")}`
    if (option.metavar === undefined) {
      if (glued !== undefined) return fail(`${what}: ignored explicit argument '${glued}'`)
      given.set(option, [])
      continue
    }
    const values: Array<string> = []
    if (glued !== undefined) values.push(glued)
    else {
      // argparse's nargs='+' takes every word up to the next option; one value otherwise.
      while (i + 1 < words.length && !looksLikeOption(words[i + 1]!) && words[i + 1] !== "--") {
        values.push(words[++i]!)
        if (option.nargs !== "+") break
      }
      if (values.length === 0 && option.ifAlone !== undefined) values.push(option.ifAlone)
      if (values.length === 0) return fail(`${what}: expected one argument`)
    }
    for (const value of values) {
      const notInteger = option.type === "integer" ? notAnInteger(what, value) : undefined
      if (notInteger !== undefined) return fail(notInteger)
      if (option.type === "integer" && !Number.isSafeInteger(Number(value))) {
        return fail(`${what}: ${value.trim()} is beyond the largest whole number taken (${Number.MAX_SAFE_INTEGER})`)
      }
      if (option.choices !== undefined && !option.choices.includes(value)) {
        return fail(invalidChoice(what, value, option.choices))
      }
      const refused = option.check?.(value)
      if (refused !== undefined) return fail(refused)
    }
    given.set(option, option.repeated ? [...(given.get(option) ?? []), ...values] : values)
  }
  for (const [k, p] of positionals.entries()) {
    const arg = spec.args[Math.min(k, spec.args.length - 1)]
    if (arg?.choices !== undefined && (k < spec.args.length || arg.many !== "") && !arg.choices.includes(p.word)) {
      return fail(invalidChoice(`argument ${arg.metavar}`, p.word, arg.choices))
    }
  }
  const missing = [
    ...spec.options.filter((o) => o.required && !given.has(o)).map((o) => o.names.join("/")),
    ...spec.args.slice(positionals.length).filter((a) => !a.optional).map((a) => a.metavar)
  ]
  if (missing.length > 0) return fail(`the following arguments are required: ${missing.join(", ")}`)
  // Words it does not take, in the order given: unknown options, and positionals beyond its own but
  // one right after an unknown option (it may be that option's value, a password say: not repeated).
  const takes = spec.args.some((a) => a.many !== "") ? Infinity : spec.args.length
  const unknownAt = new Set(unknown.map((u) => u.at))
  const extra = [...unknown, ...positionals.slice(takes).filter((p) => !unknownAt.has(p.at - 1))]
    .sort((a, b) => a.at - b.at)
  if (extra.length > 0) return fail(`unrecognized arguments: ${extra.map((u) => u.word).join(" ")}`)
  const options = [...given].flatMap(([o, values]) =>
    o.metavar === undefined ? [o.long] : values.flatMap((v) => [o.long, v])
  )
  return Either.right([...options, ...positionals.map((p) => p.word)])
}
