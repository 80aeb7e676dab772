/**
 * What each `glance` command takes, read from its @effect/cli definition: the one source for
 * `glance help`, `glance bash-completion` and docs/cli.md. Loaded only by those.
 */
import type * as Command from "@effect/cli/Command"

/** A positional argument. */
export interface ArgSpec {
  readonly metavar: string
  readonly description: string
  readonly optional: boolean
  /** `+` one or more, `*` zero or more (argparse's nargs). */
  readonly many: "" | "+" | "*"
}

/** An option (a flag, or a flag with a value). */
export interface OptionSpec {
  /** As argparse lists them: short ones first (`-f`, `--format`). */
  readonly names: ReadonlyArray<string>
  readonly long: string
  /** The value's placeholder (`<NAME>`, `{a,b}`); undefined for a flag without value. */
  readonly metavar: string | undefined
  readonly description: string
  readonly required: boolean
  readonly repeated: boolean
  readonly type: "flag" | "text" | "integer" | "float" | "choice" | "secret" | "other"
  readonly choices: ReadonlyArray<string> | undefined
  /** The `OS_*` (or other) variable it falls back to, when its description names one. */
  readonly env: string | undefined
  /** Why a given value is refused (the usage error's words), or undefined when it is accepted. */
  readonly check?: ((value: string) => string | undefined) | undefined
  /** argparse's `nargs='+'`: several values after one flag. */
  readonly nargs?: "+" | undefined
}

/** A command. */
export interface CommandSpec {
  readonly name: string
  readonly description: string
  readonly args: ReadonlyArray<ArgSpec>
  readonly options: ReadonlyArray<OptionSpec>
}

/** The root command and its subcommands. */
export interface ProgramSpec {
  readonly root: CommandSpec
  readonly commands: ReadonlyArray<CommandSpec>
}

// @effect/cli's descriptors, options, args and help docs are plain tagged objects; these are
// the fields read here (see @effect/cli/src/internal/{commandDescriptor,options,args,helpDoc}.ts).
interface Node {
  readonly _tag: string
  readonly [key: string]: unknown
}

const spanText = (span: Node | undefined): string => {
  if (span === undefined) return ""
  switch (span._tag) {
    case "Text":
    case "URI":
      return String(span.value)
    case "Sequence":
      return spanText(span.left as Node) + spanText(span.right as Node)
    default:
      return "value" in span ? spanText(span.value as Node) : ""
  }
}

/** The plain text of a help doc, paragraphs joined by a space. */
export const docText = (doc: Node | undefined): string => {
  if (doc === undefined) return ""
  switch (doc._tag) {
    case "Paragraph":
    case "Header":
      return spanText(doc.value as Node)
    case "Sequence":
      return [docText(doc.left as Node), docText(doc.right as Node)].filter((s) => s.length > 0).join(" ")
    default:
      return ""
  }
}

const upperSnake = (name: string) => name.replace(/^-+/, "").replace(/-/g, "_").toUpperCase()

const optionType = (primitive: Node): OptionSpec["type"] => {
  switch (primitive._tag) {
    case "Bool":
      return "flag"
    case "Text":
      return "text"
    case "Integer":
      return "integer"
    case "Float":
      return "float"
    case "Choice":
      return "choice"
    case "Redacted":
    case "Secret":
      return "secret"
    default:
      return "other"
  }
}

const pseudo = (node: Node): string | undefined => {
  const p = node.pseudoName as { _tag: string; value?: string } | undefined
  return p?._tag === "Some" ? p.value : undefined
}

const collectOptions = (node: Node, out: Array<OptionSpec>, optional = false, repeated = false): void => {
  switch (node._tag) {
    case "Single": {
      const primitive = node.primitiveType as Node
      const type = optionType(primitive)
      const choices = type === "choice"
        ? (primitive.alternatives as ReadonlyArray<readonly [string, unknown]>).map(([c]) => c)
        : undefined
      const long = `--${String(node.name)}`
      const aliases = node.aliases as ReadonlyArray<string>
      // argparse's order: short names, the name, then long aliases (`--os-username, --os-user-name`).
      const short = aliases.filter((a) => a.length === 1).map((a) => `-${a}`)
      const longAliases = aliases.filter((a) => a.length > 1).map((a) => `--${a}`)
      const description = docText(node.description as Node)
      out.push({
        names: [...short, long, ...longAliases],
        long,
        metavar: type === "flag"
          ? undefined
          : pseudo(node) ?? (choices ? `{${choices.join(",")}}` : `<${upperSnake(long)}>`),
        description,
        required: !optional && type !== "flag",
        repeated,
        type,
        choices,
        env: /Defaults to env\[(\w+)\]/.exec(description)?.[1]
      })
      return
    }
    case "Both":
    case "OrElse":
      collectOptions(node.left as Node, out, optional, repeated)
      collectOptions(node.right as Node, out, optional || node._tag === "OrElse", repeated)
      return
    case "Map":
    case "WithFallback":
      return collectOptions(node.options as Node, out, optional || node._tag === "WithFallback", repeated)
    case "WithDefault":
      return collectOptions(node.options as Node, out, true, repeated)
    case "Variadic":
    case "KeyValueMap": {
      const min = node.min as { _tag: string; value?: number } | undefined
      const none = min === undefined || min._tag === "None" || min.value === 0
      return collectOptions(node.argumentOption as Node, out, optional || none, true)
    }
    default:
      return
  }
}

const collectArgs = (node: Node, out: Array<ArgSpec>, optional = false, many: ArgSpec["many"] = ""): void => {
  switch (node._tag) {
    case "Single":
      out.push({
        metavar: String(node.name), // `<NAME>`
        description: docText(node.description as Node),
        optional,
        many
      })
      return
    case "Both":
      collectArgs(node.left as Node, out, optional, many)
      collectArgs(node.right as Node, out, optional, many)
      return
    case "Map":
    case "WithFallbackConfig":
      return collectArgs(node.args as Node, out, optional || node._tag === "WithFallbackConfig", many)
    case "WithDefault":
      return collectArgs(node.args as Node, out, true, many)
    case "Variadic": {
      const min = node.min as { _tag: string; value?: number }
      const atLeastOne = min._tag === "Some" && (min.value ?? 0) >= 1
      return collectArgs(node.args as Node, out, optional || !atLeastOne, atLeastOne ? "+" : "*")
    }
    default:
      return
  }
}

const standard = (node: Node): Node => (node._tag === "Map" ? standard(node.command as Node) : node)

const commandSpec = (descriptor: Node): CommandSpec => {
  const node = standard(descriptor)
  const options: Array<OptionSpec> = []
  const args: Array<ArgSpec> = []
  if (node.options) collectOptions(node.options as Node, options)
  if (node.args) collectArgs(node.args as Node, args)
  return { name: String(node.name), description: docText(node.description as Node), args, options }
}

/** The specs of a command with subcommands (the `glance` root) and of each subcommand. */
export const programSpec = (command: Command.Command<any, any, any, any>): ProgramSpec => {
  const descriptor = command.descriptor as unknown as Node
  const top = descriptor._tag === "Subcommands" ? descriptor : standard(descriptor)
  const root = commandSpec(top._tag === "Subcommands" ? (top.parent as Node) : top)
  const children = top._tag === "Subcommands" ? (top.children as ReadonlyArray<Node>) : []
  return { root, commands: children.map(commandSpec) }
}
