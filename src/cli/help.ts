/**
 * `glance help [COMMAND]` and `glance COMMAND --help`: the command's usage, description and
 * arguments in python-glanceclient's (argparse's) layout, made from the command definitions.
 * Loaded only when help is asked for.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { CommandError } from "./errors.js"
import { escapeControls } from "./safeText.js"
import type { ArgSpec, CommandSpec, OptionSpec, ProgramSpec } from "./spec.js"

// textwrap's word splitting (Python 3): whitespace, and hyphenated words split after the hyphen.
const ws = "[ \\t\\n\\x0b\\x0c\\r]"
const nws = "[^ \\t\\n\\x0b\\x0c\\r]"
const wp = "[\\w!\"'&.,?]"
const lt = "[^\\d\\W]"
const wordSeparator = new RegExp(
  `(${ws}+|(?<=${wp})-{2,}(?=\\w)|${nws}+?(?:-(?:(?<=${lt}{2}-)|(?<=${lt}-${lt}-))(?=${lt}-?${lt})|(?=${ws}|$)|(?<=${wp})(?=-{2,}\\w)))`
)

/** Python's `textwrap.wrap(text, width)` on whitespace-normalised text, as argparse uses it. */
export const wrap = (text: string, width: number): Array<string> => {
  const normalized = text.replace(/\s+/g, " ").trim()
  if (normalized.length === 0) return []
  const chunks = normalized.split(wordSeparator).filter((c) => c.length > 0).reverse()
  const lines: Array<string> = []
  while (chunks.length > 0) {
    const line: Array<string> = []
    let length = 0
    if (chunks[chunks.length - 1]!.trim() === "" && lines.length > 0) chunks.pop()
    while (chunks.length > 0 && length + chunks[chunks.length - 1]!.length <= width) {
      const chunk = chunks.pop()!
      line.push(chunk)
      length += chunk.length
    }
    if (chunks.length > 0 && chunks[chunks.length - 1]!.length > width) {
      const chunk = chunks[chunks.length - 1]!
      const spaceLeft = Math.max(width - length, 1)
      let end = spaceLeft
      const hyphen = chunk.lastIndexOf("-", spaceLeft - 1)
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1
      line.push(chunk.slice(0, end))
      chunks[chunks.length - 1] = chunk.slice(end)
    }
    if (line.length > 0 && line[line.length - 1]!.trim() === "") line.pop()
    if (line.length > 0) lines.push(line.join(""))
  }
  return lines
}

/** argparse's placeholder of an option's value: `[<META>]` when it may be left out (nargs '?'). */
const valueOf = (o: OptionSpec): string => (o.nargs === "?" ? `[${o.metavar}]` : o.metavar!)

const optionUsage = (o: OptionSpec): string => {
  const inner = o.metavar === undefined ? o.names[0]! : `${o.names[0]} ${valueOf(o)}`
  return o.required ? inner : `[${inner}]`
}

const argUsage = (a: ArgSpec): string => {
  if (a.many === "+") return `${a.metavar} [${a.metavar} ...]`
  if (a.many === "*") return `[${a.metavar} ...]`
  return a.optional ? `[${a.metavar}]` : a.metavar
}

/** argparse's `usage:` paragraph, wrapped as argparse wraps it. */
export const usage = (prog: string, optionParts: Array<string>, argParts: Array<string>, width: number): string => {
  const prefix = "usage: "
  const all = [prog, ...optionParts, ...argParts].join(" ")
  if (prefix.length + all.length <= width) return `${prefix}${all}`
  const linesOf = (parts: ReadonlyArray<string>, indent: string, first?: string): Array<string> => {
    const lines: Array<string> = []
    let line: Array<string> = []
    let length = first !== undefined ? first.length - 1 : indent.length - 1
    for (const part of parts) {
      if (length + 1 + part.length > width && line.length > 0) {
        lines.push(indent + line.join(" "))
        line = []
        length = indent.length - 1
      }
      line.push(part)
      length += part.length + 1
    }
    if (line.length > 0) lines.push(indent + line.join(" "))
    if (first !== undefined && lines.length > 0) lines[0] = lines[0]!.slice(indent.length)
    return lines
  }
  let lines: Array<string>
  if (prefix.length + prog.length <= 0.75 * width) {
    const indent = " ".repeat(prefix.length + prog.length + 1)
    if (optionParts.length > 0) {
      lines = [...linesOf([prog, ...optionParts], indent, prefix), ...linesOf(argParts, indent)]
    } else if (argParts.length > 0) {
      lines = linesOf([prog, ...argParts], indent, prefix)
    } else {
      lines = [prog]
    }
  } else {
    const indent = " ".repeat(prefix.length)
    lines = linesOf([...optionParts, ...argParts], indent)
    if (lines.length > 1) lines = [...linesOf(optionParts, indent), ...linesOf(argParts, indent)]
    lines = [prog, ...lines]
  }
  return `${prefix}${lines.join("\n")}`
}

interface Entry {
  readonly invocation: string
  readonly help: string
  readonly indent: number
}

const optionInvocation = (o: OptionSpec): string =>
  o.metavar === undefined ? o.names.join(", ") : o.names.map((n) => `${n} ${valueOf(o)}`).join(", ")

/** argparse's sections: `Title:` then each entry with its help in a column (at most 24). */
const sections = (groups: ReadonlyArray<readonly [string, ReadonlyArray<Entry>]>, width: number): string => {
  const maxHelpPosition = Math.min(24, Math.max(width - 20, 4))
  const longest = Math.max(0, ...groups.flatMap(([, es]) => es.map((e) => e.invocation.length + e.indent)))
  const helpPosition = Math.min(longest + 2, maxHelpPosition)
  const helpWidth = Math.max(width - helpPosition, 11)
  const out: Array<string> = []
  for (const [title, entries] of groups) {
    if (entries.length === 0) continue
    const lines = [`${title}:`]
    for (const e of entries) {
      const pad = " ".repeat(e.indent)
      const help = wrap(e.help, helpWidth)
      const actionWidth = helpPosition - e.indent - 2
      if (help.length === 0) {
        lines.push(pad + e.invocation)
        continue
      }
      if (e.invocation.length <= actionWidth) {
        lines.push(`${pad}${e.invocation.padEnd(actionWidth)}  ${help[0]}`)
      } else {
        lines.push(pad + e.invocation, " ".repeat(helpPosition) + help[0])
      }
      for (const l of help.slice(1)) lines.push(" ".repeat(helpPosition) + l)
    }
    out.push(lines.join("\n"))
  }
  return out.join("\n\n")
}

/** The terminal width argparse formats for (`COLUMNS`, else the terminal's, else 80), less 2. */
export const terminalWidth = (): number => {
  const columns = Number(process.env.COLUMNS)
  return (Number.isInteger(columns) && columns > 0 ? columns : process.stdout.columns || 80) - 2
}

/** One command's help, as `glance help COMMAND` prints it. */
export const commandHelp = (spec: CommandSpec, width: number, prog = "glance"): string => {
  const optional = spec.options.filter((o) => !o.required)
  const required = spec.options.filter((o) => o.required)
  const entry = (invocation: string, help: string): Entry => ({ invocation, help, indent: 2 })
  const parts = [
    usage(`${prog} ${spec.name}`, spec.options.map(optionUsage), spec.args.map(argUsage), width),
    wrap(spec.description, width).join("\n"),
    sections([
      ["Positional arguments", spec.args.map((a) => entry(a.metavar, a.description))],
      ["Options", optional.map((o) => entry(optionInvocation(o), o.description))],
      ["Required arguments", required.map((o) => entry(optionInvocation(o), o.description))]
    ], width)
  ]
  return parts.filter((p) => p.length > 0).join("\n\n")
}

const versionOption: OptionSpec = {
  names: ["--version"],
  long: "--version",
  metavar: undefined,
  description: "show program's version number and exit",
  required: false,
  repeated: false,
  type: "flag",
  choices: undefined,
  env: undefined
}

/** The whole program's help, as `glance help` prints it. */
export const programHelp = (program: ProgramSpec, width: number, prog = "glance"): string => {
  const options = [versionOption, ...program.root.options]
  const commands = [...program.commands].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const last = ["bash-completion", "help"]
  const ordered = [
    ...commands.filter((c) => !last.includes(c.name)),
    ...last.flatMap((n) => commands.filter((c) => c.name === n))
  ]
  return [
    usage(prog, options.map(optionUsage), ["<subcommand> ..."], width),
    wrap(program.root.description, width).join("\n"),
    sections([
      ["Positional arguments", [
        { invocation: "<subcommand>", help: "", indent: 2 },
        ...ordered.map((c) => ({ invocation: c.name, help: c.description, indent: 4 }))
      ]],
      ["Options", options.map((o) => ({ invocation: optionInvocation(o), help: o.description, indent: 2 }))]
    ], width),
    `See "${prog} help COMMAND" for help on a specific command.`
  ].filter((p) => p.length > 0).join("\n\n")
}

/**
 * Prints the help of the program, or of one of its commands (`'X' is not a valid subcommand`, exit 1).
 * image-create / image-update list flags made from the cloud's image schema, so the text is
 * printed with its control characters escaped (line breaks aside).
 */
export const printHelp = (
  program: ProgramSpec,
  name: string | undefined,
  extraOptions: (spec: CommandSpec) => ReadonlyArray<OptionSpec> = () => []
) =>
  Effect.gen(function*() {
    if (name === undefined) return yield* Console.log(escapeControls(programHelp(program, terminalWidth()), true))
    const spec = program.commands.find((c) => c.name === name)
    if (spec === undefined) return yield* new CommandError({ message: `'${name}' is not a valid subcommand` })
    const extra = extraOptions(spec)
    const full = extra.length === 0 ? spec : { ...spec, options: [...spec.options, ...extra] }
    yield* Console.log(escapeControls(commandHelp(full, terminalWidth()), true))
  })
